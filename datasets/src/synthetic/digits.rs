//! Reversal and sorting (seq2seq): a digit string in, its digits reversed or in ascending order
//! out (BOS … EOS), with the echo baseline.

use autograd::{Result, Rng};

use super::task::SyntheticSpec;
use super::{check_lengths, framed, seq2seq_recipe, show_translation, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::Problem;
use crate::text::{Granularity, Vocab};

/// The digit vocabulary shared by reversal and sorting: specials then `0`..`9`.
pub fn digit_vocab() -> Vocab {
    Vocab::from_tokens(Granularity::Char, "0123456789".chars().map(String::from))
}

/// Random strings of `min_len..=max_len` digits, encoded with [`digit_vocab`].
#[derive(Clone, Debug, PartialEq)]
pub struct DigitStrings {
    min_len: usize,
    max_len: usize,
    vocab: Vocab,
}

impl DigitStrings {
    /// Lengths `min_len..=max_len` (an error naming `task` unless `1 <= min_len <= max_len`).
    pub fn new(task: &str, min_len: usize, max_len: usize) -> Result<Self> {
        check_lengths(task, min_len, max_len)?;
        Ok(DigitStrings {
            min_len,
            max_len,
            vocab: digit_vocab(),
        })
    }

    /// The vocabulary of inputs and outputs.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// One digit string (as ids) drawn from `rng`.
    pub fn draw(&self, rng: &mut Rng) -> Vec<usize> {
        let len = self.min_len + rng.below(self.max_len - self.min_len + 1);
        (0..len)
            .map(|_| self.vocab.id(&rng.below(10).to_string()))
            .collect()
    }
}

/// Token accuracy of echoing the input unchanged as the output (the baseline for reversal and
/// sorting: right only where the answer happens to equal the input).
pub(crate) fn identity_baseline(examples: &mut dyn Iterator<Item = Example>) -> Baseline {
    let (mut hits, mut total) = (0usize, 0usize);
    for e in examples {
        let (Input::Tokens(x), Target::Tokens(y)) = (&e.input, &e.target) else {
            unreachable!("seq2seq examples are tokens → tokens")
        };
        let body = &y[1..y.len() - 1];
        hits += body.iter().zip(x).filter(|(a, b)| a == b).count();
        total += body.len();
    }
    Baseline {
        metric: "token_accuracy",
        value: hits as f64 / total.max(1) as f64,
        predictor: "echo the input unchanged",
        lower_is_better: false,
    }
}

/// What a digit task does to its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigitOrder {
    /// The digits in reverse order (`reversal`).
    Reversed,
    /// The digits in ascending order (`sorting`).
    Sorted,
}

/// Digit strings of `min_len..=max_len` digits mapped to their reversal or their sorted order.
#[derive(Clone, Debug, PartialEq)]
pub struct DigitTransform {
    strings: DigitStrings,
    order: DigitOrder,
}

impl DigitTransform {
    /// Inputs of `min_len..=max_len` digits, outputs in `order`.
    pub fn new(order: DigitOrder, min_len: usize, max_len: usize) -> Result<Self> {
        let strings = DigitStrings::new(DigitTask(order).name(), min_len, max_len)?;
        Ok(DigitTransform { strings, order })
    }

    /// The vocabulary of inputs and outputs.
    pub fn vocab(&self) -> &Vocab {
        self.strings.vocab()
    }
}

impl Generator for DigitTransform {
    fn vocab(&self) -> Option<&Vocab> {
        Some(self.strings.vocab())
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let x = self.strings.draw(rng);
        let mut y = x.clone();
        match self.order {
            DigitOrder::Reversed => y.reverse(),
            DigitOrder::Sorted => y.sort(), // digit ids are in digit order
        }
        Example {
            input: Input::Tokens(x),
            target: Target::Tokens(framed(y)),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(identity_baseline(examples))
    }
}

/// The digit tasks: `reversal` and `sorting`.
pub struct DigitTask(pub DigitOrder);

impl SyntheticSpec for DigitTask {
    type Generator = DigitTransform;

    fn name(&self) -> &'static str {
        match self.0 {
            DigitOrder::Reversed => "reversal",
            DigitOrder::Sorted => "sorting",
        }
    }

    fn summary(&self) -> &'static str {
        match self.0 {
            DigitOrder::Reversed => "reverse a string of 1-10 digits",
            DigitOrder::Sorted => "sort a string of 1-10 digits",
        }
    }

    fn problem(&self) -> Problem {
        Problem::Seq2Seq
    }

    fn recipe(&self) -> Recipe {
        seq2seq_recipe(64, 1000)
    }

    /// `min`, `max`: the range of lengths (default 1..=10, each at most [`super::MAX_LEN`] =
    /// 100,000).
    fn generator(&self, params: &Params) -> Result<DigitTransform> {
        let (min, max) = super::length_range(params, 1, 10)?;
        DigitTransform::new(self.0, min, max)
    }

    fn show_example(&self, g: &DigitTransform, e: &Example, _seed: u64, _index: usize) -> String {
        show_translation(e, g.vocab())
    }
}
