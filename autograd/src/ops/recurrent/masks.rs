//! The regularizer masks a recurrent kernel applies inside its time loop: variational dropout of
//! the recurrent state (Gal & Ghahramani 2016) and zoneout (Krueger et al. 2016), forward and
//! backward side by side.
//!
//! The masks are drawn by the caller before the kernel (from its generator, so the kernel stays
//! deterministic and independent of the number of threads) and passed in whole.
//!
//! - Recurrent dropout: `m_h` `[B, H]` multiplies h_{t−1} where it enters `W_hh` (the recurrent
//!   GEMM's left operand), the same at every step; backward, dh_{t−1} gets `(dgh·W_hh)⊙m_h`, and
//!   `dW_hh = Σ dghᵀ·(h_{t−1}⊙m_h)`.
//! - Zoneout: `d` `[B, T, S·H]` (h, then c for an LSTM) blends each step's candidate state with
//!   the previous one, `s_t = d⊙s_{t−1} + (1−d)⊙s̃_t`; backward, the candidate gets `(1−d)·ds_t`
//!   and the previous state `d·ds_t` directly.

use super::cell::Out;
use super::scan::written;
use crate::element::Element;
use crate::tensor::Tensor;

/// The regularizer masks of one recurrent kernel run; both absent, the kernel runs as without.
#[derive(Clone, Debug)]
pub struct RecurrentMasks<E: Element> {
    /// Variational dropout of the recurrent state `[B, H]`: multiplies h_{t−1} where it enters
    /// `W_hh`, at every step (usually 0 or 1/(1−p)).
    pub state: Option<Tensor<E>>,
    /// Zoneout `[B, T, S·H]` (h, then c for an LSTM), indexed by time: the weight of the previous
    /// state in each step's new one (1 keeps it, 0 takes the candidate; p everywhere in
    /// evaluation).
    pub zoneout: Option<Tensor<E>>,
}

impl<E: Element> Default for RecurrentMasks<E> {
    /// No masks.
    fn default() -> Self {
        RecurrentMasks {
            state: None,
            zoneout: None,
        }
    }
}

impl<E: Element> RecurrentMasks<E> {
    /// Whether any mask is present.
    pub fn any(&self) -> bool {
        self.state.is_some() || self.zoneout.is_some()
    }

    /// The scan's view of the masks.
    pub(super) fn view(&self) -> MaskView<'_, E> {
        MaskView {
            state: self.state.as_ref().map(Tensor::data),
            zoneout: self.zoneout.as_ref().map(Tensor::data),
        }
    }
}

/// The masks as the scan reads them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MaskView<'a, E> {
    /// `[B, H]`, see [`RecurrentMasks::state`].
    pub state: Option<&'a [E]>,
    /// `[B, T, S·H]`, see [`RecurrentMasks::zoneout`].
    pub zoneout: Option<&'a [E]>,
}

impl<E> MaskView<'_, E> {
    /// Whether any mask is present.
    pub fn any(&self) -> bool {
        self.state.is_some() || self.zoneout.is_some()
    }
}

/// `out = h ⊙ m`: a state as it enters `W_hh` under recurrent dropout.
#[inline(always)]
pub(super) fn masked_into<E: Element>(out: &mut [E], h: &[E], m: &[E]) {
    for ((o, &a), &b) in out.iter_mut().zip(h).zip(m) {
        *o = a * b;
    }
}

/// `dh += tmp ⊙ m`: the recurrent GEMM's part of dh_{t−1} under recurrent dropout.
#[inline(always)]
pub(super) fn add_masked<E: Element>(dh: &mut [E], tmp: &[E], m: &[E]) {
    for ((d, &a), &b) in dh.iter_mut().zip(tmp).zip(m) {
        *d += a * b;
    }
}

/// States `[B·T, H]` masked for the weight gradient: the h part of each of `states` `[B·T, S·H]`
/// times its row's mask `[B, H]`.
pub(super) fn masked_states<E: Element>(
    states: &[E],
    s: usize,
    h: usize,
    t: usize,
    m: &[E],
) -> Vec<E> {
    let mut out = vec![E::zero(); states.len() / s];
    for (k, (o, st)) in out
        .chunks_exact_mut(h)
        .zip(states.chunks_exact(s * h))
        .enumerate()
    {
        let row = k / t;
        masked_into(o, &st[..h], &m[row * h..(row + 1) * h]);
    }
    out
}

/// Zoneout forward of one row's step: keeps the candidates `cur` `[S·H]` (just written by the
/// cell) in `candidates` when backward needs them, then blends them with the previous state:
/// `cur = d⊙prev + (1−d)⊙cur`.
#[inline(always)]
pub(super) fn zoneout_forward<E: Element>(
    d: &[E],
    [h_prev, c_prev]: [&[E]; 2],
    cur: &mut [Out<E>],
    candidates: &mut [Out<E>],
) {
    // SAFETY: the cell just wrote every element of `cur`.
    let cand = unsafe { written(cur) };
    for (o, &v) in candidates.iter_mut().zip(cand) {
        o.write(v);
    }
    let (h, c) = cur.split_at_mut(h_prev.len());
    let (dh, dc) = d.split_at(h_prev.len());
    blend(dh, h_prev, h);
    blend(dc, c_prev, c);
}

/// `cur = d⊙prev + (1−d)⊙cur` over one state (one loop over slices of one length: vectorized).
#[inline(always)]
fn blend<E: Element>(d: &[E], prev: &[E], cur: &mut [Out<E>]) {
    let (n, one) = (cur.len(), E::one());
    let (d, prev) = (&d[..n], &prev[..n]);
    for j in 0..n {
        // SAFETY: the cell wrote `cur`; each element is read once, then overwritten.
        let v = unsafe { cur[j].assume_init() };
        cur[j].write(d[j] * prev[j] + (one - d[j]) * v);
    }
}

/// Zoneout backward of one row's step, before the cell's: splits the gradients `dh`, `dc` of the
/// step's state into the candidates' part `(1−d)·g`, left in `dh`, `dc`, and the previous state's
/// direct part `d·g`, kept in `direct` `[S·H]`.
#[inline(always)]
pub(super) fn zoneout_split<E: Element>(d: &[E], dh: &mut [E], dc: &mut [E], direct: &mut [E]) {
    let (d_h, d_c) = d.split_at(dh.len());
    let (direct_h, direct_c) = direct.split_at_mut(dh.len());
    split(d_h, dh, direct_h);
    split(d_c, dc, direct_c);
}

/// One state's part of [`zoneout_split`].
#[inline(always)]
fn split<E: Element>(d: &[E], g: &mut [E], direct: &mut [E]) {
    let (n, one) = (g.len(), E::one());
    let (d, direct) = (&d[..n], &mut direct[..n]);
    for j in 0..n {
        direct[j] = d[j] * g[j];
        g[j] *= one - d[j];
    }
}

/// Zoneout backward of one row's step, after the cell's: adds the direct part kept by
/// [`zoneout_split`] to the gradients of the previous state `dh`, `dc`.
#[inline(always)]
pub(super) fn zoneout_join<E: Element>(direct: &[E], dh: &mut [E], dc: &mut [E]) {
    let (direct_h, direct_c) = direct.split_at(dh.len());
    for (g, direct) in [(dh, direct_h), (dc, direct_c)] {
        let direct = &direct[..g.len()];
        for j in 0..g.len() {
            g[j] += direct[j];
        }
    }
}
