//! The built-in tasks, one line each, in the order `seqzoo data list` shows them; any task by name
//! (`text:PATH` and `csv:PATH` too), its data and its examples as text.

use std::path::Path;

use autograd::{Error, Result};

use crate::dataset::Dataset;
use crate::params::Params;
use crate::series::echo::EchoSeries;
use crate::series::forecast_task::{CsvFileTask, SeriesTask};
use crate::series::logistic_growth::LogisticGrowthSeries;
use crate::series::logistic_map::LogisticMapSeries;
use crate::series::mackey_glass::MackeyGlassSeries;
use crate::series::sines::SinesSeries;
use crate::synthetic::adding::{AddingSpec, AddingTask};
use crate::synthetic::addition::AdditionTask;
use crate::synthetic::anomaly::AnomalyTask;
use crate::synthetic::captioning::CaptioningTask;
use crate::synthetic::copy::CopyTaskSpec;
use crate::synthetic::dates::DatesTask;
use crate::synthetic::digits::{DigitOrder, DigitTask};
use crate::synthetic::parity::ParityTask;
use crate::synthetic::sentiment::SentimentTask;
use crate::synthetic::tagging::TaggingTask;
use crate::synthetic::task::SyntheticTask;
use crate::task::{Fitted, Task, TaskData, TaskSizes};
use crate::text::task::{CorpusTask, TextFileTask};

/// Every built-in task.
pub static TASKS: &[&dyn Task] = &[
    &SyntheticTask(AddingTask(AddingSpec::Modern)),
    &SyntheticTask(AddingTask(AddingSpec::Original)),
    &SyntheticTask(CopyTaskSpec),
    &SyntheticTask(DigitTask(DigitOrder::Reversed)),
    &SyntheticTask(DigitTask(DigitOrder::Sorted)),
    &SyntheticTask(AdditionTask { reversed: false }),
    &SyntheticTask(AdditionTask { reversed: true }),
    &SyntheticTask(DatesTask),
    &SyntheticTask(TaggingTask),
    &SyntheticTask(CaptioningTask),
    &SyntheticTask(AnomalyTask),
    &SyntheticTask(SentimentTask),
    &SyntheticTask(ParityTask),
    &SeriesTask(LogisticGrowthSeries),
    &SeriesTask(LogisticMapSeries),
    &SeriesTask(MackeyGlassSeries),
    &SeriesTask(SinesSeries),
    &SeriesTask(EchoSeries),
    &CorpusTask,
];

/// The known task names.
pub fn names() -> Vec<&'static str> {
    TASKS.iter().map(|t| t.name()).collect()
}

/// The built-in task called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static dyn Task> {
    TASKS.iter().copied().find(|t| t.name() == name)
}

/// The error for an unknown task name, listing the known ones.
pub fn unknown(name: &str) -> Error {
    Error::Config(format!(
        "unknown task '{name}'; known tasks: {}",
        names().join(", ")
    ))
}

/// `len` examples of the training split of task `name` under `seed`, with default settings.
pub fn dataset(name: &str, seed: u64, len: usize) -> Result<Box<dyn Dataset + Send + Sync>> {
    dataset_with(name, seed, len, &Params::default())
}

/// `len` examples of the training split of task `name` under `seed` (for forecasting tasks: the
/// training windows of the series, normalized with training statistics), with `params`. An
/// unknown key is an error naming it.
pub fn dataset_with(
    name: &str,
    seed: u64,
    len: usize,
    params: &Params,
) -> Result<Box<dyn Dataset + Send + Sync>> {
    let task = find(name).ok_or_else(|| unknown(name))?;
    let sizes = TaskSizes { train: len, val: 1 };
    Ok(task.prepare(seed, params, sizes, &Fitted::default())?.train)
}

/// The task called `name`: a built-in one, `text:PATH`, or `csv:PATH` with `column`.
pub fn lookup(name: &str, column: Option<&str>) -> Result<Box<dyn Task>> {
    if let Some(path) = name.strip_prefix("csv:") {
        let column = column.ok_or_else(|| {
            Error::Config(format!("{path}: which column? give it with --column NAME"))
        })?;
        return Ok(Box::new(CsvFileTask::new(Path::new(path), column)));
    }
    if let Some(path) = name.strip_prefix("text:") {
        return Ok(Box::new(TextFileTask::new(Path::new(path))));
    }
    let task = find(name).ok_or_else(|| unknown(name))?;
    Ok(Box::new(task))
}

/// Prepares task `name` (a registry name, `csv:PATH` or `text:PATH`) with `seed` and `params`.
/// `column` names the CSV column. A bad name or setting is an `Error::Config`; unreadable files
/// and bad contents are `Error::Io` / `Error::Data` naming the file.
pub fn prepare(
    name: &str,
    seed: u64,
    params: &Params,
    sizes: TaskSizes,
    column: Option<&str>,
) -> Result<TaskData> {
    prepare_fitted(name, seed, params, sizes, column, &Fitted::default())
}

/// Like [`prepare`], reusing what a trained model's task fitted (a checkpoint's vocabulary and
/// normalization) instead of fitting it again.
pub fn prepare_fitted(
    name: &str,
    seed: u64,
    params: &Params,
    sizes: TaskSizes,
    column: Option<&str>,
    fitted: &Fitted,
) -> Result<TaskData> {
    lookup(name, column)?.prepare(seed, params, sizes, fitted)
}

/// `n` examples of the built-in task `name` drawn with `seed` and default settings, with the
/// task's baseline.
pub fn show(name: &str, n: usize, seed: u64) -> Result<String> {
    show_with(name, n, seed, &Params::default())
}

/// `n` examples of the built-in task `name` drawn with `seed` and the settings `params`, with the
/// task's baseline, as `seqzoo data` prints them: a header line, then what the task shows.
pub fn show_with(name: &str, n: usize, seed: u64, params: &Params) -> Result<String> {
    let task = find(name).ok_or_else(|| unknown(name))?;
    let mut out = format!(
        "{} ({}): {}, seed {seed}",
        task.name(),
        task.problem().name(),
        task.summary()
    );
    if !params.is_empty() {
        out += &format!("; settings {}", params.describe());
    }
    out.push('\n');
    out += &task.show(n, seed, params)?;
    Ok(out)
}
