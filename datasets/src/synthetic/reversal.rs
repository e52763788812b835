//! Sequence reversal (seq2seq): a digit string in, the same digits reversed out (BOS … EOS).

use autograd::{Result, Rng};

use super::digits::{identity_baseline, DigitStrings};
use super::{framed, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::text::Vocab;

/// Reverse a string of `min_len..=max_len` digits.
#[derive(Clone, Debug, PartialEq)]
pub struct Reversal(DigitStrings);

impl Reversal {
    /// Inputs of `min_len..=max_len` digits.
    pub fn new(min_len: usize, max_len: usize) -> Result<Self> {
        DigitStrings::new("reversal", min_len, max_len).map(Reversal)
    }

    /// The vocabulary of inputs and outputs.
    pub fn vocab(&self) -> &Vocab {
        self.0.vocab()
    }
}

impl Generator for Reversal {
    fn vocab(&self) -> Option<&Vocab> {
        Some(self.0.vocab())
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let x = self.0.draw(rng);
        Example {
            target: Target::Tokens(framed(x.iter().rev().copied())),
            input: Input::Tokens(x),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(identity_baseline(examples))
    }
}
