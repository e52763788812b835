//! The whole-sequence kernel: per step the input projection and one recurrent GEMM, plus fused
//! gate math; in backward, per step one GEMM for dh, and the weight gradient as a single GEMM over
//! all steps.
//!
//! The input projection `b_ih + x·W_ihᵀ` is made for each step's rows just before its gates, into a
//! block-sized buffer: for the whole sequence at once it would be a `[B, T, G·H]` buffer written in
//! full and read back, and on a machine bound by memory bandwidth that costs more than the product.
//!
//! Each batch row's recurrence reads only that row (its own h·W_hhᵀ and gate math), so the batch is
//! split into one block of rows per rayon thread and each block runs every step on its own: one
//! fork-join per scan, not several per step. Every value is computed by the same chain of
//! operations whatever the split, so the bits do not depend on the number of threads.
//!
//! All buffers are batch-first (`[B, T, …]`), like the op's input `gx` and output states, so that
//! each block of rows is one contiguous slice.
//!
//! Regularizer masks (`masks.rs`), when given, act inside the same loop: the recurrent-dropout
//! mask on the carry (the recurrent GEMM's left operand) and on dh_prev's GEMM part, zoneout on
//! each row's new state after its gates; without them each step checks an `Option` and nothing
//! else changes.

use super::cell::{CellKind, Out, RowBackward, RowForward};
use super::masks::{
    add_masked, masked_into, masked_states, zoneout_forward, zoneout_join, zoneout_split, MaskView,
};
use super::norm::{self, NormIn, NormKeep, NormSaved};
use super::projection::{self, Projection};
use crate::diagnostics::squared_norm;
use crate::element::Element;
use crate::simd::{copy_lanes, vectorized};
use crate::tensor::{column_sums, gemm, gemm_ld, Gemm, PackedGemm, Start, Tensor};
use rayon::prelude::*;

/// A scan splits its batch across threads from this many multiply-adds in its recurrent GEMMs on.
const PAR_SCAN_MIN_WORK: usize = 1 << 18;

/// Sizes of one scan.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    pub b: usize,
    pub t: usize,
    pub i: usize,
    pub h: usize,
    pub g: usize,
    pub s: usize,
    /// The width of the hidden state: P for an LSTMP (0 < P < H), else H.
    pub p: usize,
}

impl Dims {
    /// The position in the batch-first time axis of processing step `step`.
    pub(super) fn time(&self, step: usize, reverse: bool) -> usize {
        if reverse {
            self.t - 1 - step
        } else {
            step
        }
    }

    /// Values per step of the states: h (P wide), then c (H wide) for an LSTM.
    pub(crate) fn width(&self) -> usize {
        self.p + (self.s - 1) * self.h
    }

    /// Whether the hidden state is a projection of the cell output (an LSTMP).
    pub(crate) fn projected(&self) -> bool {
        self.p != self.h
    }

    /// Batch rows per block: the whole batch on one thread for small scans, else an even share
    /// for each rayon thread.
    fn block_rows(&self) -> usize {
        let threads = rayon::current_num_threads();
        if threads > 1 && self.b * self.t * self.g * self.h * self.p >= PAR_SCAN_MIN_WORK {
            self.b.div_ceil(threads).max(1)
        } else {
            self.b.max(1)
        }
    }
}

/// `buf` as `count` blocks of `len` values (the last may be shorter), or `count` empty slices when
/// `buf` is empty (a buffer that is not kept).
fn blocks<E>(buf: &mut [E], len: usize, count: usize) -> Vec<&mut [E]> {
    if buf.is_empty() {
        (0..count).map(|_| <&mut [E]>::default()).collect()
    } else {
        buf.chunks_mut(len).collect()
    }
}

/// The first `n` elements of `buf`'s spare capacity: a buffer the kernel writes in full before it
/// is read (and then `set_len`), so it is never zero-filled first.
pub(super) fn unwritten<E>(buf: &mut Vec<E>, n: usize) -> &mut [Out<E>] {
    &mut buf.spare_capacity_mut()[..n]
}

/// The values of `out`, once they have been written.
///
/// # Safety
/// Every element of `out` has been written.
pub(super) unsafe fn written<E>(out: &[Out<E>]) -> &[E] {
    // SAFETY: `MaybeUninit<E>` has the layout of `E`, and the caller guarantees initialization.
    unsafe { &*(out as *const [Out<E>] as *const [E]) }
}

/// The values of `out`, once they have been written, to change in place.
///
/// # Safety
/// Every element of `out` has been written.
pub(super) unsafe fn written_mut<E>(out: &mut [Out<E>]) -> &mut [E] {
    // SAFETY: as `written`.
    unsafe { &mut *(out as *mut [Out<E>] as *mut [E]) }
}

/// Writes `src` into the front of `out`.
pub(super) fn write_all<E: Copy>(out: &mut [Out<E>], src: &[E]) {
    for (o, &v) in out.iter_mut().zip(src) {
        o.write(v);
    }
}

/// Writes zeros into all of `out`.
pub(super) fn write_zeros<E: Element>(out: &mut [Out<E>]) {
    for o in out {
        o.write(E::zero());
    }
}

/// Runs `job` on every block, across the rayon threads when there are several blocks.
fn run_blocks<B: Send>(blocks: Vec<B>, job: impl Fn(B) + Sync + Send) {
    if blocks.len() > 1 {
        blocks.into_par_iter().for_each(job);
    } else {
        blocks.into_iter().for_each(job);
    }
}

/// What the forward keeps for backward. The state before each step is the previous step's output
/// (kept in the op's output), or the initial state kept here.
pub(crate) struct ScanSaved<E> {
    /// Activated gates `[B, T, G·H]`.
    pub(super) gates: Vec<E>,
    /// Recurrent projections `[B, T, G·H]` (GRU only; the reset gate multiplies its n part).
    pub(super) gh: Vec<E>,
    /// An LSTMP's cell outputs r = o ⊙ tanh c `[B, T, H]`, before their projection onto h (zeros
    /// at padded steps); empty otherwise.
    pub(super) r: Vec<E>,
    /// Initial hidden state `[B, P]`.
    pub(super) h0: Vec<E>,
    /// Initial cell state `[B, H]` (LSTM only).
    pub(super) c0: Vec<E>,
    /// What a layer-normalized cell keeps (empty buffers otherwise).
    pub(super) norm: NormSaved<E>,
    /// Each step's candidate state before zoneout blends it `[B, T, S·H]` (with zoneout only).
    pub(super) candidates: Vec<E>,
}

impl<E: Element> ScanSaved<E> {
    /// What a forward scan over `input` keeps: its saved gates, gh and r, and the initial state
    /// when backward will need it (`save`).
    pub(super) fn new(
        gates: Vec<E>,
        gh: Vec<E>,
        r: Vec<E>,
        input: &ScanIn<'_, E>,
        save: bool,
    ) -> Self {
        ScanSaved {
            norm: NormSaved::none(),
            gates,
            gh,
            r,
            h0: if save { input.h0.to_vec() } else { Vec::new() },
            c0: match input.c0 {
                Some(c) if save => c.to_vec(),
                _ => Vec::new(),
            },
            candidates: Vec::new(),
        }
    }
}

/// Gradients of one scan's inputs.
pub(crate) struct ScanGrads<E: Element> {
    pub gx: Tensor<E>,
    pub w_hh: Tensor<E>,
    pub b_hh: Tensor<E>,
    /// The gradient of `b_ih` when it differs from `b_hh`'s (GRU, layer-normalized cells).
    pub b_ih: Option<Tensor<E>>,
    /// The gradients of a layer-normalized cell's gains `[gain_ih, gain_hh, gain_c, bias_c]`.
    pub norm: Option<[Tensor<E>; 4]>,
    pub h0: Tensor<E>,
    pub c0: Option<Tensor<E>>,
    /// An LSTMP's `[P, H]`.
    pub w_hr: Option<Tensor<E>>,
    /// `‖∂L/∂h_t‖²` of each row at each step `[B, T]` (0 at padded steps), when asked; else empty.
    pub dh_sq: Vec<f64>,
}

pub(super) fn active(lengths: Option<&[usize]>, row: usize, time: usize) -> bool {
    lengths.is_none_or(|l| time < l[row])
}

impl Dims {
    /// The time of the step processed before `step`, if any.
    pub(super) fn prev_time(&self, step: usize, reverse: bool) -> Option<usize> {
        step.checked_sub(1).map(|p| self.time(p, reverse))
    }
}

/// The `len` values at `cur` of `buf` to write, and those at `prev` (another, disjoint range) to read.
fn prev_and_cur<E>(
    buf: &mut [E],
    prev: Option<usize>,
    cur: usize,
    len: usize,
) -> (Option<&[E]>, &mut [E]) {
    match prev {
        None => (None, &mut buf[cur..cur + len]),
        Some(p) if p < cur => {
            let (head, tail) = buf.split_at_mut(cur);
            (Some(&head[p..p + len]), &mut tail[..len])
        }
        Some(p) => {
            let (head, tail) = buf.split_at_mut(p);
            (Some(&tail[..len]), &mut head[cur..cur + len])
        }
    }
}

/// The inputs of a forward scan: the sequence, the weights, the initial state, and how to run.
pub(crate) struct ScanIn<'a, E> {
    /// The input sequence `[B, T, I]`.
    pub x: &'a [E],
    /// `[G·H, I]`.
    pub w_ih: &'a [E],
    /// `[G·H]`.
    pub b_ih: &'a [E],
    /// `[G·H, P]`.
    pub w_hh: &'a [E],
    /// `[G·H]`.
    pub b_hh: &'a [E],
    /// Initial hidden state `[B, P]`.
    pub h0: &'a [E],
    /// Initial cell state `[B, H]` (LSTM only).
    pub c0: Option<&'a [E]>,
    /// The projection `[P, H]` of an LSTMP's hidden state.
    pub w_hr: Option<&'a [E]>,
    /// True length of each sequence.
    pub lengths: Option<&'a [usize]>,
    /// Run from the last step to the first.
    pub reverse: bool,
    /// The gains and shifts of a layer-normalized cell (its shifts are `b_ih` and `b_hh`).
    pub norm: Option<NormIn<'a, E>>,
    /// The regularizer masks (recurrent dropout, zoneout), if any.
    pub masks: MaskView<'a, E>,
}

