//! Inverted dropout with a seeded mask.

use crate::element::Element;
use crate::op::Op;
use crate::rng::Rng;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::Tensor;

impl<'t, E: Element> Var<'t, E> {
    /// Zeroes each element with probability `p` and scales the rest by 1/(1−p) (training only:
    /// the caller skips it at evaluation). `p = 0` returns `self` unchanged.
    pub fn dropout(self, p: f64, rng: &mut Rng) -> Var<'t, E> {
        assert!(
            (0.0..=1.0).contains(&p),
            "dropout: probability {p} outside [0, 1]"
        );
        if p == 0.0 {
            return self;
        }
        let x = self.value();
        let keep = if p < 1.0 {
            E::of(1.0 / (1.0 - p))
        } else {
            E::zero()
        };
        let mask = Tensor::from_fn(
            x.shape(),
            |_| if rng.bernoulli(p) { E::zero() } else { keep },
        );
        let v = x.zip_same(&mask, |a, m| a * m);
        self.push(v, Op::Dropout { a: self.id(), mask })
    }
}

pub(crate) fn backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, mask: &Tensor<E>) {
    ctx.give(a, |c| c.grad.zip_same(mask, |g, m| g * m));
}
