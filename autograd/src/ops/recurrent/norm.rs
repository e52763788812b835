//! Layer-normalized cells (Ba, Kiros & Hinton 2016), one row at a time: each gate block of the input
//! projection and of the recurrent projection is normalized on its own, then scaled and shifted
//! (the shifts are the cell's `b_ih` and `b_hh`); an LSTM also normalizes its cell state before the
//! output tanh. These run around the plain gate math of `cell.rs`: forward before it (and after it
//! for the LSTM's output), backward after it (and before it for the LSTM's output).

use super::cell::Out;
use crate::element::Element;
use crate::ops::norm::{normalize, normalize_backward};

/// The `eps` added to the variance, PyTorch's `LayerNorm` default.
pub(crate) const EPS: f64 = 1e-5;

/// The gains and shifts of a layer-normalized cell, in the gate order of its weights.
#[derive(Clone, Copy)]
pub(crate) struct NormIn<'a, E> {
    /// Gain of the normalized input projection `[G·H]`.
    pub gain_ih: &'a [E],
    /// Shift of the normalized input projection (`b_ih`) `[G·H]`.
    pub bias_ih: &'a [E],
    /// Gain of the normalized recurrent projection `[G·H]`.
    pub gain_hh: &'a [E],
    /// Shift of the normalized recurrent projection (`b_hh`) `[G·H]`.
    pub bias_hh: &'a [E],
    /// Gain of the normalized cell state `[H]` (LSTM only, else empty).
    pub gain_c: &'a [E],
    /// Shift of the normalized cell state `[H]` (LSTM only, else empty).
    pub bias_c: &'a [E],
}

/// What one step of one row keeps for backward: the normalized projections, their 1/σ per gate
/// block, and the LSTM's normalized cell state with its 1/σ.
pub(crate) struct NormKeep<'a, E> {
    /// Normalized input projection `[G·H]`.
    pub xhat_ih: &'a mut [E],
    /// Normalized recurrent projection `[G·H]`.
    pub xhat_hh: &'a mut [E],
    /// 1/σ of each input block, then of each recurrent block, then of the cell state `[2G + 1]`.
    pub rstd: &'a mut [E],
    /// Normalized cell state `[H]` (LSTM only, else empty).
    pub chat: &'a mut [E],
}

impl<'a, E> NormKeep<'a, E> {
    /// The slices of (row, step) pair `at` in the kept buffers `[xhat_ih, xhat_hh, rstd, chat]`,
    /// or in `scratch` (one pair's worth) when nothing is kept.
    pub(crate) fn at(
        kept: &'a mut [&mut [E]; 4],
        scratch: &'a mut [E],
        at: usize,
        [proj, rstd, chat]: [usize; 3],
    ) -> Self {
        let pair = |buf: &'a mut [E], w: usize, at: usize| &mut buf[at * w..(at + 1) * w];
        if kept[0].is_empty() {
            let (xhat_ih, rest) = scratch.split_at_mut(proj);
            let (xhat_hh, rest) = rest.split_at_mut(proj);
            let (rstd, chat) = rest.split_at_mut(rstd);
            NormKeep {
                xhat_ih,
                xhat_hh,
                rstd,
                chat,
            }
        } else {
            let [a, b, c, d] = kept;
            NormKeep {
                xhat_ih: pair(a, proj, at),
                xhat_hh: pair(b, proj, at),
                rstd: pair(c, rstd, at),
                chat: pair(d, chat, at),
            }
        }
    }
}

/// The sizes of what a row keeps per step: `[G·H]`, `[2G + 1]`, `[H]` (or 0 without a cell state).
pub(crate) fn keep_sizes(g: usize, h: usize, lstm: bool) -> [usize; 3] {
    [g * h, 2 * g + 1, if lstm { h } else { 0 }]
}

/// The width of one row's gradient accumulators: gain and shift of the input and recurrent
/// projections `[G·H]` each, then of the cell state `[H]` each.
pub(crate) fn acc_width(g: usize, h: usize) -> usize {
    4 * g * h + 2 * h
}

