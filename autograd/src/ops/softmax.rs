//! Softmax and log-softmax along an axis, max-shifted for stability.

use crate::element::Element;
use crate::op::Op;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::{split_at_axis, Tensor};

/// Calls `f(lane)` for every lane along `axis` with a gather/scatter buffer of length `dim`.
fn for_each_lane<E: Element>(
    shape: &[usize],
    axis: usize,
    src: &[&[E]],
    dst: &mut [E],
    mut f: impl FnMut(&[Vec<E>], &mut [E]),
) {
    let (outer, dim, inner) = split_at_axis(shape, axis);
    let mut lanes = vec![vec![E::zero(); dim]; src.len()];
    let mut out = vec![E::zero(); dim];
    for o in 0..outer {
        for i in 0..inner {
            let at = |d: usize| (o * dim + d) * inner + i;
            for (lane, s) in lanes.iter_mut().zip(src) {
                for (d, x) in lane.iter_mut().enumerate() {
                    *x = s[at(d)];
                }
            }
            f(&lanes, &mut out);
            for (d, &y) in out.iter().enumerate() {
                dst[at(d)] = y;
            }
        }
    }
}

/// Softmax of one lane into `out`; returns the lane's log-sum-exp (its log-softmax is `x − lse`).
pub fn softmax_lane<E: Element>(x: &[E], out: &mut [E]) -> E {
    let m = x.iter().copied().fold(E::neg_infinity(), E::max);
    let mut z = E::zero();
    for (y, &v) in out.iter_mut().zip(x) {
        *y = (v - m).exp();
        z += *y;
    }
    for y in out.iter_mut() {
        *y /= z;
    }
    m + z.ln()
}

/// Log-softmax of one lane into `out`.
pub fn log_softmax_lane<E: Element>(x: &[E], out: &mut [E]) {
    let m = x.iter().copied().fold(E::neg_infinity(), E::max);
    let lse = m + x.iter().map(|&v| (v - m).exp()).sum::<E>().ln();
    for (y, &v) in out.iter_mut().zip(x) {
        *y = v - lse;
    }
}

fn lanewise<E: Element>(
    shape: &[usize],
    axis: usize,
    src: &[&[E]],
    f: impl FnMut(&[Vec<E>], &mut [E]),
) -> Tensor<E> {
    assert!(
        axis < shape.len(),
        "softmax: axis {axis} out of range for shape {shape:?}"
    );
    let mut out = vec![E::zero(); src[0].len()];
    for_each_lane(shape, axis, src, &mut out, f);
    Tensor::new(shape, out)
}

impl<'t, E: Element> Var<'t, E> {
    /// Softmax along `axis`.
    pub fn softmax(self, axis: usize) -> Var<'t, E> {
        let x = self.value();
        let v = lanewise(x.shape(), axis, &[x.data()], |l, o| {
            softmax_lane(&l[0], o);
        });
        self.push(v, Op::Softmax { a: self.id(), axis })
    }

    /// Log-softmax along `axis`.
    pub fn log_softmax(self, axis: usize) -> Var<'t, E> {
        let x = self.value();
        let v = lanewise(x.shape(), axis, &[x.data()], |l, o| {
            log_softmax_lane(&l[0], o)
        });
        self.push(v, Op::LogSoftmax { a: self.id(), axis })
    }
}

/// dx = y ⊙ (g − Σ g⊙y) along the lane.
pub(crate) fn softmax_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, axis: usize) {
    ctx.give(a, |c| {
        lanewise(
            c.out.shape(),
            axis,
            &[c.out.data(), c.grad.data()],
            |l, o| {
                let (y, g) = (&l[0], &l[1]);
                let dot: E = y.iter().zip(g).map(|(&y, &g)| y * g).sum();
                for ((x, &y), &g) in o.iter_mut().zip(y).zip(g) {
                    *x = y * (g - dot);
                }
            },
        )
    });
}

/// dx = g − softmax ⊙ Σ g along the lane (softmax = e^output).
pub(crate) fn log_softmax_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, axis: usize) {
    ctx.give(a, |c| {
        lanewise(
            c.out.shape(),
            axis,
            &[c.out.data(), c.grad.data()],
            |l, o| {
                let (y, g) = (&l[0], &l[1]);
                let total: E = g.iter().copied().sum();
                for ((x, &y), &g) in o.iter_mut().zip(y).zip(g) {
                    *x = g - y.exp() * total;
                }
            },
        )
    });
}
