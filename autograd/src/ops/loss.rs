//! Losses: mean squared error, softmax cross-entropy (ignore index, masks), BCE with logits.

use crate::element::Element;
use crate::op::Op;
use crate::ops::same_tape;
use crate::ops::softmax::softmax_lane;
use crate::ops::unary::{sigmoid, softplus};
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::Tensor;

/// PyTorch's default `ignore_index` for cross-entropy.
pub const IGNORE_INDEX: i64 = -100;

/// Options of [`Var::cross_entropy_with`].
#[derive(Clone, Debug)]
pub struct CrossEntropyOptions<'a, E: Element> {
    /// Rows whose target equals this are left out of the loss and the mean (PyTorch: -100).
    pub ignore_index: Option<i64>,
    /// Per-row weights (a 0/1 padding mask or any non-negative weights), one per row.
    pub mask: Option<&'a [E]>,
}

impl<E: Element> Default for CrossEntropyOptions<'_, E> {
    fn default() -> Self {
        CrossEntropyOptions {
            ignore_index: Some(IGNORE_INDEX),
            mask: None,
        }
    }
}

impl<'t, E: Element> Var<'t, E> {
    /// Mean squared error against a same-shape value: mean((self − target)²).
    pub fn mse(self, target: Var<'t, E>) -> Var<'t, E> {
        same_tape("mse", &[self, target]);
        let (x, y) = (self.value(), target.value());
        assert!(
            x.shape() == y.shape(),
            "mse: shapes {:?} and {:?} differ",
            x.shape(),
            y.shape()
        );
        let n = E::of(x.numel() as f64);
        let s: E = x
            .data()
            .iter()
            .zip(y.data())
            .map(|(&a, &b)| (a - b) * (a - b))
            .sum();
        self.push(Tensor::scalar(s / n), Op::Mse(self.id(), target.id()))
    }

    /// Softmax cross-entropy of logits `[…, C]` against one class per row, averaged over rows
    /// (targets equal to -100 are ignored, as in PyTorch).
    pub fn cross_entropy(self, targets: &[i64]) -> Var<'t, E> {
        self.cross_entropy_with(targets, &CrossEntropyOptions::default())
    }

    /// Softmax cross-entropy with an ignore index and per-row weights: Σ wᵢ·nllᵢ / Σ wᵢ.
    ///
    /// When every row is ignored or has weight 0 the loss is 0 and no gradient flows.
    pub fn cross_entropy_with(
        self,
        targets: &[i64],
        opts: &CrossEntropyOptions<'_, E>,
    ) -> Var<'t, E> {
        let x = self.value();
        let shape = x.shape();
        assert!(
            !shape.is_empty(),
            "cross_entropy: logits need a class axis, got a scalar"
        );
        let classes = shape[shape.len() - 1];
        let rows = x.numel() / classes.max(1);
        assert!(
            targets.len() == rows,
            "cross_entropy: {} targets for logits of shape {shape:?} ({rows} rows)",
            targets.len()
        );
        if let Some(mask) = opts.mask {
            assert!(
                mask.len() == rows,
                "cross_entropy: mask of {} for {rows} rows",
                mask.len()
            );
        }
        let mut probs = vec![E::zero(); x.numel()];
        let mut weights = vec![E::zero(); rows];
        let mut classes_of = vec![0usize; rows];
        let mut total_w = E::zero();
        let mut loss = E::zero();
        for r in 0..rows {
            let t = targets[r];
            let w = opts.mask.map_or(E::one(), |m| m[r]);
            if Some(t) == opts.ignore_index || w == E::zero() {
                continue;
            }
            assert!(
                t >= 0 && (t as usize) < classes,
                "cross_entropy: target {t} of row {r} out of range for {classes} classes"
            );
            let lane = &x.data()[r * classes..(r + 1) * classes];
            let m = lane.iter().copied().fold(E::neg_infinity(), E::max);
            let lse = m + lane.iter().map(|&v| (v - m).exp()).sum::<E>().ln();
            loss += w * (lse - lane[t as usize]);
            softmax_lane(lane, &mut probs[r * classes..(r + 1) * classes]);
            weights[r] = w;
            classes_of[r] = t as usize;
            total_w += w;
        }
        if total_w > E::zero() {
            loss /= total_w;
            for w in &mut weights {
                *w /= total_w;
            }
        }
        self.push(
            Tensor::scalar(loss),
            Op::CrossEntropy {
                logits: self.id(),
                probs: Tensor::new(shape, probs),
                targets: classes_of,
                weights,
            },
        )
    }

    /// Binary cross-entropy of logits against targets in [0, 1], averaged (stable form).
    pub fn bce_with_logits(self, targets: &Tensor<E>) -> Var<'t, E> {
        let x = self.value();
        assert!(
            x.shape() == targets.shape(),
            "bce_with_logits: logits {:?} and targets {:?} differ",
            x.shape(),
            targets.shape()
        );
        let s: E = x
            .data()
            .iter()
            .zip(targets.data())
            .map(|(&x, &t)| softplus(x) - x * t)
            .sum();
        let v = Tensor::scalar(s / E::of(x.numel() as f64));
        self.push(
            v,
            Op::BceWithLogits {
                logits: self.id(),
                targets: targets.clone(),
            },
        )
    }
}

/// d/dx mean((x−y)²) = 2(x−y)/n, and the negative for y.
pub(crate) fn mse_backward<E: Element>(ctx: &mut Backward<'_, E>, a: NodeId, b: NodeId) {
    let diff = |c: &Backward<'_, E>, sign: f64| {
        let k = E::of(2.0 * sign / c.value(a).numel() as f64) * c.grad.item();
        c.value(a).zip_same(c.value(b), |x, y| k * (x - y))
    };
    ctx.give(a, |c| diff(c, 1.0));
    ctx.give(b, |c| diff(c, -1.0));
}

/// dlogits = g · wᵢ · (pᵢ − onehot(tᵢ)).
pub(crate) fn cross_entropy_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    logits: NodeId,
    probs: &Tensor<E>,
    targets: &[usize],
    weights: &[E],
) {
    ctx.give(logits, |c| {
        let g = c.grad.item();
        let classes = probs.shape()[probs.rank() - 1];
        let mut out = probs.to_vec();
        for (r, row) in out.chunks_mut(classes.max(1)).enumerate() {
            let w = weights[r] * g;
            row[targets[r]] -= E::one();
            for v in row.iter_mut() {
                *v *= w;
            }
        }
        Tensor::new(probs.shape(), out)
    });
}

/// dlogits = g · (σ(x) − t)/n.
pub(crate) fn bce_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    logits: NodeId,
    targets: &Tensor<E>,
) {
    ctx.give(logits, |c| {
        let x = c.value(logits);
        let k = c.grad.item() / E::of(x.numel() as f64);
        x.zip_same(targets, |x, t| k * (sigmoid(x) - t))
    });
}
