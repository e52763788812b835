//! The whole-sequence kernel: per step one recurrent GEMM plus fused gate math; in backward, per
//! step one GEMM for dh, and the weight gradient as a single GEMM over all steps.
//!
//! Internal buffers are time-major (`[T, B, …]`) so that each step's block is one contiguous
//! matrix; the op's input `gx` and output states are batch-first (`[B, T, …]`).

use super::cell::{CellKind, RowBackward, RowForward};
use crate::element::Element;
use crate::simd::vectorized;
use crate::tensor::{gemm, Gemm, PackedGemm, Start, Tensor};
use rayon::iter::Either;
use rayon::prelude::*;

/// Gate math of a step splits over batch rows across threads from this many gate values on.
const PAR_ROWS_MIN_WORK: usize = 1 << 14;

/// The fewest rows a rayon task takes: all of them (one task, no thread hop) for small steps.
fn min_rows(b: usize, gh_len: usize) -> usize {
    if b * gh_len >= PAR_ROWS_MIN_WORK {
        b.div_ceil(rayon::current_num_threads()).max(1)
    } else {
        b.max(1)
    }
}

/// Sizes of one scan.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    pub b: usize,
    pub t: usize,
    pub h: usize,
    pub g: usize,
    pub s: usize,
}

impl Dims {
    /// The position in the batch-first time axis of processing step `step`.
    fn time(&self, step: usize, reverse: bool) -> usize {
        if reverse {
            self.t - 1 - step
        } else {
            step
        }
    }
}

/// What the forward keeps for backward.
pub(crate) struct ScanSaved<E> {
    /// Activated gates `[T, B, G·H]`.
    gates: Vec<E>,
    /// Recurrent projections `[T, B, G·H]` (GRU only; the reset gate multiplies its n part).
    gh: Vec<E>,
    /// Hidden state before each step, batch-first `[B, T, H]` like the gradient of `gx`, so that
    /// the two pair up row for row in the single GEMM of dW_hh.
    h_prev: Vec<E>,
    /// Cell state before each step `[T, B, H]` (LSTM only).
    c_prev: Vec<E>,
}

/// Gradients of one scan's inputs.
pub(crate) struct ScanGrads<E: Element> {
    pub gx: Tensor<E>,
    pub w_hh: Tensor<E>,
    pub b_hh: Tensor<E>,
    pub h0: Tensor<E>,
    pub c0: Option<Tensor<E>>,
}

fn active(lengths: Option<&[usize]>, row: usize, time: usize) -> bool {
    lengths.is_none_or(|l| time < l[row])
}

/// Runs the cell over every step; returns the states `[B, T, S·H]` (h, then c for an LSTM), and
/// what backward needs when `save`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward<E: Element>(
    kind: CellKind,
    d: Dims,
    gx: &[E],
    w_hh: &[E],
    b_hh: &[E],
    h0: &[E],
    c0: Option<&[E]>,
    lengths: Option<&[usize]>,
    reverse: bool,
    save: bool,
) -> (Vec<E>, ScanSaved<E>) {
    let Dims { b, t, h, g, s } = d;
    let gh_len = g * h;
    let lstm = s == 2;
    let mut carry_h = h0.to_vec();
    // c is carried for every kind so that row chunks line up; only the LSTM reads it.
    let mut carry_c = c0.map_or_else(|| vec![E::zero(); b * h], <[E]>::to_vec);
    let mut gh = vec![E::zero(); b * gh_len];
    let mut states = vec![E::zero(); b * t * s * h];
    // Without backward (no_grad, or no input needs a gradient) nothing is saved, and the gates of
    // one step go to a scratch block.
    let saved_len = |per_step: usize, wanted: bool| if save && wanted { t * per_step } else { 0 };
    let mut saved = ScanSaved {
        gates: vec![E::zero(); if save { t * b * gh_len } else { b * gh_len }],
        gh: vec![E::zero(); saved_len(b * gh_len, kind == CellKind::Gru)],
        h_prev: vec![E::zero(); saved_len(b * h, true)],
        c_prev: vec![E::zero(); saved_len(b * h, lstm)],
    };
    // gh = b_hh + h·W_hhᵀ, with W_hhᵀ `[H, G·H]` packed once for all steps.
    let mut rec = PackedGemm::new(w_hh, h, gh_len, true);
    for step in 0..t {
        let time = d.time(step, reverse);
        rec.multiply(b, &carry_h, h, &mut gh, gh_len, Start::Row(b_hh));
        let block = if save { step * b } else { 0 };
        if save {
            for (row, ch) in carry_h.chunks_exact(h).enumerate() {
                let at = (row * t + time) * h;
                saved.h_prev[at..at + h].copy_from_slice(ch);
            }
        }
        if !saved.c_prev.is_empty() {
            saved.c_prev[block * h..(block + b) * h].copy_from_slice(&carry_c);
        }
        if !saved.gh.is_empty() {
            saved.gh[block * gh_len..(block + b) * gh_len].copy_from_slice(&gh);
        }
        let gates = &mut saved.gates[block * gh_len..(block + b) * gh_len];
        states
            .par_chunks_mut(t * s * h)
            .zip(gates.par_chunks_mut(gh_len))
            .zip(carry_h.par_chunks_mut(h).zip(carry_c.par_chunks_mut(h)))
            .enumerate()
            .with_min_len(min_rows(b, gh_len))
            .for_each(|(row, ((seq, gates), (ch, cc)))| {
                let at = time * s * h;
                let cc = if lstm { cc } else { &mut cc[..0] };
                if active(lengths, row, time) {
                    let (h_out, c_out) = seq[at..at + s * h].split_at_mut(h);
                    let gi = (row * t + time) * gh_len;
                    let r = RowForward {
                        gx: &gx[gi..gi + gh_len],
                        gh: &gh[row * gh_len..(row + 1) * gh_len],
                        h_prev: ch,
                        c_prev: cc,
                        h: h_out,
                        c: c_out,
                        gates,
                    };
                    vectorized(
                        #[inline(always)]
                        || kind.forward_row(r),
                    );
                    ch.copy_from_slice(h_out);
                    cc.copy_from_slice(c_out);
                } else {
                    seq[at..at + h].copy_from_slice(ch);
                    seq[at + h..at + s * h].copy_from_slice(cc);
                }
            });
    }
    (states, saved)
}