/// The read-only inputs of a forward scan, shared by all blocks: the scan's inputs and both
/// weights packed (and the projection's, for an LSTMP).
struct ForwardIn<'a, E> {
    kind: CellKind,
    d: Dims,
    input: &'a ScanIn<'a, E>,
    proj: &'a PackedGemm<E>,
    rec: &'a PackedGemm<E>,
    out_proj: Option<&'a Projection<E>>,
}

/// One block of batch rows of a forward scan: its share of the outputs (empty when not kept).
struct ForwardBlock<'a, E> {
    row0: usize,
    rows: usize,
    states: &'a mut [Out<E>],
    gates: &'a mut [Out<E>],
    gh: &'a mut [Out<E>],
    r: &'a mut [Out<E>],
    /// A layer-normalized cell's kept values `[rows, T, …]` (empty when not kept).
    norm: [&'a mut [E]; 4],
    /// Zoneout's candidate states (empty when not kept).
    candidates: &'a mut [Out<E>],
}

/// Runs the cell over every step; returns the states `[B, T, S·H]` (h, then c for an LSTM;
/// `[B, T, P + H]` for an LSTMP), and what backward needs when `save`.
pub(crate) fn forward<E: Element>(
    kind: CellKind,
    d: Dims,
    input: &ScanIn<'_, E>,
    save: bool,
) -> (Vec<E>, ScanSaved<E>) {
    let threads = rayon::current_num_threads();
    // The units split runs without regularizer masks or layer norm only.
    if input.norm.is_none() && !input.masks.any() && super::units::wanted(d, threads) {
        super::units::forward(kind, d, input, save, threads)
    } else {
        forward_batch(kind, d, input, save)
    }
}

/// [`forward`] with the batch split into blocks of rows, one per rayon thread.
fn forward_batch<E: Element>(
    kind: CellKind,
    d: Dims,
    input: &ScanIn<'_, E>,
    save: bool,
) -> (Vec<E>, ScanSaved<E>) {
    let Dims {
        b,
        t,
        i,
        h,
        g,
        s,
        p,
    } = d;
    let (gh_len, width) = (g * h, d.width());
    // Every element of these is written by `forward_block` (a padded step copies the state and
    // zeroes its gates), so they are not zero-filled first.
    let n_states = b * t * width;
    // Without backward (no_grad, or no input needs a gradient) nothing is saved, and each block
    // keeps the gates of one row in a scratch row.
    let kept = |per_row: usize, wanted: bool| if save && wanted { b * t * per_row } else { 0 };
    let (n_gates, n_gh) = (kept(gh_len, true), kept(gh_len, kind == CellKind::Gru));
    let n_r = kept(h, d.projected());
    let n_cand = kept(width, input.masks.zoneout.is_some());
    let (mut states, mut gates, mut gh, mut r, mut candidates) = (
        Vec::with_capacity(n_states),
        Vec::with_capacity(n_gates),
        Vec::with_capacity(n_gh),
        Vec::with_capacity(n_r),
        Vec::with_capacity(n_cand),
    );
    // gx = b_ih + x·W_ihᵀ and gh = b_hh + h·W_hhᵀ, with W_ihᵀ `[I, G·H]` and W_hhᵀ `[P, G·H]`
    // packed once for all steps and blocks.
    let proj = PackedGemm::new(input.w_ih, i, gh_len, true);
    let rec = PackedGemm::new(input.w_hh, p, gh_len, true);
    let out_proj = input.w_hr.map(|w| Projection::forward(w, p, h));
    let shared = ForwardIn {
        kind,
        d,
        input,
        proj: &proj,
        rec: &rec,
        out_proj: out_proj.as_ref(),
    };
    let rows = d.block_rows();
    let count = b.div_ceil(rows);
    let mut kept_norm = match input.norm {
        Some(_) if save => NormSaved::zeros(b * t, g, h, s == 2),
        _ => NormSaved::none(),
    };
    let [proj_w, rstd_w, chat_w] = norm::keep_sizes(g, h, s == 2);
    let NormSaved {
        xhat_ih,
        xhat_hh,
        rstd,
        chat,
    } = &mut kept_norm;
    let norm_blocks = blocks(xhat_ih, rows * t * proj_w, count)
        .into_iter()
        .zip(blocks(xhat_hh, rows * t * proj_w, count))
        .zip(blocks(rstd, rows * t * rstd_w, count))
        .zip(blocks(chat, rows * t * chat_w, count))
        .map(|(((a, b), c), d)| [a, b, c, d]);
    let jobs: Vec<_> = blocks(unwritten(&mut states, n_states), rows * t * width, count)
        .into_iter()
        .zip(blocks(
            unwritten(&mut gates, n_gates),
            rows * t * gh_len,
            count,
        ))
        .zip(blocks(unwritten(&mut gh, n_gh), rows * t * gh_len, count))
        .zip(blocks(unwritten(&mut r, n_r), rows * t * h, count))
        .zip(blocks(
            unwritten(&mut candidates, n_cand),
            rows * t * width,
            count,
        ))
        .zip(norm_blocks)
        .enumerate()
        .map(
            |(i, (((((states, gates), gh), r), candidates), norm))| ForwardBlock {
                row0: i * rows,
                rows: rows.min(b - i * rows),
                states,
                gates,
                gh,
                r,
                norm,
                candidates,
            },
        )
        .collect();
    // The projection's work is compiled into its own copy of the step loop, so that without it
    // the loop is the plain one.
    run_blocks(jobs, |blk| match shared.out_proj {
        None => forward_block::<E, false>(&shared, blk),
        Some(_) => forward_block::<E, true>(&shared, blk),
    });
    // SAFETY: `forward_block` wrote every element of each block, and the blocks cover the buffers.
    unsafe {
        states.set_len(n_states);
        gates.set_len(n_gates);
        gh.set_len(n_gh);
        r.set_len(n_r);
        candidates.set_len(n_cand);
    }
    let mut saved = ScanSaved::new(gates, gh, r, input, save);
    saved.norm = kept_norm;
    saved.candidates = candidates;
    (states, saved)
}

