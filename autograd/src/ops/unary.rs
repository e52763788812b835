//! Elementwise functions, each declared as an `f`/`df` pair.
//!
//! `df(x, y)` receives both the input `x` and the output `y = f(x)`: tanh, sigmoid, exp and sqrt
//! compute their derivative from the output, the rest from the input.

use crate::element::Element;
use crate::op::Op;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::{map1, map3, Tensor};

/// An elementwise function with its derivative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    /// `-x`.
    Neg,
    /// `eˣ`.
    Exp,
    /// `ln x`.
    Log,
    /// `tanh x`.
    Tanh,
    /// `1/(1+e⁻ˣ)`.
    Sigmoid,
    /// `max(x, 0)`.
    Relu,
    /// `ln(1+eˣ)`, computed stably.
    Softplus,
    /// `√x`.
    Sqrt,
    /// `|x|`.
    Abs,
    /// `xᵖ` for a constant exponent.
    Powf(f64),
    /// `c·x` for a constant.
    Scale(f64),
    /// `x + c` for a constant.
    Shift(f64),
}

/// The logistic sigmoid (see [`Element::fast_sigmoid`]).
#[inline]
pub fn sigmoid<E: Element>(x: E) -> E {
    x.fast_sigmoid()
}

/// `ln(1+eˣ)` without overflow.
pub fn softplus<E: Element>(x: E) -> E {
    x.max(E::zero()) + (-x.abs()).exp().ln_1p()
}

impl Unary {
    /// The function's name as an op.
    pub fn name(self) -> &'static str {
        match self {
            Unary::Neg => "Neg",
            Unary::Exp => "Exp",
            Unary::Log => "Log",
            Unary::Tanh => "Tanh",
            Unary::Sigmoid => "Sigmoid",
            Unary::Relu => "Relu",
            Unary::Softplus => "Softplus",
            Unary::Sqrt => "Sqrt",
            Unary::Abs => "Abs",
            Unary::Powf(_) => "Powf",
            Unary::Scale(_) => "Scale",
            Unary::Shift(_) => "Shift",
        }
    }

    /// `f(x)` (always inlined: maps call it per element, with the variant known).
    #[inline(always)]
    pub fn f<E: Element>(self, x: E) -> E {
        match self {
            Unary::Neg => -x,
            Unary::Exp => x.exp(),
            Unary::Log => x.ln(),
            Unary::Tanh => x.fast_tanh(),
            Unary::Sigmoid => sigmoid(x),
            Unary::Relu => x.max(E::zero()),
            Unary::Softplus => softplus(x),
            Unary::Sqrt => x.sqrt(),
            Unary::Abs => x.abs(),
            Unary::Powf(2.0) => x * x,
            Unary::Powf(p) => x.powf(E::of(p)),
            Unary::Scale(c) => x * E::of(c),
            Unary::Shift(c) => x + E::of(c),
        }
    }

    /// `f'(x)`, given `x` and `y = f(x)` (always inlined, as `f`).
    #[inline(always)]
    pub fn df<E: Element>(self, x: E, y: E) -> E {
        let one = E::one();
        match self {
            Unary::Neg => -one,
            Unary::Exp => y,
            Unary::Log => one / x,
            Unary::Tanh => one - y * y,
            Unary::Sigmoid => y * (one - y),
            Unary::Relu => {
                if x > E::zero() {
                    one
                } else {
                    E::zero()
                }
            }
            Unary::Softplus => sigmoid(x),
            Unary::Sqrt => E::of(0.5) / y,
            Unary::Abs => {
                if x == E::zero() {
                    E::zero()
                } else {
                    x.signum()
                }
            }
            Unary::Powf(2.0) => x + x,
            Unary::Powf(p) => E::of(p) * x.powf(E::of(p - 1.0)),
            Unary::Scale(c) => E::of(c),
            Unary::Shift(_) => one,
        }
    }
}

/// Expands `$apply!(variant)` in one arm per variant, with the variant written out as a constant
/// (only its parameter, if any, is a value), so that the closures `$apply` builds call a `f`/`df`
/// whose match is resolved at compile time instead of once per element.
#[rustfmt::skip]
macro_rules! per_variant {
    ($u:expr, $apply:ident) => {
        match $u {
            Unary::Neg => $apply!(Unary::Neg),
            Unary::Exp => $apply!(Unary::Exp),
            Unary::Log => $apply!(Unary::Log),
            Unary::Tanh => $apply!(Unary::Tanh),
            Unary::Sigmoid => $apply!(Unary::Sigmoid),
            Unary::Relu => $apply!(Unary::Relu),
            Unary::Softplus => $apply!(Unary::Softplus),
            Unary::Sqrt => $apply!(Unary::Sqrt),
            Unary::Abs => $apply!(Unary::Abs),
            Unary::Powf(p) if p == 2.0 => $apply!(Unary::Powf(2.0)),
            Unary::Powf(p) => $apply!(Unary::Powf(p)),
            Unary::Scale(c) => $apply!(Unary::Scale(c)),
            Unary::Shift(c) => $apply!(Unary::Shift(c)),
        }
    };
}

impl<'t, E: Element> Var<'t, E> {
    /// Applies an elementwise function.
    pub fn unary(self, u: Unary) -> Var<'t, E> {
        let x = self.value();
        macro_rules! forward {
            ($v:expr) => {
                map1(x.data(), move |x| $v.f(x))
            };
        }
        let v = Tensor::new(x.shape(), per_variant!(u, forward));
        self.push(v, Op::Unary(u, self.id()))
    }

    /// `eˣ` elementwise.
    pub fn exp(self) -> Var<'t, E> {
        self.unary(Unary::Exp)
    }

    /// `ln x` elementwise.
    pub fn log(self) -> Var<'t, E> {
        self.unary(Unary::Log)
    }

    /// `tanh x` elementwise.
    pub fn tanh(self) -> Var<'t, E> {
        self.unary(Unary::Tanh)
    }

    /// The logistic sigmoid elementwise.
    pub fn sigmoid(self) -> Var<'t, E> {
        self.unary(Unary::Sigmoid)
    }

    /// `max(x, 0)` elementwise.
    pub fn relu(self) -> Var<'t, E> {
        self.unary(Unary::Relu)
    }

    /// `ln(1+eˣ)` elementwise.
    pub fn softplus(self) -> Var<'t, E> {
        self.unary(Unary::Softplus)
    }

    /// `√x` elementwise.
    pub fn sqrt(self) -> Var<'t, E> {
        self.unary(Unary::Sqrt)
    }

    /// `|x|` elementwise.
    pub fn abs(self) -> Var<'t, E> {
        self.unary(Unary::Abs)
    }

    /// `xᵖ` elementwise for a constant exponent.
    pub fn powf(self, p: f64) -> Var<'t, E> {
        self.unary(Unary::Powf(p))
    }

    /// `x²` elementwise.
    pub fn square(self) -> Var<'t, E> {
        self.unary(Unary::Powf(2.0))
    }

    /// `c·x` elementwise.
    pub fn scale(self, c: f64) -> Var<'t, E> {
        self.unary(Unary::Scale(c))
    }
}

pub(crate) fn backward<E: Element>(ctx: &mut Backward<'_, E>, u: Unary, a: NodeId) {
    ctx.give(a, |c| {
        let (x, y, g) = (c.value(a).data(), c.out.data(), c.grad.data());
        macro_rules! backward {
            ($v:expr) => {
                map3(x, y, g, move |x, y, g| g * $v.df(x, y))
            };
        }
        let data = per_variant!(u, backward);
        Tensor::new(c.out.shape(), data)
    });
}
