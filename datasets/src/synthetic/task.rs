//! Synthetic tasks: each task's file describes it with a [`SyntheticSpec`] (its generator, labels,
//! recipe and how an example reads), and [`SyntheticTask`] makes that a [`Task`].

use std::fmt::Write;
use std::sync::Arc;

use autograd::{Error, Result};

use super::{Generator, SharedGenerator, Synthetic};
use crate::dataset::{Dataset, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::show::{baseline_examples, baseline_line};
use crate::split::Split;
use crate::task::{Fitted, InputKind, OutputKind, Problem, PromptStyle, Task, TaskData, TaskSizes};
use crate::text::Vocab;

/// Everything a synthetic task's own file says about it.
pub trait SyntheticSpec: Send + Sync {
    /// The generator of one example.
    type Generator: Generator + Clone + Send + Sync + 'static;

    /// The name used on the command line.
    fn name(&self) -> &'static str;

    /// One line on what it is, with its default settings.
    fn summary(&self) -> &'static str;

    /// The problem it poses.
    fn problem(&self) -> Problem;

    /// The default model and training settings.
    fn recipe(&self) -> Recipe;

    /// The generator configured by the settings `params` (each read with its default).
    fn generator(&self, params: &Params) -> Result<Self::Generator>;

    /// The class or tag names (every class or tag task has them; index = id).
    fn labels(&self) -> Vec<String> {
        Vec::new()
    }

    /// The number of token ids its inputs and token outputs use (PAD included).
    fn token_count(&self, generator: &Self::Generator) -> usize {
        generator.vocab().map_or(0, Vocab::len)
    }

    /// How `generate` frames a prompt: the source as typed (seq2seq), a validation example's
    /// context (conditioned generation), otherwise a continuation.
    fn prompt_style(&self) -> PromptStyle {
        match self.problem() {
            Problem::Seq2Seq => PromptStyle::Source,
            Problem::ConditionedGeneration => PromptStyle::Context,
            _ => PromptStyle::Continue,
        }
    }

    /// Example `index` of the training split drawn with `seed`, as a person reads it.
    fn show_example(
        &self,
        generator: &Self::Generator,
        example: &Example,
        seed: u64,
        index: usize,
    ) -> String;
}

/// A synthetic task: its [`SyntheticSpec`] as a [`Task`].
pub struct SyntheticTask<S>(pub S);

impl<S: SyntheticSpec> SyntheticTask<S> {
    /// The generator for `params`, all of which it must use.
    fn configured(&self, params: &Params) -> Result<S::Generator> {
        let generator = self.0.generator(params)?;
        params.check_all_used(self.0.name())?;
        Ok(generator)
    }
}

impl<S: SyntheticSpec> Task for SyntheticTask<S> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn summary(&self) -> String {
        self.0.summary().to_string()
    }

    fn problem(&self) -> Problem {
        self.0.problem()
    }

    fn recipe(&self) -> Recipe {
        self.0.recipe()
    }

    fn prompt_style(&self) -> PromptStyle {
        self.0.prompt_style()
    }

    fn prepare(
        &self,
        seed: u64,
        params: &Params,
        sizes: TaskSizes,
        _fitted: &Fitted,
    ) -> Result<TaskData> {
        let name = self.0.name();
        let generator = self.configured(params)?;
        let tokens = self.0.token_count(&generator);
        let vocab = generator.vocab().cloned();
        let shared: SharedGenerator = Arc::new(generator);
        let train = Synthetic::new(shared, seed, sizes.train);
        let val = train.split(Split::Val, sizes.val);
        let first = val.generate(0);
        let labels = self.0.labels();
        let output = match &first.target {
            Target::Values(v) => OutputKind::Values { count: v.len() },
            Target::Class(_) => OutputKind::Classes {
                count: labels.len(),
            },
            Target::Tags(_) => OutputKind::Tags {
                count: labels.len(),
            },
            Target::Tokens(_) => OutputKind::Tokens { vocab: tokens },
        };
        if matches!(
            output,
            OutputKind::Classes { count: 0 } | OutputKind::Tags { count: 0 }
        ) {
            return Err(Error::Config(format!(
                "{name}: a class or tag task must name its labels"
            )));
        }
        let input = match &first.input {
            Input::Steps { width, .. } => InputKind::Steps { width: *width },
            Input::Tokens(_) => InputKind::Tokens { vocab: tokens },
            Input::Vector(v) => InputKind::Vector { width: v.len() },
        };
        Ok(TaskData {
            name: name.to_string(),
            problem: self.0.problem(),
            input,
            output,
            vocab,
            labels,
            baseline: val.baseline(),
            train: Box::new(train),
            val: Box::new(val),
            forecast: None,
            recipe: self.0.recipe(),
            prompt: self.0.prompt_style(),
            normalizer: None,
            streams: None,
        })
    }

    fn show(&self, n: usize, seed: u64, params: &Params) -> Result<String> {
        let generator = self.configured(params)?;
        // Examples are functions of (seed, index): the first one's length sizes the baseline.
        let steps = Synthetic::new(generator.clone(), seed, 1)
            .example(0)
            .input
            .steps();
        let data = Synthetic::new(generator.clone(), seed, baseline_examples(steps, n));
        let mut out = String::new();
        if let Some(b) = data.baseline() {
            out += &baseline_line(&b, data.len());
        }
        for i in 0..n {
            let line = self.0.show_example(&generator, &data.example(i), seed, i);
            let _ = writeln!(out, "#{i:<3} {line}");
        }
        Ok(out)
    }
}
