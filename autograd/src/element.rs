//! The scalar types tensors hold: f32 for training, f64 for exact gradient checks.

use num_traits::{Float, FromPrimitive, ToPrimitive};
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// The dtype tag of an element type, as written in safetensors files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
}

impl DType {
    /// The safetensors name of this dtype ("F32" or "F64").
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "F32",
            DType::F64 => "F64",
        }
    }

    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

/// A floating-point element type: num-traits arithmetic plus the GEMM entry point.
pub trait Element:
    Float
    + FromPrimitive
    + ToPrimitive
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// The dtype tag of this element type.
    const DTYPE: DType;

    /// Converts an f64 constant to this type (rounding for f32).
    fn of(x: f64) -> Self;

    /// `C = alpha·A·B + beta·C` on strided row/column layouts (matrixmultiply's sgemm/dgemm).
    ///
    /// # Safety
    /// The pointers and strides must describe valid `m×k`, `k×n` and `m×n` matrices, and `c` must not
    /// alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );

    /// `tanh x`: exact for f64; for f32 a branch-free rational approximation within 4e-7 (about
    /// 3 ulp), several times faster than libm and vectorizable.
    fn fast_tanh(self) -> Self;

    /// The logistic sigmoid `1/(1+e⁻ˣ)`: exact for f64; for f32 `0.5 + 0.5·tanh(x/2)` with
    /// [`Element::fast_tanh`], within 3e-7.
    fn fast_sigmoid(self) -> Self;

    /// Decodes one element from little-endian bytes (exactly `DTYPE.size()` of them).
    fn from_le_slice(bytes: &[u8]) -> Self;

    /// Appends the little-endian bytes of this element.
    fn write_le(self, out: &mut Vec<u8>);
}

/// tanh(x) ≈ x·P(x²)/Q(x²) on x clamped to ±7.9053 (beyond it tanh rounds to ±1 in f32); the
/// minimax coefficients are the ones Eigen uses for its float tanh.
#[inline(always)]
fn rational_tanh_f32(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619_3e-4,
        1.485_722_4e-5,
        5.122_297e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_5e-16,
    ];
    const B: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let p = x
        * (A[0] + x2 * (A[1] + x2 * (A[2] + x2 * (A[3] + x2 * (A[4] + x2 * (A[5] + x2 * A[6]))))));
    let q = B[0] + x2 * (B[1] + x2 * (B[2] + x2 * B[3]));
    p / q
}

macro_rules! impl_element {
    ($t:ty, $dtype:expr, $gemm:path, $tanh:path, $sigmoid:path) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;

            #[inline]
            fn of(x: f64) -> Self {
                x as $t
            }

            #[inline]
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: forwarded under the caller's contract.
                unsafe { $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
            }

            #[inline(always)]
            fn fast_tanh(self) -> Self {
                $tanh(self)
            }

            #[inline(always)]
            fn fast_sigmoid(self) -> Self {
                $sigmoid(self)
            }

            #[inline]
            fn from_le_slice(bytes: &[u8]) -> Self {
                let mut raw = [0u8; std::mem::size_of::<$t>()];
                raw.copy_from_slice(bytes);
                <$t>::from_le_bytes(raw)
            }

            #[inline]
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}

/// σ(x) = ½ + ½·tanh(x/2) with the rational tanh.
#[inline(always)]
fn rational_sigmoid_f32(x: f32) -> f32 {
    0.5 + 0.5 * rational_tanh_f32(0.5 * x)
}

/// σ(x) computed without overflow for either sign of x.
#[inline(always)]
fn exact_sigmoid_f64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl_element!(
    f32,
    DType::F32,
    matrixmultiply::sgemm,
    rational_tanh_f32,
    rational_sigmoid_f32
);
impl_element!(
    f64,
    DType::F64,
    matrixmultiply::dgemm,
    f64::tanh,
    exact_sigmoid_f64
);

#[cfg(test)]
mod tests {
    use super::*;

