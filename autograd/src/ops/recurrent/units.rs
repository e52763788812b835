//! The forward scan split by hidden units instead of batch rows, for small batches.
//!
//! With a few batch rows, splitting the batch leaves one thread idle (B = 1) or each thread reading
//! every weight at every step for a row or two: the step is bound by streaming `W_hh` from L3, not
//! by arithmetic. Here each thread owns a share of the hidden units, with the rows of `W_ih` and
//! `W_hh` of those units' gates packed once: a share small enough to stay in that core's L2 for
//! the whole sequence. Per step a thread projects every batch row onto its units, runs their gate
//! math and publishes their new h; one barrier per step lets both read the whole h before the next.
//!
//! It runs without regularizer masks only (the batch-split scan applies them).
//!
//! Every value is the same chain of operations as in the batch-split scan (the same multiply-add
//! chain per pre-activation, the same elementwise gate math per unit), so the bits do not depend on
//! which scan ran nor on the number of threads.

use super::cell::{CellKind, Out, RowForward};
use super::scan::{active, unwritten, write_all, write_zeros, written, Dims, ScanIn, ScanSaved};
use crate::element::Element;
use crate::subnormal::{float_mode, set_float_mode};
use crate::tensor::gemm::SendPtr;
use crate::tensor::{PackedGemm, Start};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The units of each thread's share: whole vectors of 16, the first shares one larger when they
/// do not divide evenly.
fn shares(h: usize, parts: usize) -> Vec<Range<usize>> {
    let per = h.div_ceil(parts).div_ceil(16) * 16;
    (0..parts)
        .map(|p| (p * per).min(h)..((p + 1) * per).min(h))
        .filter(|r| !r.is_empty())
        .collect()
}

/// Whether the scan of these sizes runs split by units on `threads` threads: a batch too small to
/// give each thread a full register tile of rows, and units enough to share (never an LSTMP,
/// whose projection needs every unit's output before the next step's h).
///
/// Only from outside the rayon pool: the first share runs on the calling thread and waits at
/// every step for the others, which run on the pool's threads. A caller inside the pool would hold
/// one of them, and the pool's other threads may be busy with work that waits for this one (both
/// directions of a bidirectional layer); callers outside it never hold a pool thread, however many
/// there are at once.
pub(crate) fn wanted(d: Dims, threads: usize) -> bool {
    threads > 1
        && rayon::current_thread_index().is_none()
        && d.b < 2 * crate::tensor::MR
        && d.h >= 64
        && d.t > 1
        && !d.projected()
}

/// One thread's share: its units, and the rows of the weights and biases of their gates, gate by
/// gate (`[G·w]` wide products).
struct Share<E> {
    units: Range<usize>,
    proj: PackedGemm<E>,
    rec: PackedGemm<E>,
    b_ih: Vec<E>,
    b_hh: Vec<E>,
}

impl<E: Element> Share<E> {
    /// Packs the share's rows of the weights (on the calling thread: it runs inside the scan's
    /// threads, which must not wait for other rayon work).
    fn new(input: &ScanIn<'_, E>, d: Dims, units: Range<usize>) -> Self {
        let (g, h, w) = (d.g, d.h, units.len());
        // Row `gate·H + unit` of W for column j of the share's `[G·w]`: gate j / w, unit j % w.
        let row = |j: usize| (j / w) * h + units.start + j % w;
        let bias = |b: &[E]| (0..g * w).map(|j| b[row(j)]).collect();
        Share {
            proj: PackedGemm::from_columns(d.i, g * w, |j| &input.w_ih[row(j) * d.i..][..d.i]),
            rec: PackedGemm::from_columns(h, g * w, |j| &input.w_hh[row(j) * h..][..h]),
            b_ih: bias(input.b_ih),
            b_hh: bias(input.b_hh),
            units,
        }
    }
}

/// Steps whose input projections are made together.
const STEPS_PER_CHUNK: usize = 32;

