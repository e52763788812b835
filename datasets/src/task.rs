//! Tasks as types: a [`Task`] is a descriptor that knows its name, its [`Problem`] type, its
//! default [`Recipe`], how to prepare its data ([`TaskData`]) and how to show its examples.
//!
//! Each family keeps its tasks: synthetic ones describe themselves with a
//! [`crate::synthetic::task::SyntheticSpec`], built-in series with a
//! [`crate::series::forecast_task::BuiltinSeries`], text in [`crate::text::task`]. The built-in
//! ones are listed in [`crate::registry::TASKS`], where [`crate::registry::prepare`] turns any task
//! name (`text:PATH` and `csv:PATH` too) into training and validation data.

use autograd::Result;

use crate::dataset::{Baseline, Dataset};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::series::Normalizer;
use crate::text::streams::TextStreams;
use crate::text::Vocab;

/// The problem a task poses, which decides the model, loss, metrics and decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A number (or a few) from a whole sequence, read off its last step.
    Regression,
    /// The next values of a series from a window of past ones.
    Forecasting,
    /// One class per sequence.
    Classification,
    /// One tag per step.
    Tagging,
    /// The next token at every step of a text.
    LanguageModel,
    /// A token sequence generated from a context vector (captioning).
    ConditionedGeneration,
    /// An output token sequence from an input token sequence.
    Seq2Seq,
}

impl Problem {
    /// Every problem type.
    pub const ALL: [Problem; 7] = [
        Problem::Regression,
        Problem::Forecasting,
        Problem::Classification,
        Problem::Tagging,
        Problem::LanguageModel,
        Problem::ConditionedGeneration,
        Problem::Seq2Seq,
    ];

    /// The short name printed in task lists and run headers.
    pub fn name(self) -> &'static str {
        match self {
            Problem::Regression => "regression",
            Problem::Forecasting => "forecasting",
            Problem::Classification => "classification",
            Problem::Tagging => "tagging",
            Problem::LanguageModel => "lm",
            Problem::ConditionedGeneration => "generation",
            Problem::Seq2Seq => "seq2seq",
        }
    }
}

/// How `generate` turns a user's prompt into what the model reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptStyle {
    /// Continue the prompt's text (a language model of a text file).
    Continue,
    /// Sentences framed BOS … EOS: the prompt starts a sentence, generation stops at EOS.
    Sentence,
    /// The source sequence as typed (seq2seq).
    Source,
    /// The source sequence reversed, as the task trains on reversed inputs.
    ReversedSource,
    /// No prompt: the model describes a validation example's context vector (captioning).
    Context,
}

/// What one step (or the whole input) of an example is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Feature vectors of `width` values per step.
    Steps {
        /// Features per step.
        width: usize,
    },
    /// Token ids below `vocab`.
    Tokens {
        /// The number of ids (PAD included).
        vocab: usize,
    },
    /// One vector of `width` values.
    Vector {
        /// Its size.
        width: usize,
    },
}

/// What a model has to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// `count` numbers (regression, forecasting).
    Values {
        /// Numbers per example.
        count: usize,
    },
    /// One of `count` classes per sequence.
    Classes {
        /// The number of classes.
        count: usize,
    },
    /// One of `count` tags per input step (tagging, language models).
    Tags {
        /// The number of tags (or the vocabulary size of a language model).
        count: usize,
    },
    /// A token sequence over `vocab` ids, BOS … EOS (seq2seq, captioning).
    Tokens {
        /// The number of ids (PAD, BOS, EOS included).
        vocab: usize,
    },
}

/// The forecasting baselines on the validation split, in the series' own units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForecastBaselines {
    /// RMSE of repeating the last value.
    pub persistence_rmse: f64,
    /// RMSE of predicting the training mean.
    pub mean_rmse: f64,
    /// The training standard deviation: a normalized error times this is in the series' units.
    pub scale: f64,
}

/// What a task fits on its training data and a trained model depends on: the vocabulary of a text
/// and the normalization of a series. A checkpoint stores it; a task prepared for that model
/// reuses it, so the model reads data exactly as it did in training.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fitted {
    /// The token vocabulary (`text:` tasks read their file with it).
    pub vocab: Option<Vocab>,
    /// The series normalization (forecasting tasks apply it instead of fitting one).
    pub normalizer: Option<Normalizer>,
}