/// Every step of the forward scan for one block of batch rows. The state before a step is read
/// where it lies: the initial state, or the previous step's output in `states`. `PROJECTED`: an
/// LSTMP, whose cell output r = o ⊙ tanh c goes to a scratch block that one GEMM per step projects
/// onto h.
fn forward_block<E: Element, const PROJECTED: bool>(
    x: &ForwardIn<'_, E>,
    mut blk: ForwardBlock<'_, E>,
) {
    let Dims {
        t, i, h, g, s, p, ..
    } = x.d;
    let (gh_len, lstm, r0, rows) = (g * h, s == 2, blk.row0, blk.rows);
    let (width, row_len) = (x.d.width(), t * x.d.width());
    let input = x.input;
    let h0 = &input.h0[r0 * p..(r0 + rows) * p];
    let c0 = input.c0.map_or(&[][..], |c| &c[r0 * h..(r0 + rows) * h]);
    let (mut gx, mut gh) = (
        vec![E::zero(); rows * gh_len],
        vec![E::zero(); rows * gh_len],
    );
    // The hidden states before the step, rows side by side: the GEMM's left operand. (Read from
    // `states` instead, its rows lie T·S·H apart, often a power of two that maps them all to the
    // same few cache sets.)
    // Under recurrent dropout, the states as they enter W_hh: masked.
    let state_mask = input.masks.state.map(|m| &m[r0 * h..(r0 + rows) * h]);
    let mut h_carry = h0.to_vec();
    if let Some(m) = state_mask {
        masked_into(&mut h_carry, h0, m);
    }
    let mut scratch = if blk.gates.is_empty() {
        vec![Out::uninit(); gh_len]
    } else {
        Vec::new()
    };
    // An LSTMP's cell outputs r `[rows, H]` and their projections `[rows, P]`, for every row of
    // the block (zeros before the first step: every element is initialized).
    let (mut r_step, mut h_step) = if PROJECTED {
        (
            vec![Out::new(E::zero()); rows * h],
            vec![E::zero(); rows * p],
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // A layer-normalized cell: its products run without bias (the shifts come after normalizing),
    // into `gx`/`gh`; each row's normalized projections go to `normed`, and what backward needs to
    // `blk.norm` (or, when nothing is kept, to a scratch row).
    let lstm_norm = lstm && x.input.norm.is_some();
    let zeros = vec![E::zero(); if input.norm.is_some() { gh_len } else { 0 }];
    let (b_ih, b_hh) = match input.norm {
        Some(_) => (&zeros[..], &zeros[..]),
        None => (input.b_ih, input.b_hh),
    };
    let [proj_w, rstd_w, chat_w] = norm::keep_sizes(g, h, lstm);
    let mut normed = vec![E::zero(); if input.norm.is_some() { 2 * gh_len } else { 0 }];
    let mut norm_scratch = if input.norm.is_some() && blk.norm[0].is_empty() {
        vec![E::zero(); 2 * proj_w + rstd_w + chat_w]
    } else {
        Vec::new()
    };
    for step in 0..t {
        let time = x.d.time(step, input.reverse);
        let prev_time = x.d.prev_time(step, input.reverse);
        // gx = b_ih + x_t·W_ihᵀ (the rows of x_t lie T·I apart) and gh = b_hh + h_prev·W_hhᵀ, for
        // every row of the block.
        let x_t = &input.x[(r0 * t + time) * i..];
        x.proj
            .multiply_serial(rows, x_t, t * i, &mut gx, gh_len, Start::Row(b_ih));
        x.rec
            .multiply_serial(rows, &h_carry, p, &mut gh, gh_len, Start::Row(b_hh));
        // The gate math of every row in one call compiled for the vector unit (a call per row
        // costs as much as a row's math at small H).
        vectorized(
            #[inline(always)]
            || {
                for row in 0..rows {
                    let (prev, cur) = prev_and_cur(
                        blk.states,
                        prev_time.map(|at| row * row_len + at * width),
                        row * row_len + time * width,
                        width,
                    );
                    let (h_prev, c_prev) = match prev {
                        // SAFETY: the previous step wrote this row's state.
                        Some(prev) => unsafe { written(prev) }.split_at(p),
                        None if lstm => (&h0[row * p..(row + 1) * p], &c0[row * h..(row + 1) * h]),
                        None => (&h0[row * p..(row + 1) * p], &[][..]),
                    };
                    let kept = row * t + time;
                    if !active(input.lengths, r0 + row, time) {
                        // A padded step carries the state through unchanged (its saved gates are zeros).
                        let (h_out, c_out) = cur.split_at_mut(p);
                        write_all(h_out, h_prev);
                        write_all(c_out, c_prev);
                        for saved in [&mut *blk.gates, &mut *blk.gh] {
                            if !saved.is_empty() {
                                write_zeros(&mut saved[kept * gh_len..(kept + 1) * gh_len]);
                            }
                        }
                        if PROJECTED && !blk.r.is_empty() {
                            write_zeros(&mut blk.r[kept * h..(kept + 1) * h]);
                        }
                        if !blk.candidates.is_empty() {
                            write_zeros(&mut blk.candidates[kept * width..(kept + 1) * width]);
                        }
                        continue;
                    }
                    let mut gx_row = &gx[row * gh_len..(row + 1) * gh_len];
                    let mut gh_row = &gh[row * gh_len..(row + 1) * gh_len];
                    let mut keep = match x.input.norm {
                        Some(_) => Some(NormKeep::at(
                            &mut blk.norm,
                            &mut norm_scratch,
                            kept,
                            [proj_w, rstd_w, chat_w],
                        )),
                        None => None,
                    };
                    if let (Some(n), Some(keep)) = (&x.input.norm, &mut keep) {
                        let (nx, nh) = normed.split_at_mut(gh_len);
                        n.project(g, [gx_row, gh_row], [nx, nh], keep);
                        (gx_row, gh_row) = (nx, nh);
                    }
                    if !blk.gh.is_empty() {
                        write_all(&mut blk.gh[kept * gh_len..(kept + 1) * gh_len], gh_row);
                    }
                    let (h_out, c_out) = cur.split_at_mut(p);
                    let gates = if blk.gates.is_empty() {
                        &mut scratch[..]
                    } else {
                        &mut blk.gates[kept * gh_len..(kept + 1) * gh_len]
                    };
                    let r = RowForward {
                        gx: gx_row,
                        gh: gh_row,
                        h_prev,
                        c_prev,
                        // An LSTMP's cell output is projected onto h after every row's.
                        h: if PROJECTED {
                            &mut r_step[row * h..(row + 1) * h]
                        } else {
                            &mut *h_out
                        },
                        c: &mut *c_out,
                        gates: &mut *gates,
                        normed: lstm_norm,
                    };
                    x.kind.forward_row(r);
                    if let (true, Some(n), Some(keep)) = (lstm_norm, &x.input.norm, &mut keep) {
                        // SAFETY: `forward_row` just wrote the cell state and the gates.
                        let (c, o) = unsafe { (written(c_out), written(&gates[3 * h..4 * h])) };
                        n.lstm_output(c, o, h_out, keep);
                    }
                    if let Some(z) = input.masks.zoneout {
                        let at = ((r0 + row) * t + time) * width;
                        let keep = if blk.candidates.is_empty() {
                            &mut [][..]
                        } else {
                            &mut blk.candidates[kept * width..(kept + 1) * width]
                        };
                        zoneout_forward(&z[at..at + width], [h_prev, c_prev], cur, keep);
                    }
                    if !PROJECTED {
                        let carry = &mut h_carry[row * h..(row + 1) * h];
                        // SAFETY: `forward_row` (and zoneout) just wrote this step's state.
                        let h_new = unsafe { written(&cur[..h]) };
                        match state_mask {
                            None => copy_lanes(carry, h_new),
                            Some(m) => masked_into(carry, h_new, &m[row * h..(row + 1) * h]),
                        }
                    }
                }
            },
        );
        if let (true, Some(out_proj)) = (PROJECTED, x.out_proj) {
            // SAFETY: every element of `r_step` was initialized (zeros, then the cell outputs).
            let r_rows = unsafe { written(&r_step) };
            out_proj.apply(rows, r_rows, h, &mut h_step);
            for row in (0..rows).filter(|&row| active(input.lengths, r0 + row, time)) {
                let (h_new, r_row) = (&h_step[row * p..(row + 1) * p], &r_rows[row * h..]);
                let at = row * row_len + time * width;
                write_all(&mut blk.states[at..at + p], h_new);
                copy_lanes(&mut h_carry[row * p..(row + 1) * p], h_new);
                if !blk.r.is_empty() {
                    let kept = (row * t + time) * h;
                    write_all(&mut blk.r[kept..kept + h], &r_row[..h]);
                }
            }
        }
    }
}

/// The read-only inputs of a backward scan, shared by all blocks.
struct BackwardIn<'a, E> {
    kind: CellKind,
    d: Dims,
    back: &'a PackedGemm<E>,
    /// An LSTMP's W_hr, packed for dr = dh·W_hr.
    out_proj: Option<&'a Projection<E>>,
    states: &'a [E],
    saved: &'a ScanSaved<E>,
    d_states: &'a [E],
    lengths: Option<&'a [usize]>,
    reverse: bool,
    norm: Option<NormIn<'a, E>>,
    masks: MaskView<'a, E>,
}

/// One block of batch rows of a backward scan: its share of the gradients.
struct BackwardBlock<'a, E> {
    row0: usize,
    rows: usize,
    dgx: &'a mut [Out<E>],
    dgh: &'a mut [Out<E>],
    dh: &'a mut [E],
    dc: &'a mut [E],
    /// An LSTMP's `∂L/∂h_t` at every step `[rows, T, P]` (zeros at padded steps), for dW_hr; empty
    /// otherwise.
    dh_all: &'a mut [Out<E>],
    /// The block's `‖∂L/∂h_t‖²` `[rows, T]`, or empty when not asked.
    dh_sq: &'a mut [f64],
    /// A layer-normalized cell's gain and shift gradients, one accumulator per row (else empty).
    acc: &'a mut [E],
}

/// Backpropagates `d_states` `[B, T, S·H]` (`[B, T, P + H]` for an LSTMP) through the scan; with
/// `dh_norms`, also keeps each step's `‖∂L/∂h_t‖²` per row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward<E: Element>(
    kind: CellKind,
    d: Dims,
    states: &[E],
    saved: &ScanSaved<E>,
    d_states: &[E],
    w_hh: &[E],
    w_hr: Option<&[E]>,
    lengths: Option<&[usize]>,
    reverse: bool,
    dh_norms: bool,
    norm: Option<NormIn<'_, E>>,
    masks: MaskView<'_, E>,
) -> ScanGrads<E> {
    let Dims {
        b, t, h, g, s, p, ..
    } = d;
    let gh_len = g * h;
    let lstm = s == 2;
    let mut dh = vec![E::zero(); b * p];
    let mut dc = vec![E::zero(); b * h];
    let mut dh_sq = if dh_norms {
        vec![0.0; b * t]
    } else {
        Vec::new()
    };
    // The gradient of the recurrent projection, batch-first: its own buffer only for the GRU, the
    // other cells' equals dgx. Both are written in full by `backward_block` (zeros at padded
    // steps), so they are not zero-filled first; so is an LSTMP's dh at every step.
    let n_dgx = b * t * gh_len;
    let n_dgh = if kind.separate_dgh() || norm.is_some() {
        n_dgx
    } else {
        0
    };
    let n_dh_all = if d.projected() { b * t * p } else { 0 };
    let acc_w = norm.map_or(0, |_| norm::acc_width(g, h));
    let mut acc = vec![E::zero(); b * acc_w];
    let (mut dgx, mut dgh_own, mut dh_all) = (
        Vec::with_capacity(n_dgx),
        Vec::with_capacity(n_dgh),
        Vec::with_capacity(n_dh_all),
    );
    // dh_prev += dgh·W_hh, with W_hh `[G·H, P]` packed once for all steps and blocks.
    let back = PackedGemm::new(w_hh, gh_len, p, false);
    let out_proj = w_hr.map(|w| Projection::backward(w, p, h));
    let input = BackwardIn {
        kind,
        d,
        back: &back,
        out_proj: out_proj.as_ref(),
        states,
        saved,
        d_states,
        lengths,
        reverse,
        norm,
        masks,
    };
    let rows = d.block_rows();
    let count = b.div_ceil(rows);
    let jobs: Vec<_> = blocks(unwritten(&mut dgx, n_dgx), rows * t * gh_len, count)
        .into_iter()
        .zip(blocks(
            unwritten(&mut dgh_own, n_dgh),
            rows * t * gh_len,
            count,
        ))
        .zip(blocks(&mut dh, rows * p, count))
        .zip(blocks(&mut dc, rows * h, count))
        .zip(blocks(
            unwritten(&mut dh_all, n_dh_all),
            rows * t * p,
            count,
        ))
        .zip(blocks(&mut dh_sq, rows * t, count))
        .zip(blocks(&mut acc, rows * acc_w, count))
        .enumerate()
        .map(
            |(i, ((((((dgx, dgh), dh), dc), dh_all), dh_sq), acc))| BackwardBlock {
                row0: i * rows,
                rows: rows.min(b - i * rows),
                dgx,
                dgh,
                dh,
                dc,
                dh_all,
                dh_sq,
                acc,
            },
        )
        .collect();
    // As the forward: the projection's work in its own copy of the step loop.
    run_blocks(jobs, |blk| match input.out_proj {
        None => backward_block::<E, false>(&input, blk),
        Some(_) => backward_block::<E, true>(&input, blk),
    });
    // SAFETY: `backward_block` wrote every element of each block, and the blocks cover the buffers.
    unsafe {
        dgx.set_len(n_dgx);
        dgh_own.set_len(n_dgh);
        dh_all.set_len(n_dh_all);
    }
    // dW_hh = Σ dghᵀ·h_prev over all rows and steps; db_hh = Σ dgh.
    let dgh = if dgh_own.is_empty() { &dgx } else { &dgh_own };
    let dw = match masks.state {
        None => weight_grad(d, dgh, states, d.width(), &saved.h0, reverse),
        Some(m) => {
            // Under recurrent dropout W_hh multiplied the masked states.
            let mut h0 = vec![E::zero(); b * h];
            masked_into(&mut h0, &saved.h0, m);
            let hs = masked_states(states, s, h, t, m);
            weight_grad(d, dgh, &hs, h, &h0, reverse)
        }
    };
    let bias = |v: Vec<E>| Tensor::new(&[v.len()], v);
    let (db, db_ih, norm_grads) = if norm.is_some() {
        let [gain_ih, b_ih, gain_hh, b_hh, gain_c, bias_c] = norm::sum_rows(&acc, g, h);
        let gains = [gain_ih, gain_hh, gain_c, bias_c].map(bias);
        (b_hh, Some(bias(b_ih)), Some(gains))
    } else {
        let db_ih = kind.separate_dgh().then(|| bias(column_sums(&dgx, gh_len)));
        (column_sums(dgh, gh_len), db_ih, None)
    };
    // dW_hr = Σ dhᵀ·r over all rows and steps.
    let dw_hr = d
        .projected()
        .then(|| Tensor::new(&[p, h], projection::weight_grad(&dh_all, &saved.r, p, h)));
    ScanGrads {
        gx: Tensor::new(&[b, t, gh_len], dgx),
        w_hh: Tensor::new(&[gh_len, p], dw),
        b_hh: bias(db),
        b_ih: db_ih,
        norm: norm_grads,
        h0: Tensor::new(&[b, p], dh),
        c0: lstm.then(|| Tensor::new(&[b, h], dc)),
        w_hr: dw_hr,
        dh_sq,
    }
}

