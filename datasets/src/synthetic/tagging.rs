//! Tagging decided by the future: an ambiguous early word is a PERSON or a THING depending only on
//! a cue word that comes later ("teddy … roosevelt" vs "teddy … bears"). A left-to-right model
//! cannot beat chance on those words; a bidirectional one can reach 100%.
//!
//! Tags: 0 is padding (never a real tag), [`O`] = 1, [`PERSON`] = 2, [`THING`] = 3.

use autograd::{Error, Result, Rng};

use super::task::SyntheticSpec;
use super::Generator;
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::Problem;
use crate::text::{Granularity, Vocab};

/// Tag of every unambiguous word.
pub const O: usize = 1;
/// Tag of an ambiguous word whose cue says person.
pub const PERSON: usize = 2;
/// Tag of an ambiguous word whose cue says thing.
pub const THING: usize = 3;
/// Tag names by id.
pub const TAG_NAMES: [&str; 4] = ["<pad>", "O", "PERSON", "THING"];

const AMBIGUOUS: [&str; 4] = ["teddy", "jordan", "paris", "amazon"];
const PERSON_CUES: [&str; 3] = ["roosevelt", "spoke", "smiled"];
const THING_CUES: [&str; 3] = ["bears", "flowed", "shipped"];
const FILLERS: [&str; 10] = [
    "the",
    "then",
    "quite",
    "big",
    "yesterday",
    "very",
    "old",
    "really",
    "there",
    "soon",
];

/// Sentences of `len` words with one ambiguous word whose cue follows 1..=`max_gap` words later.
#[derive(Clone, Debug, PartialEq)]
pub struct Tagging {
    len: usize,
    max_gap: usize,
    vocab: Vocab,
}

impl Tagging {
    /// Sentences of `len` words with a cue 1..=`max_gap` words after the ambiguous word
    /// (`len ≥ max_gap + 2`).
    pub fn new(len: usize, max_gap: usize) -> Result<Self> {
        if max_gap == 0 || len < max_gap.saturating_add(2) {
            return Err(Error::Config(format!(
                "tagging needs max gap >= 1 and length >= max gap + 2, got length {len}, gap {max_gap}"
            )));
        }
        let words = AMBIGUOUS
            .iter()
            .chain(&PERSON_CUES)
            .chain(&THING_CUES)
            .chain(&FILLERS);
        Ok(Tagging {
            len,
            max_gap,
            vocab: Vocab::from_tokens(Granularity::Word, words),
        })
    }

    /// The word vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }
}

impl Generator for Tagging {
    fn vocab(&self) -> Option<&Vocab> {
        Some(&self.vocab)
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let gap = 1 + rng.below(self.max_gap);
        let pos = rng.below(self.len - gap);
        let cue = pos + gap;
        let person = rng.bernoulli(0.5);
        let mut words: Vec<&str> = (0..self.len)
            .map(|_| FILLERS[rng.below(FILLERS.len())])
            .collect();
        words[pos] = AMBIGUOUS[rng.below(AMBIGUOUS.len())];
        let cues = if person { &PERSON_CUES } else { &THING_CUES };
        words[cue] = cues[rng.below(cues.len())];
        let mut tags = vec![O; self.len];
        tags[pos] = if person { PERSON } else { THING };
        Example {
            input: Input::Tokens(words.iter().map(|w| self.vocab.id(w)).collect()),
            target: Target::Tags(tags),
        }
    }

    /// Per-word accuracy of the best left-to-right guess: each word's most frequent tag (the cue
    /// is not yet seen when an ambiguous word must be tagged).
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        let mut counts = std::collections::HashMap::<(usize, usize), usize>::new();
        let mut total = 0usize;
        for e in examples {
            let (Input::Tokens(x), Target::Tags(y)) = (&e.input, &e.target) else {
                unreachable!("tagging examples are tokens → tags")
            };
            for (&w, &t) in x.iter().zip(y) {
                *counts.entry((w, t)).or_default() += 1;
                total += 1;
            }
        }
        let mut best = std::collections::HashMap::<usize, usize>::new();
        for (&(w, _), &c) in &counts {
            let b = best.entry(w).or_default();
            *b = (*b).max(c);
        }
        Some(Baseline {
            metric: "accuracy",
            value: best.values().sum::<usize>() as f64 / total.max(1) as f64,
            predictor: "each word's most frequent tag (left context cannot decide)",
            lower_is_better: false,
        })
    }
}

/// The tagging task: tags `<pad>`, `O`, `PERSON`, `THING`.
pub struct TaggingTask;

impl SyntheticSpec for TaggingTask {
    type Generator = Tagging;

    fn name(&self) -> &'static str {
        "tagging"
    }

    fn summary(&self) -> &'static str {
        "an early word's tag decided by a later cue (bidirectional)"
    }

    fn problem(&self) -> Problem {
        Problem::Tagging
    }

    fn recipe(&self) -> Recipe {
        Recipe {
            bidirectional: true,
            ..Recipe::default()
        }
    }

    /// `len`: words per sentence (default 12); `gap`: the largest distance to the cue (default 5);
    /// each at most [`super::MAX_LEN`] = 100,000.
    fn generator(&self, params: &Params) -> Result<Tagging> {
        let len = params.get_at_most("len", 12, super::MAX_LEN)?;
        Tagging::new(len, params.get_at_most("gap", 5, super::MAX_LEN)?)
    }

    fn labels(&self) -> Vec<String> {
        TAG_NAMES.iter().map(|s| s.to_string()).collect()
    }

    /// The sentence with each tagged word as `word/TAG`.
    fn show_example(&self, g: &Tagging, e: &Example, _seed: u64, _index: usize) -> String {
        let (Input::Tokens(x), Target::Tags(y)) = (&e.input, &e.target) else {
            return format!("{e:?}");
        };
        x.iter()
            .zip(y)
            .map(|(&w, &t)| {
                let word = g.vocab().token(w);
                if t == O {
                    word.to_string()
                } else {
                    format!("{word}/{}", TAG_NAMES[t])
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}
