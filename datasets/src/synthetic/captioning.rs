//! Conditioned generation ("captioning"): a feature vector describing a small scene of one or two
//! shapes → a sentence about it, framed by BOS and EOS.
//!
//! Features (24 values): for each of two object slots, `present`, colour one-hot (4), shape
//! one-hot (4), size one-hot (2); then the relation one-hot (2: left of, above).

use autograd::{Result, Rng};

use super::task::SyntheticSpec;
use super::{framed, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::Problem;
use crate::text::lm::ngram_nats;
use crate::text::{Granularity, Vocab};

const COLOURS: [&str; 4] = ["red", "green", "blue", "yellow"];
const SHAPES: [&str; 4] = ["circle", "square", "triangle", "star"];
const SIZES: [&str; 2] = ["small", "big"];
const RELATIONS: [&str; 2] = ["left of", "above"];
const SLOT: usize = 1 + 4 + 4 + 2;
/// Length of the scene feature vector.
pub const FEATURES: usize = 2 * SLOT + 2;

/// Scenes → captions.
#[derive(Clone, Debug, PartialEq)]
pub struct Captioning {
    vocab: Vocab,
}

impl Default for Captioning {
    fn default() -> Self {
        let words = ["a", "is", "left", "of", "above", "."]
            .into_iter()
            .chain(COLOURS)
            .chain(SHAPES)
            .chain(SIZES);
        Captioning {
            vocab: Vocab::from_tokens(Granularity::Word, words),
        }
    }
}

impl Captioning {
    /// The caption vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }
}

impl Generator for Captioning {
    fn vocab(&self) -> Option<&Vocab> {
        Some(&self.vocab)
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let mut features = vec![0.0f32; FEATURES];
        let objects = 1 + rng.below(2);
        let mut phrases = Vec::new();
        for slot in 0..objects {
            let (c, s, z) = (rng.below(4), rng.below(4), rng.below(2));
            let base = slot * SLOT;
            features[base] = 1.0;
            features[base + 1 + c] = 1.0;
            features[base + 5 + s] = 1.0;
            features[base + 9 + z] = 1.0;
            phrases.push(format!("a {} {} {}", SIZES[z], COLOURS[c], SHAPES[s]));
        }
        let caption = if objects == 2 {
            let r = rng.below(2);
            features[2 * SLOT + r] = 1.0;
            format!("{} is {} {} .", phrases[0], RELATIONS[r], phrases[1])
        } else {
            format!("{} .", phrases[0])
        };
        Example {
            input: Input::Vector(features),
            target: Target::Tokens(framed(self.vocab.encode(&caption))),
        }
    }

    /// Nats per caption token (after BOS, EOS included) of a unigram model of these captions,
    /// which ignores the scene: a conditioned model must go below it.
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        let tokens: Vec<usize> = examples
            .flat_map(|e| match e.target {
                Target::Tokens(t) => t[1..].to_vec(),
                _ => unreachable!("caption targets are tokens"),
            })
            .collect();
        Some(Baseline {
            metric: "nats",
            value: ngram_nats(&tokens, &tokens, 1, self.vocab.len()),
            predictor: "unigram word frequencies, ignoring the scene",
            lower_is_better: true,
        })
    }
}

/// The captioning task: a scene's feature vector to its sentence.
pub struct CaptioningTask;

impl SyntheticSpec for CaptioningTask {
    type Generator = Captioning;

    fn name(&self) -> &'static str {
        "captioning"
    }

    fn summary(&self) -> &'static str {
        "scene feature vector -> sentence with BOS/EOS"
    }

    fn problem(&self) -> Problem {
        Problem::ConditionedGeneration
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    fn generator(&self, _params: &Params) -> Result<Captioning> {
        Ok(Captioning::default())
    }

    /// The feature bits in their three groups, then the sentence.
    fn show_example(&self, g: &Captioning, e: &Example, _seed: u64, _index: usize) -> String {
        let (Input::Vector(f), Target::Tokens(y)) = (&e.input, &e.target) else {
            return format!("{e:?}");
        };
        let bits: String = f.iter().map(|&v| if v > 0.5 { '1' } else { '0' }).collect();
        format!(
            "{} {} {} → {}",
            &bits[..11],
            &bits[11..22],
            &bits[22..],
            g.vocab().decode(y)
        )
    }
}
