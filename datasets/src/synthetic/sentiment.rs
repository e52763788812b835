//! Sentence classification: a sentiment-like label of generated sentences.
//!
//! A sentence is one or two clauses `<noun phrase> was [not] <adjective>`; negation flips the
//! adjective's polarity, and with two clauses joined by "but" the second decides. Class 1 is
//! positive, 0 negative.

use autograd::{Result, Rng};

use super::task::SyntheticSpec;
use super::{majority_baseline, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::Problem;
use crate::text::corpus::{render, ADJECTIVES, DETERMINERS, NOUNS};
use crate::text::{Granularity, Vocab};

const POSITIVE: [&str; 6] = [
    "wonderful",
    "happy",
    "delightful",
    "kind",
    "bright",
    "lovely",
];
const NEGATIVE: [&str; 6] = ["terrible", "sad", "awful", "cruel", "gloomy", "dreadful"];

/// Generated sentences with a positive/negative label.
#[derive(Clone, Debug, PartialEq)]
pub struct Sentiment {
    vocab: Vocab,
}

impl Default for Sentiment {
    fn default() -> Self {
        let capitals: Vec<String> = DETERMINERS.iter().map(|d| capitalized(d)).collect();
        let words = ["was", "not", "but", ",", "."]
            .into_iter()
            .chain(capitals.iter().map(String::as_str))
            .chain(DETERMINERS)
            .chain(ADJECTIVES)
            .chain(NOUNS)
            .chain(POSITIVE)
            .chain(NEGATIVE);
        Sentiment {
            vocab: Vocab::from_tokens(Granularity::Word, words),
        }
    }
}

fn capitalized(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl Sentiment {
    /// The word vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// One sentence and its class drawn from `rng`.
    pub fn draw(rng: &mut Rng) -> (String, usize) {
        let mut words: Vec<&str> = Vec::new();
        let clauses = 1 + rng.below(2);
        let mut label = false;
        for i in 0..clauses {
            if i > 0 {
                words.extend([",", "but"]);
            }
            words.push(DETERMINERS[rng.below(DETERMINERS.len())]);
            if rng.bernoulli(0.5) {
                words.push(ADJECTIVES[rng.below(ADJECTIVES.len())]);
            }
            words.push(NOUNS[rng.below(NOUNS.len())]);
            words.push("was");
            let negated = rng.bernoulli(0.4);
            if negated {
                words.push("not");
            }
            let positive = rng.bernoulli(0.5);
            let pool = if positive { &POSITIVE } else { &NEGATIVE };
            words.push(pool[rng.below(pool.len())]);
            label = positive != negated;
        }
        words.push(".");
        (render(&words), label as usize)
    }
}

impl Generator for Sentiment {
    fn vocab(&self) -> Option<&Vocab> {
        Some(&self.vocab)
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let (sentence, class) = Sentiment::draw(rng);
        Example {
            input: Input::Tokens(self.vocab.encode(&sentence)),
            target: Target::Class(class),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(majority_baseline(examples))
    }
}

/// The sentiment task: classes `negative` and `positive`.
pub struct SentimentTask;

impl SyntheticSpec for SentimentTask {
    type Generator = Sentiment;

    fn name(&self) -> &'static str {
        "sentiment"
    }

    fn summary(&self) -> &'static str {
        "positive/negative generated sentences with negation and 'but'"
    }

    fn problem(&self) -> Problem {
        Problem::Classification
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    fn generator(&self, _params: &Params) -> Result<Sentiment> {
        Ok(Sentiment::default())
    }

    fn labels(&self) -> Vec<String> {
        vec!["negative".into(), "positive".into()]
    }

    /// The class, then the sentence.
    fn show_example(&self, g: &Sentiment, e: &Example, _seed: u64, _index: usize) -> String {
        let (Input::Tokens(x), Target::Class(c)) = (&e.input, &e.target) else {
            return format!("{e:?}");
        };
        format!("{:<8}  {}", self.labels()[*c], g.vocab().decode(x))
    }
}
