//! A forecasting task: a series split chronologically, normalized with training statistics,
//! windowed per split, with its baselines on each split.

use std::sync::Arc;

use autograd::{Error, Result};

use super::baselines::{forecast_baselines, ForecastError};
use super::normalize::Normalizer;
use super::window::{WindowMode, Windows};
use crate::split::{chronological_ranges, Split};

/// How to turn a series into a forecasting task.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastConfig {
    /// Past values per window.
    pub k: usize,
    /// Values to predict per window.
    pub horizon: usize,
    /// Vector windows (feed-forward) or sequences (recurrent).
    pub mode: WindowMode,
    /// Fraction of the series (from the start) for training.
    pub train: f64,
    /// Fraction after it for validation; the rest is the test split.
    pub val: f64,
    /// The season length for the seasonal-naive baseline (1 = persistence).
    pub season: usize,
}

impl Default for ForecastConfig {
    /// 16 past values → the next one, sequences, 70/15/15, no season.
    fn default() -> Self {
        ForecastConfig {
            k: 16,
            horizon: 1,
            mode: WindowMode::Sequence,
            train: 0.7,
            val: 0.15,
            season: 1,
        }
    }
}

/// A series prepared for forecasting (see the module docs).
#[derive(Clone, Debug)]
pub struct Forecasting {
    raw: Vec<f64>,
    normalized: Arc<Vec<f64>>,
    normalizer: Normalizer,
    ranges: [std::ops::Range<usize>; 3],
    config: ForecastConfig,
}

impl Forecasting {
    /// Splits `series` chronologically, fits the normalizer on the training part only.
    pub fn new(series: Vec<f64>, config: ForecastConfig) -> Result<Self> {
        Self::new_with(series, config, None)
    }

    /// Like [`Forecasting::new`], normalizing with `normalizer` (a trained model's) when given
    /// instead of fitting one.
    pub fn new_with(
        series: Vec<f64>,
        config: ForecastConfig,
        normalizer: Option<Normalizer>,
    ) -> Result<Self> {
        let ranges = chronological_ranges(series.len(), config.train, config.val)?;
        if ranges[0].len() <= config.k + config.horizon {
            return Err(Error::Data(format!(
                "a training split of {} values is too short for windows of {} + {}",
                ranges[0].len(),
                config.k,
                config.horizon
            )));
        }
        let normalizer = match normalizer {
            Some(n) => n,
            None => Normalizer::fit(&series[ranges[0].clone()])?,
        };
        Ok(Forecasting {
            normalized: Arc::new(normalizer.apply_all(&series)),
            raw: series,
            normalizer,
            ranges,
            config,
        })
    }

    /// The normalized windows whose targets lie in `split`.
    pub fn windows(&self, split: Split) -> Result<Windows> {
        Windows::new(
            self.normalized.clone(),
            self.config.k,
            self.config.horizon,
            self.config.mode,
            self.ranges[split.ordinal()].clone(),
        )
    }

    /// The normalizer (fitted on the training split); invert predictions with it.
    pub fn normalizer(&self) -> Normalizer {
        self.normalizer
    }

    /// The series in its original units.
    pub fn raw(&self) -> &[f64] {
        &self.raw
    }

    /// The index range of `split` in the series.
    pub fn range(&self, split: Split) -> std::ops::Range<usize> {
        self.ranges[split.ordinal()].clone()
    }

    /// The configuration.
    pub fn config(&self) -> &ForecastConfig {
        &self.config
    }

    /// Persistence, seasonal-naive and train-mean errors on exactly the targets of `split`'s
    /// windows, in the original units.
    pub fn baselines(&self, split: Split) -> Vec<ForecastError> {
        let range = self.range(split);
        let targets = range.start.max(self.config.k)..range.end;
        forecast_baselines(
            &self.raw,
            self.range(Split::Train),
            targets,
            self.config.horizon,
            self.config.season,
        )
    }
}