/// Backpropagates `d_states` `[B, T, S·H]` through the scan.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward<E: Element>(
    kind: CellKind,
    d: Dims,
    states: &[E],
    saved: &ScanSaved<E>,
    d_states: &[E],
    w_hh: &[E],
    lengths: Option<&[usize]>,
    reverse: bool,
) -> ScanGrads<E> {
    let Dims { b, t, h, g, s } = d;
    let gh_len = g * h;
    let lstm = s == 2;
    let mut dh = vec![E::zero(); b * h];
    let mut dc = vec![E::zero(); b * h];
    let mut dgx = vec![E::zero(); b * t * gh_len];
    // The gradient of the recurrent projection, batch-first: its own buffer only for the GRU, the
    // other cells' equals dgx.
    let mut dgh_own = if kind.separate_dgh() {
        vec![E::zero(); b * t * gh_len]
    } else {
        Vec::new()
    };
    // dh_prev += dgh·W_hh, with W_hh `[G·H, H]` packed once for all steps.
    let mut back = PackedGemm::new(w_hh, gh_len, h, false);
    for step in (0..t).rev() {
        let time = d.time(step, reverse);
        let block = step * b;
        let dgh_rows = if dgh_own.is_empty() {
            Either::Left((0..b).into_par_iter().map(|_| -> &mut [E] { &mut [] }))
        } else {
            Either::Right(dgh_own.par_chunks_mut(t * gh_len))
        };
        dgx.par_chunks_mut(t * gh_len)
            .zip(dgh_rows)
            .zip(dh.par_chunks_mut(h).zip(dc.par_chunks_mut(h)))
            .enumerate()
            .with_min_len(min_rows(b, gh_len))
            .for_each(|(row, ((dgx_seq, dgh_seq), (dh_row, dc_row)))| {
                let out = (row * t + time) * s * h;
                let dc_row = if lstm { dc_row } else { &mut dc_row[..0] };
                for (acc, &g) in dh_row.iter_mut().zip(&d_states[out..out + h]) {
                    *acc += g;
                }
                for (acc, &g) in dc_row.iter_mut().zip(&d_states[out + h..out + s * h]) {
                    *acc += g;
                }
                if !active(lengths, row, time) {
                    return; // a padded step passes its state (and gradient) through unchanged
                }
                let si = (block + row) * gh_len;
                let pi = (block + row) * h;
                let c_prev = if lstm {
                    &saved.c_prev[pi..pi + h]
                } else {
                    &[][..]
                };
                let at = time * gh_len;
                let r = RowBackward {
                    gates: &saved.gates[si..si + gh_len],
                    gh: if saved.gh.is_empty() {
                        &[]
                    } else {
                        &saved.gh[si..si + gh_len]
                    },
                    h_prev: &saved.h_prev[(row * t + time) * h..(row * t + time + 1) * h],
                    c_prev,
                    h: &states[out..out + h],
                    c: &states[out + h..out + s * h],
                    dh: dh_row,
                    dc: dc_row,
                    dgx: &mut dgx_seq[at..at + gh_len],
                    dgh: if dgh_seq.is_empty() {
                        dgh_seq
                    } else {
                        &mut dgh_seq[at..at + gh_len]
                    },
                };
                vectorized(
                    #[inline(always)]
                    || kind.backward_row(r),
                );
            });
        // dh_prev = (direct part) + dgh_t · W_hh, over the rows of dgh at this time.
        let dgh = if dgh_own.is_empty() { &dgx } else { &dgh_own };
        back.multiply(
            b,
            &dgh[time * gh_len..],
            t * gh_len,
            &mut dh,
            h,
            Start::Accumulate,
        );
    }
    // dW_hh = Σ dghᵀ·h_prev over all rows and steps as one GEMM; db_hh = Σ dgh.
    let dgh = if dgh_own.is_empty() { &dgx } else { &dgh_own };
    let mut dw = vec![E::zero(); gh_len * h];
    let all = Gemm {
        m: gh_len,
        k: t * b,
        n: h,
        ta: true,
        tb: false,
    };
    gemm(all, E::one(), dgh, &saved.h_prev, E::zero(), &mut dw);
    let mut db = vec![E::zero(); gh_len];
    for row in dgh.chunks_exact(gh_len) {
        for (acc, &v) in db.iter_mut().zip(row) {
            *acc += v;
        }
    }
    ScanGrads {
        gx: Tensor::new(&[b, t, gh_len], dgx),
        w_hh: Tensor::new(&[gh_len, h], dw),
        b_hh: Tensor::new(&[gh_len], db),
        h0: Tensor::new(&[b, h], dh),
        c0: lstm.then(|| Tensor::new(&[b, h], dc)),
    }
}
