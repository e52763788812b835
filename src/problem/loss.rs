//! The losses the problem types share (squared error, cross-entropy over classes or tokens), what
//! a validation pass counts with them ([`Tally`]), and the views of a batch the models read.

use autograd::{CrossEntropyOptions, Error, Result, Tensor, Var, IGNORE_INDEX};
use datasets::task::TaskData;
use datasets::{Batch, BatchInput};
use zoo::models::SequenceInput;
use zoo::train::Metrics;
use zoo::Ctx;

use super::model::Model;

/// A sum over validation batches: loss, argmax hits, and decoded sequences with their targets.
#[derive(Default)]
pub struct Tally {
    /// Summed loss (nats or squared error) over the counted items.
    pub loss: f64,
    /// Items the loss was summed over.
    pub loss_count: usize,
    /// Argmax predictions equal to their target.
    pub hits: usize,
    /// Predictions counted for `hits`.
    pub total: usize,
    /// Decoded output sequences (seq2seq).
    pub predicted: Vec<Vec<usize>>,
    /// Their targets.
    pub expected: Vec<Vec<usize>>,
    /// `[hits, counted]` of the argmax predictions by target class (index = class).
    pub by_class: Vec<[usize; 2]>,
}

impl Tally {
    /// The mean loss per counted item.
    pub fn mean_loss(&self) -> f64 {
        self.loss / self.loss_count.max(1) as f64
    }

    /// The share of hits.
    pub fn accuracy(&self) -> f64 {
        self.hits as f64 / self.total.max(1) as f64
    }

    /// The share of hits among the predictions whose target is one of `classes` (NaN if none
    /// was counted).
    pub fn accuracy_of(&self, classes: &[usize]) -> f64 {
        let [hits, counted] = classes
            .iter()
            .filter_map(|&c| self.by_class.get(c))
            .fold([0, 0], |[h, n], [ch, cn]| [h + ch, n + cn]);
        if counted == 0 {
            f64::NAN
        } else {
            hits as f64 / counted as f64
        }
    }

    /// Counts one argmax prediction of `target` (`hit` when it was right).
    pub fn count(&mut self, target: usize, hit: bool) {
        self.total += 1;
        self.hits += usize::from(hit);
        if self.by_class.len() <= target {
            self.by_class.resize(target + 1, [0, 0]);
        }
        self.by_class[target][0] += usize::from(hit);
        self.by_class[target][1] += 1;
    }

    /// `val_loss` and, when the task has one, its `baseline`, then the problem's own metrics.
    pub fn metrics(&self, task: &TaskData, own: &[(&str, f64)]) -> Metrics {
        let mut m = Metrics::new().with("val_loss", self.mean_loss());
        for &(name, value) in own {
            m.insert(name, value);
        }
        if let Some(b) = &task.baseline {
            m.insert("baseline", b.value);
        }
        m
    }
}

/// The batch's step features, or an error naming what the batch holds instead.
pub fn steps(batch: &Batch) -> Result<&Tensor<f32>> {
    match &batch.input {
        BatchInput::Steps(x) => Ok(x),
        _ => Err(Error::Data(
            "this model reads step features, the task gives tokens".into(),
        )),
    }
}

/// The lengths when some row is shorter than the batch (`None` when all are full).
pub fn ragged(batch: &Batch) -> Option<&[usize]> {
    let t = batch.steps();
    batch
        .lengths
        .iter()
        .any(|&l| l < t)
        .then_some(&batch.lengths[..])
}

/// What a sequence model reads of a batch: step features or token ids.
pub fn sequence_input<'b, 't>(
    cx: &Ctx<'_, 't, f32>,
    batch: &'b Batch,
) -> SequenceInput<'b, 't, f32> {
    match &batch.input {
        BatchInput::Tokens(p) => SequenceInput::Tokens {
            ids: &p.ids,
            batch: p.batch,
            steps: p.steps,
        },
        BatchInput::Steps(x) | BatchInput::Vectors(x) => {
            SequenceInput::Steps(cx.constant(x.clone()))
        }
    }
}

/// What a sequence model (a recurrent network with a linear read-out) outputs for `batch`: the
/// last step's `[B, K]` or every step's `[B, T, K]`.
pub fn sequence_output<'t>(
    cx: &Ctx<'_, 't, f32>,
    model: &Model,
    batch: &Batch,
) -> Result<Var<'t, f32>> {
    let Model::Sequence(m) = model else {
        return Err(Error::Data(
            "this problem needs a sequence model (a recurrent network with a read-out)".into(),
        ));
    };
    Ok(m.forward(cx, sequence_input(cx, batch), ragged(batch)))
}

/// Mean squared error against `[B, K]` targets, tallied as a sum of squares.
pub fn squared_error<'t>(
    cx: &Ctx<'_, 't, f32>,
    pred: Var<'t, f32>,
    y: &Tensor<f32>,
    tally: Option<&mut Tally>,
) -> Var<'t, f32> {
    let loss = pred.mse(cx.constant(y.clone()));
    if let Some(t) = tally {
        t.loss += loss.item() * y.numel() as f64;
        t.loss_count += y.numel();
    }
    loss
}

/// `[B, T, C]` logits as `[B·T, C]` rows.
pub fn flatten(logits: Var<'_, f32>) -> Var<'_, f32> {
    let s = logits.shape();
    logits.reshape(&[s[0] * s[1], s[2]])
}

/// Mean cross-entropy of logit rows against class targets (`IGNORE_INDEX` rows skipped), tallied
/// as summed nats and argmax hits.
pub fn classify<'t>(
    logits: Var<'t, f32>,
    targets: &[i64],
    tally: Option<&mut Tally>,
) -> Var<'t, f32> {
    let opts = CrossEntropyOptions {
        ignore_index: Some(IGNORE_INDEX),
        ..Default::default()
    };
    let loss = logits.cross_entropy_with(targets, &opts);
    if let Some(t) = tally {
        let counted = targets.iter().filter(|&&y| y != IGNORE_INDEX).count();
        t.loss += loss.item() * counted as f64;
        t.loss_count += counted;
        let v = logits.value();
        let classes = v.shape()[1];
        for (row, &y) in v.data().chunks(classes).zip(targets) {
            if let Ok(target) = usize::try_from(y) {
                t.count(target, zoo::models::argmax(row) as i64 == y);
            }
        }
    }
    loss
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_of_counts_only_the_given_target_classes() {
        let mut t = Tally::default();
        for (target, hit) in [(1, true), (1, true), (2, false), (3, true), (2, true)] {
            t.count(target, hit);
        }
        assert_eq!(t.accuracy(), 0.8);
        assert_eq!(t.accuracy_of(&[2, 3]), 2.0 / 3.0);
        assert_eq!(t.accuracy_of(&[1]), 1.0);
        assert!(t.accuracy_of(&[0, 7]).is_nan());
    }
}
