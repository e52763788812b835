//! Sequence-to-sequence runs shared by the `teacher-forcing` and `encoder-decoder` experiments:
//! one trained model and what validation measured of it (teacher-forced loss, greedy exact match
//! and token accuracy).

use autograd::optim::OptimConfig;
use autograd::Result;
use autograd::Schedule;
use serde_json::{json, Value};
use zoo::train::TrainConfig;

use super::{finite, Options, Trial};
use crate::problem::{ModelSpec, RunSpec, TeacherForcingSchedule};

/// Examples per training batch.
pub const BATCH: usize = 32;
/// The Adam learning rate (the seq2seq recipes' rate), on a cosine schedule.
pub const LR: f64 = 3e-3;

/// One seq2seq model to train: the task, the model, the teacher forcing and the budget.
#[derive(Clone, Debug)]
pub struct Seq2SeqSetup {
    /// The task, by `seqzoo data list` name.
    pub task: &'static str,
    /// The model.
    pub model: ModelSpec,
    /// The teacher-forcing ratio at the start of training.
    pub teacher_forcing: f64,
    /// How the ratio changes over training.
    pub schedule: TeacherForcingSchedule,
    /// Training steps.
    pub steps: usize,
    /// Steps between validations.
    pub val_every: usize,
    /// Validation examples.
    pub val_size: usize,
}

/// What validation measured of one trained seq2seq model.
#[derive(Clone, Debug)]
pub struct Seq2SeqResult {
    /// Teacher-forced validation cross-entropy (nats per target token) at the end.
    pub forced_loss: f64,
    /// Greedy-decoding exact match at the end (fraction of validation examples).
    pub exact_match: f64,
    /// Greedy-decoding token accuracy at the end.
    pub token_accuracy: f64,
    /// `(step, teacher-forced validation loss)` at every validation.
    pub loss_curve: Vec<(f64, f64)>,
    /// `(step, exact match)` at every validation.
    pub exact_curve: Vec<(f64, f64)>,
    /// Trainable weights of the model.
    pub weights: usize,
}

impl Seq2SeqSetup {
    /// Trains the model with Adam on a cosine schedule (clipping at 1) and measures it.
    pub fn train(&self, options: &Options) -> Result<Seq2SeqResult> {
        let spec = RunSpec {
            seed: options.seed,
            train_size: self.steps * BATCH,
            val_size: self.val_size,
            batch: BATCH,
            teacher_forcing: self.teacher_forcing,
            teacher_forcing_schedule: self.schedule,
            ..RunSpec::new(self.task, self.model.clone())
        };
        let train = TrainConfig {
            steps: self.steps,
            optimizer: OptimConfig::from_name("adam")?.with_lr(LR),
            schedule: Schedule::cosine(self.steps, 0.0),
            clip: Some(1.0),
            val_every: self.val_every,
            seed: options.seed,
            ..TrainConfig::default()
        };
        let trial = Trial::run(spec, train, None, options)?;
        Ok(Seq2SeqResult {
            forced_loss: trial.last("val_loss"),
            exact_match: trial.last("val_exact_match"),
            token_accuracy: trial.last("val_token_accuracy"),
            loss_curve: trial.curve("val_loss"),
            exact_curve: trial.curve("val_exact_match"),
            weights: trial.session.num_weights(),
        })
    }
}

impl Seq2SeqResult {
    /// The final numbers as JSON (curves left out).
    pub fn to_json(&self) -> Value {
        json!({
            "forced_loss": finite(self.forced_loss),
            "exact_match": finite(self.exact_match),
            "token_accuracy": finite(self.token_accuracy),
            "weights": self.weights,
        })
    }
}
