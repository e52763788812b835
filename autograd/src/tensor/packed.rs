//! A GEMM whose right-hand matrix is packed once and reused for many products: the recurrent kernels
//! multiply by the same `W_hh` at every time step, where matrixmultiply would repack it every call.
//!
//! Every element of C is one chain of fused multiply-adds over k in order, from its start value, so
//! the result does not depend on the register blocking nor on how the columns are split between
//! threads: one thread and two give the same bits.

use crate::element::Element;
use crate::simd::{copy_prefix, vectorized, LANES};
use crate::tensor::gemm::SendPtr;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Columns per packed panel of B (one AVX-512 register of f32).
pub(crate) const NR: usize = LANES;
/// Rows of C per register tile.
pub(crate) const MR: usize = 8;
/// Products with fewer multiply-adds than this run on one thread.
pub const PAR_PACKED_MIN_WORK: usize = 1 << 20;
/// Products with at most this many terms per element run one row at a time: a register tile's
/// set-up would cost more than its few multiply-adds (the input projection of 2 features).
const ROWWISE_MAX_K: usize = 4;
/// Matrices of at least this many elements are packed across the rayon threads.
const PAR_PACK_MIN_LEN: usize = 1 << 16;

/// Where the sum of each element of C starts.
#[derive(Clone, Copy, Debug)]
pub enum Start<'a, E> {
    /// From one row `[n]` shared by every row of C (a bias).
    Row(&'a [E]),
    /// From C's current contents (`C += A·B`).
    Accumulate,
}

/// One row of a packed panel: NR values on a cache line of their own, so that each loads as one
/// vector (a 64-byte load LLVM cannot prove aligned is split into two halves).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct PanelRow<E>([E; NR]);

/// `B` `[k, n]` packed into column panels; the left-hand matrix of each product is read in place.
pub struct PackedGemm<E> {
    k: usize,
    n: usize,
    /// `⌈n/NR⌉` panels, each `k` rows of `NR` values (zero past column n).
    panels: Vec<PanelRow<E>>,
}

impl<E: Element> PackedGemm<E> {
    /// Packs `B` `[k, n]`, given row-major (`src` is `[k, n]`) or transposed (`src` is `[n, k]`).
    pub fn new(src: &[E], k: usize, n: usize, transposed: bool) -> Self {
        assert!(
            src.len() >= k * n,
            "packed gemm: source too small for [{k},{n}]"
        );
        let mut panels = vec![PanelRow([E::zero(); NR]); n.div_ceil(NR) * k];
        let pack = |(p, panel): (usize, &mut [PanelRow<E>])| {
            let j0 = p * NR;
            let width = NR.min(n - j0);
            if transposed {
                // Column j of B is row j of `src`: read each once, whole.
                for j in 0..width {
                    let col = &src[(j0 + j) * k..(j0 + j + 1) * k];
                    for (dst, &v) in panel.iter_mut().zip(col) {
                        dst.0[j] = v;
                    }
                }
            } else {
                // Row kk of the panel is a contiguous piece of row kk of `src`.
                for (kk, dst) in panel.iter_mut().enumerate() {
                    dst.0[..width].copy_from_slice(&src[kk * n + j0..kk * n + j0 + width]);
                }
            }
        };
        if k == 0 {
        } else if k * n >= PAR_PACK_MIN_LEN {
            let min = PAR_PACK_MIN_LEN.div_ceil(k * NR);
            panels
                .par_chunks_exact_mut(k)
                .enumerate()
                .with_min_len(min)
                .for_each(pack);
        } else {
            panels.chunks_exact_mut(k).enumerate().for_each(pack);
        }
        PackedGemm { k, n, panels }
    }

