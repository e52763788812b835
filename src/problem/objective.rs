//! [`TaskObjective`]: the loss of a model on a task's batches and its validation metrics, for every
//! problem type.

use std::cell::RefCell;

use autograd::{
    CrossEntropyOptions, Error, ParamStore, Result, Rng, Tape, Tensor, Var, IGNORE_INDEX,
};
use datasets::task::TaskData;
use datasets::text::{BOS, EOS};
use datasets::{Batch, BatchInput, BatchTarget, Batcher, Padded};
use zoo::models::SequenceInput;
use zoo::train::{bits_per_char, exact_match, token_accuracy, Metrics, Objective};
use zoo::Ctx;

use super::model::Model;

/// Rows per validation batch.
const VAL_BATCH: usize = 250;
/// Output tokens a seq2seq model may write beyond the longest target before it is cut off.
const DECODE_SLACK: usize = 5;

/// A model trained on a prepared task: batch `k` of training is a pure function of `k`.
pub struct TaskObjective<'a> {
    task: &'a TaskData,
    model: &'a Model,
    batcher: Batcher,
    val: Vec<Batch>,
    teacher_forcing: f64,
    /// The current epoch's order of the training examples, drawn once per epoch.
    order: RefCell<Option<(u64, Vec<usize>)>>,
}

/// A sum over validation batches: loss, squared error, hits and how many were counted.
#[derive(Default)]
struct Tally {
    loss: f64,
    loss_count: usize,
    hits: usize,
    total: usize,
    predicted: Vec<Vec<usize>>,
    expected: Vec<Vec<usize>>,
}

fn as_i64(ids: &[usize]) -> Vec<i64> {
    ids.iter().map(|&i| i as i64).collect()
}

/// The batch's step features, or an error naming what the batch holds instead.
fn steps(batch: &Batch) -> Result<&Tensor<f32>> {
    match &batch.input {
        BatchInput::Steps(x) => Ok(x),
        _ => Err(Error::Data(
            "this model reads step features, the task gives tokens".into(),
        )),
    }
}

/// The lengths when some row is shorter than the batch (`None` when all are full).
fn ragged(batch: &Batch) -> Option<&[usize]> {
    let t = batch.steps();
    batch
        .lengths
        .iter()
        .any(|&l| l < t)
        .then_some(&batch.lengths[..])
}

fn tokens(padded: &Padded) -> (&[usize], usize, usize) {
    (&padded.ids, padded.batch, padded.steps)
}

impl<'a> TaskObjective<'a> {
    /// Trains `model` on `task` with batches of `batch_size` (shuffled with `seed`, epoch after
    /// epoch) and a seq2seq teacher-forcing ratio; collates the validation split once.
    pub fn new(
        task: &'a TaskData,
        model: &'a Model,
        batch_size: usize,
        seed: u64,
        teacher_forcing: f64,
    ) -> Result<Self> {
        if !(0.0..=1.0).contains(&teacher_forcing) {
            return Err(Error::Config(format!(
                "teacher forcing ratio {teacher_forcing} must be in [0, 1]"
            )));
        }
        let batcher = Batcher::new(batch_size)?.shuffled(seed).drop_last(true);
        let val = Batcher::new(VAL_BATCH)?
            .epoch(&*task.val, 0)
            .collect::<Result<Vec<_>>>()?;
        Ok(TaskObjective {
            task,
            model,
            batcher,
            val,
            teacher_forcing,
            order: RefCell::new(None),
        })
    }

