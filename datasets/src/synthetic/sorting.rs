//! Sorting (seq2seq): a digit string in, its digits in ascending order out (BOS … EOS).

use autograd::{Result, Rng};

use super::digits::{identity_baseline, DigitStrings};
use super::{framed, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::text::Vocab;

/// Sort a string of `min_len..=max_len` digits.
#[derive(Clone, Debug, PartialEq)]
pub struct Sorting(DigitStrings);

impl Sorting {
    /// Inputs of `min_len..=max_len` digits.
    pub fn new(min_len: usize, max_len: usize) -> Result<Self> {
        DigitStrings::new("sorting", min_len, max_len).map(Sorting)
    }

    /// The vocabulary of inputs and outputs.
    pub fn vocab(&self) -> &Vocab {
        self.0.vocab()
    }
}

impl Generator for Sorting {
    fn vocab(&self) -> Option<&Vocab> {
        Some(self.0.vocab())
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let x = self.0.draw(rng);
        let mut sorted = x.clone();
        sorted.sort(); // digit ids are in digit order
        Example {
            input: Input::Tokens(x),
            target: Target::Tokens(framed(sorted)),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(identity_baseline(examples))
    }
}