    /// Packs `B` `[k, n]` given column by column (`column(j)` is column j, k values), on the
    /// calling thread only.
    pub(crate) fn from_columns<'s>(k: usize, n: usize, column: impl Fn(usize) -> &'s [E]) -> Self
    where
        E: 's,
    {
        let mut panels = vec![PanelRow([E::zero(); NR]); n.div_ceil(NR) * k];
        if k > 0 {
            for (p, panel) in panels.chunks_exact_mut(k).enumerate() {
                for j in 0..NR.min(n - p * NR) {
                    for (dst, &v) in panel.iter_mut().zip(&column(p * NR + j)[..k]) {
                        dst.0[j] = v;
                    }
                }
            }
        }
        PackedGemm { k, n, panels }
    }

    /// `C = start + A·B` for the `m` rows of `A` (each `k` wide, `lda` apart in `a`) and of `C`
    /// (each `n` wide, `ldc` apart in `c`). Large products split their column panels across the
    /// rayon threads.
    pub fn multiply(
        &self,
        m: usize,
        a: &[E],
        lda: usize,
        c: &mut [E],
        ldc: usize,
        start: Start<'_, E>,
    ) {
        let threads = if m * self.n * self.k >= PAR_PACKED_MIN_WORK {
            rayon::current_num_threads()
        } else {
            1
        };
        self.product(
            threads,
            m,
            a,
            lda,
            (SendPtr(c.as_mut_ptr()), c.len()),
            ldc,
            start,
        );
    }

    /// `C = bias + A·B` as [`PackedGemm::multiply`], into a buffer not yet initialized: every
    /// element of the m rows (columns 0..n of each) is written, none is read.
    pub fn multiply_uninit(
        &self,
        m: usize,
        a: &[E],
        lda: usize,
        c: &mut [MaybeUninit<E>],
        ldc: usize,
        bias: &[E],
    ) {
        let threads = if m * self.n * self.k >= PAR_PACKED_MIN_WORK {
            rayon::current_num_threads()
        } else {
            1
        };
        let c = (SendPtr(c.as_mut_ptr().cast::<E>()), c.len());
        self.product(threads, m, a, lda, c, ldc, Start::Row(bias));
    }

    /// The same product as [`PackedGemm::multiply`] on the calling thread only: several threads can
    /// share one packed `B`, each with its own rows of A and C.
    pub fn multiply_serial(
        &self,
        m: usize,
        a: &[E],
        lda: usize,
        c: &mut [E],
        ldc: usize,
        start: Start<'_, E>,
    ) {
        self.product(1, m, a, lda, (SendPtr(c.as_mut_ptr()), c.len()), ldc, start);
    }

    /// Computes the product split over up to `threads` rayon tasks, into C given as its first
    /// element and length.
    #[allow(clippy::too_many_arguments)]
    fn product(
        &self,
        threads: usize,
        m: usize,
        a: &[E],
        lda: usize,
        (c, c_len): (SendPtr<E>, usize),
        ldc: usize,
        start: Start<'_, E>,
    ) {
        let (k, n) = (self.k, self.n);
        if m == 0 || n == 0 {
            return;
        }
        assert!(
            lda >= k && ldc >= n && a.len() >= (m - 1) * lda + k && c_len >= (m - 1) * ldc + n,
            "packed gemm: buffers too small for [{m},{k}]x[{k},{n}]"
        );
        if let Start::Row(row) = start {
            assert!(row.len() >= n, "packed gemm: start row shorter than {n}");
        }
        let tiles = m.div_ceil(MR);
        let panels = n.div_ceil(NR);
        let job_in = Blocks {
            m,
            k,
            n,
            a,
            lda,
            c,
            ldc,
            panels: &self.panels,
            start,
        };
        if m < MR && k > ROWWISE_MAX_K {
            // Fewer rows than a tile: tiles of those rows and several panels (a tile of 8 rows
            // would spend most of its multiply-adds on rows that are not there). The threads take
            // blocks of panels.
            let threads = threads.clamp(1, panels.div_ceil(MR));
            let per = panels.div_ceil(threads);
            let job = |part: usize| {
                let range = (part * per).min(panels)..((part + 1) * per).min(panels);
                vectorized(
                    #[inline(always)]
                    || job_in.few_rows(range),
                )
            };
            if threads == 1 {
                job(0);
            } else {
                (0..threads).into_par_iter().for_each(job);
            }
            return;
        }
        // A tall product walks the tiles of A in the outer loop (each tile of C is written row by
        // row, and the threads take blocks of rows); a short one walks the panels of B outermost,
        // so that each panel is read once for all rows (the threads take blocks of columns).
        let tall = tiles > panels;
        let outer = if tall { tiles } else { panels };
        let threads = threads.clamp(1, outer);
        let per = outer.div_ceil(threads);
        let job = |part: usize| {
            let range = (part * per).min(outer)..((part + 1) * per).min(outer);
            vectorized(
                #[inline(always)]
                || {
                    for o in range {
                        if k <= ROWWISE_MAX_K {
                            job_in.rowwise(
                                if tall { o } else { 0 }..if tall { o + 1 } else { tiles },
                                if tall { 0..panels } else { o..o + 1 },
                            );
                        } else if tall {
                            for p in 0..panels {
                                job_in.one(o, p);
                            }
                        } else {
                            for t in 0..tiles {
                                job_in.one(t, o);
                            }
                        }
                    }
                },
            )
        };
        if threads == 1 {
            job(0);
        } else {
            (0..threads).into_par_iter().for_each(job);
        }
    }
}

