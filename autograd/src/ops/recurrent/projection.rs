//! The projection of an LSTM's hidden state (`nn.LSTM(proj_size=P)`, an LSTMP): h_t = W_hr·r_t
//! with r_t = o_t ⊙ tanh c_t, forward and backward side by side.
//!
//! Per step the forward projects a block's rows r `[rows, H]` onto h `[rows, P]`, one GEMM; the
//! backward takes dh `[rows, P]` back to dr = dh·W_hr `[rows, H]` before the gate math, one GEMM;
//! the weight's gradient dW_hr = Σ_t dh_tᵀ·r_t is a single GEMM over every row and step at the end.

use crate::element::Element;
use crate::tensor::{gemm, Gemm, PackedGemm, Start};

/// W_hr `[P, H]` packed for one direction of the per-step product, with the zero row it starts
/// from.
pub(super) struct Projection<E> {
    packed: PackedGemm<E>,
    zeros: Vec<E>,
}

impl<E: Element> Projection<E> {
    /// The forward's product h = r·W_hrᵀ, `[rows, H]` → `[rows, P]`.
    pub(super) fn forward(w_hr: &[E], p: usize, h: usize) -> Self {
        Self::packed(PackedGemm::new(w_hr, h, p, true), p)
    }

    /// The backward's product dr = dh·W_hr, `[rows, P]` → `[rows, H]`.
    pub(super) fn backward(w_hr: &[E], p: usize, h: usize) -> Self {
        Self::packed(PackedGemm::new(w_hr, p, h, false), h)
    }

    fn packed(packed: PackedGemm<E>, n: usize) -> Self {
        Projection {
            packed,
            zeros: vec![E::zero(); n],
        }
    }

    /// `out` `[rows, n]` (dense) = `a` `[rows, k]` (rows `lda` apart) times the packed weight, on
    /// the calling thread.
    #[inline]
    pub(super) fn apply(&self, rows: usize, a: &[E], lda: usize, out: &mut [E]) {
        let n = self.zeros.len();
        let zeros = Start::Row(&self.zeros);
        self.packed.multiply_serial(rows, a, lda, out, n, zeros);
    }
}

/// dW_hr `[P, H]` = Σ over every row and step of dhᵀ·r, from `dh` `[B·T, P]` (zeros at padded
/// steps) and `r` `[B·T, H]`.
pub(super) fn weight_grad<E: Element>(dh: &[E], r: &[E], p: usize, h: usize) -> Vec<E> {
    let rows = r.len() / h;
    let mut dw = vec![E::zero(); p * h];
    let product = Gemm {
        m: p,
        k: rows,
        n: h,
        ta: true,
        tb: false,
    };
    gemm(product, E::one(), dh, r, E::zero(), &mut dw);
    dw
}