/// Every step of the backward scan for one block of batch rows. `PROJECTED`: an LSTMP, whose
/// whole dh at each step is first kept (for dW_hr) and taken back through the projection,
/// dr = dh·W_hr, for the gate math.
fn backward_block<E: Element, const PROJECTED: bool>(
    x: &BackwardIn<'_, E>,
    blk: BackwardBlock<'_, E>,
) {
    let Dims { t, h, g, s, p, .. } = x.d;
    let (gh_len, lstm, r0, rows) = (g * h, s == 2, blk.row0, blk.rows);
    let width = x.d.width();
    let saved = x.saved;
    // This step's dgh, rows side by side: the GEMM's left operand (as the forward's carry).
    let mut dgh_step = vec![E::zero(); rows * gh_len];
    // An LSTMP's dr = dh·W_hr `[rows, H]`, the gradient of the cell outputs.
    let mut dr = if PROJECTED {
        vec![E::zero(); rows * h]
    } else {
        Vec::new()
    };
    let lstm_norm = lstm && x.norm.is_some();
    let acc_w = blk.acc.len() / rows.max(1);
    let mut norm_scratch = vec![E::zero(); if x.norm.is_some() { 2 * gh_len } else { 0 }];
    let zoneout = x.masks.zoneout;
    // Zoneout's direct part of one row's dh_prev (and dc_prev).
    let mut direct = vec![E::zero(); if zoneout.is_some() { s * h } else { 0 }];
    // Under recurrent dropout, dgh·W_hh before the mask.
    let state_mask = x.masks.state.map(|m| &m[r0 * h..(r0 + rows) * h]);
    let mut unmasked = vec![E::zero(); if state_mask.is_some() { rows * h } else { 0 }];
    for step in (0..t).rev() {
        let time = x.d.time(step, x.reverse);
        let prev_time = x.d.prev_time(step, x.reverse);
        if let (true, Some(out_proj)) = (PROJECTED, x.out_proj) {
            for (row, dh_row) in blk.dh.chunks_exact_mut(p).enumerate() {
                let at = (r0 + row) * t + time;
                let out = at * width;
                add_grad(dh_row, &x.d_states[out..out + p]);
                let active = active(x.lengths, r0 + row, time);
                let local = (row * t + time) * p;
                let kept = &mut blk.dh_all[local..local + p];
                if active {
                    write_all(kept, dh_row);
                } else {
                    write_zeros(kept);
                }
            }
            out_proj.apply(rows, blk.dh, p, &mut dr);
        }
        // Every row's gate gradients in one call compiled for the vector unit (as the forward).
        vectorized(
            #[inline(always)]
            || {
                for (row, (dh_row, dc_row)) in blk
                    .dh
                    .chunks_exact_mut(p)
                    .zip(blk.dc.chunks_exact_mut(h))
                    .enumerate()
                {
                    let at = (r0 + row) * t + time;
                    let out = at * width;
                    let dc_row = if lstm { dc_row } else { &mut dc_row[..0] };
                    if !PROJECTED {
                        add_grad(dh_row, &x.d_states[out..out + p]);
                    }
                    add_grad(dc_row, &x.d_states[out + p..out + width]);
                    let active = active(x.lengths, r0 + row, time);
                    if !blk.dh_sq.is_empty() && active {
                        // dh_row is now the whole ∂L/∂h_t: from the output at t, and from t+1.
                        blk.dh_sq[row * t + time] = squared_norm(dh_row);
                    }
                    let step_row = &mut dgh_step[row * gh_len..(row + 1) * gh_len];
                    let si = at * gh_len;
                    let local = (row * t + time) * gh_len;
                    if !active {
                        // A padded step passes its state (and gradient) through unchanged.
                        step_row.fill(E::zero());
                        for grad in [&mut *blk.dgx, &mut *blk.dgh] {
                            if !grad.is_empty() {
                                write_zeros(&mut grad[local..local + gh_len]);
                            }
                        }
                        continue;
                    }
                    let (h_prev, c_prev) = match prev_time {
                        Some(prev) => {
                            let pi = ((r0 + row) * t + prev) * width;
                            x.states[pi..pi + width].split_at(p)
                        }
                        None => {
                            let (i, ic) = ((r0 + row) * p, (r0 + row) * h);
                            let c0 = if lstm { &saved.c0[ic..ic + h] } else { &[][..] };
                            (&saved.h0[i..i + p], c0)
                        }
                    };
                    if let Some(z) = zoneout {
                        zoneout_split(&z[out..out + width], dh_row, dc_row, &mut direct);
                    }
                    // The cell's own states after the step: the candidates under zoneout.
                    let after = if zoneout.is_some() {
                        &saved.candidates[out..out + width]
                    } else {
                        &x.states[out..out + width]
                    };
                    let kept = x.norm.map(|_| saved.norm.kept(at, g, h, lstm));
                    let acc = &mut blk.acc[row * acc_w..(row + 1) * acc_w];
                    if let (true, Some(n), Some(kept)) = (lstm_norm, &x.norm, kept) {
                        let o = &saved.gates[si + 3 * h..si + 4 * h];
                        let d_o = &mut blk.dgx[local + 3 * h..local + 4 * h];
                        n.lstm_output_backward(
                            o,
                            kept,
                            dh_row,
                            dc_row,
                            d_o,
                            acc,
                            &mut norm_scratch,
                        );
                    }
                    let r = RowBackward {
                        normed: lstm_norm,
                        gates: &saved.gates[si..si + gh_len],
                        gh: if saved.gh.is_empty() {
                            &[]
                        } else {
                            &saved.gh[si..si + gh_len]
                        },
                        h_prev,
                        c_prev,
                        h: &after[..p],
                        c: &after[p..],
                        // An LSTMP's cell output takes dh through the projection; h_prev reaches
                        // h only through W_hh, so its direct part is zero.
                        dh: if PROJECTED {
                            dh_row.fill(E::zero());
                            &mut dr[row * h..(row + 1) * h]
                        } else {
                            dh_row
                        },
                        dc: dc_row,
                        dgx: &mut blk.dgx[local..local + gh_len],
                        dgh: if blk.dgh.is_empty() {
                            &mut []
                        } else {
                            &mut blk.dgh[local..local + gh_len]
                        },
                    };
                    x.kind.backward_row(r);
                    if let (Some(n), Some(kept)) = (&x.norm, kept) {
                        // The cell's math wrote the gradients of the normalized projections: dgx
                        // (and dgh for a GRU; the other cells' is the same as dgx).
                        let (dgx, dgh) = (
                            &mut blk.dgx[local..local + gh_len],
                            &mut blk.dgh[local..local + gh_len],
                        );
                        if !x.kind.separate_dgh() {
                            // SAFETY: `backward_row` just wrote this row's dgx.
                            write_all(dgh, unsafe { written(dgx) });
                        }
                        // SAFETY: both are written, by `backward_row` or just above.
                        let both = unsafe { [written_mut(dgx), written_mut(dgh)] };
                        n.project_backward(g, kept, both, acc, &mut norm_scratch);
                    }
                    if zoneout.is_some() {
                        zoneout_join(&direct, dh_row, dc_row);
                    }
                    let dgh = if blk.dgh.is_empty() {
                        &blk.dgx[local..local + gh_len]
                    } else {
                        &blk.dgh[local..local + gh_len]
                    };
                    // SAFETY: `backward_row` just wrote this row's gradients.
                    copy_lanes(step_row, unsafe { written(dgh) });
                }
            },
        );
        // dh_prev = (direct part) + dgh_t · W_hh, over this block's rows (times the mask under
        // recurrent dropout).
        match state_mask {
            None => x
                .back
                .multiply_serial(rows, &dgh_step, gh_len, blk.dh, p, Start::Accumulate),
            Some(m) => {
                unmasked.fill(E::zero());
                x.back.multiply_serial(
                    rows,
                    &dgh_step,
                    gh_len,
                    &mut unmasked,
                    h,
                    Start::Accumulate,
                );
                add_masked(blk.dh, &unmasked, m);
            }
        }
    }
}

/// Adds the gradient `g` reaching a state from the scan's output into `acc`.
#[inline(always)]
fn add_grad<E: Element>(acc: &mut [E], g: &[E]) {
    for (acc, &g) in acc.iter_mut().zip(g) {
        *acc += g;
    }
}

/// dW_hh = Σ over rows and steps of dghᵀ·h_prev, as one GEMM over the states.
///
/// Batch-first, the state before the step at row kk of `dgh` (kk = row·T + time) is the h part of
/// row kk∓1 of the states (the previous time in the scan's direction), except at each sequence's
/// first step, whose state before is its initial one. So one GEMM pairs every row of `dgh` with its
/// neighbour in `states`, and a second, over one row per sequence, replaces the neighbour paired
/// with each first step by the initial state.
///
/// `states` are `[B·T, ·]` rows `ld` apart whose first P values are h (the states, or the masked
/// h under recurrent dropout), and `h0` the initial states `[B, P]` as they entered W_hh (P = H
/// without a projection).
fn weight_grad<E: Element>(
    d: Dims,
    dgh: &[E],
    states: &[E],
    ld: usize,
    h0: &[E],
    reverse: bool,
) -> Vec<E> {
    let Dims { b, t, h, g, p, .. } = d;
    let (gh_len, rows) = (g * h, b * t);
    let mut dw = vec![E::zero(); gh_len * p];
    let product = |k| Gemm {
        m: gh_len,
        k,
        n: p,
        ta: true,
        tb: false,
    };
    // Forward, row kk pairs with kk-1 (so rows 1.. of dgh with rows ..rows-1 of the states);
    // reverse, with kk+1.
    let (a0, b0) = if reverse { (0, 1) } else { (1, 0) };
    if rows > 1 {
        let (a, bm) = (&dgh[a0 * gh_len..], &states[b0 * ld..]);
        gemm_ld(
            product(rows - 1),
            E::one(),
            a,
            gh_len,
            bm,
            ld,
            E::zero(),
            &mut dw,
        );
    }
    let mut firsts = Vec::with_capacity(b * gh_len);
    let mut fix = Vec::with_capacity(b * p);
    for r in 0..b {
        let kk = if reverse { r * t + t - 1 } else { r * t };
        firsts.extend_from_slice(&dgh[kk * gh_len..(kk + 1) * gh_len]);
        // The neighbour the first GEMM paired with row kk, if it paired it at all.
        let paired = if reverse {
            (kk + 1 < rows).then_some(kk + 1)
        } else {
            kk.checked_sub(1)
        };
        let h0 = &h0[r * p..(r + 1) * p];
        match paired {
            Some(at) => fix.extend(h0.iter().zip(&states[at * ld..]).map(|(&a, &n)| a - n)),
            None => fix.extend_from_slice(h0),
        }
    }
    gemm(product(b), E::one(), &firsts, &fix, E::one(), &mut dw);
    dw
}

