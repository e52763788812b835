//! Elementwise arithmetic with NumPy broadcasting; backward sums over the broadcast axes.

use crate::element::Element;
use crate::op::Op;
use crate::ops::same_tape;
use crate::ops::unary::Unary;
use crate::tape::{Backward, NodeId, Var};
use std::ops;

impl<'t, E: Element> Var<'t, E> {
    /// Records a broadcasting binary op computed by `f`.
    fn binary(
        self,
        rhs: Var<'t, E>,
        name: &str,
        f: impl Fn(E, E) -> E + Sync + Send,
        op: Op<E>,
    ) -> Var<'t, E> {
        same_tape(name, &[self, rhs]);
        let v = self.value().zip_broadcast(&rhs.value(), name, f);
        self.push(v, op)
    }
}

pub(crate) fn add_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, b: NodeId) {
    ctx.give(a, |c| c.grad.sum_to_shape(c.value(a).shape()));
    ctx.give(b, |c| c.grad.sum_to_shape(c.value(b).shape()));
}

pub(crate) fn sub_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, b: NodeId) {
    ctx.give(a, |c| c.grad.sum_to_shape(c.value(a).shape()));
    ctx.give(b, |c| c.grad.sum_to_shape(c.value(b).shape()).map(|x| -x));
}

pub(crate) fn mul_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, b: NodeId) {
    ctx.give(a, |c| {
        let g = c.grad.zip_broadcast(c.value(b), "mul", |g, y| g * y);
        g.sum_to_shape(c.value(a).shape())
    });
    ctx.give(b, |c| {
        let g = c.grad.zip_broadcast(c.value(a), "mul", |g, x| g * x);
        g.sum_to_shape(c.value(b).shape())
    });
}

pub(crate) fn div_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, b: NodeId) {
    ctx.give(a, |c| {
        let g = c.grad.zip_broadcast(c.value(b), "div", |g, y| g / y);
        g.sum_to_shape(c.value(a).shape())
    });
    // d(a/b)/db = -(a/b)/b = -out/b
    ctx.give(b, |c| {
        let g_out = c.grad.zip_same(c.out, |g, q| g * q);
        let g = g_out.zip_broadcast(c.value(b), "div", |gq, y| -gq / y);
        g.sum_to_shape(c.value(b).shape())
    });
}

macro_rules! var_operator {
    ($trait:ident, $method:ident, $variant:ident, $f:expr, $scalar:expr, $scalar_lhs:expr) => {
        impl<'t, E: Element> ops::$trait<Var<'t, E>> for Var<'t, E> {
            type Output = Var<'t, E>;
            fn $method(self, rhs: Var<'t, E>) -> Var<'t, E> {
                let op = Op::$variant(self.id(), rhs.id());
                self.binary(rhs, stringify!($method), $f, op)
            }
        }
        impl<'t, E: Element> ops::$trait<f64> for Var<'t, E> {
            type Output = Var<'t, E>;
            fn $method(self, rhs: f64) -> Var<'t, E> {
                let f: fn(Var<'t, E>, f64) -> Var<'t, E> = $scalar;
                f(self, rhs)
            }
        }
        impl<'t, E: Element> ops::$trait<Var<'t, E>> for f64 {
            type Output = Var<'t, E>;
            fn $method(self, rhs: Var<'t, E>) -> Var<'t, E> {
                let f: fn(f64, Var<'t, E>) -> Var<'t, E> = $scalar_lhs;
                f(self, rhs)
            }
        }
    };
}

var_operator!(
    Add,
    add,
    Add,
    |a, b| a + b,
    |v, s| v.unary(Unary::Shift(s)),
    |s, v| v.unary(Unary::Shift(s))
);
var_operator!(
    Sub,
    sub,
    Sub,
    |a, b| a - b,
    |v, s| v.unary(Unary::Shift(-s)),
    |s, v| v.unary(Unary::Neg).unary(Unary::Shift(s))
);
var_operator!(
    Mul,
    mul,
    Mul,
    |a, b| a * b,
    |v, s| v.unary(Unary::Scale(s)),
    |s, v| v.unary(Unary::Scale(s))
);
var_operator!(
    Div,
    div,
    Div,
    |a, b| a / b,
    |v, s| v.unary(Unary::Scale(1.0 / s)),
    |s, v| v.unary(Unary::Powf(-1.0)).unary(Unary::Scale(s))
);

impl<'t, E: Element> ops::Neg for Var<'t, E> {
    type Output = Var<'t, E>;
    fn neg(self) -> Var<'t, E> {
        self.unary(Unary::Neg)
    }
}
