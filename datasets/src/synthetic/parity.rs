//! Parity: is the number of ones in a bit sequence odd? Every bit matters until the end.

use autograd::{Result, Rng};

use super::task::SyntheticSpec;
use super::{check_lengths, majority_baseline, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::Problem;

/// Bit sequences of `min_len..=max_len` steps (one feature per step); class 1 = odd number of ones.
#[derive(Clone, Debug, PartialEq)]
pub struct Parity {
    min_len: usize,
    max_len: usize,
}

impl Parity {
    /// Sequences of `min_len..=max_len` bits.
    pub fn new(min_len: usize, max_len: usize) -> Result<Self> {
        check_lengths("parity", min_len, max_len)?;
        Ok(Parity { min_len, max_len })
    }
}

impl Generator for Parity {
    fn generate(&self, rng: &mut Rng) -> Example {
        let len = self.min_len + rng.below(self.max_len - self.min_len + 1);
        let bits: Vec<f32> = (0..len).map(|_| rng.below(2) as f32).collect();
        let ones = bits.iter().filter(|&&b| b == 1.0).count();
        Example {
            input: Input::Steps {
                width: 1,
                values: bits,
            },
            target: Target::Class(ones % 2),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(majority_baseline(examples))
    }
}

/// The parity task: classes `even` and `odd`.
pub struct ParityTask;

impl SyntheticSpec for ParityTask {
    type Generator = Parity;

    fn name(&self) -> &'static str {
        "parity"
    }

    fn summary(&self) -> &'static str {
        "odd number of ones in 1-20 bits"
    }

    fn problem(&self) -> Problem {
        Problem::Classification
    }

    fn recipe(&self) -> Recipe {
        Recipe {
            steps: 2000,
            ..Recipe::default()
        }
    }

    /// `min`, `max`: the range of lengths (default 1..=20, each at most [`super::MAX_LEN`] =
    /// 100,000).
    fn generator(&self, params: &Params) -> Result<Parity> {
        let (min, max) = super::length_range(params, 1, 20)?;
        Parity::new(min, max)
    }

    fn labels(&self) -> Vec<String> {
        vec!["even".into(), "odd".into()]
    }

    /// The bits, then the class.
    fn show_example(&self, _: &Parity, e: &Example, _seed: u64, _index: usize) -> String {
        let (Input::Steps { values, .. }, Target::Class(c)) = (&e.input, &e.target) else {
            return format!("{e:?}");
        };
        let bits: String = values
            .iter()
            .map(|&b| if b > 0.5 { '1' } else { '0' })
            .collect();
        format!("{bits:<20} → {}", self.labels()[*c])
    }
}