#[cfg(test)]
mod tests {
    use super::super::{Activation, RecurrentSpec, RecurrentWeights};
    use super::*;
    use crate::rng::Rng;
    use crate::tape::{Tape, Var};

    /// The sizes of a test scan: batch, steps, input features, hidden size, and an LSTMP's
    /// projected size.
    #[derive(Clone, Copy, Debug)]
    struct Size {
        b: usize,
        t: usize,
        i: usize,
        h: usize,
        proj: Option<usize>,
    }

    impl Size {
        /// The width of the hidden state: P, or H without a projection.
        fn p(&self) -> usize {
            self.proj.unwrap_or(self.h)
        }

        /// Values per step of the states of `kind`.
        fn width(&self, kind: CellKind) -> usize {
            self.p() + (kind.states() - 1) * self.h
        }
    }

    /// The shapes of x `[B, T, I]`, w_ih, b_ih, w_hh, b_hh, h0, c0 (c0 used by the LSTM only),
    /// and w_hr `[P, H]` with a projection.
    fn shapes(kind: CellKind, sz: Size) -> Vec<Vec<usize>> {
        let (Size { b, t, i, h, proj }, p) = (sz, sz.p());
        let gh = kind.gates() * h;
        let mut all = vec![
            vec![b, t, i],
            vec![gh, i],
            vec![gh],
            vec![gh, p],
            vec![gh],
            vec![b, p],
            vec![b, h],
        ];
        all.extend(proj.map(|p| vec![p, h]));
        all
    }

    /// The shapes of a layer-normalized cell's gains, after [`shapes`]: gain_ih, gain_hh `[G·H]`,
    /// gain_c, bias_c `[H]` (used by the LSTM only).
    fn norm_shapes(kind: CellKind, sz: Size) -> [Vec<usize>; 4] {
        let gh = kind.gates() * sz.h;
        [vec![gh], vec![gh], vec![sz.h], vec![sz.h]]
    }

    /// [`inputs`] followed by a layer-normalized cell's gains, each in [0.5, 1.5) (and bias_c in
    /// [-1, 1)).
    fn norm_inputs(kind: CellKind, sz: Size, seed: u64) -> Vec<Vec<f64>> {
        let mut v = inputs(kind, sz, seed);
        let mut rng = Rng::new(seed + 1000);
        for (k, shape) in norm_shapes(kind, sz).iter().enumerate() {
            let centre = if k == 3 { 0.0 } else { 1.0 };
            v.push(
                (0..shape[0])
                    .map(|_| centre + rng.uniform_in(-0.5, 0.5) * if k == 3 { 2.0 } else { 1.0 })
                    .collect(),
            );
        }
        v
    }

    /// Each block of `g` in `v`, normalized (biased variance, eps 1e-5), scaled and shifted.
    fn block_norm(v: &[f64], g: usize, gain: &[f64], shift: &[f64]) -> Vec<f64> {
        let n = v.len() / g;
        let mut out = Vec::with_capacity(v.len());
        for block in v.chunks(n) {
            let mean = block.iter().sum::<f64>() / n as f64;
            let var = block.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
            out.extend(block.iter().map(|x| (x - mean) / (var + 1e-5).sqrt()));
        }
        out.iter()
            .zip(gain)
            .zip(shift)
            .map(|((x, g), b)| x * g + b)
            .collect()
    }

