//! The GEMM wrapper: transposes as strides (never copies), both cores on large products.

use crate::element::Element;
use crate::simd::vectorized;
use crate::tensor::packed::{tile, MR, NR};
use rayon::prelude::*;

/// Products below this many floating-point operations run on one thread.
pub const PAR_GEMM_MIN_FLOPS: usize = 1 << 20;

/// `Aᵀ·B` with at most this many columns runs as rank-one updates ([`narrow_tn`]): matrixmultiply
/// pads n to its kernel width, and packs the tall A, which costs more than the product.
const NARROW_N: usize = 8;
/// `Aᵀ·B` with at most this many columns (and m a multiple of MR, n of NR) runs as register tiles
/// reading both operands in place ([`tn_tiles`]): the weight gradient of a recurrent layer with a
/// small H, where matrixmultiply would first pack the tall, transposed A.
const TILED_TN_MAX_N: usize = 64;
/// Rows of A and B per block of [`narrow_tn`] and [`tn_tiles`]: blocks are summed alone (across
/// threads when there are several), then added up in order, so the bits do not depend on the
/// thread count.
const NARROW_ROWS_PER_BLOCK: usize = 256;

/// A raw pointer to an output matrix that may cross to a rayon worker: each worker writes a
/// disjoint block of it (the GEMMs here and in `packed.rs`).
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<E>(pub(crate) *mut E);
// SAFETY: only used for disjoint row/column blocks of one output matrix (`gemm`,
// `PackedGemm::product`), each written by one worker.
unsafe impl<E> Send for SendPtr<E> {}
// SAFETY: as above.
unsafe impl<E> Sync for SendPtr<E> {}

impl<E> SendPtr<E> {
    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    pub(crate) fn get(self) -> *mut E {
        self.0
    }
}

/// The shape and layout of one product `C[m,n] = alpha·op(A)·op(B) + beta·C`.
#[derive(Clone, Copy, Debug)]
pub struct Gemm {
    /// Rows of `op(A)` and of `C`.
    pub m: usize,
    /// Columns of `op(A)`, rows of `op(B)`.
    pub k: usize,
    /// Columns of `op(B)` and of `C`.
    pub n: usize,
    /// `A` is stored as `[k, m]` (row-major) and used transposed.
    pub ta: bool,
    /// `B` is stored as `[n, k]` (row-major) and used transposed.
    pub tb: bool,
}

/// Computes `C = alpha·op(A)·op(B) + beta·C` for row-major buffers; `C` is `[m, n]`.
///
/// Large products are split into one block of C per rayon thread (rows, or columns when C is wide),
/// each a single-threaded matrixmultiply call, so the two cores share one pool and never nest.
pub fn gemm<E: Element>(g: Gemm, alpha: E, a: &[E], b: &[E], beta: E, c: &mut [E]) {
    let lda = if g.ta { g.m } else { g.k };
    let ldb = if g.tb { g.k } else { g.n };
    gemm_ld(g, alpha, a, lda, b, ldb, beta, c);
}

