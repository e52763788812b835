//! Tasks of a user's own files: a character language model of any UTF-8 text ([`TextFileTask`])
//! and forecasting one numeric CSV column ([`CsvFileTask`]), each with a recipe scaled to the
//! file's size.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use autograd::{Error, Result};

use super::forecast::{forecast_config, forecasting};
use super::language::{language_model, trigram};
use super::{Problem, PromptStyle, Task, TaskData, TaskSizes};
use crate::dataset::{Dataset, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::series::csv::{load_column, Missing};
use crate::show;
use crate::text::file::read_text;
use crate::text::{Granularity, Vocab};

/// Text files: the share of the text (from the start) used for training; the rest validates.
pub const TEXT_TRAIN_FRACTION: f64 = 0.9;
/// Default characters per training window of a text language model (`--set window=`).
pub const TEXT_WINDOW: usize = 64;
/// The largest `window` setting of a text task.
pub const MAX_TEXT_WINDOW: usize = 100_000;

/// A character language model of the UTF-8 text file at a path (`text:PATH`).
pub struct TextFileTask {
    name: String,
    path: PathBuf,
}

impl TextFileTask {
    /// The task of the file at `path`.
    pub fn new(path: &Path) -> Self {
        TextFileTask {
            name: format!("text:{}", path.display()),
            path: path.to_path_buf(),
        }
    }

    /// The recipe for a text of `chars` characters: an LSTM of 128 units (256 in 2 layers from
    /// 200,000 characters) trained with Adam 2e-3, clip 5 and a cosine schedule for about three
    /// passes over the training windows, between 500 and 4000 steps.
    pub fn recipe_for(chars: usize) -> Recipe {
        let big = chars >= 200_000;
        let windows = chars * 9 / 10 / (TEXT_WINDOW / 2);
        Recipe {
            hidden: if big { 256 } else { 128 },
            layers: if big { 2 } else { 1 },
            lr: 2e-3,
            clip: Some(5.0),
            schedule: "cosine",
            steps: (3 * windows / 32).clamp(500, 4000),
            ..Recipe::default()
        }
    }
}

impl Task for TextFileTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn summary(&self) -> String {
        format!("a character language model of {}", self.path.display())
    }

    fn problem(&self) -> Problem {
        Problem::LanguageModel
    }

    /// The recipe for the file's size in bytes (an estimate of its characters).
    fn recipe(&self) -> Recipe {
        let bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        TextFileTask::recipe_for(usize::try_from(bytes).unwrap_or(usize::MAX))
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Continue
    }

    fn prepare(&self, _seed: u64, params: &Params, _sizes: TaskSizes) -> Result<TaskData> {
        let (name, path) = (&self.name, &self.path);
        let window = params.get_at_most("window", TEXT_WINDOW, MAX_TEXT_WINDOW)?;
        params.check_all_used(name)?;
        if window < 2 {
            return Err(Error::Config(format!(
                "{name}: window must be at least 2, got {window}"
            )));
        }
        let text = read_text(path)?;
        let chars: Vec<&str> = crate::text::vocab::tokenize(Granularity::Char, &text);
        let cut = (chars.len() as f64 * TEXT_TRAIN_FRACTION) as usize;
        if cut < window + 1 || chars.len() - cut < window + 1 {
            return Err(Error::Data(format!(
                "{}: {} characters are too few for a 90/10 split into windows of {window}",
                path.display(),
                chars.len()
            )));
        }
        let train_text: String = chars[..cut].concat();
        let vocab = Vocab::build(Granularity::Char, [train_text.as_str()], 1, None);
        let ids: Vec<usize> = chars.iter().map(|c| vocab.id(c)).collect();
        let (train, val) = ids.split_at(cut);
        let baseline = trigram(train, val, vocab.len());
        let mut data = language_model(
            self,
            vocab,
            baseline,
            Box::new(TextWindows::new(train.to_vec(), window, window / 2)),
            Box::new(TextWindows::new(val.to_vec(), window, window)),
        );
        data.recipe = TextFileTask::recipe_for(chars.len());
        Ok(data)
    }

    fn show(&self, n: usize, _seed: u64, params: &Params) -> Result<String> {
        params.check_all_used(&self.name)?;
        show::text_file(&self.path, n)
    }
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

    fn prepare(&self, _seed: u64, params: &Params, _sizes: TaskSizes) -> Result<TaskData> {
        let config = forecast_config(&self.name, params)?;
        params.check_all_used(&self.name)?;
        let values = load_column(&self.path, &self.column, Missing::Error)?.values;
        let recipe = CsvFileTask::recipe_for(values.len());
        forecasting(&self.name, values, config, recipe)
    }

    fn show(&self, n: usize, _seed: u64, params: &Params) -> Result<String> {
        params.check_all_used(&self.name)?;
        show::csv_file(&self.path, &self.column, Missing::Error, n)
    }
}

/// Windows of a token stream for a language model: input `ids[s..s+w]`, target `ids[s+1..s+w+1]`
/// (per-step tags), with starts every `stride` tokens.
#[derive(Clone, Debug)]
pub struct TextWindows {
    ids: Arc<Vec<usize>>,
    window: usize,
    stride: usize,
}

impl TextWindows {
    /// Windows of `window` tokens every `stride` tokens over `ids` (at least `window + 1` ids).
    pub fn new(ids: Vec<usize>, window: usize, stride: usize) -> Self {
        TextWindows {
            ids: Arc::new(ids),
            window,
            stride: stride.max(1),
        }
    }
}

impl Dataset for TextWindows {
    fn len(&self) -> usize {
        (self.ids.len() - 1).saturating_sub(self.window) / self.stride + 1
    }
    fn example(&self, index: usize) -> Example {
        let s = index * self.stride;
        Example {
            input: Input::Tokens(self.ids[s..s + self.window].to_vec()),
            target: Target::Tags(self.ids[s + 1..s + self.window + 1].to_vec()),
        }
    }
}
