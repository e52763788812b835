//! Windows over a series: k past values → the next value or the next `horizon` values.

use std::ops::Range;
use std::sync::Arc;

use autograd::{Error, Result};

use super::baselines::persistence_rmse;
use crate::dataset::{Baseline, Dataset, Example, Input, Target};

/// How a window is presented to a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowMode {
    /// One vector of the k past values (the fixed-window feed-forward baseline).
    Vector,
    /// A sequence of k steps of one feature (recurrent models).
    Sequence,
}

/// Every window whose first target step lies in `targets`: input `series[t−k..t]`, target
/// `series[t..t+horizon]`. Inputs may reach back before `targets` (into an earlier split), which is
/// history known at forecast time; targets never leave `targets`.
#[derive(Clone, Debug)]
pub struct Windows {
    series: Arc<Vec<f64>>,
    k: usize,
    horizon: usize,
    mode: WindowMode,
    starts: Range<usize>,
}

impl Windows {
    /// Windows of `k` inputs and `horizon` targets with targets inside `targets`.
    pub fn new(
        series: Arc<Vec<f64>>,
        k: usize,
        horizon: usize,
        mode: WindowMode,
        targets: Range<usize>,
    ) -> Result<Self> {
        if k == 0 || horizon == 0 {
            return Err(Error::Config(format!(
                "a window needs k >= 1 inputs and horizon >= 1, got k {k}, horizon {horizon}"
            )));
        }
        if targets.end > series.len() {
            return Err(Error::Config(format!(
                "window targets {targets:?} exceed the series of {} values",
                series.len()
            )));
        }
        let first = targets.start.max(k);
        let last = (targets.end + 1).saturating_sub(horizon);
        Ok(Windows {
            series,
            k,
            horizon,
            mode,
            starts: first..last.max(first),
        })
    }

    /// The first target index of window `i`.
    pub fn target_start(&self, i: usize) -> usize {
        self.starts.start + i
    }

    /// The inputs (k values) and targets (horizon values) of window `i`.
    pub fn window(&self, i: usize) -> (&[f64], &[f64]) {
        let t = self.target_start(i);
        (
            &self.series[t - self.k..t],
            &self.series[t..t + self.horizon],
        )
    }

    /// The window length k.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The forecast horizon.
    pub fn horizon(&self) -> usize {
        self.horizon
    }
}

impl Dataset for Windows {
    fn len(&self) -> usize {
        self.starts.len()
    }

    fn example(&self, index: usize) -> Example {
        assert!(index < self.len(), "window {index} of {}", self.len());
        let (x, y) = self.window(index);
        let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        Example {
            input: match self.mode {
                WindowMode::Vector => Input::Vector(x),
                WindowMode::Sequence => Input::Steps {
                    width: 1,
                    values: x,
                },
            },
            target: Target::Values(y.iter().map(|&v| v as f32).collect()),
        }
    }

    /// Persistence (repeat the last input) RMSE over these windows, in the units of the series
    /// they were cut from.
    fn baseline_on(&self, indices: &mut dyn Iterator<Item = usize>) -> Option<Baseline> {
        let windows = indices.map(|i| self.window(i));
        Some(Baseline {
            metric: "rmse",
            value: persistence_rmse(windows),
            predictor: "persistence: repeat the last value",
            lower_is_better: true,
        })
    }
}