/// A barrier for threads that each have a core: waiting spins (a sleep and wake-up would cost more
/// than a step), yielding after a while so that an oversubscribed machine still makes progress.
struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    fn new(parties: usize) -> Self {
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    /// Returns once every party has called `wait` as often as this one; what each wrote before
    /// is visible to all after.
    fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if spins < 1 << 14 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// The buffers every share writes its own units of, as pointers to their first elements.
struct Shared<E> {
    states: SendPtr<E>,
    gates: SendPtr<E>,
    gh: SendPtr<E>,
    /// The hidden state before the step and after it, `[B, H]` each, by step parity.
    carry: [SendPtr<E>; 2],
}

/// Runs the scan with the units split across this thread and `threads - 1` rayon threads; returns what
/// [`super::scan::forward`] returns.
pub(crate) fn forward<E: Element>(
    kind: CellKind,
    d: Dims,
    input: &ScanIn<'_, E>,
    save: bool,
    threads: usize,
) -> (Vec<E>, ScanSaved<E>) {
    let Dims { b, t, h, g, s, .. } = d;
    let gh_len = g * h;
    let n_states = b * t * s * h;
    let kept = |wanted: bool| if save && wanted { b * t * gh_len } else { 0 };
    let (n_gates, n_gh) = (kept(true), kept(kind == CellKind::Gru));
    let (mut states, mut gates, mut gh) = (
        Vec::with_capacity(n_states),
        Vec::with_capacity(n_gates),
        Vec::with_capacity(n_gh),
    );
    let mut carry = [input.h0.to_vec(), vec![E::zero(); b * h]];
    let units = shares(h, threads);
    let [c0, c1] = &mut carry;
    let shared = Shared {
        states: SendPtr(unwritten(&mut states, n_states).as_mut_ptr().cast::<E>()),
        gates: SendPtr(unwritten(&mut gates, n_gates).as_mut_ptr().cast::<E>()),
        gh: SendPtr(unwritten(&mut gh, n_gh).as_mut_ptr().cast::<E>()),
        carry: [SendPtr(c0.as_mut_ptr()), SendPtr(c1.as_mut_ptr())],
    };
    let barrier = SpinBarrier::new(units.len());
    // Each share packs its own weights, on the thread (and so in the cache) that uses them.
    let run = |units: Range<usize>| {
        let share = Share::new(input, d, units);
        share_steps(kind, d, input, &share, &shared, &barrier, save)
    };
    // The first share runs on this thread (outside the pool, see `wanted`), the others on rayon's
    // threads, in this thread's floating-point mode so that subnormals round alike in every share.
    let mode = float_mode();
    rayon::in_place_scope(|scope| {
        for part in &units[1..] {
            let run = &run;
            scope.spawn(move |_| {
                let own = float_mode();
                set_float_mode(mode);
                run(part.clone());
                set_float_mode(own);
            });
        }
        run(units[0].clone());
    });
    // SAFETY: the shares cover every unit, and each wrote its units of every element of the
    // buffers (`share_steps`); the scope joined every thread.
    unsafe {
        states.set_len(n_states);
        gates.set_len(n_gates);
        gh.set_len(n_gh);
    }
    (states, ScanSaved::new(gates, gh, Vec::new(), input, save))
}

/// `len` elements from `at` of a shared buffer, as a slice of outputs.
///
/// # Safety
/// The range lies inside the buffer, and no other thread touches it while the slice lives.
unsafe fn part<'a, E>(buf: SendPtr<E>, at: usize, len: usize) -> &'a mut [Out<E>] {
    // SAFETY: as the caller guarantees; `MaybeUninit<E>` has the layout of `E`.
    unsafe { std::slice::from_raw_parts_mut(buf.get().add(at).cast::<Out<E>>(), len) }
}

/// Every step of one share: its units of every batch row.
fn share_steps<E: Element>(
    kind: CellKind,
    d: Dims,
    input: &ScanIn<'_, E>,
    share: &Share<E>,
    out: &Shared<E>,
    barrier: &SpinBarrier,
    save: bool,
) {
    let Dims {
        b, t, i, h, g, s, ..
    } = d;
    let (u0, w) = (share.units.start, share.units.len());
    let (gh_len, gw, sh) = (g * h, g * w, s * h);
    let lstm = s == 2;
    // The input projections of a chunk of steps, `[B, STEPS_PER_CHUNK, G·w]`: one product of many
    // rows per chunk instead of one row per step, and `W_ih` read once a chunk.
    let chunk_len = STEPS_PER_CHUNK.min(t);
    let mut gx = vec![E::zero(); b * chunk_len * gw];
    let mut chunk_first = 0;
    let mut ghw = vec![E::zero(); b * gw];
    let mut gates = vec![Out::uninit(); gw];
    for step in 0..t {
        let time = d.time(step, input.reverse);
        let prev_time = d.prev_time(step, input.reverse);
        if step % STEPS_PER_CHUNK == 0 {
            // The chunk's times are consecutive: the first of them is the earliest in time.
            let last = (step + STEPS_PER_CHUNK).min(t) - 1;
            chunk_first = time.min(d.time(last, input.reverse));
            let steps = last + 1 - step;
            for row in 0..b {
                let x = &input.x[(row * t + chunk_first) * i..];
                let out = &mut gx[row * chunk_len * gw..];
                share
                    .proj
                    .multiply_serial(steps, x, i, out, gw, Start::Row(&share.b_ih));
            }
        }
        let (carry, next) = (out.carry[step % 2], out.carry[(step + 1) % 2]);
        // SAFETY: every share wrote its units of `carry` before the last barrier (or it is h0), and
        // none writes it until every share has passed the next one.
        let h_prev_all = unsafe { std::slice::from_raw_parts(carry.get().cast_const(), b * h) };
        share
            .rec
            .multiply_serial(b, h_prev_all, h, &mut ghw, gw, Start::Row(&share.b_hh));
        crate::simd::vectorized(
            #[inline(always)]
            || {
                for row in 0..b {
                    let kept = row * t + time;
                    let at = kept * sh;
                    let h_prev = &h_prev_all[row * h + u0..row * h + u0 + w];
                    // SAFETY: this share alone writes and reads its units of the states (c at the
                    // previous step was written by this thread); the ranges lie in the buffers.
                    let (h_out, c_out, c_prev) = unsafe {
                        let c_prev: &[E] = match prev_time {
                            Some(p) if lstm => {
                                written(part(out.states, (row * t + p) * sh + h + u0, w))
                            }
                            None if lstm => &input.c0.unwrap_or_default()[row * h + u0..][..w],
                            _ => &[],
                        };
                        let c_out = if lstm {
                            part(out.states, at + h + u0, w)
                        } else {
                            &mut [][..]
                        };
                        (part(out.states, at + u0, w), c_out, c_prev)
                    };
                    let ghw_row = &ghw[row * gw..(row + 1) * gw];
                    if !active(input.lengths, row, time) {
                        write_all(h_out, h_prev);
                        write_all(c_out, c_prev);
                        gates.iter_mut().for_each(|v| {
                            v.write(E::zero());
                        });
                    } else {
                        kind.forward_row(RowForward {
                            gx: &gx[(row * chunk_len + time - chunk_first) * gw..][..gw],
                            gh: ghw_row,
                            h_prev,
                            c_prev,
                            h: h_out,
                            c: c_out,
                            gates: &mut gates,
                            normed: false,
                        });
                    }
                    // The saved gates (and the GRU's gh) in the scan's layout: gate by gate, this
                    // share's units of each.
                    for gate in 0..g {
                        let at = kept * gh_len + gate * h + u0;
                        let src = gate * w..(gate + 1) * w;
                        // SAFETY: this share's units of this row and gate, in the buffer when kept.
                        unsafe {
                            if save {
                                write_all(part(out.gates, at, w), written(&gates[src.clone()]));
                            }
                            if save && kind == CellKind::Gru {
                                let pad = !active(input.lengths, row, time);
                                let dst = part(out.gh, at, w);
                                if pad {
                                    write_zeros(dst);
                                } else {
                                    write_all(dst, &ghw_row[src]);
                                }
                            }
                        }
                    }
                    // SAFETY: this share's units of the next carry, read by no share before the
                    // barrier below; h_out was just written.
                    unsafe {
                        let h_new = written(part(out.states, at + u0, w));
                        write_all(part(next, row * h + u0, w), h_new);
                    }
                }
            },
        );
        barrier.wait();
    }
}
