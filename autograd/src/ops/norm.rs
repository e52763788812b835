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
        let inv_n = E::one() / E::of(n as f64);
        for r in 0..rows {
            let lane = &x.data()[r * n..(r + 1) * n];
            let mean = lane.iter().copied().sum::<E>() * inv_n;
            let var = lane.iter().map(|&v| (v - mean) * (v - mean)).sum::<E>() * inv_n;
            let rs = E::one() / (var + E::of(eps)).sqrt();
            rstd[r] = rs;
            for j in 0..n {
                let h = (lane[j] - mean) * rs;
                xhat[r * n + j] = h;
                let w = wv.as_ref().map_or(E::one(), |w| w.data()[j]);
                let b = bv.as_ref().map_or(E::zero(), |b| b.data()[j]);
                y[r * n + j] = h * w + b;
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

/// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)) with ĝ = g⊙weight; dweight = Σ g⊙x̂; dbias = Σ g.
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
        let inv_n = E::one() / E::of(n as f64);
        let mut out = vec![E::zero(); g.len()];
        let mut gh = vec![E::zero(); n];
        for r in 0..rows {
            let span = r * n..(r + 1) * n;
            for (j, v) in gh.iter_mut().enumerate() {
                *v = g[r * n + j] * w.as_ref().map_or(E::one(), |w| w.data()[j]);
            }
            let mean_g = gh.iter().copied().sum::<E>() * inv_n;
            let mean_gh = gh
                .iter()
                .zip(&h[span.clone()])
                .map(|(&a, &b)| a * b)
                .sum::<E>()
                * inv_n;
            for (j, o) in out[span].iter_mut().enumerate() {
                *o = rstd.data()[r] * (gh[j] - mean_g - h[r * n + j] * mean_gh);
            }
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
