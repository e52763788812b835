//! Reductions: sum, mean and max over one axis or over everything.

use crate::element::Element;
use crate::op::Op;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::{split_at_axis, Tensor};

fn check_axis(op: &str, shape: &[usize], axis: usize) {
    assert!(
        axis < shape.len(),
        "{op}: axis {axis} out of range for shape {shape:?}"
    );
}

impl<'t, E: Element> Var<'t, E> {
    /// The sum of all elements (a scalar).
    pub fn sum(self) -> Var<'t, E> {
        let v = Tensor::scalar(self.value().sum_all());
        self.push(
            v,
            Op::Sum {
                a: self.id(),
                axis: None,
            },
        )
    }

    /// The sum over `axis`, which is removed (PyTorch's `keepdim=False`).
    pub fn sum_axis(self, axis: usize) -> Var<'t, E> {
        check_axis("sum_axis", &self.shape(), axis);
        let v = self.value().sum_axis(axis, false);
        self.push(
            v,
            Op::Sum {
                a: self.id(),
                axis: Some(axis),
            },
        )
    }

    /// The mean of all elements (a scalar).
    pub fn mean(self) -> Var<'t, E> {
        let x = self.value();
        let v = Tensor::scalar(x.sum_all() / E::of(x.numel() as f64));
        self.push(
            v,
            Op::Mean {
                a: self.id(),
                axis: None,
            },
        )
    }

    /// The mean over `axis`, which is removed.
    pub fn mean_axis(self, axis: usize) -> Var<'t, E> {
        check_axis("mean_axis", &self.shape(), axis);
        let x = self.value();
        let v = x
            .sum_axis(axis, false)
            .scale(E::one() / E::of(x.dim(axis) as f64));
        self.push(
            v,
            Op::Mean {
                a: self.id(),
                axis: Some(axis),
            },
        )
    }

    /// The largest element (a scalar); its gradient goes to the first maximum.
    pub fn max(self) -> Var<'t, E> {
        let x = self.value();
        let (v, argmax) = x.reshape(&[x.numel()]).max_axis(0, false);
        self.push(
            v,
            Op::Max {
                a: self.id(),
                argmax,
            },
        )
    }

    /// The maximum over `axis`, which is removed.
    pub fn max_axis(self, axis: usize) -> Var<'t, E> {
        let x = self.value();
        check_axis("max_axis", x.shape(), axis);
        let (v, arg) = x.max_axis(axis, false);
        let (_, dim, inner) = split_at_axis(x.shape(), axis);
        let argmax = arg
            .iter()
            .enumerate()
            .map(|(j, &d)| (j / inner * dim + d) * inner + j % inner)
            .collect();
        self.push(
            v,
            Op::Max {
                a: self.id(),
                argmax,
            },
        )
    }
}

/// The output gradient repeated back over the reduced axis (or everywhere).
fn spread<E: Element>(g: &Tensor<E>, shape: &[usize], axis: Option<usize>) -> Tensor<E> {
    match axis {
        None => Tensor::full(shape, g.item()),
        Some(axis) => g.expand_axis(axis, shape),
    }
}

pub(crate) fn sum_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, axis: Option<usize>) {
    ctx.give(a, |c| spread(c.grad, c.value(a).shape(), axis));
}

pub(crate) fn mean_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, axis: Option<usize>) {
    ctx.give(a, |c| {
        let x = c.value(a);
        let n = axis.map_or(x.numel(), |d| x.dim(d));
        // Scale the (reduced) gradient before spreading it: one pass over the full size, not two.
        spread(&c.grad.scale(E::one() / E::of(n as f64)), x.shape(), axis)
    });
}

pub(crate) fn max_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, argmax: &[usize]) {
    ctx.give(a, |c| {
        let mut out = vec![E::zero(); c.value(a).numel()];
        for (&i, &g) in argmax.iter().zip(c.grad.data()) {
            out[i] += g;
        }
        Tensor::new(c.value(a).shape(), out)
    });
}
