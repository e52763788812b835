//! Synthetic tasks: each a [`Generator`] of one example from a random stream, turned into a
//! deterministic dataset by [`Synthetic`].
//!
//! Example `i` of split `s` is `generator.generate(&mut example_rng(seed, s·2⁴⁰ + i))`, so the three
//! splits draw from disjoint streams and every example depends only on (seed, split, index).

pub mod adding;
pub mod addition;
pub mod anomaly;
pub mod captioning;
pub mod copy;
pub mod dates;
pub mod digits;
pub mod parity;
pub mod sentiment;
pub mod tagging;
pub mod task;

use autograd::{Error, Rng};

use crate::text::Vocab;

use crate::batch::{collate, Batch};
use crate::dataset::{example_rng, Baseline, Dataset, Example, Target};
use crate::split::Split;
use autograd::Result;

/// The largest `t` setting (sequence length of `adding`, delay of `copy`).
pub const MAX_T: usize = 100_000;
/// The largest length setting of a synthetic sequence: `len` and `gap` (tagging, anomaly), `min`
/// and `max` (reversal, sorting, parity).
pub const MAX_LEN: usize = 100_000;

/// Where split `s` starts in a synthetic task's index space: `s · 2⁴⁰`.
pub const SPLIT_STRIDE: u64 = 1 << 40;

/// Draws one example of a task from a random stream.
pub trait Generator {
    /// One example, using only `rng` for randomness.
    fn generate(&self, rng: &mut Rng) -> Example;

    /// The task's baseline computed over the given examples (the split being evaluated).
    fn baseline(&self, _examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        None
    }

    /// The spellings of the task's token ids, when its tokens have them.
    fn vocab(&self) -> Option<&Vocab> {
        None
    }
}

/// Any generator, shared: what the registry hands out by name.
pub type SharedGenerator = std::sync::Arc<dyn Generator + Send + Sync>;

impl<G: Generator + ?Sized> Generator for std::sync::Arc<G> {
    fn generate(&self, rng: &mut Rng) -> Example {
        (**self).generate(rng)
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        (**self).baseline(examples)
    }
    fn vocab(&self) -> Option<&Vocab> {
        (**self).vocab()
    }
}

/// A synthetic task as a dataset: `len` examples of one split, each a pure function of
/// (seed, split, index).
#[derive(Clone, Debug)]
pub struct Synthetic<G> {
    generator: G,
    seed: u64,
    len: usize,
    split: Split,
}

impl<G: Generator> Synthetic<G> {
    /// `len` training examples of `generator` under `seed`.
    pub fn new(generator: G, seed: u64, len: usize) -> Self {
        Synthetic {
            generator,
            seed,
            len,
            split: Split::Train,
        }
    }

    /// The same task and seed, `len` examples of another split (disjoint from the others).
    pub fn split(&self, split: Split, len: usize) -> Self
    where
        G: Clone,
    {
        Synthetic {
            generator: self.generator.clone(),
            seed: self.seed,
            len,
            split,
        }
    }

    /// The task's generator (its configuration).
    pub fn generator(&self) -> &G {
        &self.generator
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Example `index` of this split; defined for every index, also past `len`.
    pub fn generate(&self, index: u64) -> Example {
        let stream = self.split.ordinal() as u64 * SPLIT_STRIDE + index;
        self.generator.generate(&mut example_rng(self.seed, stream))
    }

    /// An endless stream of fresh batches of `batch_size` examples: indices 0, 1, 2, … of this
    /// split, never repeating (for training on unlimited data).
    pub fn stream(&self, batch_size: usize) -> Stream<'_, G> {
        Stream {
            task: self,
            next: 0,
            batch_size: batch_size.max(1),
        }
    }
}

impl<G: Generator> Dataset for Synthetic<G> {
    fn len(&self) -> usize {
        self.len
    }
    fn example(&self, index: usize) -> Example {
        assert!(index < self.len, "example {index} of {}", self.len);
        self.generate(index as u64)
    }
    fn baseline_on(&self, indices: &mut dyn Iterator<Item = usize>) -> Option<Baseline> {
        let mut examples = indices.map(|i| self.generate(i as u64));
        self.generator.baseline(&mut examples)
    }
}

