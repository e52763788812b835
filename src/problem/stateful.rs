//! Stateful truncated backpropagation through time for language models (Keras's
//! `stateful=True`, the char-rnn and AWD-LSTM layout), switched on by `--set stateful=true`.
//!
//! The training text is cut into B contiguous streams (B = the batch size). Batch k reads window
//! k mod N of every stream (N = the full windows of `window` steps a stream holds; the ragged
//! tail of fewer steps is not trained on) and starts from the final state of batch k − 1,
//! detached: no gradient crosses a batch boundary. Window 0 of every pass starts from zeros.
//! Batches come in stream order, never shuffled, so batch k is still a function of k given the
//! state carried into it, and a checkpoint holds that state ([`Carry`]) to resume bit for bit.
//! Validation reads the held-out text as B streams the same way, from zeros, carrying its own
//! state across all its windows (the last one may be shorter): `val_nats` is the loss of reading
//! the held-out text continuously.

use std::sync::{Arc, Mutex, MutexGuard};

use autograd::{Error, ParamStore, Result, Tape, Tensor, Var};
use datasets::task::TaskData;
use datasets::text::lm::BpttStream;
use datasets::text::streams::TextStreams;
use zoo::models::StateValues;
use zoo::train::Checkpoint;
use zoo::{Ctx, RecurrentKind};

use super::language_model::stream_loss;
use super::loss::Tally;
use super::model::{Model, ModelConfig};

/// The checkpoint names ([`Checkpoint::carry`]) of the carried hidden and cell states.
const CARRY_H: &str = "h";
const CARRY_C: &str = "c";

/// The training and validation streams of a stateful language model for one batch size.
pub struct StreamBatches {
    train: BpttStream,
    val: BpttStream,
}

/// The state carried from each batch of stateful training to the next, shared by a session
/// (which saves it in checkpoints) and its objectives (which advance it, one step at a time).
#[derive(Clone, Debug, Default)]
pub struct Carry(Arc<Mutex<Carried>>);

/// What a [`Carry`] holds.
#[derive(Debug, Default)]
struct Carried {
    /// The final state of the latest training batch, and the step of the batch it feeds.
    next: Option<(usize, StateValues<f32>)>,
    /// The step of the latest training batch and the state it started from (zeros when `None`),
    /// to run that batch again without changing the run (diagnostics).
    last: Option<(usize, Option<StateValues<f32>>)>,
}

impl Carry {
    /// The carried state, locked (a poisoned lock only means a panic elsewhere; the state is
    /// plain data and still whole).
    fn lock(&self) -> MutexGuard<'_, Carried> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state for the next batch as checkpoint tensors (`h`, and `c` for an LSTM); none before
    /// the first batch.
    pub fn tensors(&self) -> Vec<(&'static str, Tensor<f32>)> {
        let carried = self.lock();
        let Some((_, state)) = &carried.next else {
            return vec![];
        };
        let mut tensors = vec![(CARRY_H, state.h.clone())];
        tensors.extend(state.c.clone().map(|c| (CARRY_C, c)));
        tensors
    }

    /// The carry saved in `ckpt` (written after its step), feeding that step's batch; none when
    /// the checkpoint holds no carried state (one written before the first step, or by a run
    /// that was not stateful). The tensors must be `[layers, batch, hidden]` of finite numbers,
    /// with a cell state exactly when `lstm`; an error naming the file otherwise.
    pub fn restore(ckpt: &Checkpoint, shape: [usize; 3], lstm: bool) -> Result<Self> {
        let step = ckpt.step()?;
        let (h, c) = (ckpt.carry::<f32>(CARRY_H)?, ckpt.carry::<f32>(CARRY_C)?);
        let Some(h) = h else {
            return match c {
                None => Ok(Carry::default()),
                Some(_) => Err(Error::format(
                    ckpt.path(),
                    "it holds a carried cell state without a hidden state",
                )),
            };
        };
        for (name, t) in [(CARRY_H, Some(&h)), (CARRY_C, c.as_ref())] {
            let Some(t) = t else { continue };
            if t.shape() != shape {
                return Err(Error::format(
                    ckpt.path(),
                    format!(
                        "the carried state `{name}` has shape {:?}, the model carries {shape:?} \
                         ([layers, batch, hidden])",
                        t.shape()
                    ),
                ));
            }
            if let Some(x) = t.data().iter().find(|x| !x.is_finite()) {
                return Err(Error::format(
                    ckpt.path(),
                    format!("the carried state `{name}` holds {x}, not a finite number"),
                ));
            }
        }
        if c.is_some() != lstm {
            return Err(Error::format(
                ckpt.path(),
                format!(
                    "the carried state {} a cell state, the model {}",
                    if lstm { "lacks" } else { "has" },
                    if lstm { "is an LSTM" } else { "has none" }
                ),
            ));
        }
        let carry = Carry::default();
        carry.lock().next = Some((step, StateValues { h, c }));
        Ok(carry)
    }

