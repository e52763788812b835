//! A fully connected layer, mirroring `torch.nn.Linear`.

use crate::Ctx;
use autograd::{Element, ParamId, ParamPath, Rng, Tensor, Var};

/// `y = x·Wᵀ + b` over the last axis, mirroring `torch.nn.Linear` (`weight [out, in]`, `bias [out]`).
#[derive(Clone, Debug)]
pub struct Linear {
    weight: ParamId,
    bias: Option<ParamId>,
    in_features: usize,
    out_features: usize,
}

impl Linear {
    /// Registers `weight` (and `bias`) under `path`, initialized as PyTorch does: U(±1/√in).
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        in_features: usize,
        out_features: usize,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        let mut uniform =
            |shape: &[usize]| Tensor::from_fn(shape, |_| E::of(rng.uniform_in(-bound, bound)));
        let weight = path.add_with("weight", &[out_features, in_features], &mut uniform);
        let bias = bias.then(|| path.add_with("bias", &[out_features], &mut uniform));
        Linear {
            weight,
            bias,
            in_features,
            out_features,
        }
    }

    /// The input size.
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// The output size.
    pub fn out_features(&self) -> usize {
        self.out_features
    }

    /// Applies the layer to `x` of shape `[…, in]`, giving `[…, out]`.
    pub fn forward<'t, E: Element>(&self, cx: &Ctx<'_, 't, E>, x: Var<'t, E>) -> Var<'t, E> {
        let bias = self.bias.map(|b| cx.param(b));
        x.linear(cx.param(self.weight), bias)
    }
}