/// A task prepared for training (see the module docs).
pub struct TaskData {
    /// The task's name as given (`adding`, `csv:PATH`, `text:PATH`).
    pub name: String,
    /// The problem type.
    pub problem: Problem,
    /// The training examples.
    pub train: Box<dyn Dataset + Send + Sync>,
    /// The validation examples (disjoint from training).
    pub val: Box<dyn Dataset + Send + Sync>,
    /// What the inputs are.
    pub input: InputKind,
    /// What the targets are.
    pub output: OutputKind,
    /// The token vocabulary (inputs, and outputs of seq2seq and generation tasks), when tokens have
    /// spellings.
    pub vocab: Option<Vocab>,
    /// The normalization of a forecasting task's series (fitted on its training split).
    pub normalizer: Option<Normalizer>,
    /// Class or tag names, when the task has them.
    pub labels: Vec<String>,
    /// The task's baseline on the validation split.
    pub baseline: Option<Baseline>,
    /// Forecasting only: persistence and mean baselines on the validation split.
    pub forecast: Option<ForecastBaselines>,
    /// The default recipe (for a user's file, scaled to its size).
    pub recipe: Recipe,
    /// How `generate` frames a prompt for a model of this task.
    pub prompt: PromptStyle,
    /// The text as whole streams when the task trains statefully (`--set stateful=true`):
    /// batches are then windows of contiguous streams, in order, not shuffled examples.
    pub streams: Option<TextStreams>,
}

impl TaskData {
    /// What this task fitted on its training data (for a checkpoint to keep).
    pub fn fitted(&self) -> Fitted {
        Fitted {
            vocab: self.vocab.clone(),
            normalizer: self.normalizer,
        }
    }
}

/// How many examples a synthetic task draws for each split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSizes {
    /// Training examples.
    pub train: usize,
    /// Validation examples.
    pub val: usize,
}

impl Default for TaskSizes {
    /// 20,000 training and 1,000 validation examples.
    fn default() -> Self {
        TaskSizes {
            train: 20_000,
            val: 1_000,
        }
    }
}

/// A task: its name, problem type and recipe, its data and how its examples read.
pub trait Task: Send + Sync {
    /// The name used on the command line.
    fn name(&self) -> &str;

    /// One line on what it is, with its default settings.
    fn summary(&self) -> String;

    /// The problem it poses.
    fn problem(&self) -> Problem;

    /// The default model and training settings.
    fn recipe(&self) -> Recipe;

    /// How `generate` frames a prompt for a model of this task.
    fn prompt_style(&self) -> PromptStyle;

    /// The training and validation data drawn with `seed` and the settings `params` (an unknown
    /// key is an `Error::Config` naming it).
    /// What a task fitted before (`fitted`, from a checkpoint) is reused instead of being fitted
    /// again on this data; a fresh run passes `&Fitted::default()`.
    fn prepare(
        &self,
        seed: u64,
        params: &Params,
        sizes: TaskSizes,
        fitted: &Fitted,
    ) -> Result<TaskData>;

    /// The lines `seqzoo data` prints after the header: the baseline and `n` examples as a person
    /// reads them.
    fn show(&self, n: usize, seed: u64, params: &Params) -> Result<String>;
}

impl<T: Task + ?Sized> Task for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn summary(&self) -> String {
        (**self).summary()
    }
    fn problem(&self) -> Problem {
        (**self).problem()
    }
    fn recipe(&self) -> Recipe {
        (**self).recipe()
    }
    fn prompt_style(&self) -> PromptStyle {
        (**self).prompt_style()
    }
    fn prepare(
        &self,
        seed: u64,
        params: &Params,
        sizes: TaskSizes,
        fitted: &Fitted,
    ) -> Result<TaskData> {
        (**self).prepare(seed, params, sizes, fitted)
    }
    fn show(&self, n: usize, seed: u64, params: &Params) -> Result<String> {
        (**self).show(n, seed, params)
    }
}
