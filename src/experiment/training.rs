//! Training runs inside an experiment: a session trained until its budget or a goal.

use autograd::Result;
use zoo::train::{Observer, Progress, TrainConfig, TrainSummary, ValRecord};

use super::Options;
use crate::problem::{RunSpec, Session};

/// A validation metric's target: the run stops at the first validation that reaches it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goal {
    /// The metric, as validation names it (`val_mse`).
    pub metric: &'static str,
    /// The value to reach.
    pub value: f64,
    /// Reached when the metric is below the value (else above).
    pub below: bool,
}

impl Goal {
    /// Reached when `metric` is below `value`.
    pub fn below(metric: &'static str, value: f64) -> Self {
        Goal {
            metric,
            value,
            below: true,
        }
    }

    /// Reached when `metric` is above `value`.
    pub fn above(metric: &'static str, value: f64) -> Self {
        Goal {
            below: false,
            ..Goal::below(metric, value)
        }
    }

    /// Whether `record` reaches the goal.
    pub fn reached(&self, record: &ValRecord) -> bool {
        record.metrics.get(self.metric).is_some_and(|v| {
            if self.below {
                v < self.value
            } else {
                v > self.value
            }
        })
    }
}

/// A finished training run of an experiment.
pub struct Trial {
    /// The session: task, model and trainer (with its history).
    pub session: Session,
    /// How training ended.
    pub summary: TrainSummary,
    /// The first validated step that reached the goal, if there was one and it was reached.
    pub reached_at: Option<usize>,
}

impl Trial {
    /// Trains a fresh session of `spec` with `train`, stopping early at `goal` when given.
    pub fn run(
        spec: RunSpec,
        train: TrainConfig,
        goal: Option<Goal>,
        options: &Options,
    ) -> Result<Trial> {
        Trial::run_observed(spec, train, goal, options, &mut ())
    }

    /// [`Trial::run`], reporting the run's events to `extra` too.
    pub fn run_observed(
        spec: RunSpec,
        train: TrainConfig,
        goal: Option<Goal>,
        options: &Options,
        extra: &mut dyn Observer,
    ) -> Result<Trial> {
        Trial::resume(Session::new(spec, train)?, goal, options, extra)
    }

    /// Trains `session` on to its configured steps, stopping early at `goal` when given and
    /// reporting the run's events to `extra` too.
    pub fn resume(
        mut session: Session,
        goal: Option<Goal>,
        options: &Options,
        extra: &mut dyn Observer,
    ) -> Result<Trial> {
        let mut watch = GoalWatch {
            goal,
            reached_at: None,
            progress: options.progress.then(Progress::stderr),
        };
        let summary = session.run(&mut (&mut watch, extra))?;
        Ok(Trial {
            session,
            summary,
            reached_at: watch.reached_at,
        })
    }

    /// The final validation's `metric` (NaN if it has none).
    pub fn last(&self, metric: &str) -> f64 {
        self.summary.last_val.get(metric).unwrap_or(f64::NAN)
    }

    /// `(step, metric)` at every validation.
    pub fn curve(&self, metric: &str) -> Vec<(f64, f64)> {
        curve(self.session.trainer.history(), metric)
    }
}

/// `(step, metric)` of every validation in `history` that reported it.
pub fn curve(history: &[ValRecord], metric: &str) -> Vec<(f64, f64)> {
    history
        .iter()
        .filter_map(|r| {
            let v = if metric == "train_loss" {
                Some(r.train_loss)
            } else {
                r.metrics.get(metric)
            };
            Some((r.step as f64, v?))
        })
        .collect()
}

/// Stops a run at its goal and forwards events to a progress bar.
struct GoalWatch {
    goal: Option<Goal>,
    reached_at: Option<usize>,
    progress: Option<Progress>,
}

impl Observer for GoalWatch {
    fn start(&mut self, step: usize, total: usize) {
        self.progress.start(step, total);
    }

    fn step(&mut self, step: usize, loss: f64, lr: f64) {
        self.progress.step(step, loss, lr);
    }

    fn validation(&mut self, record: &ValRecord) -> Result<()> {
        if self.reached_at.is_none() && self.goal.is_some_and(|g| g.reached(record)) {
            self.reached_at = Some(record.step);
        }
        self.progress.validation(record)
    }

    fn finish(&mut self, summary: &TrainSummary) {
        self.progress.finish(summary);
    }

    fn stop_requested(&mut self) -> bool {
        self.reached_at.is_some()
    }
}
