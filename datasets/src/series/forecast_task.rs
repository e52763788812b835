//! Forecasting tasks: a built-in series file describes its series with a [`BuiltinSeries`] and
//! [`SeriesTask`] makes it a [`Task`]; a user's CSV column ([`CsvFileTask`], with a recipe scaled
//! to its length) is prepared the same way.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use autograd::{Error, Result};

use super::csv::{load_column, Missing};
use super::normalize::Normalizer;
use super::task::{ForecastConfig, Forecasting};
use crate::dataset::{Baseline, Dataset};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::show::{self, sparkline};
use crate::split::Split;
use crate::task::{Fitted, TaskData, TaskSizes};
use crate::task::{ForecastBaselines, InputKind, OutputKind, Problem, PromptStyle, Task};

/// How many values a built-in series has unless `len=` says otherwise.
pub const SERIES_LEN: usize = 1000;
/// The largest `len` setting of a built-in series.
pub const MAX_SERIES_LEN: usize = 1_000_000;
/// The largest `k` (past values per window) and `horizon` settings of a forecasting task.
pub const MAX_WINDOW: usize = 10_000;

/// Everything a built-in series' own file says about its task.
pub trait BuiltinSeries: Send + Sync {
    /// The name used on the command line.
    fn name(&self) -> &'static str;

    /// One line on what it is, with its default settings.
    fn summary(&self) -> &'static str;

    /// The default model and training settings.
    fn recipe(&self) -> Recipe;

    /// The season length of its seasonal-naive baseline in `seqzoo data` (1: none).
    fn season(&self) -> usize {
        1
    }

    /// The series of `len` values (the `len` setting, default [`SERIES_LEN`], at most
    /// [`MAX_SERIES_LEN`] = 1,000,000) generated from
    /// `seed` with its own settings from `params`.
    fn generate(&self, seed: u64, len: usize, params: &Params) -> Result<Vec<f64>>;
}

/// A built-in series as a forecasting [`Task`].
pub struct SeriesTask<S>(pub S);

impl<S: BuiltinSeries> SeriesTask<S> {
    /// The series generated from `seed` with `params` (`len` and the series' own settings), all of
    /// which it must use.
    pub fn series(&self, seed: u64, params: &Params) -> Result<Vec<f64>> {
        let values = self.0.generate(
            seed,
            params.get_at_most("len", SERIES_LEN, MAX_SERIES_LEN)?,
            params,
        )?;
        params.check_all_used(self.0.name())?;
        Ok(values)
    }
}

impl<S: BuiltinSeries> Task for SeriesTask<S> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn summary(&self) -> String {
        self.0.summary().to_string()
    }

    fn problem(&self) -> Problem {
        Problem::Forecasting
    }

    fn recipe(&self) -> Recipe {
        self.0.recipe()
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Continue
    }

    fn prepare(
        &self,
        seed: u64,
        params: &Params,
        _sizes: TaskSizes,
        fitted: &Fitted,
    ) -> Result<TaskData> {
        let config = forecast_config(self.0.name(), params)?;
        let values = self.series(seed, params)?;
        let recipe = self.0.recipe();
        forecasting(self.0.name(), values, config, recipe, fitted.normalizer)
    }

    fn show(&self, n: usize, seed: u64, params: &Params) -> Result<String> {
        let values = self.series(seed, params)?;
        let config = ForecastConfig {
            season: self.0.season(),
            ..ForecastConfig::default()
        };
        let task = Forecasting::new(values.clone(), config)?;
        let [tr, va, te] = Split::ALL.map(|s| task.range(s));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} values; splits train {}..{}, val {}..{}, test {}..{}; normalized with train mean {:.4}, std {:.4}",
            values.len(),
            tr.start,
            tr.end,
            va.start,
            va.end,
            te.start,
            te.end,
            task.normalizer().mean,
            task.normalizer().std
        );
        let errors: Vec<String> = task
            .baselines(Split::Val)
            .iter()
            .map(|e| format!("{} {:.4}", e.name, e.rmse))
            .collect();
        let _ = writeln!(out, "baselines (val rmse): {}", errors.join(", "));
        let _ = writeln!(
            out,
            "first 80: {}",
            sparkline(&values[..80.min(values.len())])
        );
        for (t, v) in values.iter().enumerate().take(n) {
            let _ = writeln!(out, "t={t:<4} {v:>12.4}");
        }
        Ok(out)
    }
}

