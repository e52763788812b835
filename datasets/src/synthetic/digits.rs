//! What reversal and sorting share: random digit strings over one vocabulary, and the echo baseline.

use autograd::{Result, Rng};

use super::check_lengths;
use crate::dataset::{Baseline, Example, Input, Target};
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
