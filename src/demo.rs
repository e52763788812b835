//! The headline experiment: an Elman network and an LSTM trained on the adding problem (T = 100)
//! under the same budget. The lecture's claim — simple recurrent networks cannot carry information
//! across long gaps, LSTMs can — should come out of the numbers of the run.

use autograd::optim::OptimConfig;
use autograd::Result;
use zoo::train::{Observer, TrainConfig};

use crate::problem::{ModelSpec, RunSpec, Session};

/// Validation MSE below which the adding problem counts as solved.
pub const SOLVED_MSE: f64 = 0.01;

/// The demo's settings; the defaults are what `seqzoo demo` runs.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    /// Sequence length of the adding problem.
    pub t: usize,
    /// Training steps per model (the shared budget).
    pub steps: usize,
    /// Hidden units of each model.
    pub hidden: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Global gradient-norm clipping.
    pub clip: f64,
    /// The seed of data and initialization.
    pub seed: u64,
    /// The models, by `--model` name.
    pub models: Vec<String>,
}

impl Default for DemoConfig {
    /// T = 100, 4,000 steps of batches of 32, 32 hidden units, Adam at 0.01 with clipping at 1.
    fn default() -> Self {
        DemoConfig {
            t: 100,
            steps: 4000,
            hidden: 32,
            batch: 32,
            lr: 0.01,
            clip: 1.0,
            seed: 0,
            models: vec!["srn".into(), "lstm".into()],
        }
    }
}

/// One trained model's line of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoRow {
    /// The model name (`srn`, `lstm`).
    pub model: String,
    /// Trainable weights.
    pub params: usize,
    /// Steps trained.
    pub steps: usize,
    /// Seconds of training (validation included).
    pub seconds: f64,
    /// Final validation MSE.
    pub val_mse: f64,
    /// The baseline's MSE on the same validation examples (predict 1).
    pub baseline: f64,
    /// The first validated step at which the model was below [`SOLVED_MSE`], if any.
    pub solved_at: Option<usize>,
}

impl DemoRow {
    /// Whether the final validation MSE is below [`SOLVED_MSE`].
    pub fn solved(&self) -> bool {
        self.val_mse < SOLVED_MSE
    }
}

impl DemoConfig {
    /// The run spec and train config of one model of the demo.
    pub fn session(&self, model: &str) -> Result<Session> {
        let model = ModelSpec {
            model: model.into(),
            hidden: self.hidden,
            ..ModelSpec::default()
        };
        let spec = RunSpec {
            settings: vec![format!("t={}", self.t)],
            seed: self.seed,
            train_size: self.steps * self.batch,
            batch: self.batch,
            ..RunSpec::new("adding", model)
        };
        let train = TrainConfig {
            steps: self.steps,
            optimizer: OptimConfig::from_name("adam")?.with_lr(self.lr),
            clip: Some(self.clip),
            val_every: (self.steps / 10).max(1),
            seed: self.seed,
            ..TrainConfig::default()
        };
        Session::new(spec, train)
    }

    /// Trains every model in turn, reporting each run to the observer `observe(model)` returns.
    pub fn run<O: Observer>(&self, mut observe: impl FnMut(&str) -> O) -> Result<Vec<DemoRow>> {
        let mut rows = Vec::new();
        for model in &self.models {
            let mut session = self.session(model)?;
            let mut observer = observe(model);
            let summary = session.run(&mut observer)?;
            let history = session.trainer.history();
            let metric = |m: &zoo::train::Metrics, name: &str| m.get(name).unwrap_or(f64::NAN);
            rows.push(DemoRow {
                model: model.clone(),
                params: session.num_weights(),
                steps: summary.steps,
                seconds: summary.seconds,
                val_mse: metric(&summary.last_val, "val_mse"),
                baseline: metric(&summary.last_val, "baseline"),
                solved_at: history
                    .iter()
                    .find(|r| metric(&r.metrics, "val_mse") < SOLVED_MSE)
                    .map(|r| r.step),
            });
        }
        Ok(rows)
    }
}

/// The results as a table with a verdict per model, and the conclusion they support.
pub fn table(config: &DemoConfig, rows: &[DemoRow]) -> String {
    let mut s = format!(
        "The adding problem, T = {}: read {} steps of (value, marker) pairs and output the sum of \
         the two marked values.\nPredicting 1 every time scores the baseline MSE; below {SOLVED_MSE} \
         counts as solved. Same budget for every model: {} steps of {} sequences, {} hidden \
         units, Adam lr {}.\n\n",
        config.t, config.t, config.steps, config.batch, config.hidden, config.lr
    );
    s += &format!(
        "{:<6} {:>7} {:>6} {:>8} {:>8} {:>9}  {}\n",
        "model", "params", "steps", "seconds", "val_mse", "baseline", "result"
    );
    for r in rows {
        let result = match (r.solved(), r.solved_at) {
            (true, Some(step)) => format!("solved (below {SOLVED_MSE} from step {step})"),
            (true, None) => "solved".to_string(),
            (false, _) if r.val_mse < 0.5 * r.baseline => "beats the baseline, not solved".into(),
            (false, _) => "not solved (no better than the baseline)".into(),
        };
        s += &format!(
            "{:<6} {:>7} {:>6} {:>8.1} {:>8.4} {:>9.4}  {}\n",
            r.model, r.params, r.steps, r.seconds, r.val_mse, r.baseline, result
        );
    }
    let solved: Vec<&str> = rows
        .iter()
        .filter(|r| r.solved())
        .map(|r| r.model.as_str())
        .collect();
    let unsolved: Vec<&str> = rows
        .iter()
        .filter(|r| !r.solved())
        .map(|r| r.model.as_str())
        .collect();
    s.push('\n');
    s += &match (solved.is_empty(), unsolved.is_empty()) {
        (false, false) => format!(
            "Solved by {}; not by {} under the same budget: the gated memory carries the two \
             numbers across the gap.\n",
            solved.join(", "),
            unsolved.join(", ")
        ),
        (false, true) => format!("Every model solved it ({}).\n", solved.join(", ")),
        (true, _) => "No model solved it within this budget.\n".to_string(),
    };
    s
}