/// The operands of one product, shared by the workers.
struct Blocks<'a, E> {
    m: usize,
    k: usize,
    n: usize,
    a: &'a [E],
    lda: usize,
    c: SendPtr<E>,
    ldc: usize,
    panels: &'a [PanelRow<E>],
    start: Start<'a, E>,
}

// SAFETY: `c` is only written through disjoint (tile, panel) blocks, one worker each (see `one`).
unsafe impl<E: Sync> Sync for Blocks<'_, E> {}

impl<E: Element> Blocks<'_, E> {
    /// Tile t of A times panel p of B, into its block of C (inlined into the vectorized loop).
    #[inline(always)]
    fn one(&self, t: usize, p: usize) {
        let (m, k, n, lda) = (self.m, self.k, self.n, self.lda);
        let j0 = p * NR;
        let width = NR.min(n - j0);
        let panel = &self.panels[p * k..(p + 1) * k];
        let rows = MR.min(m - t * MR);
        let mut init = [[E::zero(); NR]; MR];
        for (r, row) in init.iter_mut().enumerate().take(rows) {
            self.start_of(t * MR + r, j0, width, row);
        }
        // The rows of A of this tile (the last repeated past m: their results are not stored).
        let a_row = |r: usize| {
            let row = t * MR + r.min(rows - 1);
            &self.a[row * lda..row * lda + k]
        };
        // Written out, not `std::array::from_fn`: that is not always inlined here, and a call out
        // of the vectorized kernel costs a `vzeroupper` and a return per tile.
        let a_rows: [&[E]; MR] = [
            a_row(0),
            a_row(1),
            a_row(2),
            a_row(3),
            a_row(4),
            a_row(5),
            a_row(6),
            a_row(7),
        ];
        let [a0, a1, a2, a3, a4, a5, a6, a7] = a_rows;
        let (a0, a1, a2, a3) = (&a0[..k], &a1[..k], &a2[..k], &a3[..k]);
        let (a4, a5, a6, a7) = (&a4[..k], &a5[..k], &a6[..k], &a7[..k]);
        let column = |kk: usize| {
            [
                a0[kk], a1[kk], a2[kk], a3[kk], a4[kk], a5[kk], a6[kk], a7[kk],
            ]
        };
        let out = tile(k, column, |kk| &panel[kk].0, init);
        for (r, row) in out.iter().enumerate().take(rows) {
            self.write(t * MR + r, j0, width, row);
        }
    }

    /// Every row of C (fewer than MR) at panels `panels`, in tiles of 4, 2 or 1 rows and 2, 4 or 8
    /// panels: eight accumulators whatever the rows, each element the same multiply-add chain as in
    /// [`Blocks::one`].
    #[inline(always)]
    fn few_rows(&self, panels: std::ops::Range<usize>) {
        let mut i = 0;
        while i < self.m {
            match self.m - i {
                1 => self.wide::<1, 8>(i, panels.clone()),
                2 | 3 => self.wide::<2, 4>(i, panels.clone()),
                _ => self.wide::<4, 2>(i, panels.clone()),
            }
            i += match self.m - i {
                1 => 1,
                2 | 3 => 2,
                _ => 4,
            };
        }
    }

    /// Rows i0..i0+R of C at panels `panels`, P panels at a time (the last group repeats the last
    /// panel; the repeats are not stored).
    #[inline(always)]
    fn wide<const R: usize, const P: usize>(&self, i0: usize, panels: std::ops::Range<usize>) {
        let (k, n, lda) = (self.k, self.n, self.lda);
        let mut a = [&[][..]; R];
        for (r, row) in a.iter_mut().enumerate() {
            *row = &self.a[(i0 + r) * lda..(i0 + r) * lda + k];
        }
        let mut p = panels.start;
        while p < panels.end {
            let mut ps = [0; P];
            for (q, v) in ps.iter_mut().enumerate() {
                *v = (p + q).min(panels.end - 1);
            }
            // Accumulator j is row j / P at panel j % P (R·P = 8).
            let mut acc = [[E::zero(); NR]; MR];
            let mut pan = [&[][..]; P];
            for q in 0..P {
                let (j0, width) = (ps[q] * NR, NR.min(n - ps[q] * NR));
                for r in 0..R {
                    self.start_of(i0 + r, j0, width, &mut acc[r * P + q]);
                }
                pan[q] = &self.panels[ps[q] * k..(ps[q] + 1) * k];
            }
            let out = tile_rows_panels::<E, R, P>(k, &a, &pan, acc);
            for q in 0..P {
                if p + q < panels.end {
                    let (j0, width) = (ps[q] * NR, NR.min(n - ps[q] * NR));
                    for r in 0..R {
                        self.write(i0 + r, j0, width, &out[r * P + q]);
                    }
                }
            }
            p += P;
        }
    }

    /// The start values of row i of C at columns j0..j0+width, into the front of `into`.
    #[inline(always)]
    fn start_of(&self, i: usize, j0: usize, width: usize, into: &mut [E; NR]) {
        match self.start {
            Start::Row(bias) => copy_prefix(into, &bias[j0..j0 + width]),
            // SAFETY: inside C as asserted by `product`; C is initialized when accumulating (the
            // only start `multiply_uninit` does not allow), and this worker alone touches the block.
            Start::Accumulate => unsafe {
                let src = self.c.get().add(i * self.ldc + j0);
                if width == NR {
                    // A fixed-size move (inline loads, not a `memcpy` call).
                    *into = src.cast::<[E; NR]>().read();
                } else {
                    std::ptr::copy_nonoverlapping(src, into.as_mut_ptr(), width);
                }
            },
        }
    }

    /// Writes the first `width` values of `row` to row i of C from column j0, through the raw
    /// pointer: C may not be initialized yet (see [`PackedGemm::multiply_uninit`]).
    #[inline(always)]
    fn write(&self, i: usize, j0: usize, width: usize, row: &[E; NR]) {
        // SAFETY: inside C as asserted by `product`, and each block of C is written by exactly one
        // worker (the workers split the outer loop), while nothing else reads C until all are done.
        unsafe {
            let dst = self.c.get().add(i * self.ldc + j0);
            if width == NR {
                // A fixed-size move (inline stores, not a `memcpy` call).
                dst.cast::<[E; NR]>().write(*row);
            } else {
                std::ptr::copy_nonoverlapping(row.as_ptr(), dst, width);
            }
        }
    }

    /// Tiles `tiles` of A times panels `panels` of B, one row and one panel at a time (for a small
    /// k; the same multiply-add chain per element as [`Blocks::one`]).
    #[inline(always)]
    fn rowwise(&self, tiles: std::ops::Range<usize>, panels: std::ops::Range<usize>) {
        let (m, k, n, lda) = (self.m, self.k, self.n, self.lda);
        for i in tiles.start * MR..(tiles.end * MR).min(m) {
            let a_row = &self.a[i * lda..i * lda + k];
            for p in panels.clone() {
                let j0 = p * NR;
                let width = NR.min(n - j0);
                let mut acc = [E::zero(); NR];
                self.start_of(i, j0, width, &mut acc);
                let panel = &self.panels[p * k..(p + 1) * k];
                for (&x, w) in a_row.iter().zip(panel) {
                    axpy(x, &w.0, &mut acc);
                }
                self.write(i, j0, width, &acc);
            }
        }
    }
}