impl<E: Element> NormIn<'_, E> {
    /// The normalized, scaled and shifted projections `nx`, `nh` of one row from the raw products
    /// `gx`, `gh` (each `[G·H]`, `g` blocks).
    #[inline(always)]
    pub(crate) fn project(
        &self,
        g: usize,
        [gx, gh]: [&[E]; 2],
        [nx, nh]: [&mut [E]; 2],
        keep: &mut NormKeep<'_, E>,
    ) {
        let n = gx.len() / g;
        let eps = E::of(EPS);
        for k in 0..g {
            let at = k * n..(k + 1) * n;
            for (raw, hat, out, gain, bias, r) in [
                (
                    gx,
                    &mut *keep.xhat_ih,
                    &mut *nx,
                    self.gain_ih,
                    self.bias_ih,
                    k,
                ),
                (
                    gh,
                    &mut *keep.xhat_hh,
                    &mut *nh,
                    self.gain_hh,
                    self.bias_hh,
                    g + k,
                ),
            ] {
                let hat = &mut hat[at.clone()];
                keep.rstd[r] = normalize(&raw[at.clone()], eps, hat);
                let (out, gain, bias) =
                    (&mut out[at.clone()], &gain[at.clone()], &bias[at.clone()]);
                for j in 0..n {
                    out[j] = hat[j] * gain[j] + bias[j];
                }
            }
        }
    }

    /// The LSTM's output `h = o ⊙ tanh(gain_c ⊙ LN(c) + bias_c)` of one row.
    #[inline(always)]
    pub(crate) fn lstm_output(
        &self,
        c: &[E],
        o: &[E],
        h: &mut [Out<E>],
        keep: &mut NormKeep<'_, E>,
    ) {
        let n = h.len();
        let at = keep.rstd.len() - 1;
        keep.rstd[at] = normalize(&c[..n], E::of(EPS), &mut keep.chat[..n]);
        let (chat, gain, bias, o) = (
            &keep.chat[..n],
            &self.gain_c[..n],
            &self.bias_c[..n],
            &o[..n],
        );
        for j in 0..n {
            h[j].write(o[j] * (chat[j] * gain[j] + bias[j]).fast_tanh());
        }
    }

    /// Backward of [`NormIn::lstm_output`] for one row: writes the output gate's gradient `d_o`,
    /// adds the path through the normalized cell state to `dc` and clears `dh`; accumulates the
    /// cell state's gain and shift gradients into `acc`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn lstm_output_backward(
        &self,
        o: &[E],
        kept: Kept<'_, E>,
        dh: &mut [E],
        dc: &mut [E],
        d_o: &mut [Out<E>],
        acc: &mut [E],
        scratch: &mut [E],
    ) {
        let (n, one) = (dh.len(), E::one());
        let rstd = kept.rstd[kept.rstd.len() - 1];
        let (chat, gain, bias, o) = (
            &kept.chat[..n],
            &self.gain_c[..n],
            &self.bias_c[..n],
            &o[..n],
        );
        let len = acc.len();
        let (acc_gain, acc_bias) = acc[len - 2 * n..].split_at_mut(n);
        let (dy, ddc) = scratch[..2 * n].split_at_mut(n);
        for j in 0..n {
            let t = (chat[j] * gain[j] + bias[j]).fast_tanh();
            d_o[j].write(dh[j] * t * o[j] * (one - o[j]));
            let d = dh[j] * o[j] * (one - t * t);
            acc_gain[j] += d * chat[j];
            acc_bias[j] += d;
            dy[j] = d * gain[j];
            dh[j] = E::zero();
        }
        normalize_backward(dy, chat, rstd, ddc);
        for j in 0..n {
            dc[j] += ddc[j];
        }
    }

    /// Backward of [`NormIn::project`] for one row, in place: `dgx` and `dgh` hold the gradients
    /// of the normalized projections `nx`, `nh` and become those of the raw products. Accumulates
    /// the gain and shift gradients into `acc`.
    #[inline(always)]
    pub(crate) fn project_backward(
        &self,
        g: usize,
        kept: Kept<'_, E>,
        [dgx, dgh]: [&mut [E]; 2],
        acc: &mut [E],
        scratch: &mut [E],
    ) {
        let gh_len = dgx.len();
        let n = gh_len / g;
        let (acc_ih, acc_hh) = acc[..4 * gh_len].split_at_mut(2 * gh_len);
        for (d, hat, gain, acc, first) in [
            (&mut *dgx, kept.xhat_ih, self.gain_ih, acc_ih, 0),
            (&mut *dgh, kept.xhat_hh, self.gain_hh, acc_hh, g),
        ] {
            let (acc_gain, acc_bias) = acc.split_at_mut(gh_len);
            for j in 0..gh_len {
                acc_gain[j] += d[j] * hat[j];
                acc_bias[j] += d[j];
                scratch[j] = d[j] * gain[j];
            }
            for k in 0..g {
                let at = k * n..(k + 1) * n;
                normalize_backward(
                    &scratch[at.clone()],
                    &hat[at.clone()],
                    kept.rstd[first + k],
                    &mut d[at],
                );
            }
        }
    }
}