    /// The mean loss of `batch` and, through `tally`, what validation counts.
    fn batch_loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        batch: &Batch,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        let (tape, store) = (cx.tape(), cx.store());
        let loss = match (self.model, &batch.target) {
            (Model::Sequence(m), BatchTarget::Values(y)) => {
                let x = SequenceInput::Steps(tape.constant(steps(batch)?.clone()));
                let pred = m.forward(cx, x, ragged(batch));
                squared_error(pred, y, tape, tally)
            }
            (Model::WindowMlp(m), BatchTarget::Values(y)) => {
                let x = steps(batch)?;
                let x = tape.constant(x.reshape(&[batch.size(), x.numel() / batch.size()]));
                squared_error(m.forward(cx, x), y, tape, tally)
            }
            (Model::Sequence(m), BatchTarget::Classes(_) | BatchTarget::Tags(_)) => {
                let input = self.sequence_input(tape, batch);
                let logits = m.forward(cx, input, ragged(batch));
                match &batch.target {
                    BatchTarget::Tags(tags) => {
                        classify(flatten(logits), &tags.targets_ignoring_pad(), tally)
                    }
                    BatchTarget::Classes(classes) => classify(logits, &as_i64(classes), tally),
                    _ => unreachable!("matched above"),
                }
            }
            (Model::LanguageModel(m), BatchTarget::Tags(next)) => {
                let BatchInput::Tokens(p) = &batch.input else {
                    return Err(Error::Data("a language model reads tokens".into()));
                };
                let input = zoo::models::LmInput {
                    lengths: ragged(batch),
                    ..Default::default()
                };
                let (logits, _) = m.forward(cx, &p.ids, [p.batch, p.steps], input);
                classify(flatten(logits), &next.targets_ignoring_pad(), tally)
            }
            (Model::LanguageModel(m), BatchTarget::Tokens(sentences)) => {
                let BatchInput::Vectors(context) = &batch.input else {
                    return Err(Error::Data(
                        "a caption generator reads one vector per example".into(),
                    ));
                };
                let (inputs, targets) = sentences.shift_for_teacher_forcing();
                let lengths = (inputs.lengths.iter().any(|&l| l < inputs.steps))
                    .then_some(&inputs.lengths[..]);
                let input = zoo::models::LmInput {
                    context: Some(tape.constant(context.clone())),
                    lengths,
                    ..Default::default()
                };
                let (ids, b, t) = tokens(&inputs);
                let (logits, _) = m.forward(cx, ids, [b, t], input);
                classify(flatten(logits), &targets.targets_ignoring_pad(), tally)
            }
            (Model::Seq2Seq(m), BatchTarget::Tokens(sentences)) => {
                let BatchInput::Tokens(src) = &batch.input else {
                    return Err(Error::Data("a seq2seq model reads tokens".into()));
                };
                let (inputs, targets) = sentences.shift_for_teacher_forcing();
                // In evaluation the decoder is fed the teacher tokens whatever the ratio.
                let ratio = self.teacher_forcing;
                let logits = m.forward(cx, &src.ids, &src.lengths, &inputs.ids, ratio);
                let loss = classify(flatten(logits), &targets.targets_ignoring_pad(), None);
                if let Some(tally) = tally {
                    let max_len = sentences.steps + DECODE_SLACK;
                    let decoded = m.greedy(store, &src.ids, &src.lengths, BOS, EOS, max_len);
                    for (b, mut out) in decoded.into_iter().enumerate() {
                        out.push(EOS);
                        tally.predicted.push(out);
                        tally.expected.push(targets.row(b).to_vec());
                    }
                    tally.loss += loss.item() * targets.lengths.iter().sum::<usize>() as f64;
                    tally.loss_count += targets.lengths.iter().sum::<usize>();
                }
                loss
            }
            _ => {
                return Err(Error::Data(format!(
                    "task {} does not fit this model",
                    self.task.name
                )))
            }
        };
        Ok(loss)
    }

    /// The model input of a classifier batch: step features or token ids.
    fn sequence_input<'b, 't>(
        &self,
        tape: &'t Tape<f32>,
        batch: &'b Batch,
    ) -> SequenceInput<'b, 't, f32> {
        match &batch.input {
            BatchInput::Tokens(p) => SequenceInput::Tokens {
                ids: &p.ids,
                batch: p.batch,
                steps: p.steps,
            },
            BatchInput::Steps(x) | BatchInput::Vectors(x) => {
                SequenceInput::Steps(tape.constant(x.clone()))
            }
        }
    }

    /// The metrics of a finished validation tally, named as `--json` reports them.
    fn metrics(&self, tally: &Tally) -> Result<Metrics> {
        let loss = tally.loss / tally.loss_count.max(1) as f64;
        let mut m = Metrics::new().with("val_loss", loss);
        match self.task.kind {
            "regression" => {
                m.insert("val_mse", loss);
                m.insert("val_rmse", loss.sqrt());
            }
            "forecasting" => {
                let scale = self.task.forecast.map_or(1.0, |f| f.scale);
                m.insert("val_mse", loss * scale * scale);
                m.insert("val_rmse", loss.sqrt() * scale);
                if let Some(f) = self.task.forecast {
                    m.insert("persistence_rmse", f.persistence_rmse);
                    m.insert("mean_rmse", f.mean_rmse);
                }
            }
            "classification" | "tagging" => {
                m.insert(
                    "val_accuracy",
                    tally.hits as f64 / tally.total.max(1) as f64,
                );
                if self.task.kind == "tagging" {
                    m.insert("val_nats", loss);
                }
            }
            "lm" | "generation" => {
                m.insert("val_nats", loss);
                m.insert("val_bpc", bits_per_char(loss));
            }
            "seq2seq" => {
                m.insert(
                    "val_exact_match",
                    exact_match(&tally.predicted, &tally.expected)?,
                );
                m.insert(
                    "val_token_accuracy",
                    token_accuracy(&tally.predicted, &tally.expected)?,
                );
            }
            _ => {}
        }
        if let Some(b) = &self.task.baseline {
            m.insert("baseline", b.value);
        }
        Ok(m)
    }
}

