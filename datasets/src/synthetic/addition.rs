//! Addition as strings (seq2seq): `"535+61"` → `"596"`, optionally with the input reversed.

use autograd::{Error, Result, Rng};

use super::task::SyntheticSpec;
use super::{framed, positional_majority_baseline, seq2seq_recipe, show_translation, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::{Problem, PromptStyle};
use crate::text::{Granularity, Vocab};

/// The largest `digits` setting (a sum of two 9-digit numbers fits any `usize`).
pub const MAX_DIGITS: usize = 9;

/// Sums of two numbers of 1..=`digits` digits each.
#[derive(Clone, Debug, PartialEq)]
pub struct Addition {
    digits: usize,
    reverse_input: bool,
    vocab: Vocab,
}

impl Addition {
    /// Operands of up to `digits` digits (1..=9); `reverse_input` feeds the question backwards
    /// (which helps LSTMs, as in Sutskever et al. 2014).
    pub fn new(digits: usize, reverse_input: bool) -> Result<Self> {
        if !(1..=MAX_DIGITS).contains(&digits) {
            return Err(Error::Config(format!(
                "addition needs 1..={MAX_DIGITS} digits per operand, got {digits}"
            )));
        }
        Ok(Addition {
            digits,
            reverse_input,
            vocab: Vocab::from_tokens(Granularity::Char, "0123456789+".chars().map(String::from)),
        })
    }

    /// The 15-id vocabulary: 4 specials, the digits and `+`.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Whether inputs are reversed.
    pub fn reverse_input(&self) -> bool {
        self.reverse_input
    }

    fn operand(&self, rng: &mut Rng) -> u64 {
        let len = 1 + rng.below(self.digits) as u32;
        let lo = if len == 1 { 0 } else { 10u64.pow(len - 1) };
        lo + rng.next_u64() % (10u64.pow(len) - lo)
    }
}

impl Generator for Addition {
    fn vocab(&self) -> Option<&Vocab> {
        Some(&self.vocab)
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let (a, b) = (self.operand(rng), self.operand(rng));
        let mut question = self.vocab.encode(&format!("{a}+{b}"));
        if self.reverse_input {
            question.reverse();
        }
        Example {
            input: Input::Tokens(question),
            target: Target::Tokens(framed(self.vocab.encode(&(a + b).to_string()))),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(positional_majority_baseline(examples))
    }
}

/// Addition as a task: `addition`, or `addition-reversed` with the question read backwards.
pub struct AdditionTask {
    /// Whether the question is reversed.
    pub reversed: bool,
}

impl SyntheticSpec for AdditionTask {
    type Generator = Addition;

    fn name(&self) -> &'static str {
        if self.reversed {
            "addition-reversed"
        } else {
            "addition"
        }
    }

    fn summary(&self) -> &'static str {
        if self.reversed {
            "addition with the question reversed"
        } else {
            "\"535+61\" -> \"596\", operands up to 3 digits"
        }
    }

    fn problem(&self) -> Problem {
        Problem::Seq2Seq
    }

    fn recipe(&self) -> Recipe {
        seq2seq_recipe(64, 10_000)
    }

    /// A prompt is reversed as the questions were in training.
    fn prompt_style(&self) -> PromptStyle {
        if self.reversed {
            PromptStyle::ReversedSource
        } else {
            PromptStyle::Source
        }
    }

    /// `digits`: the operands' maximum length (default 3, at most [`MAX_DIGITS`] = 9).
    fn generator(&self, params: &Params) -> Result<Addition> {
        Addition::new(params.get_at_most("digits", 3, MAX_DIGITS)?, self.reversed)
    }

    fn show_example(&self, g: &Addition, e: &Example, _seed: u64, _index: usize) -> String {
        show_translation(e, g.vocab())
    }
}
