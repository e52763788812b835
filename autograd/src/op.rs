//! `enum Op`: every differentiable primitive, and the one backward match over them.

use crate::element::Element;
use crate::tape::{Backward, NodeId};

/// A differentiable primitive: its inputs (node ids) and whatever its backward needs.
pub enum Op<E: Element> {
    /// An input, constant or parameter: nothing to propagate further.
    Leaf,
    #[doc(hidden)]
    _Marker(std::marker::PhantomData<E>),
}

impl<E: Element> Op<E> {
    /// The op's name as it appears in panics and gradcheck coverage.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "Leaf",
            Op::_Marker(_) => "_Marker",
        }
    }

    /// The input node ids.
    pub(crate) fn inputs(&self) -> Vec<NodeId> {
        match self {
            Op::Leaf | Op::_Marker(_) => vec![],
        }
    }

    /// Propagates `ctx.grad` to the inputs: one short arm per op.
    pub(crate) fn backward(&self, _ctx: &mut Backward<'_, E>) {
        match self {
            Op::Leaf | Op::_Marker(_) => {}
        }
    }
}
