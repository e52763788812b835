//! The `Dataset` trait and the example types every task produces.

use autograd::Rng;

/// The padding token id shared by every token task and vocabulary.
pub const PAD: usize = 0;

/// The input side of one example.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Per-step feature vectors: `values.len() / width` steps of `width` values, row-major.
    Steps {
        /// Features per step.
        width: usize,
        /// The values, step after step.
        values: Vec<f32>,
    },
    /// A sequence of token ids (never containing [`PAD`]).
    Tokens(Vec<usize>),
    /// One fixed-size feature vector (a window for the feed-forward baseline, a scene description).
    Vector(Vec<f32>),
}

impl Input {
    /// The number of steps: 1 for a vector.
    pub fn steps(&self) -> usize {
        match self {
            Input::Steps { width, values } => values.len() / (*width).max(1),
            Input::Tokens(ids) => ids.len(),
            Input::Vector(_) => 1,
        }
    }
}

/// The target side of one example.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// One or more numbers to regress (a sum, the next value, a forecast horizon).
    Values(Vec<f32>),
    /// One class index for the whole sequence.
    Class(usize),
    /// One class index per input step (tagging, per-step outputs).
    Tags(Vec<usize>),
    /// An output token sequence beginning with BOS and ending with EOS (seq2seq, captioning).
    Tokens(Vec<usize>),
}

/// One input with its target.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// What the model reads.
    pub input: Input,
    /// What it should produce.
    pub target: Target,
}

/// A trivial predictor's score on a dataset: the number a model has to beat.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// The metric's name as reported by `--json` (e.g. `mse`, `nats`, `accuracy`).
    pub metric: &'static str,
    /// The baseline predictor's value of the metric on this dataset.
    pub value: f64,
    /// What the baseline predictor does.
    pub predictor: &'static str,
    /// Whether a model must go lower (losses) or higher (accuracies) to beat it.
    pub lower_is_better: bool,
}

/// A finite, indexable collection of examples, each a pure function of the dataset's seed and index.
pub trait Dataset {
    /// The number of examples.
    fn len(&self) -> usize;

    /// The example at `index`; panics if `index >= len()` (a programming error).
    fn example(&self, index: usize) -> Example;

    /// Whether there are no examples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The task's baseline computed over the examples at `indices` (each `< len()`), when the task
    /// has one; what [`Dataset::baseline`] and a [`crate::Subset`]'s baseline are made of.
    fn baseline_on(&self, _indices: &mut dyn Iterator<Item = usize>) -> Option<Baseline> {
        None
    }

    /// The task's baseline computed over exactly these examples, when the task has one.
    fn baseline(&self) -> Option<Baseline> {
        self.baseline_on(&mut (0..self.len()))
    }
}

impl<D: Dataset + ?Sized> Dataset for &D {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn example(&self, index: usize) -> Example {
        (**self).example(index)
    }
    fn baseline_on(&self, indices: &mut dyn Iterator<Item = usize>) -> Option<Baseline> {
        (**self).baseline_on(indices)
    }
}

impl<D: Dataset + ?Sized> Dataset for Box<D> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn example(&self, index: usize) -> Example {
        (**self).example(index)
    }
    fn baseline_on(&self, indices: &mut dyn Iterator<Item = usize>) -> Option<Baseline> {
        (**self).baseline_on(indices)
    }
}

/// The generator for example `index` of a dataset seeded with `seed`: ChaCha8 seeded with `seed`,
/// stream `index`. Every synthetic example is drawn from this and nothing else, so it depends only on
/// `(seed, index)` and not on which examples were drawn before it.
pub fn example_rng(seed: u64, index: u64) -> Rng {
    Rng::new(seed).fork(index)
}