/// One register tile: `acc[r][j] += Σ_kk a(kk)[r]·w(kk)[j]` for kk in `0..k`, as fused
/// multiply-adds in kk order; `a(kk)` gives MR values of A (one per row of the tile), `w(kk)` NR
/// values of B (the tile's columns).
///
/// The rows are written out one by one (not as a loop over r) so that LLVM vectorizes along j.
#[inline(always)]
pub(crate) fn tile<'w, E: Element + 'w>(
    k: usize,
    a: impl Fn(usize) -> [E; MR],
    w: impl Fn(usize) -> &'w [E; NR],
    acc: [[E; NR]; MR],
) -> [[E; NR]; MR] {
    let [mut c0, mut c1, mut c2, mut c3, mut c4, mut c5, mut c6, mut c7] = acc;
    for kk in 0..k {
        let ([x0, x1, x2, x3, x4, x5, x6, x7], w) = (a(kk), w(kk));
        axpy(x0, w, &mut c0);
        axpy(x1, w, &mut c1);
        axpy(x2, w, &mut c2);
        axpy(x3, w, &mut c3);
        axpy(x4, w, &mut c4);
        axpy(x5, w, &mut c5);
        axpy(x6, w, &mut c6);
        axpy(x7, w, &mut c7);
    }
    [c0, c1, c2, c3, c4, c5, c6, c7]
}

