//! Losses: mean squared error, softmax cross-entropy (ignore index, masks), BCE with logits.

use crate::element::Element;
use crate::op::Op;
use crate::ops::same_tape;
use crate::ops::softmax::softmax_lane;
use crate::ops::unary::{sigmoid, softplus};
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Cross-entropy over at least twice this many logits splits its rows across the rayon threads.
const CE_PAR_MIN_LEN: usize = 1 << 15;

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
        // Which rows count, with what weight; targets checked before anything is computed.
        let mut weights = vec![E::zero(); rows];
        let mut classes_of = vec![0usize; rows];
        let mut total_w = E::zero();
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
            weights[r] = w;
            classes_of[r] = t as usize;
            total_w += w;
        }
        // Each counted row's softmax and loss, one exponential per logit, rows across threads;
        // the losses are summed in row order, so any thread count gives the same bits.
        let mut probs = vec![E::zero(); x.numel()];
        let mut row_loss = vec![E::zero(); rows];
        let lanes = x.data();
        let fill = |first: usize, probs: &mut [E], losses: &mut [E]| {
            let lanes = &lanes[first * classes..];
            for (k, (p, l)) in probs.chunks_mut(classes).zip(losses).enumerate() {
                let r = first + k;
                if weights[r] != E::zero() {
                    let lane = &lanes[k * classes..(k + 1) * classes];
                    let lse = softmax_lane(lane, p);
                    *l = weights[r] * (lse - lane[classes_of[r]]);
                }
            }
        };
        let rows_per_task = (CE_PAR_MIN_LEN / classes.max(1)).max(1);
        if rows * classes >= 2 * CE_PAR_MIN_LEN && rayon::current_num_threads() > 1 {
            probs
                .par_chunks_mut(rows_per_task * classes)
                .zip(row_loss.par_chunks_mut(rows_per_task))
                .enumerate()
                .for_each(|(task, (p, l))| fill(task * rows_per_task, p, l));
        } else if classes > 0 {
            fill(0, &mut probs, &mut row_loss);
        }
        let mut loss = row_loss.iter().fold(E::zero(), |acc, &l| acc + l);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tape::Tape;
    use crate::tensor::on_two_threads;

    /// The test's logit at row `r`, class `c`.
    fn logit(r: usize, c: usize) -> f32 {
        ((r * 31 + c * 17) % 23) as f32 * 0.37 - 4.0
    }

    /// The test's target of row `r`: every seventh row ignored.
    fn target(r: usize, classes: usize) -> i64 {
        if r % 7 == 3 {
            IGNORE_INDEX
        } else {
            ((r * 5) % classes) as i64
        }
    }

    /// The test's mask weight of row `r`: not powers of two, so `w·(a − b)` and `w·a − w·b` differ.
    fn weight(r: usize) -> f32 {
        [1.0, 0.3, 0.0, 1.7][r % 4]
    }

    /// The loss and logit gradient of a cross-entropy over `rows × classes` logits with some rows
    /// ignored and some weighted, on the current rayon pool.
    fn run(rows: usize, classes: usize) -> (f32, Vec<f32>) {
        let logits = Tensor::from_fn(&[rows, classes], |i| logit(i / classes, i % classes));
        let targets: Vec<i64> = (0..rows).map(|r| target(r, classes)).collect();
        let mask: Vec<f32> = (0..rows).map(weight).collect();
        let opts = CrossEntropyOptions {
            ignore_index: Some(IGNORE_INDEX),
            mask: Some(&mask),
        };
        let tape = Tape::new();
        let x = tape.var(logits);
        let loss = x.cross_entropy_with(&targets, &opts);
        let value = loss.value().item();
        let grads = loss.backward();
        (value, grads.get(x).expect("a gradient").to_vec())
    }

    /// The plain definition, one row after the other: Σ w·(log Σ exp − x_t) / Σ w.
    fn reference(rows: usize, classes: usize) -> f32 {
        let (mut loss, mut total) = (0.0f32, 0.0f32);
        for r in 0..rows {
            let (t, w) = (target(r, classes), weight(r));
            if t == IGNORE_INDEX || w == 0.0 {
                continue;
            }
            let lane: Vec<f32> = (0..classes).map(|c| logit(r, c)).collect();
            let m = lane.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let lse = m + lane.iter().map(|&v| (v - m).exp()).sum::<f32>().ln();
            loss += w * (lse - lane[t as usize]);
            total += w;
        }
        loss / total
    }

    #[test]
    fn cross_entropy_split_across_threads_has_the_same_bits() {
        // Below the split, at it, and ragged past it (rows not a multiple of a task's rows).
        for (rows, classes) in [(3, 5), (2 * CE_PAR_MIN_LEN / 64, 64), (2051, 81)] {
            let one = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .expect("a pool of 1 thread")
                .install(|| run(rows, classes));
            let mut two = None;
            on_two_threads(|| two = Some(run(rows, classes)));
            let two = two.expect("ran");
            assert_eq!(one.0.to_bits(), two.0.to_bits(), "loss at {rows}×{classes}");
            assert!(
                one.1
                    .iter()
                    .zip(&two.1)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "gradient at {rows}×{classes}"
            );
            assert_eq!(one.0.to_bits(), reference(rows, classes).to_bits());
        }
    }
}
