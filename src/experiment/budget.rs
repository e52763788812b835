//! One training budget shared by the runs of an experiment that compares cells: the same width,
//! batch, learning rate and steps for every model and task it trains.

use autograd::optim::OptimConfig;
use autograd::Result;
use serde::Serialize;
use zoo::train::TrainConfig;

use super::{Goal, Options, Trial};
use crate::plot::{LineChart, Series};
use crate::problem::{ModelSpec, RunSpec};

/// Adam with gradient-norm clipping at 1 on fresh synthetic batches, the same for every run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Budget {
    /// Hidden units per direction.
    pub hidden: usize,
    /// Examples per batch.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Training steps at most.
    pub steps: usize,
    /// Steps between validations.
    pub val_every: usize,
    /// Validation examples.
    pub val_size: usize,
}

impl Budget {
    /// Trains a one-layer `model` (read both ways when `bidirectional`) on `task` with
    /// `settings`, stopping at `goal` when given; each step sees a fresh batch.
    pub fn train(
        &self,
        task: &str,
        settings: &[String],
        model: &str,
        bidirectional: bool,
        goal: Option<Goal>,
        options: &Options,
    ) -> Result<Trial> {
        let spec = self.spec(task, settings, model, bidirectional, options);
        Trial::run(spec, self.config(options)?, goal, options)
    }

    /// The run of a one-layer `model` on `task` with `settings` and the seed of `options`.
    pub fn spec(
        &self,
        task: &str,
        settings: &[String],
        model: &str,
        bidirectional: bool,
        options: &Options,
    ) -> RunSpec {
        RunSpec {
            settings: settings.to_vec(),
            seed: options.seed,
            train_size: self.steps * self.batch,
            val_size: self.val_size,
            batch: self.batch,
            ..RunSpec::new(
                task,
                ModelSpec {
                    model: model.into(),
                    hidden: self.hidden,
                    bidirectional,
                    ..ModelSpec::default()
                },
            )
        }
    }

    /// The trainer's settings: Adam at the budget's rate, clipping at 1, the seed of `options`.
    pub fn config(&self, options: &Options) -> Result<TrainConfig> {
        Ok(TrainConfig {
            steps: self.steps,
            optimizer: OptimConfig::from_name("adam")?.with_lr(self.lr),
            clip: Some(1.0),
            val_every: self.val_every,
            seed: options.seed,
            ..TrainConfig::default()
        })
    }

    /// The budget in words, for a report's setup paragraph.
    pub fn describe(&self) -> String {
        format!(
            "one layer of {} units, Adam at {}, gradient-norm clipping at 1, batches of {} fresh \
             examples, at most {} steps, validated every {} steps on {} held-out examples",
            self.hidden, self.lr, self.batch, self.steps, self.val_every, self.val_size
        )
    }
}

/// `chart` with one line per `(name, curve)` run and a dashed reference level `(name, y)` across
/// the steps of the budget.
pub fn curves_chart(
    mut chart: LineChart,
    runs: &[(String, Vec<(f64, f64)>)],
    level: Option<(&str, f64)>,
    steps: usize,
) -> LineChart {
    for (name, curve) in runs {
        chart = chart.with(Series::line(name.clone(), curve.clone()));
    }
    if let Some((name, y)) = level {
        chart = chart.with(Series::level(name, y, 0.0, steps as f64));
    }
    chart
}