/// Mean squared error against `[B, K]` targets, tallied as a sum of squares.
fn squared_error<'t>(
    pred: Var<'t, f32>,
    y: &Tensor<f32>,
    tape: &'t Tape<f32>,
    tally: Option<&mut Tally>,
) -> Var<'t, f32> {
    let loss = pred.mse(tape.constant(y.clone()));
    if let Some(t) = tally {
        t.loss += loss.item() * y.numel() as f64;
        t.loss_count += y.numel();
    }
    loss
}

/// `[B, T, C]` logits as `[B·T, C]` rows.
fn flatten(logits: Var<'_, f32>) -> Var<'_, f32> {
    let s = logits.shape();
    logits.reshape(&[s[0] * s[1], s[2]])
}

/// Mean cross-entropy of logit rows against class targets (`IGNORE_INDEX` rows skipped), tallied
/// as summed nats and argmax hits.
fn classify<'t>(logits: Var<'t, f32>, targets: &[i64], tally: Option<&mut Tally>) -> Var<'t, f32> {
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
            if y != IGNORE_INDEX {
                t.total += 1;
                t.hits += usize::from(zoo::models::argmax(row) as i64 == y);
            }
        }
    }
    loss
}

impl Objective<f32> for TaskObjective<'_> {
    fn loss<'t>(
        &self,
        tape: &'t Tape<f32>,
        store: &ParamStore<f32>,
        step: usize,
        rng: &mut Rng,
    ) -> Result<Var<'t, f32>> {
        let train = &*self.task.train;
        let (epoch, index) = self.batcher.position(train.len(), step as u64)?;
        let mut order = self.order.borrow_mut();
        if order.as_ref().map(|o| o.0) != Some(epoch) {
            *order = Some((epoch, self.batcher.order(train.len(), epoch)));
        }
        let epoch_order = &order.as_ref().expect("drawn above").1;
        let batch = self.batcher.batch_of(train, epoch_order, index)?;
        self.batch_loss(&Ctx::train(tape, store, rng), &batch, None)
    }

    fn validate(&self, store: &ParamStore<f32>) -> Result<Metrics> {
        let mut tally = Tally::default();
        for batch in &self.val {
            let tape = Tape::new();
            let _no_grad = tape.no_grad();
            self.batch_loss(&Ctx::eval(&tape, store), batch, Some(&mut tally))?;
        }
        self.metrics(&tally)
    }
}