    /// Values in [-1, 1) for each of [`shapes`].
    fn inputs(kind: CellKind, sz: Size, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = Rng::new(seed);
        shapes(kind, sz)
            .iter()
            .map(|s| s.iter().product::<usize>())
            .map(|n| (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect())
            .collect()
    }

    fn sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// The states `[B, T, S·H]` (`[B, T, P + H]` for an LSTMP) by PyTorch's equations, one row,
    /// step and unit at a time: a padded step (at or past the row's length) carries the state
    /// through.
    fn reference(
        kind: CellKind,
        sz: Size,
        v: &[Vec<f64>],
        lengths: Option<&[usize]>,
        reverse: bool,
    ) -> Vec<f64> {
        reference_masked(kind, sz, v, lengths, reverse, &TestMasks::default())
    }

    /// Regularizer masks of a test scan: recurrent dropout `[B, H]`, zoneout `[B, T, S·H]`.
    #[derive(Clone, Debug, Default)]
    struct TestMasks {
        state: Option<Vec<f64>>,
        zoneout: Option<Vec<f64>>,
    }

    /// [`reference`] with the masks applied as their papers write them: h⊙m_h where h enters
    /// W_hh, and each step's new state `d⊙s_{t−1} + (1−d)⊙s̃_t` from the candidate s̃_t (masks
    /// only without a projection).
    fn reference_masked(
        kind: CellKind,
        sz: Size,
        v: &[Vec<f64>],
        lengths: Option<&[usize]>,
        reverse: bool,
        masks: &TestMasks,
    ) -> Vec<f64> {
        let (Size { b, t, i, h, .. }, p, width) = (sz, sz.p(), sz.width(kind));
        let (x, w_ih, b_ih, w_hh, b_hh) = (&v[0], &v[1], &v[2], &v[3], &v[4]);
        let (g, s) = (kind.gates(), kind.states());
        let mut out = vec![0.0; b * t * width];
        for row in 0..b {
            let mut hs = v[5][row * p..(row + 1) * p].to_vec();
            let mut cs = if s == 2 {
                v[6][row * h..(row + 1) * h].to_vec()
            } else {
                Vec::new()
            };
            for step in 0..t {
                let time = if reverse { t - 1 - step } else { step };
                if lengths.is_none_or(|l| time < l[row]) {
                    let xt = &x[(row * t + time) * i..(row * t + time + 1) * i];
                    // A layer-normalized cell (gains after the inputs) adds its biases after
                    // normalizing each gate block.
                    let norm = sz.proj.is_none() && v.len() > 7;
                    let bias = |b: f64| if norm { 0.0 } else { b };
                    let gx: Vec<f64> = (0..g * h)
                        .map(|r| {
                            bias(b_ih[r]) + (0..i).map(|c| w_ih[r * i + c] * xt[c]).sum::<f64>()
                        })
                        .collect();
                    let m = |c: usize| masks.state.as_ref().map_or(1.0, |m| m[row * h + c]);
                    let gh: Vec<f64> = (0..g * h)
                        .map(|r| {
                            bias(b_hh[r])
                                + (0..p).map(|c| w_hh[r * p + c] * hs[c] * m(c)).sum::<f64>()
                        })
                        .collect();
                    let (gx, gh) = if norm {
                        (
                            block_norm(&gx, g, &v[7], b_ih),
                            block_norm(&gh, g, &v[8], b_hh),
                        )
                    } else {
                        (gx, gh)
                    };
                    let (h_prev, c_prev) = (hs.clone(), cs.clone());
                    // An LSTMP's cell outputs o ⊙ tanh c, before h = W_hr·r.
                    let mut cell_out = vec![0.0; h];
                    for u in 0..h {
                        let at = |gate: usize| gate * h + u;
                        match kind {
                            CellKind::Elman(Activation::Tanh) => hs[u] = (gx[u] + gh[u]).tanh(),
                            CellKind::Elman(Activation::Relu) => hs[u] = (gx[u] + gh[u]).max(0.0),
                            CellKind::Lstm => {
                                let pre = |k: usize| gx[at(k)] + gh[at(k)];
                                let (ig, fg) = (sigmoid(pre(0)), sigmoid(pre(1)));
                                let (gg, og) = (pre(2).tanh(), sigmoid(pre(3)));
                                cs[u] = fg * cs[u] + ig * gg;
                                // A layer-normalized cell overwrites h below, from all of c;
                                // an LSTMP's h is the projection of the cell outputs.
                                match sz.proj {
                                    Some(_) => cell_out[u] = og * cs[u].tanh(),
                                    None => hs[u] = og * cs[u].tanh(),
                                }
                            }
                            CellKind::Gru => {
                                let r = sigmoid(gx[at(0)] + gh[at(0)]);
                                let z = sigmoid(gx[at(1)] + gh[at(1)]);
                                let n = (gx[at(2)] + r * gh[at(2)]).tanh();
                                hs[u] = (1.0 - z) * n + z * hs[u];
                            }
                        }
                    }
                    if sz.proj.is_some() {
                        let w_hr = &v[7];
                        hs = (0..p)
                            .map(|q| (0..h).map(|u| w_hr[q * h + u] * cell_out[u]).sum())
                            .collect();
                    }
                    if norm && kind == CellKind::Lstm {
                        let cn = block_norm(&cs, 1, &v[9], &v[10]);
                        for u in 0..h {
                            let og = sigmoid(gx[3 * h + u] + gh[3 * h + u]);
                            hs[u] = og * cn[u].tanh();
                        }
                    }
                    if let Some(z) = &masks.zoneout {
                        let d = &z[(row * t + time) * s * h..];
                        for (u, (new, old)) in hs
                            .iter_mut()
                            .chain(&mut cs)
                            .zip(h_prev.iter().chain(&c_prev))
                            .enumerate()
                        {
                            *new = d[u] * old + (1.0 - d[u]) * *new;
                        }
                    }
                }
                let at = (row * t + time) * width;
                out[at..at + p].copy_from_slice(&hs);
                out[at + p..at + width].copy_from_slice(&cs);
            }
        }
        out
    }

    /// The fused kernel's states, and with a `seed` the gradients of `Σ seed·states` w.r.t. every
    /// input (in the order of [`inputs`]). Without `save` the forward runs without a tape (and
    /// saves nothing for backward).
    fn kernel<E: Element>(
        kind: CellKind,
        sz: Size,
        v: &[Vec<f64>],
        spec: &RecurrentSpec,
        seed: Option<&[f64]>,
        save: bool,
    ) -> (Vec<f64>, Vec<Vec<f64>>) {
        kernel_masked::<E>(kind, sz, v, spec, seed, save, &TestMasks::default())
    }

    /// [`kernel`] with regularizer masks.
    fn kernel_masked<E: Element>(
        kind: CellKind,
        sz: Size,
        v: &[Vec<f64>],
        spec: &RecurrentSpec,
        seed: Option<&[f64]>,
        save: bool,
        masks: &TestMasks,
    ) -> (Vec<f64>, Vec<Vec<f64>>) {
        let Size { b, t, h, .. } = sz;
        let norm = sz.proj.is_none() && v.len() > 7;
        let shapes: Vec<Vec<usize>> = shapes(kind, sz)
            .into_iter()
            .chain(norm_shapes(kind, sz).into_iter().filter(|_| norm))
            .collect();
        let tape = Tape::<E>::new();
        let vars: Vec<_> = shapes
            .iter()
            .zip(v)
            .map(|(shape, data)| tape.var(Tensor::from_f64(shape, data)))
            .collect();
        let w = RecurrentWeights {
            w_ih: vars[1],
            b_ih: vars[2],
            w_hh: vars[3],
            b_hh: vars[4],
            w_hr: sz.proj.map(|_| vars[7]),
            norm: norm.then(|| super::super::NormWeights {
                gain_ih: vars[7],
                gain_hh: vars[8],
                cell: (kind == CellKind::Lstm).then(|| [vars[9], vars[10]]),
            }),
        };
        let c0 = (kind == CellKind::Lstm).then_some(vars[6]);
        let _off = (!save).then(|| tape.no_grad());
        let s = kind.states();
        let masks = super::super::RecurrentMasks {
            state: masks.state.as_ref().map(|m| Tensor::from_f64(&[b, h], m)),
            zoneout: masks
                .zoneout
                .as_ref()
                .map(|m| Tensor::from_f64(&[b, t, s * h], m)),
        };
        let y = vars[0].recurrent_masked(w, vars[5], c0, spec, masks);
        let Some(seed) = seed else {
            return (y.value().to_f64_vec(), Vec::new());
        };
        let grads = y.backward_with(&Tensor::from_f64(&[b, t, sz.width(kind)], seed));
        // Every input's gradient, in the order of `v`: zeros for those the cell does not read (c0
        // and the cell-state gains outside an LSTM); an LSTMP's w_hr last.
        let used = |k: usize| kind == CellKind::Lstm || !(k == 6 || k >= 9);
        let n = if norm || kind == CellKind::Lstm {
            vars.len()
        } else {
            6
        };
        let dv = vars[..n]
            .iter()
            .enumerate()
            .map(|(k, &x)| {
                if used(k) {
                    grads.wrt(x).to_f64_vec()
                } else {
                    vec![0.0; v[k].len()]
                }
            })
            .collect();
        (y.value().to_f64_vec(), dv)
    }

    /// `Σ seed·reference` for the inputs `v`.
    fn reference_loss(
        kind: CellKind,
        sz: Size,
        v: &[Vec<f64>],
        spec: &RecurrentSpec,
        seed: &[f64],
    ) -> f64 {
        reference_loss_masked(kind, sz, v, spec, seed, &TestMasks::default())
    }

    /// `Σ seed·reference_masked` for the inputs `v`.
    fn reference_loss_masked(
        kind: CellKind,
        sz: Size,
        v: &[Vec<f64>],
        spec: &RecurrentSpec,
        seed: &[f64],
        masks: &TestMasks,
    ) -> f64 {
        let y = reference_masked(kind, sz, v, spec.lengths.as_deref(), spec.reverse, masks);
        y.iter().zip(seed).map(|(a, b)| a * b).sum()
    }

    /// Checks `got`, a kernel's gradient of `loss` w.r.t. the first `got.len()` inputs of `v`,
    /// against central differences of `loss`: element by element, or under Miri (a thousand
    /// times slower) along three random directions, two evaluations each instead of two per
    /// element.
    fn check_grads(
        loss: impl Fn(&[Vec<f64>]) -> f64,
        v: &[Vec<f64>],
        got: &[Vec<f64>],
        what: &str,
    ) {
        let eps = 1e-6;
        if cfg!(miri) {
            let mut rng = Rng::new(99);
            for dir in 0..3 {
                let d: Vec<Vec<f64>> = got
                    .iter()
                    .map(|g| g.iter().map(|_| rng.uniform_in(-1.0, 1.0)).collect())
                    .collect();
                let moved = |step: f64| -> Vec<Vec<f64>> {
                    v.iter()
                        .enumerate()
                        .map(|(k, x)| match d.get(k) {
                            Some(d) => x.iter().zip(d).map(|(a, b)| a + step * b).collect(),
                            None => x.clone(),
                        })
                        .collect()
                };
                let numeric = (loss(&moved(eps)) - loss(&moved(-eps))) / (2.0 * eps);
                let analytic: f64 = got
                    .iter()
                    .zip(&d)
                    .flat_map(|(g, d)| g.iter().zip(d).map(|(a, b)| a * b))
                    .sum();
                assert!(
                    (numeric - analytic).abs() <= 1e-6 * (1.0 + analytic.abs()),
                    "{what}: along direction {dir} got {analytic}, want {numeric}"
                );
            }
        } else {
            let mut v = v.to_vec();
            for (which, g) in got.iter().enumerate() {
                let want: Vec<f64> = (0..v[which].len())
                    .map(|at| {
                        let orig = v[which][at];
                        v[which][at] = orig + eps;
                        let up = loss(&v);
                        v[which][at] = orig - eps;
                        let down = loss(&v);
                        v[which][at] = orig;
                        (up - down) / (2.0 * eps)
                    })
                    .collect();
                assert_close(g, &want, 1e-6, &format!("{what}, input {which}"));
            }
        }
    }

    fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        for (k, (&a, &b)) in got.iter().zip(want).enumerate() {
            assert!(
                (a - b).abs() <= tol * (1.0 + b.abs()),
                "{what}: at {k} got {a}, want {b}"
            );
        }
    }

    const CELLS: [CellKind; 4] = [
        CellKind::Elman(Activation::Tanh),
        CellKind::Elman(Activation::Relu),
        CellKind::Lstm,
        CellKind::Gru,
    ];

    fn spec(cell: CellKind, reverse: bool, lengths: Option<Vec<usize>>) -> RecurrentSpec {
        RecurrentSpec {
            cell,
            reverse,
            lengths,
        }
    }

    #[test]
    fn miri_forward_matches_the_reference_every_cell_direction_and_padding() {
        let sz = Size {
            b: 3,
            t: 4,
            i: 2,
            h: 3,
            proj: None,
        };
        for (c, &kind) in CELLS.iter().enumerate() {
            let v = inputs(kind, sz, 10 + c as u64);
            // Forward over full sequences, and reversed over full, empty and partial ones.
            for (reverse, lengths) in [(false, None), (true, Some(vec![4, 0, 2]))] {
                let sp = spec(kind, reverse, lengths);
                let want = reference(kind, sz, &v, sp.lengths.as_deref(), reverse);
                let what = format!("{kind:?} {sp:?}");
                // Saving for backward (into the unwritten gates buffers).
                let (states, _) = kernel::<f64>(kind, sz, &v, &sp, None, true);
                assert_close(&states, &want, 1e-12, &what);
                // Not saving (the gates go to a scratch row), in f32 with its rational tanh and
                // sigmoid.
                let (states, _) = kernel::<f32>(kind, sz, &v, &sp, None, false);
                assert_close(&states, &want, 1e-5, &format!("f32 {what}"));
            }
        }
    }