/// [`gemm`] with the stored rows of A `lda` apart and those of B `ldb` apart (a row of a wider
/// matrix, such as the h part of an LSTM's `[h, c]` states); C is `[m, n]`, dense.
#[allow(clippy::too_many_arguments)]
pub fn gemm_ld<E: Element>(
    g: Gemm,
    alpha: E,
    a: &[E],
    lda: usize,
    b: &[E],
    ldb: usize,
    beta: E,
    c: &mut [E],
) {
    let Gemm { m, k, n, ta, tb } = g;
    if m == 0 || n == 0 {
        return;
    }
    // Stored shapes: A is [k, m] when transposed, else [m, k]; B is [n, k] when transposed, else [k, n].
    let fits = |buf: &[E], rows: usize, cols: usize, ld: usize| {
        ld >= cols && (rows == 0 || cols == 0 || buf.len() >= (rows - 1) * ld + cols)
    };
    let (a_rows, a_cols) = if ta { (k, m) } else { (m, k) };
    let (b_rows, b_cols) = if tb { (n, k) } else { (k, n) };
    assert!(
        fits(a, a_rows, a_cols, lda) && fits(b, b_rows, b_cols, ldb) && c.len() >= m * n,
        "gemm: buffers too small for [{m},{k}]x[{k},{n}] (lda {lda}, ldb {ldb})"
    );
    if k == 0 {
        for v in &mut c[..m * n] {
            *v = if beta == E::zero() {
                E::zero()
            } else {
                beta * *v
            };
        }
        return;
    }
    let (rsa, csa) = if ta {
        (1, lda as isize)
    } else {
        (lda as isize, 1)
    };
    let (rsb, csb) = if tb {
        (1, ldb as isize)
    } else {
        (ldb as isize, 1)
    };
    let threads = rayon::current_num_threads();
    let flops = 2 * m * n * k;
    // A and B are captured as slices (shared, `Sync`) and turned into pointers inside each worker,
    // so the pointers keep the slices' provenance: a round trip through `usize` would be an
    // integer-to-pointer cast, which Miri (and the strict provenance model) cannot check.
    let cp = SendPtr(c.as_mut_ptr());
    let run = |r0: usize, r1: usize, c0: usize, c1: usize| {
        // SAFETY: the block [r0,r1)×[c0,c1) lies inside A, B and C as asserted above (so both
        // offsets stay inside their slices), and the blocks given to different workers are
        // disjoint; A and B are only read.
        unsafe {
            let a0 = a.as_ptr().offset(r0 as isize * rsa);
            let b0 = b.as_ptr().offset(c0 as isize * csb);
            let c00 = cp.get().add(r0 * n + c0);
            E::gemm(
                r1 - r0,
                k,
                c1 - c0,
                alpha,
                a0,
                rsa,
                csa,
                b0,
                rsb,
                csb,
                beta,
                c00,
                n as isize,
                1,
            );
        }
    };
    if ta && !tb && n <= NARROW_N {
        narrow_tn(m, k, n, alpha, (a, lda), (b, ldb), beta, c);
        return;
    }
    if ta && !tb && n <= TILED_TN_MAX_N && m % MR == 0 && n % NR == 0 {
        tn_tiles(m, k, n, alpha, (a, lda), (b, ldb), beta, c);
        return;
    }
    if threads < 2 || flops < PAR_GEMM_MIN_FLOPS {
        run(0, m, 0, n);
        return;
    }
    if m >= n || m >= 64 * threads {
        let step = m.div_ceil(threads);
        (0..threads).into_par_iter().for_each(|t| {
            let r0 = (t * step).min(m);
            let r1 = ((t + 1) * step).min(m);
            if r0 < r1 {
                run(r0, r1, 0, n);
            }
        });
    } else {
        // Keep column blocks a multiple of 16 so each stays aligned with the kernel's panels.
        let step = n.div_ceil(threads).div_ceil(16) * 16;
        (0..threads).into_par_iter().for_each(|t| {
            let c0 = (t * step).min(n);
            let c1 = ((t + 1) * step).min(n);
            if c0 < c1 {
                run(0, m, c0, c1);
            }
        });
    }
}

/// `C = alpha·Aᵀ·B + beta·C` for A stored `[k, m]` and a narrow B `[k, n]`: for each row kk,
/// column j of C gains `B[kk][j]·A[kk]`, a vector of m (the gradient of a linear layer's weight with
/// few inputs, where kk runs over the batch).
#[allow(clippy::too_many_arguments)]
fn narrow_tn<E: Element>(
    m: usize,
    k: usize,
    n: usize,
    alpha: E,
    (a, lda): (&[E], usize),
    (b, ldb): (&[E], usize),
    beta: E,
    c: &mut [E],
) {
    // Cᵀ `[n, m]` of the rows `kk0..kk1`.
    let block = |kk0: usize| {
        let kk1 = (kk0 + NARROW_ROWS_PER_BLOCK).min(k);
        let mut acc = vec![E::zero(); n * m];
        vectorized(
            #[inline(always)]
            || {
                for kk in kk0..kk1 {
                    let a_row = &a[kk * lda..kk * lda + m];
                    for (j, col) in acc.chunks_exact_mut(m).enumerate() {
                        let bj = b[kk * ldb + j];
                        for (acc, &x) in col.iter_mut().zip(a_row) {
                            *acc += bj * x;
                        }
                    }
                }
            },
        );
        acc
    };
    let total = sum_of_blocks(k, 2 * m * n * k, block);
    scale_into(m, n, alpha, |i, j| total[j * m + i], beta, c);
}