/// Endless batches from a synthetic task (see [`Synthetic::stream`]).
#[derive(Debug)]
pub struct Stream<'a, G> {
    task: &'a Synthetic<G>,
    next: u64,
    batch_size: usize,
}

impl<G: Generator> Iterator for Stream<'_, G> {
    type Item = Result<Batch>;
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.next;
        self.next += self.batch_size as u64;
        let indices: Vec<usize> = (start..self.next).map(|i| i as usize).collect();
        let examples: Vec<Example> = (start..self.next).map(|i| self.task.generate(i)).collect();
        Some(collate(&examples, &indices))
    }
}

/// Mean of an iterator of f64 (0 when empty).
pub(crate) fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Accuracy of always predicting the most frequent class of these (classification) examples.
pub(crate) fn majority_baseline(examples: &mut dyn Iterator<Item = Example>) -> Baseline {
    let mut counts = std::collections::HashMap::<usize, usize>::new();
    let mut n = 0usize;
    for e in examples {
        let Target::Class(c) = e.target else {
            unreachable!("a classification task's targets are classes")
        };
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    let best = counts.values().copied().max().unwrap_or(0);
    Baseline {
        metric: "accuracy",
        value: best as f64 / n.max(1) as f64,
        predictor: "always the most frequent class",
        lower_is_better: false,
    }
}

/// Token accuracy (over the target tokens between BOS and EOS, EOS included) of predicting, at each
/// output position, the most frequent token at that position in these (seq2seq) examples' targets.
pub(crate) fn positional_majority_baseline(
    examples: &mut dyn Iterator<Item = Example>,
) -> Baseline {
    let mut counts: Vec<std::collections::HashMap<usize, usize>> = Vec::new();
    for e in examples {
        let Target::Tokens(t) = e.target else {
            unreachable!("a seq2seq task's targets are tokens")
        };
        for (pos, &tok) in t.iter().skip(1).enumerate() {
            if counts.len() <= pos {
                counts.push(Default::default());
            }
            *counts[pos].entry(tok).or_default() += 1;
        }
    }
    let total: usize = counts.iter().flat_map(|c| c.values()).sum();
    let hits: usize = counts.iter().filter_map(|c| c.values().max()).sum();
    Baseline {
        metric: "token_accuracy",
        value: hits as f64 / total.max(1) as f64,
        predictor: "the most frequent token at each output position",
        lower_is_better: false,
    }
}

/// `BOS ids… EOS`.
pub(crate) fn framed(ids: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut out = vec![crate::text::BOS];
    out.extend(ids);
    out.push(crate::text::EOS);
    out
}

/// The `min` and `max` length settings (defaults `min`, `max`), each at most [`MAX_LEN`].
pub(crate) fn length_range(
    params: &crate::params::Params,
    min: usize,
    max: usize,
) -> Result<(usize, usize)> {
    Ok((
        params.get_at_most("min", min, MAX_LEN)?,
        params.get_at_most("max", max, MAX_LEN)?,
    ))
}

/// An error naming `task` unless `1 <= min_len <= max_len`.
pub(crate) fn check_lengths(task: &str, min_len: usize, max_len: usize) -> Result<()> {
    if min_len == 0 || min_len > max_len {
        return Err(Error::Config(format!(
            "{task} needs 1 <= min length <= max length, got {min_len}..={max_len}"
        )));
    }
    Ok(())
}

/// A seq2seq example as `input → output`, both decoded with `vocab`.
pub(crate) fn show_translation(e: &Example, vocab: &Vocab) -> String {
    let (crate::dataset::Input::Tokens(x), Target::Tokens(y)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    format!("{} → {}", vocab.decode(x), vocab.decode(y))
}

/// The recipe shared by the seq2seq toys: an LSTM encoder-decoder of `hidden` units with
/// attention, trained for `steps` steps with a cosine schedule.
pub(crate) fn seq2seq_recipe(hidden: usize, steps: usize) -> crate::recipe::Recipe {
    crate::recipe::Recipe {
        hidden,
        steps,
        attention: true,
        schedule: "cosine",
        ..crate::recipe::Recipe::default()
    }
}