/// What the forward kept for one step of one row (read-only view of a [`NormKeep`]).
#[derive(Clone, Copy)]
pub(crate) struct Kept<'a, E> {
    /// Normalized input projection `[G·H]`.
    pub xhat_ih: &'a [E],
    /// Normalized recurrent projection `[G·H]`.
    pub xhat_hh: &'a [E],
    /// 1/σ of each block, as [`NormKeep::rstd`].
    pub rstd: &'a [E],
    /// Normalized cell state `[H]` (LSTM only).
    pub chat: &'a [E],
}

/// The buffers a layer-normalized forward keeps for backward, `[B, T, …]` (empty when nothing is
/// kept).
pub(crate) struct NormSaved<E> {
    /// Normalized input projections `[B, T, G·H]`.
    pub xhat_ih: Vec<E>,
    /// Normalized recurrent projections `[B, T, G·H]`.
    pub xhat_hh: Vec<E>,
    /// 1/σ per block `[B, T, 2G + 1]`.
    pub rstd: Vec<E>,
    /// Normalized cell states `[B, T, H]` (LSTM only).
    pub chat: Vec<E>,
}

impl<E: Element> NormSaved<E> {
    /// Zeroed buffers for `rows` (row, step) pairs (zero also stands for a padded step).
    pub(crate) fn zeros(rows: usize, g: usize, h: usize, lstm: bool) -> Self {
        let [proj, rstd, chat] = keep_sizes(g, h, lstm);
        NormSaved {
            xhat_ih: vec![E::zero(); rows * proj],
            xhat_hh: vec![E::zero(); rows * proj],
            rstd: vec![E::zero(); rows * rstd],
            chat: vec![E::zero(); rows * chat],
        }
    }

    /// Nothing kept.
    pub(crate) fn none() -> Self {
        NormSaved {
            xhat_ih: Vec::new(),
            xhat_hh: Vec::new(),
            rstd: Vec::new(),
            chat: Vec::new(),
        }
    }

    /// What was kept for (row, step) pair `at`.
    pub(crate) fn kept(&self, at: usize, g: usize, h: usize, lstm: bool) -> Kept<'_, E> {
        let [proj, rstd, chat] = keep_sizes(g, h, lstm);
        Kept {
            xhat_ih: &self.xhat_ih[at * proj..(at + 1) * proj],
            xhat_hh: &self.xhat_hh[at * proj..(at + 1) * proj],
            rstd: &self.rstd[at * rstd..(at + 1) * rstd],
            chat: &self.chat[at * chat..(at + 1) * chat],
        }
    }
}

/// The gradients of a layer-normalized cell's gains and shifts, from each batch row's
/// accumulators `[B, 4·G·H + 2·H]` summed in row order (the same bits on any split of the batch):
/// `[gain_ih, b_ih, gain_hh, b_hh, gain_c, bias_c]`.
pub(crate) fn sum_rows<E: Element>(acc: &[E], g: usize, h: usize) -> [Vec<E>; 6] {
    let width = acc_width(g, h);
    let mut total = vec![E::zero(); width];
    for row in acc.chunks_exact(width) {
        for (t, &v) in total.iter_mut().zip(row) {
            *t += v;
        }
    }
    let gh_len = g * h;
    let cut = [
        0,
        gh_len,
        2 * gh_len,
        3 * gh_len,
        4 * gh_len,
        4 * gh_len + h,
        width,
    ];
    std::array::from_fn(|k| total[cut[k]..cut[k + 1]].to_vec())
}
