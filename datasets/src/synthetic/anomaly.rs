//! Sequence classification: is there an anomaly in this noisy periodic signal?
//!
//! Half the sequences (class 1) contain one anomaly at a random place: a spike, a level shift or a
//! flat-lined stretch. Class 0 is clean.

use autograd::{Error, Result, Rng};

use super::task::SyntheticSpec;
use super::{majority_baseline, Generator};
use crate::dataset::{example_rng, Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::show::sparkline;
use crate::task::Problem;

/// Noisy sine sequences of `len` steps, half with an anomaly.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    len: usize,
}

/// The kind of anomaly drawn (for display).
pub const KINDS: [&str; 3] = ["spike", "level shift", "flat line"];

impl Anomaly {
    /// Sequences of `len ≥ 16` steps.
    pub fn new(len: usize) -> Result<Self> {
        if len < 16 {
            return Err(Error::Config(format!(
                "the anomaly task needs at least 16 steps, got {len}"
            )));
        }
        Ok(Anomaly { len })
    }

    /// One signal, its class, and the anomaly's (kind, start) when class 1.
    pub fn draw(&self, rng: &mut Rng) -> (Vec<f32>, usize, Option<(usize, usize)>) {
        let period = rng.uniform_in(8.0, 16.0);
        let phase = rng.uniform_in(0.0, std::f64::consts::TAU);
        let mut x: Vec<f64> = (0..self.len)
            .map(|t| (std::f64::consts::TAU * t as f64 / period + phase).sin() + 0.1 * rng.normal())
            .collect();
        let anomalous = rng.bernoulli(0.5);
        let mut info = None;
        if anomalous {
            let kind = rng.below(KINDS.len());
            let start = 4 + rng.below(self.len - 8);
            match kind {
                0 => x[start] += if rng.bernoulli(0.5) { 3.0 } else { -3.0 },
                1 => x[start..].iter_mut().for_each(|v| *v += 1.5),
                _ => {
                    let end = (start + 8).min(self.len);
                    let level = x[start];
                    x[start..end].iter_mut().for_each(|v| *v = level);
                }
            }
            info = Some((kind, start));
        }
        (
            x.into_iter().map(|v| v as f32).collect(),
            anomalous as usize,
            info,
        )
    }
}

impl Generator for Anomaly {
    fn generate(&self, rng: &mut Rng) -> Example {
        let (values, class, _) = self.draw(rng);
        Example {
            input: Input::Steps { width: 1, values },
            target: Target::Class(class),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(majority_baseline(examples))
    }
}

/// The anomaly task: classes `normal` and `anomaly`.
pub struct AnomalyTask;

impl SyntheticSpec for AnomalyTask {
    type Generator = Anomaly;

    fn name(&self) -> &'static str {
        "anomaly"
    }

    fn summary(&self) -> &'static str {
        "anomaly or not in a noisy periodic signal of 64 steps"
    }

    fn problem(&self) -> Problem {
        Problem::Classification
    }

    /// Adam at 0.01 with clip 1: accuracy jumps between steps 1000 and 3000.
    fn recipe(&self) -> Recipe {
        Recipe {
            steps: 5000,
            lr: 0.01,
            clip: Some(1.0),
            ..Recipe::default()
        }
    }

    /// `len`: steps per signal (default 64, at most [`super::MAX_LEN`] = 100,000).
    fn generator(&self, params: &Params) -> Result<Anomaly> {
        Anomaly::new(params.get_at_most("len", 64, super::MAX_LEN)?)
    }

    fn labels(&self) -> Vec<String> {
        vec!["normal".into(), "anomaly".into()]
    }

    /// What was drawn (the anomaly's kind and place, redrawn from the example's stream) and the
    /// signal as a sparkline.
    fn show_example(&self, g: &Anomaly, _: &Example, seed: u64, index: usize) -> String {
        // The training split's example `index` is drawn from example_rng(seed, index).
        let (x, _, info) = g.draw(&mut example_rng(seed, index as u64));
        let x: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let label = match info {
            Some((kind, t)) => format!("anomalous: {} at t={t}", KINDS[kind]),
            None => "normal".to_string(),
        };
        format!("{label}\n     {}", sparkline(&x))
    }
}
