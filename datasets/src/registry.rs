//! The built-in tasks, one line each, in the order `seqzoo data list` shows them.

use autograd::{Error, Result};

use crate::dataset::Dataset;
use crate::params::Params;
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
use crate::task::{CorpusTask, SeriesTask, SyntheticTask, Task, TaskSizes};

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
    Ok(task.prepare(seed, params, sizes)?.train)
}
