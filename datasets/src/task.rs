//! A task ready to train on: training and validation splits, what its inputs and targets look like,
//! the vocabulary or label names to print them with, and its baselines on the validation split.
//!
//! [`prepare`] turns a task name of `seqzoo data list`, `csv:PATH` or `text:PATH` into a [`TaskData`].

use std::path::Path;
use std::sync::Arc;

use autograd::{Error, Result};

use crate::dataset::{Baseline, Dataset, Example, Input, Target};
use crate::params::Params;
use crate::registry::{self, corpus_sentences, unknown};
use crate::series::csv::{load_column, Missing};
use crate::series::task::{ForecastConfig, Forecasting};
use crate::split::Split;
use crate::synthetic::copy::{CopyTask, VOCAB_SIZE as COPY_VOCAB};
use crate::synthetic::tagging::TAG_NAMES;
use crate::synthetic::{SharedGenerator, Synthetic};
use crate::text::file::read_text;
use crate::text::lm::{ngram_baselines, Sentences};
use crate::text::{Granularity, Vocab};

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

/// A task prepared for training (see the module docs).
pub struct TaskData {
    /// The task's name as given (`adding`, `csv:PATH`, `text:PATH`).
    pub name: String,
    /// The problem type: regression, classification, tagging, seq2seq, generation, forecasting, lm.
    pub kind: &'static str,
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
    /// Class or tag names, when the task has them.
    pub labels: Vec<String>,
    /// The task's baseline on the validation split.
    pub baseline: Option<Baseline>,
    /// Forecasting only: persistence and mean baselines on the validation split.
    pub forecast: Option<ForecastBaselines>,
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

/// Text files: the share of the text (from the start) used for training; the rest validates.
pub const TEXT_TRAIN_FRACTION: f64 = 0.9;
/// Default characters per training window of a text language model (`--set window=`).
pub const TEXT_WINDOW: usize = 64;

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
    if let Some(path) = name.strip_prefix("csv:") {
        let column = column.ok_or_else(|| {
            Error::Config(format!("{path}: which column? give it with --column NAME"))
        })?;
        let config = forecast_config(name, params)?;
        params.check_all_used(name)?;
        let values = load_column(Path::new(path), column, Missing::Error)?.values;
        return forecasting(name, values, config);
    }
    if let Some(path) = name.strip_prefix("text:") {
        return text_file(name, Path::new(path), params);
    }
    let info = registry::find(name).ok_or_else(|| unknown(name))?;
    match info.kind {
        "forecasting" => {
            let config = forecast_config(name, params)?;
            let values = registry::series_with(name, seed, params)?;
            forecasting(name, values, config)
        }
        "lm" => corpus(name, seed, sizes, params),
        _ => synthetic(name, info.kind, seed, sizes, params),
    }
}

/// The first example's input kind, given the token vocabulary size for token inputs.
fn input_kind(example: &Example, vocab: usize) -> InputKind {
    match &example.input {
        Input::Steps { width, .. } => InputKind::Steps { width: *width },
        Input::Tokens(_) => InputKind::Tokens { vocab },
        Input::Vector(v) => InputKind::Vector { width: v.len() },
    }
}

fn synthetic(
    name: &str,
    kind: &'static str,
    seed: u64,
    sizes: TaskSizes,
    params: &Params,
) -> Result<TaskData> {
    let generator: SharedGenerator = registry::generator(name, params)?;
    params.check_all_used(name)?;
    let train = Synthetic::new(generator.clone(), seed, sizes.train);
    let val = train.split(Split::Val, sizes.val);
    let vocab = generator.vocab().cloned();
    let first = val.generate(0);
    let (labels, output) = match (&first.target, name) {
        (Target::Values(v), _) => (vec![], OutputKind::Values { count: v.len() }),
        (Target::Class(_), "anomaly") => (
            vec!["normal".into(), "anomaly".into()],
            OutputKind::Classes { count: 2 },
        ),
        (Target::Class(_), "parity") => (
            vec!["even".into(), "odd".into()],
            OutputKind::Classes { count: 2 },
        ),
        (Target::Class(_), _) => (
            vec!["negative".into(), "positive".into()],
            OutputKind::Classes { count: 2 },
        ),
        (Target::Tags(_), "copy") => (
            (0..COPY_VOCAB).map(CopyTask::symbol_name).collect(),
            OutputKind::Tags { count: COPY_VOCAB },
        ),
        (Target::Tags(_), _) => (
            TAG_NAMES.iter().map(|s| s.to_string()).collect(),
            OutputKind::Tags {
                count: TAG_NAMES.len(),
            },
        ),
        (Target::Tokens(_), _) => {
            let n = vocab.as_ref().map_or(0, Vocab::len);
            (vec![], OutputKind::Tokens { vocab: n })
        }
    };
    let input_vocab = match name {
        "copy" => COPY_VOCAB,
        _ => vocab.as_ref().map_or(0, Vocab::len),
    };
    Ok(TaskData {
        name: name.to_string(),
        kind,
        input: input_kind(&first, input_vocab),
        output,
        vocab,
        labels,
        baseline: val.baseline(),
        train: Box::new(train),
        val: Box::new(val),
        forecast: None,
    })
}