/// A register tile of R rows of A and P panels of B (R·P = 8 accumulators, accumulator j for row
/// j / P and panel j % P): `acc[j] += Σ_kk a[j / P][kk]·panel[j % P][kk]` as fused multiply-adds in
/// kk order, written out like [`tile`] so that the accumulators stay in registers.
#[inline(always)]
fn tile_rows_panels<E: Element, const R: usize, const P: usize>(
    k: usize,
    a: &[&[E]; R],
    w: &[&[PanelRow<E>]; P],
    acc: [[E; NR]; MR],
) -> [[E; NR]; MR] {
    let a: [&[E]; R] = a.map(|row| &row[..k]);
    let w: [&[PanelRow<E>]; P] = w.map(|panel| &panel[..k]);
    let [mut c0, mut c1, mut c2, mut c3, mut c4, mut c5, mut c6, mut c7] = acc;
    for kk in 0..k {
        axpy(a[0][kk], &w[0][kk].0, &mut c0);
        axpy(a[1 / P][kk], &w[1 % P][kk].0, &mut c1);
        axpy(a[2 / P][kk], &w[2 % P][kk].0, &mut c2);
        axpy(a[3 / P][kk], &w[3 % P][kk].0, &mut c3);
        axpy(a[4 / P][kk], &w[4 % P][kk].0, &mut c4);
        axpy(a[5 / P][kk], &w[5 % P][kk].0, &mut c5);
        axpy(a[6 / P][kk], &w[6 % P][kk].0, &mut c6);
        axpy(a[7 / P][kk], &w[7 % P][kk].0, &mut c7);
    }
    [c0, c1, c2, c3, c4, c5, c6, c7]
}

/// `acc += x·w` as fused multiply-adds.
#[inline(always)]
fn axpy<E: Element>(x: E, w: &[E; NR], acc: &mut [E; NR]) {
    for (a, &w) in acc.iter_mut().zip(w) {
        *a = x.mul_add(w, *a);
    }
}

#[cfg(test)]
mod tests {
    use super::super::par_map::on_two_threads;
    use super::*;

    /// The product computed naively with the same multiply-add chain.
    fn naive(m: usize, k: usize, n: usize, a: &[f64], b: &[f64], c0: &[f64]) -> Vec<f64> {
        let mut c = c0.to_vec();
        for i in 0..m {
            for j in 0..n {
                for kk in 0..k {
                    c[i * n + j] = a[i * k + kk].mul_add(b[kk * n + j], c[i * n + j]);
                }
            }
        }
        c
    }