/// `C = alpha·Aᵀ·B + beta·C` for A stored `[k, m]` and B `[k, n]`, m a multiple of MR and n of
/// NR: each MR×NR register tile reads MR consecutive values of A's row kk and NR of B's row kk
/// where they lie, for every kk of a block of rows.
#[allow(clippy::too_many_arguments)]
fn tn_tiles<E: Element>(
    m: usize,
    k: usize,
    n: usize,
    alpha: E,
    (a, lda): (&[E], usize),
    (b, ldb): (&[E], usize),
    beta: E,
    c: &mut [E],
) {
    // C `[m, n]` of the rows `kk0..kk1`.
    let block = |kk0: usize| {
        let rows = NARROW_ROWS_PER_BLOCK.min(k - kk0);
        let mut part = vec![E::zero(); m * n];
        vectorized(
            #[inline(always)]
            || {
                for i0 in (0..m).step_by(MR) {
                    for j0 in (0..n).step_by(NR) {
                        let column = |kk: usize| -> [E; MR] {
                            let at = (kk0 + kk) * lda + i0;
                            a[at..at + MR].try_into().expect("MR values")
                        };
                        let row = |kk: usize| -> &[E; NR] {
                            let at = (kk0 + kk) * ldb + j0;
                            b[at..at + NR].try_into().expect("NR values")
                        };
                        let out = tile(rows, column, row, [[E::zero(); NR]; MR]);
                        for (r, values) in out.iter().enumerate() {
                            let at = (i0 + r) * n + j0;
                            part[at..at + NR].copy_from_slice(values);
                        }
                    }
                }
            },
        );
        part
    };
    let total = sum_of_blocks(k, 2 * m * n * k, block);
    scale_into(m, n, alpha, |i, j| total[i * n + j], beta, c);
}

/// The sum of `block(kk0)` over the blocks of rows `kk0 = 0, NARROW_ROWS_PER_BLOCK, …` below k,
/// added in that order; the blocks run across the rayon threads for products of many `flops`.
fn sum_of_blocks<E: Element>(
    k: usize,
    flops: usize,
    block: impl Fn(usize) -> Vec<E> + Sync + Send,
) -> Vec<E> {
    let starts: Vec<usize> = (0..k).step_by(NARROW_ROWS_PER_BLOCK).collect();
    let partials: Vec<Vec<E>> = if rayon::current_num_threads() > 1 && flops >= PAR_GEMM_MIN_FLOPS {
        starts.into_par_iter().map(block).collect()
    } else {
        starts.into_iter().map(block).collect()
    };
    let mut partials = partials.into_iter();
    let mut total = partials.next().unwrap_or_default();
    for p in partials {
        for (t, &v) in total.iter_mut().zip(&p) {
            *t += v;
        }
    }
    total
}

