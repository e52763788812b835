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