    /// `start + A·B` by a plain loop, with A's rows `lda` apart and C's `ldc` apart; C's gaps keep
    /// the values of `c0`.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        (m, k, n): (usize, usize, usize),
        a: &[f64],
        lda: usize,
        b: &[f64],
        c0: &[f64],
        ldc: usize,
        bias: Option<&[f64]>,
    ) -> Vec<f64> {
        let mut c = c0.to_vec();
        for i in 0..m {
            for j in 0..n {
                let mut acc = bias.map_or(c0[i * ldc + j], |b| b[j]);
                for kk in 0..k {
                    acc = a[i * lda + kk].mul_add(b[kk * n + j], acc);
                }
                c[i * ldc + j] = acc;
            }
        }
        c
    }

    /// Checks every entry point (multiply, multiply_serial, multiply_uninit) and both starts, on B
    /// packed from either layout, with A and C rows padded by `pad`.
    fn check(m: usize, k: usize, n: usize, pad: usize) {
        let (lda, ldc) = (k + pad, n + pad);
        let a_len = if m == 0 { 0 } else { (m - 1) * lda + k };
        let c_len = if m == 0 { 0 } else { (m - 1) * ldc + n };
        let a: Vec<f64> = (0..a_len).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 11) as f64 * 0.25).collect();
        let bt: Vec<f64> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let bias: Vec<f64> = (0..n).map(|j| j as f64 - 1.5).collect();
        let c0: Vec<f64> = (0..c_len).map(|i| (i % 4) as f64).collect();
        let dims = (m, k, n);
        let with_bias = reference(dims, &a, lda, &b, &c0, ldc, Some(&bias));
        let accumulated = reference(dims, &a, lda, &b, &c0, ldc, None);
        for (src, transposed) in [(&b, false), (&bt, true)] {
            let g = PackedGemm::new(src, k, n, transposed);
            let what = format!("[{m},{k},{n}] pad {pad} transposed {transposed}");
            let mut c = c0.clone();
            g.multiply(m, &a, lda, &mut c, ldc, Start::Accumulate);
            assert_eq!(c, accumulated, "multiply, accumulate, {what}");
            let mut c = c0.clone();
            g.multiply_serial(m, &a, lda, &mut c, ldc, Start::Row(&bias));
            assert_eq!(c, with_bias, "multiply_serial, bias, {what}");
            // Into uninitialized memory: only the m rows of n values are written, so a dense C
            // (pad 0) is then fully initialized.
            if pad == 0 {
                let mut c: Vec<f64> = Vec::with_capacity(c_len);
                g.multiply_uninit(m, &a, lda, &mut c.spare_capacity_mut()[..c_len], ldc, &bias);
                // SAFETY: with ldc = n the m rows of n values are the whole of `c_len`.
                unsafe { c.set_len(c_len) };
                assert_eq!(c, with_bias, "multiply_uninit, {what}");
            }
        }
    }

    #[test]
    fn miri_every_entry_point_matches_a_plain_loop_at_edge_sizes() {
        // k ≤ ROWWISE_MAX_K runs row by row; larger k in MR×NR register tiles. m around MR (a
        // partial tile repeats its last row of A), n around NR (a partial panel), tall (more
        // tiles than panels) and short products.
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 4, 5),
            (9, 2, 17),
            (MR, 5, NR),
            (MR + 1, 6, NR + 1),
            (2 * MR + 1, 5, 3),
            (2, 7, 2 * NR + 1),
        ] {
            for pad in [0, 3] {
                check(m, k, n, pad);
            }
        }
    }

    #[test]
    fn miri_few_rows_tiles_match_a_plain_loop() {
        // Fewer rows than a tile (1 to MR-1) past the row-by-row k: tiles of 4, 2 and 1 rows over
        // 2, 4 and 8 panels; n gives 1 narrow panel, 6 panels (a partial group, the last one
        // narrow) and 9.
        for m in 1..MR {
            for n in [3, 5 * NR + 3, 9 * NR] {
                check(m, ROWWISE_MAX_K + 2, n, 1);
            }
        }
    }

    // Past PAR_PACKED_MIN_WORK (too slow under Miri): the threads take blocks of panels.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn few_rows_across_threads_match_a_plain_loop() {
        let (m, k, n) = (3, 600, 40 * NR + 5);
        assert!(m * n * k >= PAR_PACKED_MIN_WORK);
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 11) as f64 * 0.25).collect();
        let c0: Vec<f64> = (0..m * n).map(|i| (i % 4) as f64).collect();
        let want = reference((m, k, n), &a, k, &b, &c0, n, None);
        let g = PackedGemm::new(&b, k, n, false);
        let mut c = c0.clone();
        on_two_threads(|| g.multiply(m, &a, k, &mut c, n, Start::Accumulate));
        assert_eq!(c, want);
    }

    #[test]
    fn miri_empty_dimensions_are_no_ops() {
        // k = 0: C = start (the panels are empty).
        check(3, 0, 5, 0);
        check(2, 0, NR + 1, 1);
        // m = 0 or n = 0: nothing is read or written.
        let g = PackedGemm::new(&[1.0f64; 6], 3, 2, false);
        g.multiply(0, &[], 3, &mut [], 2, Start::Accumulate);
        let g = PackedGemm::<f64>::new(&[], 3, 0, true);
        let mut c = vec![7.0; 4];
        g.multiply(2, &[1.0; 6], 3, &mut c, 2, Start::Accumulate);
        assert_eq!(c, [7.0; 4]);
    }

    #[test]
    fn miri_f32_tiles_match_a_plain_loop() {
        let (m, k, n) = (MR + 3, 9, NR + 5);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5) % 11) as f32 * 0.25).collect();
        let bias: Vec<f32> = (0..n).map(|j| j as f32).collect();
        let mut c = vec![0.0f32; m * n];
        PackedGemm::new(&b, k, n, false).multiply(m, &a, k, &mut c, n, Start::Row(&bias));
        for i in 0..m {
            for j in 0..n {
                let want =
                    (0..k).fold(bias[j], |acc, kk| a[i * k + kk].mul_add(b[kk * n + j], acc));
                assert_eq!(c[i * n + j], want, "({i},{j})");
            }
        }
    }

    // Under Miri packing the 1.3e5 values a split needs takes over six minutes, so this runs under
    // `cargo test` only (the packing writes through safe `par_chunks_exact_mut`).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn packing_across_threads_matches_packing_on_one() {
        // k·n ≥ PAR_PACK_MIN_LEN packs the panels across the threads, in pieces of at least
        // PAR_PACK_MIN_LEN values: twice that (and a partial panel) makes two pieces. A small k
        // keeps the check, one row of A, cheap.
        let k = ROWWISE_MAX_K;
        let n = 2 * PAR_PACK_MIN_LEN / k + 5;
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32).collect();
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let a: Vec<f32> = (0..k).map(|kk| (kk % 3) as f32 - 1.0).collect();
        let want: Vec<f32> = (0..n)
            .map(|j| (0..k).fold(0.0, |acc, kk| a[kk].mul_add(b[kk * n + j], acc)))
            .collect();
        on_two_threads(|| {
            for (src, transposed) in [(&b, false), (&bt, true)] {
                let g = PackedGemm::new(src, k, n, transposed);
                let mut c = vec![0.0f32; n];
                g.multiply(1, &a, k, &mut c, n, Start::Accumulate);
                assert_eq!(c, want, "transposed {transposed}");
            }
        });
    }

    #[test]
    fn miri_workers_write_disjoint_blocks_of_c_through_the_shared_pointer() {
        // `product` split over two workers of a two-thread pool at a size Miri can run (the public
        // entry points split only from PAR_PACKED_MIN_WORK multiply-adds): tall products split the
        // tiles of A (rows of C), short ones the panels of B (columns of C), each worker writing
        // its blocks through the one raw pointer to C; Miri checks the writes for data races.
        // Sizes: tall with a partial tile and panel; short; short with k in the row-by-row range.
        on_two_threads(|| {
            for &(m, k, n) in &[
                (3 * MR + 1, 5, NR + 3),
                (MR - 1, 6, 3 * NR + 2),
                (2, 3, 2 * NR),
            ] {
                for pad in [0, 2] {
                    let (lda, ldc) = (k + pad, n + pad);
                    let a: Vec<f64> = (0..(m - 1) * lda + k)
                        .map(|i| ((i * 7) % 13) as f64 - 6.0)
                        .collect();
                    let b: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 11) as f64 * 0.25).collect();
                    let bias: Vec<f64> = (0..n).map(|j| j as f64 - 1.5).collect();
                    let c0: Vec<f64> = (0..(m - 1) * ldc + n).map(|i| (i % 4) as f64).collect();
                    let g = PackedGemm::new(&b, k, n, false);
                    let dims = (m, k, n);
                    for bias_start in [false, true] {
                        let start = if bias_start {
                            Start::Row(&bias)
                        } else {
                            Start::Accumulate
                        };
                        let want =
                            reference(dims, &a, lda, &b, &c0, ldc, bias_start.then_some(&bias[..]));
                        let mut c = c0.clone();
                        let out = (SendPtr(c.as_mut_ptr()), c.len());
                        g.product(2, m, &a, lda, out, ldc, start);
                        assert_eq!(c, want, "[{m},{k},{n}] pad {pad} bias {bias_start}");
                    }
                    // Into uninitialized memory (dense C), as `multiply_uninit` on two workers.
                    if pad == 0 {
                        let len = m * n;
                        let mut c: Vec<f64> = Vec::with_capacity(len);
                        let spare = &mut c.spare_capacity_mut()[..len];
                        let out = (SendPtr(spare.as_mut_ptr().cast::<f64>()), len);
                        g.product(2, m, &a, lda, out, n, Start::Row(&bias));
                        // SAFETY: the product wrote all m rows of n values, the whole of `len`.
                        unsafe { c.set_len(len) };
                        let want = reference(dims, &a, lda, &b, &c0, ldc, Some(&bias));
                        assert_eq!(c, want, "uninit [{m},{k},{n}]");
                    }
                }
            }
        });
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn products_across_threads_match_a_plain_loop() {
        // m·n·k ≥ PAR_PACKED_MIN_WORK splits the product: by blocks of tiles (tall) or of panels.
        on_two_threads(|| {
            check(8 * MR + 3, 256, 4 * NR + 1, 0);
            check(3, 300, 80 * NR + 7, 2);
        });
    }

    // Too large for Miri (the `miri_*` tests cover the same paths at smaller sizes).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn matches_naive_for_odd_shapes_both_layouts_and_starts() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 7),
            (9, 17, 33),
            (20, 3, 16),
            (8, 40, 100),
            (40, 128, 260),
        ] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 11) as f64 * 0.25).collect();
            let bt: Vec<f64> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            let bias: Vec<f64> = (0..n).map(|j| j as f64).collect();
            let c0: Vec<f64> = (0..m * n).map(|i| (i % 4) as f64).collect();
            let rows: Vec<f64> = (0..m * n).map(|i| bias[i % n]).collect();
            for (src, transposed) in [(&b, false), (&bt, true)] {
                let g = PackedGemm::new(src, k, n, transposed);
                let mut c = c0.clone();
                g.multiply(m, &a, k, &mut c, n, Start::Accumulate);
                assert_eq!(c, naive(m, k, n, &a, &b, &c0));
                g.multiply(m, &a, k, &mut c, n, Start::Row(&bias));
                assert_eq!(c, naive(m, k, n, &a, &b, &rows));
            }
        }
    }

    #[test]
    fn strided_rows_leave_the_gaps_alone() {
        let (m, k, n) = (5, 4, 18);
        let a: Vec<f64> = (0..m * 2 * k).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i % 3) as f64).collect();
        let mut c = vec![-1.0; m * 2 * n];
        let g = PackedGemm::new(&b, k, n, false);
        g.multiply(m, &a, 2 * k, &mut c, 2 * n, Start::Row(&vec![0.0; n]));
        let dense_a: Vec<f64> = (0..m)
            .flat_map(|i| a[i * 2 * k..i * 2 * k + k].to_vec())
            .collect();
        let want = naive(m, k, n, &dense_a, &b, &vec![0.0; m * n]);
        for i in 0..m {
            assert_eq!(&c[i * 2 * n..i * 2 * n + n], &want[i * n..(i + 1) * n]);
            assert!(c[i * 2 * n + n..(i + 1) * 2 * n].iter().all(|&v| v == -1.0));
        }
    }
}
