//! The copy (memory) task: read 10 symbols, wait T steps, then write them back.
//!
//! Token ids follow the crate's PAD = 0 convention: the spec's alphabet a0..a9 is ids 1..=10, so
//! the data symbols a0..a7 are ids 1..=8, the blank a8 is [`BLANK`] = 9 and the delimiter a9 is
//! [`DELIMITER`] = 10 (11 ids in all, [`VOCAB_SIZE`]).

use autograd::{Error, Result, Rng};

use super::task::SyntheticSpec;
use super::Generator;
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::Problem;

/// How many symbols are copied.
pub const SYMBOLS: usize = 10;
/// The number of distinct data symbols (a0..a7).
pub const ALPHABET: usize = 8;
/// The blank's id (a8).
pub const BLANK: usize = 9;
/// The delimiter's id (a9): "start writing now".
pub const DELIMITER: usize = 10;
/// Ids 0..11: PAD plus a0..a9.
pub const VOCAB_SIZE: usize = 11;

/// The copy task with delay `T`: sequences of length T + 20, per-step targets.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyTask {
    delay: usize,
}

impl CopyTask {
    /// A copy task with delay `delay` ≥ 1 (the T of the spec).
    pub fn new(delay: usize) -> Result<Self> {
        if delay == 0 {
            return Err(Error::Config("the copy task needs a delay T >= 1".into()));
        }
        Ok(CopyTask { delay })
    }

    /// The delay T.
    pub fn delay(&self) -> usize {
        self.delay
    }

    /// The sequence length T + 20.
    pub fn len(&self) -> usize {
        self.delay + 2 * SYMBOLS
    }

    /// Always false: a copy sequence has T + 20 ≥ 21 steps.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The spec's name for a token id: `a0`..`a9`, or `PAD`.
    pub fn symbol_name(id: usize) -> String {
        match id {
            0 => "PAD".into(),
            id => format!("a{}", id - 1),
        }
    }
}

impl Generator for CopyTask {
    fn generate(&self, rng: &mut Rng) -> Example {
        let n = self.len();
        let data: Vec<usize> = (0..SYMBOLS).map(|_| 1 + rng.below(ALPHABET)).collect();
        let mut input = data.clone();
        input.extend(std::iter::repeat_n(BLANK, self.delay - 1));
        input.push(DELIMITER);
        input.extend(std::iter::repeat_n(BLANK, SYMBOLS));
        let mut target = vec![BLANK; n - SYMBOLS];
        target.extend(&data);
        Example {
            input: Input::Tokens(input),
            target: Target::Tags(target),
        }
    }

    /// Cross-entropy per step of the memoryless predictor: blank until the delimiter has been read,
    /// then uniform over the 8 data symbols (10·ln 8 / (T+20) on every split).
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        let (mut nats, mut steps) = (0.0f64, 0usize);
        for e in examples {
            let (Input::Tokens(input), Target::Tags(target)) = (&e.input, &e.target) else {
                unreachable!("copy examples are tokens → tags")
            };
            let mut seen_delimiter = false;
            for (x, y) in input.iter().zip(target) {
                let p = if seen_delimiter {
                    if (1..=ALPHABET).contains(y) {
                        1.0 / ALPHABET as f64
                    } else {
                        0.0
                    }
                } else if *y == BLANK {
                    1.0
                } else {
                    0.0
                };
                nats -= p.ln();
                steps += 1;
                seen_delimiter |= *x == DELIMITER;
            }
        }
        Some(Baseline {
            metric: "nats",
            value: nats / steps.max(1) as f64,
            predictor: "blanks until the delimiter, then uniform over the 8 symbols",
            lower_is_better: true,
        })
    }
}

/// The copy task's descriptor (tags `PAD`, `a0`..`a9`).
pub struct CopyTaskSpec;

impl SyntheticSpec for CopyTaskSpec {
    type Generator = CopyTask;

    fn name(&self) -> &'static str {
        "copy"
    }

    fn summary(&self) -> &'static str {
        "copy task (default T=100): 10 symbols, wait, write them back"
    }

    fn problem(&self) -> Problem {
        Problem::Tagging
    }

    /// A GRU of 128 units with Adam at 0.01 and clip 1 leaves the baseline within 250 steps;
    /// an LSTM of the same budget stays on it at T = 100.
    fn recipe(&self) -> Recipe {
        Recipe {
            model: "gru",
            hidden: 128,
            steps: 2000,
            lr: 0.01,
            clip: Some(1.0),
            ..Recipe::default()
        }
    }

    /// `t`: the delay T (default 100, at most [`super::MAX_T`] = 100,000).
    fn generator(&self, params: &Params) -> Result<CopyTask> {
        CopyTask::new(params.get_at_most("t", 100, super::MAX_T)?)
    }

    fn labels(&self) -> Vec<String> {
        (0..VOCAB_SIZE).map(CopyTask::symbol_name).collect()
    }

    /// Inputs are the tags' ids: PAD and a0..a9.
    fn token_count(&self, _: &CopyTask) -> usize {
        VOCAB_SIZE
    }

    /// Input and output with runs of blanks counted (`_×99`), symbols as digits, `:` the delimiter.
    fn show_example(&self, _: &CopyTask, e: &Example, _seed: u64, _index: usize) -> String {
        let (Input::Tokens(x), Target::Tags(y)) = (&e.input, &e.target) else {
            return format!("{e:?}");
        };
        format!("in  {}\n     out {}", copy_symbols(x), copy_symbols(y))
    }
}

/// Copy-task ids as text: symbols as their digit, runs of blanks as `_×n`, delimiters as `:`.
fn copy_symbols(ids: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let id = ids[i];
        let run = ids[i..].iter().take_while(|&&x| x == id).count();
        match id {
            BLANK => parts.push(format!("_×{run}")),
            DELIMITER => parts.push(":".repeat(run)),
            _ => {
                parts.push((id - 1).to_string());
                i += 1;
                continue;
            }
        }
        i += run;
    }
    parts.join(" ")
}
