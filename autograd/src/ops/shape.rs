//! Shape ops: reshape, transpose, concat/stack, narrow/split, index-select.

use crate::element::Element;
use crate::op::Op;
use crate::ops::same_tape;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::{numel, split_at_axis, Tensor};

impl<'t, E: Element> Var<'t, E> {
    /// The same elements under another shape with the same count.
    pub fn reshape(self, shape: &[usize]) -> Var<'t, E> {
        let x = self.value();
        assert!(
            numel(shape) == x.numel(),
            "reshape: cannot view shape {:?} as {shape:?}",
            x.shape()
        );
        self.push(x.reshape(shape), Op::Reshape(self.id()))
    }

    /// Inserts a dim of size 1 at `axis`.
    pub fn unsqueeze(self, axis: usize) -> Var<'t, E> {
        let mut s = self.shape();
        s.insert(axis, 1);
        self.reshape(&s)
    }

    /// Removes the dim of size 1 at `axis`.
    pub fn squeeze(self, axis: usize) -> Var<'t, E> {
        let mut s = self.shape();
        assert!(
            s.get(axis) == Some(&1),
            "squeeze: dim {axis} of {s:?} is not 1"
        );
        s.remove(axis);
        self.reshape(&s)
    }

    /// Swaps dims `d0` and `d1`.
    pub fn transpose(self, d0: usize, d1: usize) -> Var<'t, E> {
        let v = self.value().transpose(d0, d1);
        self.push(v, Op::Transpose(self.id(), d0, d1))
    }

    /// The transpose of a 2-d value.
    pub fn t(self) -> Var<'t, E> {
        let r = self.shape().len();
        assert!(r == 2, "t: expected 2 dims, got {r}");
        self.transpose(0, 1)
    }

    /// Joins values along `axis`; all other dims must agree.
    pub fn concat(parts: &[Var<'t, E>], axis: usize) -> Var<'t, E> {
        assert!(!parts.is_empty(), "concat: no values");
        same_tape("concat", parts);
        let values: Vec<Tensor<E>> = parts.iter().map(|p| p.value()).collect();
        let refs: Vec<&Tensor<E>> = values.iter().collect();
        let v = Tensor::concat(&refs, axis);
        let ids = parts.iter().map(|p| p.id()).collect();
        parts[0].push(v, Op::Concat { parts: ids, axis })
    }

    /// Stacks same-shape values along a new dim at `axis`.
    pub fn stack(parts: &[Var<'t, E>], axis: usize) -> Var<'t, E> {
        let expanded: Vec<Var<'t, E>> = parts.iter().map(|p| p.unsqueeze(axis)).collect();
        Var::concat(&expanded, axis)
    }

    /// The slice `start..start + len` along `axis` (`self` itself when that is the whole axis).
    pub fn narrow(self, axis: usize, start: usize, len: usize) -> Var<'t, E> {
        if start == 0 && axis < self.shape().len() && len == self.dim(axis) {
            return self;
        }
        let v = self.value().narrow(axis, start, len);
        self.push(
            v,
            Op::Narrow {
                a: self.id(),
                axis,
                start,
            },
        )
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the dim).
    pub fn split(self, axis: usize, sizes: &[usize]) -> Vec<Var<'t, E>> {
        let total: usize = sizes.iter().sum();
        assert!(
            total == self.dim(axis),
            "split: sizes {sizes:?} do not add up to dim {axis} of {:?}",
            self.shape()
        );
        let mut start = 0;
        sizes
            .iter()
            .map(|&len| {
                let piece = self.narrow(axis, start, len);
                start += len;
                piece
            })
            .collect()
    }

    /// Splits along `axis` into `n` equal pieces.
    pub fn chunk(self, n: usize, axis: usize) -> Vec<Var<'t, E>> {
        let d = self.dim(axis);
        assert!(
            n > 0 && d.is_multiple_of(n),
            "chunk: dim {axis} of size {d} is not divisible by {n}"
        );
        self.split(axis, &vec![d / n; n])
    }

    /// Picks entries along `axis` (repeats allowed): an embedding lookup on axis 0.
    pub fn index_select(self, axis: usize, indices: &[usize]) -> Var<'t, E> {
        let v = self.value().index_select(axis, indices);
        self.push(
            v,
            Op::IndexSelect {
                a: self.id(),
                axis,
                indices: indices.to_vec(),
            },
        )
    }
}

pub(crate) fn reshape_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId) {
    ctx.give(a, |c| c.grad.reshape(c.value(a).shape()));
}

pub(crate) fn transpose_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    a: NodeId,
    d0: usize,
    d1: usize,
) {
    ctx.give(a, |c| c.grad.transpose(d0, d1));
}

pub(crate) fn concat_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    parts: &[NodeId],
    axis: usize,
) {
    let mut start = 0;
    for &p in parts {
        let len = ctx.value(p).dim(axis);
        ctx.give(p, |c| c.grad.narrow(axis, start, len));
        start += len;
    }
}

pub(crate) fn narrow_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    a: NodeId,
    axis: usize,
    start: usize,
) {
    ctx.give(a, |c| {
        let shape = c.value(a).shape();
        let (outer, dim, inner) = split_at_axis(shape, axis);
        let len = c.grad.dim(axis);
        // Written once, in order: zeros before the slice, its gradient, zeros after.
        let mut out = Vec::with_capacity(numel(shape));
        let g = c.grad.data();
        for o in 0..outer {
            out.resize(out.len() + start * inner, E::zero());
            out.extend_from_slice(&g[o * len * inner..(o + 1) * len * inner]);
            out.resize(out.len() + (dim - start - len) * inner, E::zero());
        }
        Tensor::new(shape, out)
    });
}

pub(crate) fn index_select_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    a: NodeId,
    axis: usize,
    indices: &[usize],
) {
    ctx.give(a, |c| c.grad.index_add(axis, indices, c.value(a).dim(axis)));
}
