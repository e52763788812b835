//! Sequence reversal (seq2seq): a digit string in, the same digits reversed out (BOS … EOS).

use autograd::{Error, Result, Rng};

use super::{framed, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::text::{Granularity, Vocab};

/// The digit vocabulary shared by reversal and sorting: specials then `0`..`9`.
pub fn digit_vocab() -> Vocab {
    Vocab::from_tokens(Granularity::Char, "0123456789".chars().map(String::from))
}

/// Random digit strings with lengths in `min_len..=max_len`.
pub(crate) fn digits(rng: &mut Rng, vocab: &Vocab, min_len: usize, max_len: usize) -> Vec<usize> {
    let len = min_len + rng.below(max_len - min_len + 1);
    (0..len)
        .map(|_| vocab.id(&rng.below(10).to_string()))
        .collect()
}

pub(crate) fn check_lengths(task: &str, min_len: usize, max_len: usize) -> Result<()> {
    if min_len == 0 || min_len > max_len {
        return Err(Error::Config(format!(
            "{task} needs 1 <= min length <= max length, got {min_len}..={max_len}"
        )));
    }
    Ok(())
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

/// Reverse a string of 1..=`max_len` digits.
#[derive(Clone, Debug, PartialEq)]
pub struct Reversal {
    min_len: usize,
    max_len: usize,
    vocab: Vocab,
}

impl Reversal {
    /// Inputs of `min_len..=max_len` digits.
    pub fn new(min_len: usize, max_len: usize) -> Result<Self> {
        check_lengths("reversal", min_len, max_len)?;
        Ok(Reversal {
            min_len,
            max_len,
            vocab: digit_vocab(),
        })
    }

    /// The vocabulary of inputs and outputs.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }
}

impl Generator for Reversal {
    fn generate(&self, rng: &mut Rng) -> Example {
        let x = digits(rng, &self.vocab, self.min_len, self.max_len);
        Example {
            target: Target::Tokens(framed(x.iter().rev().copied())),
            input: Input::Tokens(x),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(identity_baseline(examples))
    }
}