    /// An `rows×cols` matrix stored at `(i, j) ↦ i·rs + j·cs` in a buffer of `len` values, filled
    /// with small integers (so every product and sum below is exact in f32) and NaN in the gaps.
    fn strided<E: Element>(rows: usize, cols: usize, rs: usize, cs: usize, seed: usize) -> Vec<E> {
        let len = if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        };
        let mut buf = vec![E::nan(); len];
        for i in 0..rows {
            for j in 0..cols {
                buf[i * rs + j * cs] = E::of(((i * 7 + j * 3 + seed) % 9) as f64 - 4.0);
            }
        }
        buf
    }

    /// `C = alpha·A·B + beta·C` through `Element::gemm` on every pair of row-/column-major layouts
    /// (with padded strides), against a plain triple loop.
    fn check_gemm<E: Element>(m: usize, k: usize, n: usize) {
        let (alpha, beta) = (E::of(2.0), E::of(-0.5));
        // (row stride, column stride) of A, B and C: row-major, column-major, padded row-major.
        let layouts = |rows: usize, cols: usize| [(cols, 1), (1, rows), (cols + 3, 1)];
        for (ai, &(rsa, csa)) in layouts(m, k).iter().enumerate() {
            for (bi, &(rsb, csb)) in layouts(k, n).iter().enumerate() {
                let (rsc, csc) = layouts(m, n)[(ai + bi) % 3];
                let a = strided::<E>(m, k, rsa, csa, 1);
                let b = strided::<E>(k, n, rsb, csb, 2);
                let mut c = strided::<E>(m, n, rsc, csc, 3);
                let c0 = c.clone();
                // SAFETY: the buffers hold exactly the matrices their strides describe, and C is
                // its own allocation.
                unsafe {
                    E::gemm(
                        m,
                        k,
                        n,
                        alpha,
                        a.as_ptr(),
                        rsa as isize,
                        csa as isize,
                        b.as_ptr(),
                        rsb as isize,
                        csb as isize,
                        beta,
                        c.as_mut_ptr(),
                        rsc as isize,
                        csc as isize,
                    );
                }
                for i in 0..m {
                    for j in 0..n {
                        let mut dot = E::zero();
                        for kk in 0..k {
                            dot += a[i * rsa + kk * csa] * b[kk * rsb + j * csb];
                        }
                        let at = i * rsc + j * csc;
                        let want = alpha * dot + beta * c0[at];
                        assert_eq!(c[at], want, "[{m},{k},{n}] layouts {ai},{bi} at ({i},{j})");
                    }
                }
                // The gaps of a padded C are not written.
                for (at, v) in c.iter().enumerate() {
                    if c0[at].is_nan() {
                        assert!(v.is_nan(), "[{m},{k},{n}] wrote the gap at {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn miri_gemm_matches_a_triple_loop_on_strided_layouts_f32_and_f64() {
        // One value, and a size one over matrixmultiply's register tiles (f32: 8×4 fallback, 8×8
        // AVX/FMA; f64: 4×4 fallback, 8×4 AVX/FMA), so every kernel ends on partial tiles. The
        // full sweep of sizes 1..=9 is `gemm_matches_a_triple_loop_for_every_size_up_to_nine`.
        for &(m, k, n) in &[(1, 1, 1), (9, 5, 9)] {
            check_gemm::<f32>(m, k, n);
            check_gemm::<f64>(m, k, n);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn gemm_matches_a_triple_loop_for_every_size_up_to_nine() {
        for m in 1..=9 {
            for k in 1..=9 {
                for n in 1..=9 {
                    check_gemm::<f32>(m, k, n);
                    check_gemm::<f64>(m, k, n);
                }
            }
        }
    }

    #[test]
    fn miri_le_bytes_round_trip() {
        let mut out = Vec::new();
        for x in [0.0f32, -1.5, f32::MAX, f32::MIN_POSITIVE] {
            x.write_le(&mut out);
        }
        for (i, x) in [0.0f32, -1.5, f32::MAX, f32::MIN_POSITIVE]
            .into_iter()
            .enumerate()
        {
            assert_eq!(f32::from_le_slice(&out[4 * i..4 * i + 4]), x);
        }
        let mut out = Vec::new();
        (-2.25f64).write_le(&mut out);
        assert_eq!(f64::from_le_slice(&out), -2.25);
    }
}