/// The window settings `k` (past values) and `horizon` of a forecasting task.
fn forecast_config(name: &str, params: &Params) -> Result<ForecastConfig> {
    let d = ForecastConfig::default();
    let config = ForecastConfig {
        k: params.get("k", d.k)?,
        horizon: params.get("horizon", d.horizon)?,
        ..d
    };
    if config.k == 0 || config.horizon == 0 {
        return Err(Error::Config(format!(
            "{name}: k and horizon must be at least 1"
        )));
    }
    Ok(config)
}

fn forecasting(name: &str, series: Vec<f64>, config: ForecastConfig) -> Result<TaskData> {
    let task = Forecasting::new(series, config.clone())?;
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
        kind: "forecasting",
        input: InputKind::Steps { width: 1 },
        output: OutputKind::Values {
            count: config.horizon,
        },
        vocab: None,
        labels: vec![],
        baseline: Some(baseline),
        train: Box::new(task.windows(Split::Train)?),
        val: Box::new(val),
        forecast: Some(forecast),
    })
}

fn corpus(name: &str, seed: u64, sizes: TaskSizes, params: &Params) -> Result<TaskData> {
    params.check_all_used(name)?;
    let (vocab, sentences) = corpus_sentences(seed, sizes.train + sizes.val);
    let (train, val) = sentences.split_at(sizes.train);
    let flat = |s: &[Vec<usize>]| s.iter().flatten().copied().collect::<Vec<_>>();
    let baseline = trigram(&flat(train), &flat(val), vocab.len());
    Ok(language_model(
        name,
        vocab,
        baseline,
        Box::new(Sentences::new(train.to_vec())),
        Box::new(Sentences::new(val.to_vec())),
    ))
}

/// A language-model task: next-token tags over `vocab`.
fn language_model(
    name: &str,
    vocab: Vocab,
    baseline: Option<Baseline>,
    train: Box<dyn Dataset + Send + Sync>,
    val: Box<dyn Dataset + Send + Sync>,
) -> TaskData {
    TaskData {
        name: name.to_string(),
        kind: "lm",
        input: InputKind::Tokens { vocab: vocab.len() },
        output: OutputKind::Tags { count: vocab.len() },
        labels: vec![],
        baseline,
        train,
        val,
        vocab: Some(vocab),
        forecast: None,
    }
}

/// The trigram baseline in nats per token, as a [`Baseline`].
fn trigram(train: &[usize], val: &[usize], vocab: usize) -> Option<Baseline> {
    let nats = ngram_baselines(train, val, vocab)
        .into_iter()
        .find(|(n, _)| *n == "trigram")?
        .1;
    Some(Baseline {
        metric: "nats",
        value: nats,
        predictor: "trigram with add-one smoothing",
        lower_is_better: true,
    })
}

fn text_file(name: &str, path: &Path, params: &Params) -> Result<TaskData> {
    let window = params.get("window", TEXT_WINDOW)?;
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
    Ok(language_model(
        name,
        vocab,
        baseline,
        Box::new(TextWindows::new(train.to_vec(), window, window / 2)),
        Box::new(TextWindows::new(val.to_vec(), window, window)),
    ))
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
