//! Forecasts of a trained forecasting trial along a stretch of its series: one step ahead from the
//! true past, and free-running on its own predictions.

use autograd::{Error, Result};

use super::Trial;
use crate::problem::predict_next;

/// One-step and free-running forecasts of `len` values from index `start` of `series`.
pub struct Rollout {
    /// The true values `series[start..start + len]`.
    pub truth: Vec<f64>,
    /// Each value forecast from the `k` true values before it.
    pub one_step: Vec<f64>,
    /// Each value forecast from the `k` before it, the forecasts themselves once past `start`.
    pub free: Vec<f64>,
}

impl Rollout {
    /// The forecasts of `trial`'s model, which reads windows of `k` values, of `series` (in its
    /// own units) from `start` for `len` steps.
    pub fn run(trial: &Trial, series: &[f64], k: usize, start: usize, len: usize) -> Result<Self> {
        if start < k || start + len > series.len() {
            return Err(Error::Config(format!(
                "a rollout of {len} steps from {start} needs {k} values before it and at most \
                 {} values, the series' length",
                series.len()
            )));
        }
        let norm = trial.session.task.normalizer.ok_or_else(|| {
            Error::Data("a rollout needs a forecasting task (with a normalizer)".into())
        })?;
        let (model, store) = (&trial.session.model, trial.session.trainer.store());
        let z = norm.apply_all(series);
        let windows: Vec<Vec<f64>> = (start..start + len).map(|t| z[t - k..t].to_vec()).collect();
        let one_step = norm.invert_all(&predict_next(model, store, &windows)?);
        let mut window = z[start - k..start].to_vec();
        let mut free = Vec::with_capacity(len);
        for _ in 0..len {
            let next = predict_next(model, store, std::slice::from_ref(&window))?[0];
            free.push(norm.invert(next));
            window.remove(0);
            window.push(next);
        }
        Ok(Rollout {
            truth: series[start..start + len].to_vec(),
            one_step,
            free,
        })
    }

    /// `|free − truth|` per step.
    pub fn free_error(&self) -> Vec<f64> {
        self.free
            .iter()
            .zip(&self.truth)
            .map(|(p, t)| (p - t).abs())
            .collect()
    }

    /// The root mean squared error of the one-step forecasts.
    pub fn one_step_rmse(&self) -> f64 {
        let n = self.truth.len().max(1) as f64;
        let sum: f64 = self
            .one_step
            .iter()
            .zip(&self.truth)
            .map(|(p, t)| (p - t).powi(2))
            .sum();
        (sum / n).sqrt()
    }
}
