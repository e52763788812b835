//! Layer normalization over the last axis, with optional affine weight and bias.

use crate::element::Element;
use crate::op::Op;
use crate::ops::same_tape;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::Tensor;

impl<'t, E: Element> Var<'t, E> {
    /// `(x − mean)/√(var + eps) ⊙ weight + bias` over the last axis (biased variance, as PyTorch).
    pub fn layer_norm(
        self,
        weight: Option<Var<'t, E>>,
        bias: Option<Var<'t, E>>,
        eps: f64,
    ) -> Var<'t, E> {
        let x = self.value();
        let n = *x.shape().last().expect("layer_norm: scalar input");
        for (what, p) in [("weight", weight), ("bias", bias)] {
            if let Some(p) = p {
                same_tape("layer_norm", &[self, p]);
                assert!(
                    p.shape() == [n],
                    "layer_norm: {what} of shape {:?} for input {:?}",
                    p.shape(),
                    x.shape()
                );
            }
        }
        let rows = x.numel() / n;
        let (wv, bv) = (weight.map(|w| w.value()), bias.map(|b| b.value()));
        let mut xhat = vec![E::zero(); x.numel()];
        let mut rstd = vec![E::zero(); rows];
        let mut y = vec![E::zero(); x.numel()];
        for r in 0..rows {
            let span = r * n..(r + 1) * n;
            rstd[r] = normalize(&x.data()[span.clone()], E::of(eps), &mut xhat[span.clone()]);
            for j in 0..n {
                let w = wv.as_ref().map_or(E::one(), |w| w.data()[j]);
                let b = bv.as_ref().map_or(E::zero(), |b| b.data()[j]);
                y[r * n + j] = xhat[r * n + j] * w + b;
            }
        }
        self.push(
            Tensor::new(x.shape(), y),
            Op::LayerNorm {
                x: self.id(),
                weight: weight.map(|w| w.id()),
                bias: bias.map(|b| b.id()),
                xhat: Tensor::new(x.shape(), xhat),
                rstd: Tensor::new(&[rows], rstd),
            },
        )
    }
}

/// dx = [`normalize_backward`] of ĝ = g⊙weight; dweight = Σ g⊙x̂; dbias = Σ g.
pub(crate) fn layer_norm_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    x: NodeId,
    weight: Option<NodeId>,
    bias: Option<NodeId>,
    xhat: &Tensor<E>,
    rstd: &Tensor<E>,
) {
    let n = *xhat.shape().last().expect("layer_norm: scalar input");
    let rows = rstd.numel();
    ctx.give(x, |c| {
        let w = weight.map(|w| c.value(w).clone());
        let (g, h) = (c.grad.data(), xhat.data());
        let mut out = vec![E::zero(); g.len()];
        let mut gh = vec![E::zero(); n];
        for r in 0..rows {
            let span = r * n..(r + 1) * n;
            for (j, v) in gh.iter_mut().enumerate() {
                *v = g[r * n + j] * w.as_ref().map_or(E::one(), |w| w.data()[j]);
            }
            normalize_backward(&gh, &h[span.clone()], rstd.data()[r], &mut out[span]);
        }
        Tensor::new(xhat.shape(), out)
    });
    if let Some(w) = weight {
        ctx.give(w, |c| {
            c.grad
                .zip_same(xhat, |g, h| g * h)
                .reshape(&[rows, n])
                .sum_axis(0, false)
        });
    }
    if let Some(b) = bias {
        ctx.give(b, |c| c.grad.reshape(&[rows, n]).sum_axis(0, false));
    }
}

/// Normalizes `x` to mean 0 and variance 1 (biased, with `eps` added) into `xhat`; returns
/// 1/√(var + eps).
#[inline(always)]
pub(crate) fn normalize<E: Element>(x: &[E], eps: E, xhat: &mut [E]) -> E {
    let inv_n = E::one() / E::of(x.len() as f64);
    let mean = lane_sum(x, |v| v) * inv_n;
    let var = lane_sum(x, |v| (v - mean) * (v - mean)) * inv_n;
    let rstd = E::one() / (var + eps).sqrt();
    for (h, &v) in xhat.iter_mut().zip(x) {
        *h = (v - mean) * rstd;
    }
    rstd
}

/// The gradient w.r.t. the input of [`normalize`], from `g` = the gradient w.r.t. `xhat`:
/// `rstd·(g − mean(g) − xhat·mean(g⊙xhat))`, written to `dx`.
#[inline(always)]
pub(crate) fn normalize_backward<E: Element>(g: &[E], xhat: &[E], rstd: E, dx: &mut [E]) {
    let inv_n = E::one() / E::of(g.len() as f64);
    let mean_g = lane_sum(g, |v| v) * inv_n;
    let mean_gh = lane_dot(g, xhat) * inv_n;
    for ((d, &gj), &hj) in dx.iter_mut().zip(g).zip(xhat) {
        *d = rstd * (gj - mean_g - hj * mean_gh);
    }
}

/// Independent running sums of [`lane_sum`] and [`lane_dot`]: enough for the vector unit to add
/// one register of them per cycle instead of one value at a time.
const LANES: usize = 16;

/// Σ f(x) in a fixed order (so the same bits on every run): [`LANES`] running sums over
/// consecutive elements, then added pairwise.
#[inline(always)]
pub(crate) fn lane_sum<E: Element>(x: &[E], f: impl Fn(E) -> E) -> E {
    let mut acc = [E::zero(); LANES];
    let mut chunks = x.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += f(v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f(v);
    }
    fold_lanes(acc)
}

/// Σ a⊙b in the fixed order of [`lane_sum`].
#[inline(always)]
pub(crate) fn lane_dot<E: Element>(a: &[E], b: &[E]) -> E {
    let mut acc = [E::zero(); LANES];
    let (mut ca, mut cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += p * q;
        }
    }
    for ((s, &p), &q) in acc.iter_mut().zip(ca.remainder()).zip(cb.remainder()) {
        *s += p * q;
    }
    fold_lanes(acc)
}

/// The running sums added pairwise: lanes k and k + w for w = 8, 4, 2, 1.
#[inline(always)]
fn fold_lanes<E: Element>(mut acc: [E; LANES]) -> E {
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for k in 0..w {
            let far = acc[k + w];
            acc[k] += far;
        }
    }
    acc[0]
}
