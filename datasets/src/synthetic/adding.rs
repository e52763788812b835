//! The adding problem: remember two marked values across a long sequence and output their sum.

use autograd::{Error, Result, Rng};

use super::task::SyntheticSpec;
use super::{mean, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::show::sparkline;
use crate::task::Problem;

/// Which published version of the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddingSpec {
    /// Arjovsky et al. 2016 / Le et al. 2015: values U[0,1), markers {0,1}, one marker uniformly in
    /// each half, target = the sum. Baseline: predict 1, MSE = 1/6.
    Modern,
    /// Hochreiter & Schmidhuber 1997: values U[−1,1), markers {1,0,−1} (−1 on the first and last
    /// step), first marked step among steps 1..=9, second elsewhere in the first half;
    /// target = 0.5 + (X1 + X2)/4. Baseline: predict 0.5.
    Original,
}

/// The adding problem with `steps` time steps; each step has two channels (value, marker).
#[derive(Clone, Debug, PartialEq)]
pub struct Adding {
    steps: usize,
    spec: AddingSpec,
}

impl Adding {
    /// A task of `steps` steps (at least 2 for the modern spec, 6 for the original).
    pub fn new(steps: usize, spec: AddingSpec) -> Result<Self> {
        let min = match spec {
            AddingSpec::Modern => 2,
            AddingSpec::Original => 6,
        };
        if steps < min {
            return Err(Error::Config(format!(
                "the adding problem needs at least {min} steps, got {steps}"
            )));
        }
        Ok(Adding { steps, spec })
    }

    /// The sequence length T.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The spec.
    pub fn spec(&self) -> AddingSpec {
        self.spec
    }

    /// The constant the baseline predicts: 1 (modern) or 0.5 (original).
    pub fn baseline_prediction(&self) -> f32 {
        match self.spec {
            AddingSpec::Modern => 1.0,
            AddingSpec::Original => 0.5,
        }
    }
}

/// The positions whose marker channel is 1 in an adding-problem input (width 2: value, marker).
pub fn marked_positions(values: &[f32]) -> Vec<usize> {
    values
        .chunks(2)
        .enumerate()
        .filter(|(_, step)| step[1] == 1.0)
        .map(|(t, _)| t)
        .collect()
}

impl Generator for Adding {
    fn generate(&self, rng: &mut Rng) -> Example {
        let t = self.steps;
        let half = t / 2;
        let mut values = vec![0.0f32; 2 * t];
        let (first, second, lo) = match self.spec {
            AddingSpec::Modern => (rng.below(half), half + rng.below(t - half), 0.0),
            AddingSpec::Original => {
                let first = 1 + rng.below(9.min(half - 1));
                let mut second = 1 + rng.below(half - 1);
                while second == first {
                    second = 1 + rng.below(half - 1);
                }
                (first, second, -1.0)
            }
        };
        for step in 0..t {
            values[2 * step] = rng.uniform_in(lo, 1.0) as f32;
        }
        if self.spec == AddingSpec::Original {
            values[1] = -1.0;
            values[2 * t - 1] = -1.0;
        }
        values[2 * first + 1] = 1.0;
        values[2 * second + 1] = 1.0;
        let sum = values[2 * first] + values[2 * second];
        let target = match self.spec {
            AddingSpec::Modern => sum,
            AddingSpec::Original => 0.5 + sum / 4.0,
        };
        Example {
            input: Input::Steps { width: 2, values },
            target: Target::Values(vec![target]),
        }
    }

    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        let c = self.baseline_prediction() as f64;
        let value = mean(examples.map(|e| match e.target {
            Target::Values(v) => (v[0] as f64 - c).powi(2),
            _ => unreachable!("adding targets are values"),
        }));
        Some(Baseline {
            metric: "mse",
            value,
            predictor: match self.spec {
                AddingSpec::Modern => "always predict 1",
                AddingSpec::Original => "always predict 0.5",
            },
            lower_is_better: true,
        })
    }
}

/// The adding problem as a task: `adding` (modern spec) or `adding-1997` (the original one).
pub struct AddingTask(pub AddingSpec);

impl SyntheticSpec for AddingTask {
    type Generator = Adding;

    fn name(&self) -> &'static str {
        match self.0 {
            AddingSpec::Modern => "adding",
            AddingSpec::Original => "adding-1997",
        }
    }

    fn summary(&self) -> &'static str {
        match self.0 {
            AddingSpec::Modern => {
                "adding problem (default T=100), modern spec (values U[0,1), two markers)"
            }
            AddingSpec::Original => {
                "adding problem (default T=100), Hochreiter & Schmidhuber 1997 spec"
            }
        }
    }

    fn problem(&self) -> Problem {
        Problem::Regression
    }

    /// Adam at 0.01 with clip 1: the modern spec leaves the baseline near step 600-1000. In the
    /// 1997 spec both marked steps lie in the first half, so every example needs a memory of at
    /// least T/2 steps and a one-way LSTM stays at the baseline within minutes; read both ways,
    /// the backward direction meets the first marker within 9 steps of its end.
    fn recipe(&self) -> Recipe {
        match self.0 {
            AddingSpec::Modern => Recipe {
                steps: 2000,
                lr: 0.01,
                clip: Some(1.0),
                goal: Some(0.01),
                ..Recipe::default()
            },
            AddingSpec::Original => Recipe {
                bidirectional: true,
                clip: Some(1.0),
                ..Recipe::default()
            },
        }
    }

    /// `t`: the sequence length (default 100, at most [`super::MAX_T`] = 100,000).
    fn generator(&self, params: &Params) -> Result<Adding> {
        Adding::new(params.get_at_most("t", 100, super::MAX_T)?, self.0)
    }

    /// The target as the sum of the marked values, the values as a sparkline, carets under the
    /// marked steps.
    fn show_example(&self, _: &Adding, e: &Example, _seed: u64, _index: usize) -> String {
        let (Input::Steps { values, .. }, Target::Values(y)) = (&e.input, &e.target) else {
            return format!("{e:?}");
        };
        let v: Vec<f64> = values.chunks(2).map(|s| s[0] as f64).collect();
        let marks = marked_positions(values);
        let terms: Vec<String> = marks
            .iter()
            .map(|&t| format!("x[{t}]={:.3}", v[t]))
            .collect();
        let mut marker_line: Vec<char> = vec![' '; v.len()];
        for &t in &marks {
            marker_line[t] = '^';
        }
        format!(
            "target {:.4} = {}\n     {}\n     {}",
            y[0],
            terms.join(" + "),
            sparkline(&v),
            marker_line.into_iter().collect::<String>().trim_end()
        )
    }
}
