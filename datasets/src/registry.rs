//! Tasks by name, for the command line: what exists, and a dataset for a name.

use autograd::{Error, Result, Rng};

use crate::dataset::Dataset;
use crate::params::Params;
use crate::series::logistic_growth::LogisticGrowth;
use crate::series::logistic_map::orbit;
use crate::series::mackey_glass::MackeyGlass;
use crate::series::sines::SineMixture;
use crate::series::task::{ForecastConfig, Forecasting};
use crate::split::Split;
use crate::synthetic::adding::{Adding, AddingSpec};
use crate::synthetic::addition::Addition;
use crate::synthetic::anomaly::Anomaly;
use crate::synthetic::captioning::Captioning;
use crate::synthetic::copy::CopyTask;
use crate::synthetic::dates::Dates;
use crate::synthetic::parity::Parity;
use crate::synthetic::reversal::Reversal;
use crate::synthetic::sentiment::Sentiment;
use crate::synthetic::sorting::Sorting;
use crate::synthetic::tagging::Tagging;
use crate::synthetic::{SharedGenerator, Synthetic};
use crate::text::corpus;
use crate::text::lm::Sentences;
use crate::text::{Granularity, Vocab};
use std::sync::Arc;

/// A named task and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// The name used on the command line.
    pub name: &'static str,
    /// The problem type: regression, classification, tagging, seq2seq, generation, forecasting, lm.
    pub kind: &'static str,
    /// One line on what it is, with its default settings.
    pub summary: &'static str,
}

/// Every task, in the order `seqzoo data` lists them.
pub const TASKS: &[TaskInfo] = &[
    TaskInfo {
        name: "adding",
        kind: "regression",
        summary: "adding problem (default T=100), modern spec (values U[0,1), two markers)",
    },
    TaskInfo {
        name: "adding-1997",
        kind: "regression",
        summary: "adding problem (default T=100), Hochreiter & Schmidhuber 1997 spec",
    },
    TaskInfo {
        name: "copy",
        kind: "tagging",
        summary: "copy task (default T=100): 10 symbols, wait, write them back",
    },
    TaskInfo {
        name: "reversal",
        kind: "seq2seq",
        summary: "reverse a string of 1-10 digits",
    },
    TaskInfo {
        name: "sorting",
        kind: "seq2seq",
        summary: "sort a string of 1-10 digits",
    },
    TaskInfo {
        name: "addition",
        kind: "seq2seq",
        summary: "\"535+61\" -> \"596\", operands up to 3 digits",
    },
    TaskInfo {
        name: "addition-reversed",
        kind: "seq2seq",
        summary: "addition with the question reversed",
    },
    TaskInfo {
        name: "dates",
        kind: "seq2seq",
        summary: "12 human date formats -> ISO YYYY-MM-DD",
    },
    TaskInfo {
        name: "tagging",
        kind: "tagging",
        summary: "an early word's tag decided by a later cue (bidirectional)",
    },
    TaskInfo {
        name: "captioning",
        kind: "generation",
        summary: "scene feature vector -> sentence with BOS/EOS",
    },
    TaskInfo {
        name: "anomaly",
        kind: "classification",
        summary: "anomaly or not in a noisy periodic signal of 64 steps",
    },
    TaskInfo {
        name: "sentiment",
        kind: "classification",
        summary: "positive/negative generated sentences with negation and 'but'",
    },
    TaskInfo {
        name: "parity",
        kind: "classification",
        summary: "odd number of ones in 1-20 bits",
    },
    TaskInfo {
        name: "logistic-growth",
        kind: "forecasting",
        summary: "fish stock P <- P + rP(1-P/K), r=0.2, K=1000, P0=10, 2% noise",
    },
    TaskInfo {
        name: "logistic-map",
        kind: "forecasting",
        summary: "x <- 4x(1-x), chaotic",
    },
    TaskInfo {
        name: "mackey-glass",
        kind: "forecasting",
        summary: "Mackey-Glass delay equation, tau=17",
    },
    TaskInfo {
        name: "sines",
        kind: "forecasting",
        summary: "a random mixture of 2-3 sines with noise",
    },
    TaskInfo {
        name: "corpus",
        kind: "lm",
        summary: "built-in grammar-generated English-like sentences (characters)",
    },
];

/// The known task names.
pub fn names() -> Vec<&'static str> {
    TASKS.iter().map(|t| t.name).collect()
}

/// The task called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static TaskInfo> {
    TASKS.iter().find(|t| t.name == name)
}

/// The error for an unknown task name, listing the known ones.
pub fn unknown(name: &str) -> Error {
    Error::Config(format!(
        "unknown task '{name}'; known tasks: {}",
        names().join(", ")
    ))
}

/// How many values a built-in series has unless `len=` says otherwise.
pub const SERIES_LEN: usize = 1000;

