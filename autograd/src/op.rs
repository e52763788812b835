//! `enum Op`: every differentiable primitive, and the one backward match over them.
//!
//! Read `Op::backward` like PyTorch's derivatives table: one short arm per op, each calling the
//! backward that sits beside its forward in `ops/<family>.rs`.

use crate::element::Element;
use crate::ops::{arith, dropout, loss, matmul, norm, recurrent, reduce, shape, softmax, unary};
use crate::tape::{Backward, NodeId};
use crate::tensor::Tensor;

/// A differentiable primitive: its inputs (node ids) and whatever its backward needs.
pub enum Op<E: Element> {
    /// An input, constant or parameter: nothing to propagate further.
    Leaf,
    /// `a + b` with broadcasting.
    Add(NodeId, NodeId),
    /// `a - b` with broadcasting.
    Sub(NodeId, NodeId),
    /// `a ⊙ b` with broadcasting.
    Mul(NodeId, NodeId),
    /// `a / b` with broadcasting.
    Div(NodeId, NodeId),
    /// An elementwise function with its derivative (exp, tanh, relu, …).
    Unary(unary::Unary, NodeId),
    /// `op(a) · op(b)`, 2-d or batched, where `op` transposes the last two dims when flagged.
    MatMul {
        /// Left operand.
        a: NodeId,
        /// Right operand.
        b: NodeId,
        /// Use `a` transposed.
        ta: bool,
        /// Use `b` transposed.
        tb: bool,
    },
    /// `x·wᵀ + b` over the last axis of `x` (a linear layer), the bias optional.
    Linear {
        /// Input `[…, in]`.
        x: NodeId,
        /// Weight `[out, in]`.
        w: NodeId,
        /// Bias `[out]`.
        b: Option<NodeId>,
    },
    /// Sum over one axis or over everything.
    Sum {
        /// Input.
        a: NodeId,
        /// The reduced axis; `None` sums everything.
        axis: Option<usize>,
    },
    /// Mean over one axis or over everything.
    Mean {
        /// Input.
        a: NodeId,
        /// The reduced axis; `None` averages everything.
        axis: Option<usize>,
    },
    /// Maximum over one axis or over everything; the gradient goes to the first maximum.
    Max {
        /// Input.
        a: NodeId,
        /// For each output element, the flat input index of its maximum.
        argmax: Vec<usize>,
    },
    /// The same elements under another shape.
    Reshape(NodeId),
    /// Two dims swapped.
    Transpose(NodeId, usize, usize),
    /// Inputs joined along an axis.
    Concat {
        /// The joined inputs, in order.
        parts: Vec<NodeId>,
        /// The axis they are joined along.
        axis: usize,
    },
    /// A contiguous slice along an axis.
    Narrow {
        /// Input.
        a: NodeId,
        /// The sliced axis.
        axis: usize,
        /// First index kept.
        start: usize,
    },
    /// Entries picked (with repeats) along an axis: embeddings, gathers.
    IndexSelect {
        /// Input.
        a: NodeId,
        /// The axis picked along.
        axis: usize,
        /// The picked positions.
        indices: Vec<usize>,
    },
    /// Softmax along an axis.
    Softmax {
        /// Input.
        a: NodeId,
        /// The normalized axis.
        axis: usize,
    },
    /// Log-softmax along an axis.
    LogSoftmax {
        /// Input.
        a: NodeId,
        /// The normalized axis.
        axis: usize,
    },
    /// Mean squared error between two same-shape values.
    Mse(NodeId, NodeId),
    /// Softmax cross-entropy over the last axis, with per-row weights (0 for ignored rows).
    CrossEntropy {
        /// Logits `[…, C]`.
        logits: NodeId,
        /// Softmax of the logits, saved by the forward.
        probs: Tensor<E>,
        /// The target class of each row (ignored rows hold 0 and weight 0).
        targets: Vec<usize>,
        /// Each row's weight divided by the total weight (the mean's normalization).
        weights: Vec<E>,
    },
    /// Binary cross-entropy on logits against constant targets, averaged.
    BceWithLogits {
        /// Logits.
        logits: NodeId,
        /// Targets in [0, 1], same shape as the logits.
        targets: Tensor<E>,
    },
    /// Inverted dropout with a saved mask of 0 and 1/(1−p).
    Dropout {
        /// Input.
        a: NodeId,
        /// The scaled keep mask.
        mask: Tensor<E>,
    },
    /// Layer normalization over the last axis with optional affine weight and bias.
    LayerNorm {
        /// Input `[…, N]`.
        x: NodeId,
        /// Scale `[N]`, if any.
        weight: Option<NodeId>,
        /// Shift `[N]`, if any.
        bias: Option<NodeId>,
        /// The normalized input, saved by the forward.
        xhat: Tensor<E>,
        /// 1/√(var + eps) of each row.
        rstd: Tensor<E>,
    },
    /// A recurrent cell (Elman, LSTM or GRU) run over a whole sequence, fused.
    Recurrent(Box<recurrent::Recurrent<E>>),
    /// Both directions of a bidirectional recurrent layer, run at the same time.
    RecurrentPair(Box<[recurrent::Recurrent<E>; 2]>),
}