    #[test]
    fn miri_backward_matches_central_differences_of_the_reference() {
        let sz = Size {
            b: 2,
            t: 3,
            i: 2,
            h: 2,
            proj: None,
        };
        for (c, &kind) in CELLS.iter().enumerate() {
            let v = inputs(kind, sz, 20 + c as u64);
            let n_out = sz.b * sz.t * kind.states() * sz.h;
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 5) as f64 - 2.0) * 0.5).collect();
            for (reverse, lengths) in [
                (false, None),
                (true, Some(vec![1, 3])),
                (false, Some(vec![0, 2])),
            ] {
                let sp = spec(kind, reverse, lengths);
                let (states, got) = kernel::<f64>(kind, sz, &v, &sp, Some(&seed), true);
                let want = reference(kind, sz, &v, sp.lengths.as_deref(), sp.reverse);
                assert_close(&states, &want, 1e-12, &format!("{kind:?} {sp:?}"));
                let loss = |v: &[Vec<f64>]| reference_loss(kind, sz, v, &sp, &seed);
                check_grads(loss, &v, &got, &format!("{kind:?} {sp:?}"));
            }
        }
    }

    #[test]
    fn miri_lstmp_matches_the_reference_and_central_differences() {
        // nn.LSTM(proj_size=2) with H = 3: h_t = W_hr·(o ⊙ tanh c_t), the states [h (P), c (H)].
        let kind = CellKind::Lstm;
        let sz = Size {
            b: 3,
            t: 4,
            i: 2,
            h: 3,
            proj: Some(2),
        };
        let v = inputs(kind, sz, 80);
        assert_eq!(v.len(), 8, "x, w_ih, b_ih, w_hh, b_hh, h0, c0, w_hr");
        let n_out = sz.b * sz.t * sz.width(kind);
        let seed: Vec<f64> = (0..n_out).map(|k| ((k % 5) as f64 - 2.0) * 0.5).collect();
        for (reverse, lengths) in [
            (false, None),
            (true, Some(vec![4, 0, 2])),
            (false, Some(vec![1, 3, 4])),
        ] {
            let sp = spec(kind, reverse, lengths);
            let what = format!("LSTMP {sp:?}");
            let want = reference(kind, sz, &v, sp.lengths.as_deref(), reverse);
            let (states, got) = kernel::<f64>(kind, sz, &v, &sp, Some(&seed), true);
            assert_close(&states, &want, 1e-12, &what);
            // Not saving (no tape), in f32.
            let (states, _) = kernel::<f32>(kind, sz, &v, &sp, None, false);
            assert_close(&states, &want, 1e-5, &format!("f32 {what}"));
            // Every input's gradient, w_hr's included.
            assert_eq!(got.len(), 8, "{what}: gradients");
            let loss = |v: &[Vec<f64>]| reference_loss(kind, sz, v, &sp, &seed);
            check_grads(loss, &v, &got, &what);
        }
    }

    #[test]
    fn miri_bidirectional_layer_gradients_add_up_over_both_directions() {
        // A bidirectional layer: one scan each way over the same input, outputs side by side.
        let sz = Size {
            b: 2,
            t: 3,
            i: 2,
            h: 2,
            proj: None,
        };
        for (c, &kind) in CELLS.iter().enumerate() {
            let (vf, vb) = (
                inputs(kind, sz, 30 + c as u64),
                inputs(kind, sz, 40 + c as u64),
            );
            let lengths = Some(vec![3, 2]);
            let width = kind.states() * sz.h;
            let seed: Vec<f64> = (0..sz.b * sz.t * 2 * width)
                .map(|k| ((k % 7) as f64 - 3.0) * 0.25)
                .collect();
            let tape = Tape::<f64>::new();
            let Size { b, t, h, .. } = sz;
            let shapes = shapes(kind, sz);
            let x = tape.var(Tensor::from_f64(&shapes[0], &vf[0]));
            let mut outs = Vec::new();
            let mut params = Vec::new();
            for (v, reverse) in [(&vf, false), (&vb, true)] {
                let p: Vec<_> = (1..7)
                    .map(|k| tape.var(Tensor::from_f64(&shapes[k], &v[k])))
                    .collect();
                let w = RecurrentWeights {
                    w_ih: p[0],
                    b_ih: p[1],
                    w_hh: p[2],
                    b_hh: p[3],
                    w_hr: None,
                    norm: None,
                };
                let c0 = (kind == CellKind::Lstm).then_some(p[5]);
                let sp = spec(kind, reverse, lengths.clone());
                outs.push(x.recurrent(w, p[4], c0, &sp));
                params.push(p);
            }
            let y = Var::concat(&outs, 2);
            let grads = y.backward_with(&Tensor::from_f64(&[b, t, 2 * width], &seed));
            // Each direction's seed is its half of every output row.
            let half = |d: usize| -> Vec<f64> {
                seed.chunks(2 * width)
                    .flat_map(|r| r[d * width..(d + 1) * width].to_vec())
                    .collect()
            };
            // The inputs as one list: x, then the forward scan's weights and initial states, then
            // the reverse scan's.
            let all: Vec<Vec<f64>> = [&vf[..], &vb[1..]].concat();
            let mut got = vec![grads.wrt(x).to_f64_vec()];
            for p in &params {
                for (k, var) in p.iter().enumerate() {
                    // An Elman or GRU scan has no c0: its slot's gradient is zero.
                    let used = k < 5 || kind == CellKind::Lstm;
                    got.push(if used {
                        grads.wrt(*var).to_f64_vec()
                    } else {
                        vec![0.0; b * h]
                    });
                }
            }
            let (seed_f, seed_b) = (half(0), half(1));
            let loss = |v: &[Vec<f64>]| {
                let forward: Vec<Vec<f64>> = v[..7].to_vec();
                let reverse: Vec<Vec<f64>> = [&v[..1], &v[7..]].concat();
                reference_loss(
                    kind,
                    sz,
                    &forward,
                    &spec(kind, false, lengths.clone()),
                    &seed_f,
                ) + reference_loss(
                    kind,
                    sz,
                    &reverse,
                    &spec(kind, true, lengths.clone()),
                    &seed_b,
                )
            };
            check_grads(loss, &all, &got, &format!("bidirectional {kind:?}"));
        }
    }

    #[test]
    fn miri_layer_norm_cells_match_the_reference_and_central_differences() {
        let sz = Size {
            b: 2,
            t: 3,
            i: 2,
            h: 3,
            proj: None,
        };
        for (c, &kind) in [CellKind::Lstm, CellKind::Gru].iter().enumerate() {
            let v = norm_inputs(kind, sz, 80 + c as u64);
            let n_out = sz.b * sz.t * kind.states() * sz.h;
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 5) as f64 - 2.0) * 0.5).collect();
            // Without masks, and with a recurrent-dropout state mask and drawn zoneout.
            let masked = test_masks(kind, sz, 120, true, ZoneoutMask::Drawn);
            for (reverse, lengths, masks) in [
                (false, None, TestMasks::default()),
                (true, Some(vec![1, 3]), TestMasks::default()),
                (true, Some(vec![3, 2]), masked),
            ] {
                let sp = spec(kind, reverse, lengths);
                let what = format!("layer-norm {kind:?} {sp:?} {masks:?}");
                let want = reference_masked(kind, sz, &v, sp.lengths.as_deref(), reverse, &masks);
                let (states, got) =
                    kernel_masked::<f64>(kind, sz, &v, &sp, Some(&seed), true, &masks);
                assert_close(&states, &want, 1e-12, &what);
                // Without a tape (nothing kept, scratch rows), and in f32.
                let (states, _) = kernel_masked::<f32>(kind, sz, &v, &sp, None, false, &masks);
                assert_close(&states, &want, 1e-5, &format!("f32 {what}"));
                let loss = |v: &[Vec<f64>]| reference_loss_masked(kind, sz, v, &sp, &seed, &masks);
                check_grads(loss, &v, &got, &what);
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn layer_norm_cells_give_the_same_bits_on_one_and_two_threads() {
        let sz = Size {
            b: 5,
            t: 70,
            i: 3,
            h: 16,
            proj: None,
        };
        for kind in [CellKind::Lstm, CellKind::Gru] {
            assert!(sz.b * sz.t * kind.gates() * sz.h * sz.h >= PAR_SCAN_MIN_WORK);
            let v = norm_inputs(kind, sz, 90);
            let sp = spec(kind, true, Some(vec![70, 1, 22, 0, 69]));
            let n_out = sz.b * sz.t * kind.states() * sz.h;
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 3) as f64 - 1.0) * 0.5).collect();
            let run = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("a rayon pool")
                    .install(|| kernel::<f32>(kind, sz, &v, &sp, Some(&seed), true))
            };
            let (one, two) = (run(1), run(2));
            assert_eq!(one.0, two.0, "{kind:?} states");
            assert_eq!(one.1, two.1, "{kind:?} gradients");
            let want = reference(kind, sz, &v, sp.lengths.as_deref(), true);
            assert_close(&two.0, &want, 1e-4, &format!("{kind:?} f32 states"));
        }
    }

    // Under Miri the 2.6e5 multiply-adds a split needs take over five minutes, so it runs under
    // `cargo test` only; the blocks are disjoint `chunks_mut` of the outputs (safe code), and the
    // unsafe `written` / `set_len` of each block are the ones the one-block tests exercise.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn blocks_across_threads_give_the_bits_of_one_thread() {
        // b·t·g·h·p ≥ PAR_SCAN_MIN_WORK on two threads splits the batch into blocks of 3 and 2
        // rows, each writing its own part of the outputs through the scan's unwritten buffers:
        // an LSTM, and an LSTMP (P = 8 of H = 16, over twice the steps).
        for (t, proj) in [(52, None), (104, Some(8))] {
            let sz = Size {
                b: 5,
                t,
                i: 2,
                h: 16,
                proj,
            };
            let kind = CellKind::Lstm;
            assert!(sz.b * sz.t * kind.gates() * sz.h * sz.p() >= PAR_SCAN_MIN_WORK);
            let v = inputs(kind, sz, 50);
            let sp = spec(kind, false, Some(vec![t, 1, 30, 0, t - 1]));
            let n_out = sz.b * sz.t * sz.width(kind);
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 3) as f64 - 1.0) * 0.5).collect();
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("a rayon pool");
                pool.install(|| kernel::<f32>(kind, sz, &v, &sp, Some(&seed), true))
            };
            let (one, two) = (run(1), run(2));
            assert_eq!(one.0, two.0, "states, projection {proj:?}");
            assert_eq!(one.1, two.1, "gradients, projection {proj:?}");
            let want = reference(kind, sz, &v, sp.lengths.as_deref(), false);
            let what = format!("f32 states against the f64 reference, projection {proj:?}");
            assert_close(&two.0, &want, 1e-4, &what);
        }
    }

    // Spawns a thread and spins at a barrier per step: under Miri that is minutes, so it runs
    // under `cargo test` only (the unsafe writes are the same shared-pointer pattern as the
    // packed GEMM's, which Miri checks).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn units_split_across_threads_gives_the_bits_of_one_thread() {
        let sz = Size {
            b: 3,
            t: 9,
            i: 5,
            h: 72,
            proj: None,
        };
        let d = |kind: CellKind| Dims {
            b: sz.b,
            t: sz.t,
            i: sz.i,
            h: sz.h,
            g: kind.gates(),
            s: kind.states(),
            p: sz.h,
        };
        for kind in [
            CellKind::Lstm,
            CellKind::Gru,
            CellKind::Elman(Activation::Tanh),
        ] {
            // Two threads split 72 units as 48 + 24; one thread runs the batch-split scan.
            assert!(
                super::super::units::wanted(d(kind), 2) && !super::super::units::wanted(d(kind), 1)
            );
            // An LSTMP always runs the batch-split scan (its projection needs every unit's output).
            if kind == CellKind::Lstm {
                let lstmp = Dims { p: 8, ..d(kind) };
                assert!(!super::super::units::wanted(lstmp, 2), "LSTMP");
            }
            let v = inputs(kind, sz, 60);
            let n_out = sz.b * sz.t * kind.states() * sz.h;
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 5) as f64 - 2.0) * 0.25).collect();
            for reverse in [false, true] {
                for lengths in [None, Some(vec![9, 0, 4])] {
                    let sp = spec(kind, reverse, lengths.clone());
                    for save in [true, false] {
                        let run = |threads: usize| {
                            let pool = rayon::ThreadPoolBuilder::new()
                                .num_threads(threads)
                                .build()
                                .expect("a rayon pool");
                            pool.install(|| {
                                kernel::<f32>(kind, sz, &v, &sp, save.then_some(&seed[..]), save)
                            })
                        };
                        let (one, two) = (run(1), run(2));
                        let what = format!("{kind:?} reverse {reverse} lengths {lengths:?}");
                        assert_eq!(one.0, two.0, "states, {what}");
                        assert_eq!(one.1, two.1, "gradients, {what}");
                        let want = reference(kind, sz, &v, sp.lengths.as_deref(), reverse);
                        assert_close(&two.0, &want, 1e-4, &what);
                    }
                }
            }
        }
    }

    #[test]
    fn miri_pair_gives_the_bits_of_the_two_directions_run_alone() {
        let sz = Size {
            b: 3,
            t: 5,
            i: 2,
            h: 4,
            proj: None,
        };
        for (kind, proj) in [
            (CellKind::Lstm, None),
            (CellKind::Lstm, Some(3)),
            (CellKind::Gru, None),
            (CellKind::Elman(Activation::Tanh), None),
        ] {
            let sz = Size { proj, ..sz };
            let (v_fwd, v_rev) = (inputs(kind, sz, 70), inputs(kind, sz, 71));
            let lengths = vec![5, 2, 0];
            let n_out = 2 * sz.b * sz.t * sz.width(kind);
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 7) as f64 - 3.0) * 0.3).collect();
            let run = |pair: bool| {
                let tape = Tape::<f64>::new();
                let shapes = shapes(kind, sz);
                let x = tape.var(Tensor::from_f64(&shapes[0], &v_fwd[0]));
                let dirs: Vec<Vec<Var<'_, f64>>> = [&v_fwd, &v_rev]
                    .iter()
                    .map(|v| {
                        (1..shapes.len())
                            .map(|k| tape.var(Tensor::from_f64(&shapes[k], &v[k])))
                            .collect()
                    })
                    .collect();
                let w = |k: usize| RecurrentWeights {
                    w_ih: dirs[k][0],
                    b_ih: dirs[k][1],
                    w_hh: dirs[k][2],
                    b_hh: dirs[k][3],
                    w_hr: dirs[k].get(6).copied(),
                    norm: None,
                };
                let c = |k: usize| (kind == CellKind::Lstm).then_some(dirs[k][5]);
                let y = if pair {
                    x.recurrent_pair(
                        super::super::Directions {
                            w: [w(0), w(1)],
                            h0: [dirs[0][4], dirs[1][4]],
                            c0: [c(0), c(1)],
                        },
                        kind,
                        Some(&lengths),
                    )
                } else {
                    let one = |k: usize, reverse: bool| {
                        let sp = spec(kind, reverse, Some(lengths.clone()));
                        x.recurrent(w(k), dirs[k][4], c(k), &sp)
                    };
                    Var::stack(&[one(0, false), one(1, true)], 0)
                };
                let grads = y.backward_with(&Tensor::from_f64(&y.shape(), &seed));
                // The weights, h0, and c0 and w_hr when used.
                let n = if kind == CellKind::Lstm {
                    shapes.len() - 1
                } else {
                    5
                };
                let all: Vec<Vec<f64>> = std::iter::once(x)
                    .chain(dirs.iter().flat_map(|d| d[..n].to_vec()))
                    .map(|v| grads.wrt(v).to_f64_vec())
                    .collect();
                (y.shape(), y.value().to_f64_vec(), all)
            };
            let on = |threads: usize, pair: bool| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("a rayon pool")
                    .install(|| run(pair))
            };
            let alone = on(1, false);
            assert_eq!(alone.0, vec![2, sz.b, sz.t, sz.width(kind)]);
            assert_eq!(on(1, true), alone, "{kind:?} {proj:?} on one thread");
            assert_eq!(on(2, true), alone, "{kind:?} {proj:?} on two threads");
        }
    }

    /// Masks for a test scan drawn from `seed`: recurrent dropout at p = 0.5 (0 or 2 per unit)
    /// when `state`, and the zoneout mask `zoneout`.
    fn test_masks(
        kind: CellKind,
        sz: Size,
        seed: u64,
        state: bool,
        zoneout: ZoneoutMask,
    ) -> TestMasks {
        let Size { b, t, h, .. } = sz;
        let mut rng = Rng::new(seed);
        let n_zone = b * t * kind.states() * h;
        TestMasks {
            state: state.then(|| {
                (0..b * h)
                    .map(|_| if rng.bernoulli(0.5) { 0.0 } else { 2.0 })
                    .collect()
            }),
            zoneout: match zoneout {
                ZoneoutMask::Off => None,
                ZoneoutMask::Drawn => Some(
                    (0..n_zone)
                        .map(|_| if rng.bernoulli(0.5) { 1.0 } else { 0.0 })
                        .collect(),
                ),
                ZoneoutMask::Expectation(p) => Some(vec![p; n_zone]),
            },
        }
    }

    /// Which zoneout mask a test scan gets.
    #[derive(Clone, Copy, Debug)]
    enum ZoneoutMask {
        /// None.
        Off,
        /// 1 (keep the previous state) or 0 drawn per unit and step, as in training.
        Drawn,
        /// The same fraction everywhere, as in evaluation.
        Expectation(f64),
    }

    #[test]
    fn miri_masked_scan_matches_the_reference_and_its_central_differences() {
        let sz = Size {
            b: 2,
            t: 3,
            i: 2,
            h: 2,
            proj: None,
        };
        let variants = [
            (true, ZoneoutMask::Off),
            (false, ZoneoutMask::Drawn),
            (true, ZoneoutMask::Expectation(0.3)),
        ];
        for (c, &kind) in CELLS.iter().enumerate() {
            let v = inputs(kind, sz, 80 + c as u64);
            let n_out = sz.b * sz.t * kind.states() * sz.h;
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 5) as f64 - 2.0) * 0.5).collect();
            for (m, &(state, zoneout)) in variants.iter().enumerate() {
                let masks = test_masks(kind, sz, 90 + m as u64, state, zoneout);
                for (reverse, lengths) in [(false, None), (true, Some(vec![1, 3]))] {
                    let sp = spec(kind, reverse, lengths);
                    let what = format!("{kind:?} {sp:?} {masks:?}");
                    let (states, got) =
                        kernel_masked::<f64>(kind, sz, &v, &sp, Some(&seed), true, &masks);
                    let want =
                        reference_masked(kind, sz, &v, sp.lengths.as_deref(), reverse, &masks);
                    assert_close(&states, &want, 1e-12, &what);
                    // The masks change the states (a test that cannot fail otherwise).
                    let plain = reference(kind, sz, &v, sp.lengths.as_deref(), reverse);
                    assert!(
                        states.iter().zip(&plain).any(|(a, b)| (a - b).abs() > 1e-6),
                        "{what}: the masks changed nothing"
                    );
                    // Without a tape (nothing saved), in f32.
                    let (states, _) = kernel_masked::<f32>(kind, sz, &v, &sp, None, false, &masks);
                    assert_close(&states, &want, 1e-5, &format!("f32 {what}"));
                    let loss =
                        |v: &[Vec<f64>]| reference_loss_masked(kind, sz, v, &sp, &seed, &masks);
                    check_grads(loss, &v, &got, &what);
                }
            }
        }
    }

    #[test]
    fn miri_masks_of_ones_and_zeros_give_the_states_of_no_masks() {
        let sz = Size {
            b: 3,
            t: 4,
            i: 2,
            h: 3,
            proj: None,
        };
        for (c, &kind) in CELLS.iter().enumerate() {
            let v = inputs(kind, sz, 100 + c as u64);
            let n_out = sz.b * sz.t * kind.states() * sz.h;
            let seed: Vec<f64> = (0..n_out).map(|k| ((k % 3) as f64 - 1.0) * 0.5).collect();
            let identity = TestMasks {
                state: Some(vec![1.0; sz.b * sz.h]),
                zoneout: Some(vec![0.0; n_out]),
            };
            let sp = spec(kind, true, Some(vec![4, 0, 2]));
            let plain = kernel::<f32>(kind, sz, &v, &sp, Some(&seed), true);
            let masked = kernel_masked::<f32>(kind, sz, &v, &sp, Some(&seed), true, &identity);
            assert_eq!(plain.0, masked.0, "{kind:?} states");
            // Backward adds the masked dgh·W_hh to dh_prev's direct part after the GEMM rather
            // than accumulating into it, a different rounding where that part is not zero (GRU).
            for (k, (a, b)) in plain.1.iter().zip(&masked.1).enumerate() {
                assert_close(a, b, 1e-6, &format!("{kind:?} gradient of input {k}"));
            }
        }
    }

    // As `blocks_across_threads_give_the_bits_of_one_thread` (not under Miri, for its size).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn masked_scans_across_threads_give_the_bits_of_one_thread() {
        // A batch split into blocks (b 5), and a small batch the units split would take without
        // masks (b 3, h 72): with masks it runs the batch split on any number of threads.
        let sizes = [
            Size {
                b: 5,
                t: 52,
                i: 2,
                h: 16,
                proj: None,
            },
            Size {
                b: 3,
                t: 9,
                i: 5,
                h: 72,
                proj: None,
            },
        ];
        for sz in sizes {
            for kind in [
                CellKind::Lstm,
                CellKind::Gru,
                CellKind::Elman(Activation::Tanh),
            ] {
                let v = inputs(kind, sz, 110);
                let masks = test_masks(kind, sz, 111, true, ZoneoutMask::Drawn);
                let mut lengths: Vec<usize> = (0..sz.b).map(|r| sz.t - r % sz.t).collect();
                lengths[1] = 0;
                let sp = spec(kind, false, Some(lengths));
                let n_out = sz.b * sz.t * kind.states() * sz.h;
                let seed: Vec<f64> = (0..n_out).map(|k| ((k % 3) as f64 - 1.0) * 0.5).collect();
                let run = |threads: usize| {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .expect("a rayon pool");
                    pool.install(|| {
                        kernel_masked::<f32>(kind, sz, &v, &sp, Some(&seed), true, &masks)
                    })
                };
                let (one, two) = (run(1), run(2));
                let what = format!("{kind:?} {sz:?}");
                assert_eq!(one.0, two.0, "states, {what}");
                assert_eq!(one.1, two.1, "gradients, {what}");
                let want = reference_masked(kind, sz, &v, sp.lengths.as_deref(), false, &masks);
                // f32 (rational tanh) over 52 steps whose kept state enters W_hh doubled.
                assert_close(&two.0, &want, 1e-2, &what);
            }
        }
    }
}
