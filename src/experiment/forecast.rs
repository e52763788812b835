//! Forecasting runs shared by the series experiments: one model trained on a built-in series in
//! batches of 32.

use autograd::optim::OptimConfig;
use autograd::Result;
use zoo::train::{Observer, TrainConfig};

use super::{Options, Trial};
use crate::problem::{ModelSpec, RunSpec};

/// One forecasting run: `model` with `hidden` units on `task` with `settings`, for `steps` steps.
pub struct ForecastRun<'a> {
    /// The task's name (`seqzoo data list`).
    pub task: &'a str,
    /// Its settings `key=value`.
    pub settings: Vec<String>,
    /// The `--model` name.
    pub model: &'a str,
    /// Hidden units.
    pub hidden: usize,
    /// Training steps.
    pub steps: usize,
    /// Validate every this many steps.
    pub val_every: usize,
    /// The optimizer's `--optimizer` name.
    pub optimizer: &'a str,
    /// Its learning rate.
    pub lr: f64,
    /// The global gradient-norm clip, if any.
    pub clip: Option<f64>,
}

/// Examples per batch of every forecasting run.
pub const BATCH: usize = 32;

impl ForecastRun<'_> {
    /// Trains the run with the experiment's seed.
    pub fn train(&self, options: &Options) -> Result<Trial> {
        self.train_observed(options, &mut ())
    }

    /// [`ForecastRun::train`], reporting the run's events to `extra` too.
    pub fn train_observed(&self, options: &Options, extra: &mut dyn Observer) -> Result<Trial> {
        let spec = RunSpec {
            settings: self.settings.clone(),
            seed: options.seed,
            batch: BATCH,
            ..RunSpec::new(
                self.task,
                ModelSpec {
                    model: self.model.into(),
                    hidden: self.hidden,
                    ..ModelSpec::default()
                },
            )
        };
        let train = TrainConfig {
            steps: self.steps,
            optimizer: OptimConfig::from_name(self.optimizer)?.with_lr(self.lr),
            clip: self.clip,
            val_every: self.val_every,
            seed: options.seed,
            ..TrainConfig::default()
        };
        Trial::run_observed(spec, train, None, options, extra)
    }
}