    /// The state batch `step` starts from: the one carried into it when `continues` (an error
    /// when there is none), otherwise the one the latest batch started from when that is batch
    /// `step` (a replay), otherwise zeros (`None`).
    fn input(&self, step: usize, continues: bool) -> Result<Option<StateValues<f32>>> {
        let carried = self.lock();
        if continues {
            return match &carried.next {
                Some((s, state)) if *s == step => Ok(Some(state.clone())),
                _ => Err(Error::Data(format!(
                    "stateful training: batch {step} continues batch {}, whose final state is \
                     not at hand (stateful batches run in order, from a checkpoint that carries \
                     their state)",
                    step - 1
                ))),
            };
        }
        Ok(match &carried.last {
            Some((s, input)) if *s == step => input.clone(),
            _ => None,
        })
    }

    /// Whether a state is carried into batch `step`.
    pub fn feeds(&self, step: usize) -> bool {
        self.lock().next.as_ref().is_some_and(|(s, _)| *s == step)
    }
}

impl StreamBatches {
    /// The streams of `streams` for batches of `batch` rows; an error naming the batch and the
    /// window when a stream would hold no full window.
    pub fn new(streams: &TextStreams, batch: usize) -> Result<Self> {
        Ok(StreamBatches {
            train: streams.train(batch)?,
            val: streams.val(batch)?,
        })
    }

    /// Training batches per pass over the streams (N).
    pub fn windows(&self) -> usize {
        self.train.full_len()
    }

    /// Whether batch `step` starts a pass (from zeros) rather than continuing the one before.
    pub fn starts_pass(&self, step: usize) -> bool {
        step.is_multiple_of(self.windows())
    }

    /// The training loss of batch `step`: window `step mod N` of every stream, from the state
    /// `carry` holds for it (zeros at the start of a pass), whose final state, detached, it then
    /// carries into batch `step + 1`. On a diagnosing tape ([`Tape::is_diagnosing`]) it carries
    /// nothing: the latest batch runs again from the state it started from, one whose state is
    /// not at hand from zeros.
    pub fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        step: usize,
        carry: &Carry,
    ) -> Result<Var<'t, f32>> {
        let chunk = self.train.chunk(step % self.windows());
        let training = !cx.tape().is_diagnosing();
        let input = carry.input(step, training && !self.starts_pass(step))?;
        let (loss, last) = stream_loss(cx, model, &chunk, input.as_ref(), None)?;
        if training {
            let mut carried = carry.lock();
            carried.next = Some((step + 1, last));
            carried.last = Some((step, input));
        }
        Ok(loss)
    }

    /// What validation counts on the weights in `store`: every window of the validation streams
    /// in order, each from the final state of the one before (zeros at the start).
    pub fn tally(&self, store: &ParamStore<f32>, model: &Model) -> Result<Tally> {
        let mut tally = Tally::default();
        let mut state: Option<StateValues<f32>> = None;
        for chunk in self.val.chunks() {
            let tape = Tape::new();
            let _no_grad = tape.no_grad();
            let cx = Ctx::eval(&tape, store);
            let (_, last) = stream_loss(&cx, model, &chunk, state.as_ref(), Some(&mut tally))?;
            state = Some(last);
        }
        Ok(tally)
    }
}

/// The carry a run resumes from its checkpoint `ckpt` with: the saved state when `task` trains
/// statefully in batches of `batch` rows of the language model `config` (none otherwise). An
/// error naming the file when the next batch continues a stream and the checkpoint carries no
/// state into it, or carries one of another shape.
pub fn resume_carry(
    ckpt: &Checkpoint,
    task: &TaskData,
    config: &ModelConfig,
    batch: usize,
) -> Result<Carry> {
    let (Some(streams), ModelConfig::LanguageModel(lm)) = (&task.streams, config) else {
        return Ok(Carry::default());
    };
    let rnn = &lm.rnn;
    let shape = [rnn.num_layers, batch, rnn.hidden_size];
    let carry = Carry::restore(ckpt, shape, rnn.kind == RecurrentKind::Lstm)?;
    let step = ckpt.step()?;
    if !StreamBatches::new(streams, batch)?.starts_pass(step) && !carry.feeds(step) {
        return Err(Error::format(
            ckpt.path(),
            format!(
                "its run trains statefully (stateful=true) but it carries no state into batch \
                 {step}, which continues the streams"
            ),
        ));
    }
    Ok(carry)
}