impl<E: Element> Op<E> {
    /// The op's name as it appears in panics and gradcheck coverage.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "Leaf",
            Op::Add(..) => "Add",
            Op::Sub(..) => "Sub",
            Op::Mul(..) => "Mul",
            Op::Div(..) => "Div",
            Op::Unary(u, _) => u.name(),
            Op::MatMul { .. } => "MatMul",
            Op::Linear { .. } => "Linear",
            Op::Sum { .. } => "Sum",
            Op::Mean { .. } => "Mean",
            Op::Max { .. } => "Max",
            Op::Reshape(_) => "Reshape",
            Op::Transpose(..) => "Transpose",
            Op::Concat { .. } => "Concat",
            Op::Narrow { .. } => "Narrow",
            Op::IndexSelect { .. } => "IndexSelect",
            Op::Softmax { .. } => "Softmax",
            Op::LogSoftmax { .. } => "LogSoftmax",
            Op::Mse(..) => "Mse",
            Op::CrossEntropy { .. } => "CrossEntropy",
            Op::BceWithLogits { .. } => "BceWithLogits",
            Op::Dropout { .. } => "Dropout",
            Op::LayerNorm { .. } => "LayerNorm",
            Op::Recurrent(_) => "Recurrent",
            Op::RecurrentPair(_) => "RecurrentPair",
        }
    }

    /// The input node ids.
    pub(crate) fn inputs(&self) -> Vec<NodeId> {
        match self {
            Op::Leaf => vec![],
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) | Op::Mse(a, b) => {
                vec![*a, *b]
            }
            Op::MatMul { a, b, .. } => vec![*a, *b],
            Op::Linear { x, w, b } => [*x, *w].into_iter().chain(*b).collect(),
            Op::Concat { parts, .. } => parts.clone(),
            Op::LayerNorm {
                x, weight, bias, ..
            } => std::iter::once(*x).chain(*weight).chain(*bias).collect(),
            Op::Recurrent(r) => r.inputs(),
            Op::RecurrentPair(pair) => pair.iter().flat_map(|r| r.inputs()).collect(),
            Op::Unary(_, a)
            | Op::Reshape(a)
            | Op::Transpose(a, ..)
            | Op::Sum { a, .. }
            | Op::Mean { a, .. }
            | Op::Max { a, .. }
            | Op::Narrow { a, .. }
            | Op::IndexSelect { a, .. }
            | Op::Softmax { a, .. }
            | Op::LogSoftmax { a, .. }
            | Op::Dropout { a, .. }
            | Op::CrossEntropy { logits: a, .. }
            | Op::BceWithLogits { logits: a, .. } => vec![*a],
        }
    }

    /// Propagates `ctx.grad` to the inputs: one short arm per op.
    pub(crate) fn backward(&self, ctx: &mut Backward<'_, E>) {
        match self {
            Op::Leaf => {}
            Op::Add(a, b) => arith::add_backward(ctx, *a, *b),
            Op::Sub(a, b) => arith::sub_backward(ctx, *a, *b),
            Op::Mul(a, b) => arith::mul_backward(ctx, *a, *b),
            Op::Div(a, b) => arith::div_backward(ctx, *a, *b),
            Op::Unary(u, a) => unary::backward(ctx, *u, *a),
            Op::MatMul { a, b, ta, tb } => matmul::backward(ctx, *a, *b, *ta, *tb),
            Op::Linear { x, w, b } => matmul::linear_backward(ctx, *x, *w, *b),
            Op::Sum { a, axis } => reduce::sum_backward(ctx, *a, *axis),
            Op::Mean { a, axis } => reduce::mean_backward(ctx, *a, *axis),
            Op::Max { a, argmax } => reduce::max_backward(ctx, *a, argmax),
            Op::Reshape(a) => shape::reshape_backward(ctx, *a),
            Op::Transpose(a, d0, d1) => shape::transpose_backward(ctx, *a, *d0, *d1),
            Op::Concat { parts, axis } => shape::concat_backward(ctx, parts, *axis),
            Op::Narrow { a, axis, start } => shape::narrow_backward(ctx, *a, *axis, *start),
            Op::IndexSelect { a, axis, indices } => {
                shape::index_select_backward(ctx, *a, *axis, indices)
            }
            Op::Softmax { a, axis } => softmax::softmax_backward(ctx, *a, *axis),
            Op::LogSoftmax { a, axis } => softmax::log_softmax_backward(ctx, *a, *axis),
            Op::Mse(a, b) => loss::mse_backward(ctx, *a, *b),
            Op::CrossEntropy {
                logits,
                probs,
                targets,
                weights,
            } => loss::cross_entropy_backward(ctx, *logits, probs, targets, weights),
            Op::BceWithLogits { logits, targets } => loss::bce_backward(ctx, *logits, targets),
            Op::Dropout { a, mask } => dropout::backward(ctx, *a, mask),
            Op::LayerNorm {
                x,
                weight,
                bias,
                xhat,
                rstd,
            } => norm::layer_norm_backward(ctx, *x, *weight, *bias, xhat, rstd),
            Op::Recurrent(r) => recurrent::backward(ctx, r),
            Op::RecurrentPair(pair) => recurrent::backward_pair(ctx, pair),
        }
    }
}
