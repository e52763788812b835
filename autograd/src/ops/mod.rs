//! Op families: forward (methods on `Var`) and backward of each family side by side.

pub mod arith;
pub mod dropout;
pub mod loss;
pub mod matmul;
pub mod norm;
pub mod recurrent;
pub mod reduce;
pub mod shape;
pub mod softmax;
pub mod unary;

use crate::element::Element;
use crate::tape::Var;

/// Panics unless every var lives on the same tape as the first (mixing tapes is a programming error).
pub(crate) fn same_tape<E: Element>(op: &str, vars: &[Var<'_, E>]) {
    if let Some(first) = vars.first() {
        for v in vars {
            assert!(
                std::ptr::eq(first.tape(), v.tape()),
                "{op}: operands live on different tapes"
            );
        }
    }
}