/// `C[i][j] = alpha·product(i, j) + beta·C[i][j]` for C `[m, n]` (C not read when beta is 0).
fn scale_into<E: Element>(
    m: usize,
    n: usize,
    alpha: E,
    product: impl Fn(usize, usize) -> E,
    beta: E,
    c: &mut [E],
) {
    for i in 0..m {
        for j in 0..n {
            let v = alpha * product(i, j);
            let out = &mut c[i * n + j];
            *out = if beta == E::zero() {
                v
            } else {
                v + beta * *out
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::par_map::on_two_threads;
    use super::*;

    /// A buffer of `len` small integers (exact in any order of summation).
    fn ints(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 7 + seed) % 11) as f64 - 5.0)
            .collect()
    }

    /// `alpha·op(A)·op(B) + beta·C0` by a plain triple loop, reading A and B with row pitches
    /// `lda` and `ldb` as [`gemm_ld`] does.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        g: Gemm,
        alpha: f64,
        a: &[f64],
        lda: usize,
        b: &[f64],
        ldb: usize,
        beta: f64,
        c0: &[f64],
    ) -> Vec<f64> {
        let Gemm { m, k, n, ta, tb } = g;
        let mut c = c0.to_vec();
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k)
                    .map(|kk| {
                        let x = if ta { a[kk * lda + i] } else { a[i * lda + kk] };
                        let y = if tb { b[j * ldb + kk] } else { b[kk * ldb + j] };
                        x * y
                    })
                    .sum();
                let prev = if beta == 0.0 {
                    0.0
                } else {
                    beta * c0[i * n + j]
                };
                c[i * n + j] = alpha * dot + prev;
            }
        }
        c
    }

    /// Runs [`gemm_ld`] on integer operands with `pad` extra values per stored row, and checks
    /// it against [`reference`], for `beta` 0 (C starts as NaN: never read) and 0.5.
    fn check(g: Gemm, pad: usize) {
        let Gemm { m, k, n, ta, tb } = g;
        let (a_rows, a_cols) = if ta { (k, m) } else { (m, k) };
        let (b_rows, b_cols) = if tb { (n, k) } else { (k, n) };
        let (lda, ldb) = (a_cols + pad, b_cols + pad);
        // The last stored row is not padded: gemm_ld must not read past its last value.
        let a = ints((a_rows.max(1) - 1) * lda + a_cols, 1);
        let b = ints((b_rows.max(1) - 1) * ldb + b_cols, 2);
        for beta in [0.0, 0.5] {
            let c0 = if beta == 0.0 {
                vec![f64::NAN; m * n]
            } else {
                ints(m * n, 3)
            };
            let mut c = c0.clone();
            gemm_ld(g, 2.0, &a, lda, &b, ldb, beta, &mut c);
            let want = reference(g, 2.0, &a, lda, &b, ldb, beta, &c0);
            assert_eq!(c, want, "{g:?} pad {pad} beta {beta}");
        }
    }

    fn shape(m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Gemm {
        Gemm { m, k, n, ta, tb }
    }

    #[test]
    fn miri_every_layout_and_path_matches_a_triple_loop_at_odd_sizes() {
        // Every transpose combination at sizes around the kernels' edge tiles, dense and with
        // padded rows (the matrixmultiply path, and `narrow_tn` for Aᵀ·B with n ≤ 8).
        for &(m, k, n) in &[(1, 1, 1), (3, 2, 5), (9, 7, 2), (5, 9, 9), (8, 3, 17)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                for pad in [0, 2] {
                    check(shape(m, k, n, ta, tb), pad);
                }
            }
        }
        // Register tiles (`tn_tiles`): m a multiple of MR, n of NR, both at their smallest and
        // one tile more, with k odd.
        for &(m, n) in &[(MR, NR), (2 * MR, 2 * NR)] {
            check(shape(m, 3, n, true, false), 0);
            check(shape(m, 5, n, true, false), 1);
        }
        // Aᵀ·B one tile over its tiled shape (n = NR + 1) goes to matrixmultiply.
        check(shape(MR, 4, NR + 1, true, false), 1);
    }

    #[test]
    fn miri_empty_products_touch_nothing_or_only_scale() {
        // m or n zero: C is empty and nothing is read.
        for g in [shape(0, 3, 4, false, false), shape(4, 3, 0, true, true)] {
            let mut c: Vec<f64> = Vec::new();
            gemm(g, 1.0, &ints(12, 0), &ints(12, 1), 0.0, &mut c);
        }
        // k zero: C = beta·C, or zeros (not NaN) when beta is 0.
        let g = shape(3, 0, 5, false, false);
        let mut c = vec![f64::NAN; 15];
        gemm(g, 1.0, &[], &[], 0.0, &mut c);
        assert!(c.iter().all(|&v| v == 0.0));
        let mut c = ints(15, 4);
        gemm(g, 1.0, &[], &[], 0.5, &mut c);
        assert_eq!(c, ints(15, 4).iter().map(|v| 0.5 * v).collect::<Vec<_>>());
    }

    #[test]
    fn miri_tiles_sum_several_row_blocks() {
        // k over one block of rows: the per-block partial sums are added in order.
        check(shape(MR, NARROW_ROWS_PER_BLOCK + 3, NR, true, false), 0);
        check(shape(3, NARROW_ROWS_PER_BLOCK + 1, 2, true, false), 1);
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn parallel_blocks_of_rows_and_of_columns_match_a_triple_loop() {
        // About 2^20 multiply-adds each, the least that splits across threads: blocks of rows
        // (m ≥ n), of columns (a wide C), and of the summed rows of a narrow Aᵀ·B.
        on_two_threads(|| {
            check(shape(130, 128, 65, false, true), 1);
            check(shape(33, 124, 257, false, false), 0);
            check(shape(520, 257, 8, true, false), 0);
            check(shape(64, 260, 64, true, false), 0);
        });
    }

    // Too large for Miri (the `miri_*` tests cover the same paths at smaller sizes).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn transposed_products_scale_and_accumulate_on_every_path() {
        // Rank-one updates (n ≤ 8), register tiles (n a multiple of 16 up to 64, m of 8), and
        // matrixmultiply (the rest); k spans several blocks of rows, one of them partial.
        for (m, k, n) in [
            (7, 600, 3),
            (16, 600, 32),
            (24, 300, 48),
            (8, 257, 64),
            (8, 300, 20),
        ] {
            let a: Vec<f64> = (0..k * m).map(|i| ((i * 5) % 9) as f64 - 4.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 3) % 7) as f64 * 0.5).collect();
            let c0: Vec<f64> = (0..m * n).map(|i| i as f64).collect();
            let mut c = c0.clone();
            let g = Gemm {
                m,
                k,
                n,
                ta: true,
                tb: false,
            };
            gemm(g, 2.0, &a, &b, 0.5, &mut c);
            for i in 0..m {
                for j in 0..n {
                    let dot: f64 = (0..k).map(|kk| a[kk * m + i] * b[kk * n + j]).sum();
                    let want = 2.0 * dot + 0.5 * c0[i * n + j];
                    assert_eq!(c[i * n + j], want, "[{m},{k},{n}] at ({i},{j})");
                }
            }
        }
    }
}