/// The window settings `k` (past values) and `horizon` of a forecasting task, each at most
/// [`MAX_WINDOW`] = 10,000.
fn forecast_config(name: &str, params: &Params) -> Result<ForecastConfig> {
    let d = ForecastConfig::default();
    let config = ForecastConfig {
        k: params.get_at_most("k", d.k, MAX_WINDOW)?,
        horizon: params.get_at_most("horizon", d.horizon, MAX_WINDOW)?,
        ..d
    };
    if config.k == 0 || config.horizon == 0 {
        return Err(Error::Config(format!(
            "{name}: k and horizon must be at least 1"
        )));
    }
    Ok(config)
}

/// The forecasting task of `series` named `name`: windows per split normalized with `normalizer`
/// (fitted on the training split when `None`), the persistence and mean baselines on the
/// validation split.
fn forecasting(
    name: &str,
    series: Vec<f64>,
    config: ForecastConfig,
    recipe: Recipe,
    normalizer: Option<Normalizer>,
) -> Result<TaskData> {
    let task = Forecasting::new_with(series, config.clone(), normalizer)?;
    let val = task.windows(Split::Val)?;
    if val.is_empty() {
        return Err(Error::Data(format!(
            "{name}: the validation split holds no window of {} + {} values; the series is too short",
            config.k, config.horizon
        )));
    }
    let errors = task.baselines(Split::Val);
    let rmse = |n: &str| {
        errors
            .iter()
            .find(|e| e.name == n)
            .map_or(f64::NAN, |e| e.rmse)
    };
    let forecast = ForecastBaselines {
        persistence_rmse: rmse("persistence"),
        mean_rmse: rmse("train_mean"),
        scale: task.normalizer().std,
    };
    let baseline = Baseline {
        metric: "rmse",
        value: forecast.persistence_rmse,
        predictor: "persistence (repeat the last value)",
        lower_is_better: true,
    };
    Ok(TaskData {
        name: name.to_string(),
        problem: Problem::Forecasting,
        input: InputKind::Steps { width: 1 },
        output: OutputKind::Values {
            count: config.horizon,
        },
        vocab: None,
        normalizer: Some(task.normalizer()),
        labels: vec![],
        baseline: Some(baseline),
        train: Box::new(task.windows(Split::Train)?),
        val: Box::new(val),
        forecast: Some(forecast),
        recipe,
        prompt: PromptStyle::Continue,
        streams: None,
    })
}

/// Forecasting one numeric column of a CSV file (`csv:PATH` with a column).
pub struct CsvFileTask {
    name: String,
    path: PathBuf,
    column: String,
}

impl CsvFileTask {
    /// The task of column `column` of the file at `path`.
    pub fn new(path: &Path, column: &str) -> Self {
        CsvFileTask {
            name: format!("csv:{}", path.display()),
            path: path.to_path_buf(),
            column: column.to_string(),
        }
    }

    /// The recipe for a series of `values` values: an LSTM of 32 units on batches of 16, Adam 3e-3
    /// with clip 1, for about 100 passes over the training windows, between 500 and 3000 steps.
    pub fn recipe_for(values: usize) -> Recipe {
        let windows = values * 7 / 10;
        Recipe {
            hidden: 32,
            batch: 16,
            clip: Some(1.0),
            steps: (100 * windows / 16).clamp(500, 3000),
            ..Recipe::default()
        }
    }
}

impl Task for CsvFileTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn summary(&self) -> String {
        format!(
            "forecast column '{}' of {}",
            self.column,
            self.path.display()
        )
    }

    fn problem(&self) -> Problem {
        Problem::Forecasting
    }

    /// The recipe for the file's line count (an estimate of its values).
    fn recipe(&self) -> Recipe {
        let lines = std::fs::read(&self.path)
            .map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count());
        CsvFileTask::recipe_for(lines)
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Continue
    }

    fn prepare(
        &self,
        _seed: u64,
        params: &Params,
        _sizes: TaskSizes,
        fitted: &Fitted,
    ) -> Result<TaskData> {
        let config = forecast_config(&self.name, params)?;
        params.check_all_used(&self.name)?;
        let values = load_column(&self.path, &self.column, Missing::Error)?.values;
        let recipe = CsvFileTask::recipe_for(values.len());
        forecasting(&self.name, values, config, recipe, fitted.normalizer)
    }

    fn show(&self, n: usize, _seed: u64, params: &Params) -> Result<String> {
        params.check_all_used(&self.name)?;
        show::csv_file(&self.path, &self.column, Missing::Error, n)
    }
}