/// The built-in series called `name` (one of the forecasting tasks) with default settings.
pub fn series(name: &str, seed: u64) -> Result<Vec<f64>> {
    series_with(name, seed, &Params::default())
}

/// The built-in series called `name` generated from `seed` with `params`: `len` for all;
/// `r`, `k`, `p0`, `noise` for logistic growth; `r` for the logistic map; `tau` for Mackey-Glass.
pub fn series_with(name: &str, seed: u64, params: &Params) -> Result<Vec<f64>> {
    let mut rng = Rng::new(seed);
    let len = params.get("len", SERIES_LEN)?;
    let values = match name {
        "logistic-growth" => {
            let d = LogisticGrowth::default();
            let model = LogisticGrowth {
                r: params.get("r", d.r)?,
                k: params.get("k", d.k)?,
                p0: params.get("p0", d.p0)?,
                noise: params.get("noise", d.noise)?,
            };
            model.simulate(len, &mut rng)?
        }
        "logistic-map" => orbit(params.get("r", 4.0)?, rng.uniform_in(0.05, 0.95), len)?,
        "mackey-glass" => {
            let d = MackeyGlass::default();
            let tau = params.get("tau", d.tau)?;
            MackeyGlass { tau, ..d }.series(len)?
        }
        "sines" => SineMixture::random(&mut rng).series(len, &mut rng)?,
        other => return Err(unknown(other)),
    };
    params.check_all_used(name)?;
    Ok(values)
}

/// The character vocabulary and encoded sentences of the built-in corpus.
pub fn corpus_sentences(seed: u64, n: usize) -> (Vocab, Vec<Vec<usize>>) {
    let sentences = corpus::sentences(seed, n);
    let vocab = Vocab::build(
        Granularity::Char,
        sentences.iter().map(String::as_str),
        1,
        None,
    );
    let encoded = sentences.iter().map(|s| vocab.encode(s)).collect();
    (vocab, encoded)
}

/// `len` examples of the training split of task `name` under `seed`, with default settings.
pub fn dataset(name: &str, seed: u64, len: usize) -> Result<Box<dyn Dataset>> {
    dataset_with(name, seed, len, &Params::default())
}

/// The generator of synthetic task `name` with `params`: `t` (adding, copy), `min`/`max` lengths
/// (reversal, sorting, parity), `digits` (addition), `len`/`gap` (tagging), `len` (anomaly). Does
/// not check that every setting was used (the caller may read more).
pub fn generator(name: &str, params: &Params) -> Result<SharedGenerator> {
    let p = params;
    Ok(match name {
        "adding" => Arc::new(Adding::new(p.get("t", 100)?, AddingSpec::Modern)?),
        "adding-1997" => Arc::new(Adding::new(p.get("t", 100)?, AddingSpec::Original)?),
        "copy" => Arc::new(CopyTask::new(p.get("t", 100)?)?),
        "reversal" => Arc::new(Reversal::new(p.get("min", 1)?, p.get("max", 10)?)?),
        "sorting" => Arc::new(Sorting::new(p.get("min", 1)?, p.get("max", 10)?)?),
        "addition" => Arc::new(Addition::new(p.get("digits", 3)?, false)?),
        "addition-reversed" => Arc::new(Addition::new(p.get("digits", 3)?, true)?),
        "dates" => Arc::new(Dates::default()),
        "tagging" => Arc::new(Tagging::new(p.get("len", 12)?, p.get("gap", 5)?)?),
        "captioning" => Arc::new(Captioning::default()),
        "anomaly" => Arc::new(Anomaly::new(p.get("len", 64)?)?),
        "sentiment" => Arc::new(Sentiment::default()),
        "parity" => Arc::new(Parity::new(p.get("min", 1)?, p.get("max", 20)?)?),
        other => return Err(unknown(other)),
    })
}

/// `len` examples of the training split of task `name` under `seed` (for forecasting tasks: the
/// training windows of the series, normalized with training statistics), with `params` (those of
/// [`generator`] and [`series_with`]). An unknown key is an error naming it.
pub fn dataset_with(
    name: &str,
    seed: u64,
    len: usize,
    params: &Params,
) -> Result<Box<dyn Dataset>> {
    let data: Box<dyn Dataset> = match name {
        "logistic-growth" | "logistic-map" | "mackey-glass" | "sines" => {
            let task =
                Forecasting::new(series_with(name, seed, params)?, ForecastConfig::default())?;
            Box::new(task.windows(Split::Train)?)
        }
        "corpus" => Box::new(Sentences::new(corpus_sentences(seed, len).1)),
        other => Box::new(Synthetic::new(generator(other, params)?, seed, len)),
    };
    params.check_all_used(name)?;
    Ok(data)
}
