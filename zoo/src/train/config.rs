//! `TrainConfig`: everything that decides a training run, serialized into every checkpoint.

use autograd::optim::OptimConfig;
use autograd::{Error, Result, Schedule};
use serde::{Deserialize, Serialize};

/// The settings of a training run (steps, optimizer, schedule, clipping, validation, seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Total optimizer steps of the run (a resumed run counts the steps already done).
    pub steps: usize,
    /// The optimizer and its base learning rate, e.g. `OptimConfig::from_name("adam")?.with_lr(1e-3)`.
    pub optimizer: OptimConfig,
    /// The learning-rate schedule applied to the optimizer's base rate before every step.
    #[serde(default)]
    pub schedule: Schedule,
    /// Global L2 gradient-norm clipping threshold (`clip_grad_norm`); `None` for no clipping.
    #[serde(default)]
    pub clip: Option<f64>,
    /// Validate every this many steps (and always at the end); 0 validates only at the end.
    pub val_every: usize,
    /// Early stopping: stop after this many validations in a row without a lower `val_loss`.
    #[serde(default)]
    pub patience: Option<usize>,
    /// At the end of the run, put back the weights of the validation with the lowest `val_loss`.
    #[serde(default)]
    pub restore_best: bool,
    /// Seed of the trainer's generator (dropout, teacher forcing, sampling inside the loss).
    pub seed: u64,
}

impl Default for TrainConfig {
    /// 1000 steps of Adam at 1e-3, constant rate, no clipping, validation every 100 steps, seed 0.
    fn default() -> Self {
        TrainConfig {
            steps: 1000,
            optimizer: OptimConfig::Adam(Default::default()).with_lr(1e-3),
            schedule: Schedule::Constant,
            clip: None,
            val_every: 100,
            patience: None,
            restore_best: false,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// `steps` steps of the optimizer called `name` (see `autograd::optim::OPTIMIZER_NAMES`) at `lr`,
    /// the other settings as in [`TrainConfig::default`].
    pub fn new(steps: usize, optimizer: &str, lr: f64) -> Result<Self> {
        Ok(TrainConfig {
            steps,
            optimizer: OptimConfig::from_name(optimizer)?.with_lr(lr),
            ..TrainConfig::default()
        })
    }

    /// With this schedule.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// With global-norm clipping at `max_norm` (`None` for none).
    pub fn clip(mut self, max_norm: Option<f64>) -> Self {
        self.clip = max_norm;
        self
    }

    /// Validating every `n` steps.
    pub fn val_every(mut self, n: usize) -> Self {
        self.val_every = n;
        self
    }

    /// With early stopping after `n` validations without improvement (`None` for none).
    pub fn patience(mut self, n: Option<usize>) -> Self {
        self.patience = n;
        self
    }

    /// Restoring the best validated weights at the end, or not.
    pub fn restore_best(mut self, yes: bool) -> Self {
        self.restore_best = yes;
        self
    }

    /// With this seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// An `Error::Config` naming the setting that is out of range.
    pub fn validate(&self) -> Result<()> {
        self.schedule.validate()?;
        let lr = self.optimizer.lr();
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(Error::Config(format!(
                "learning rate {lr} must be finite and >= 0"
            )));
        }
        if let Some(c) = self.clip {
            if !(c.is_finite() && c > 0.0) {
                return Err(Error::Config(format!(
                    "clip {c} must be a finite positive gradient norm"
                )));
            }
        }
        if self.patience == Some(0) {
            return Err(Error::Config(
                "patience must be at least 1 validation".to_string(),
            ));
        }
        Ok(())
    }
}
