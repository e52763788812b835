//! The lecture's claims as experiments: each [`Experiment`] trains what its claim is about,
//! measures it, and reports tables, plots and a verdict computed from the numbers
//! (`seqzoo experiment NAME`). One experiment per file.

mod adding;
mod bidirectional;
mod budget;
mod captioning;
mod clipping;
mod copy;
mod encoder_decoder;
mod forecast;
mod gradient_flow;
mod gru_vs_lstm;
mod population;
mod report;
mod rollout;
mod seq2seq;
mod step_time;
mod teacher_forcing;
mod training;
mod window;

pub use report::{finite, Cell, Plot, Report, Table, Verdict};
pub use training::{curve, Goal, Trial};

use std::time::Instant;

use autograd::{Error, Result};

/// How an experiment runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// A small version that finishes in about a minute on 2 cores (fewer settings, shorter
    /// training); the claim's verdict is computed the same way.
    pub quick: bool,
    /// The seed of every dataset and model of the run.
    pub seed: u64,
    /// Show progress bars on stderr.
    pub progress: bool,
}

impl Options {
    /// A full run with `seed`, without progress bars.
    pub fn full(seed: u64) -> Self {
        Options {
            quick: false,
            seed,
            progress: false,
        }
    }

    /// A quick run with `seed`, without progress bars.
    pub fn quick(seed: u64) -> Self {
        Options {
            quick: true,
            ..Options::full(seed)
        }
    }

    /// `quick` in a quick run, else `full`.
    pub fn pick<T>(&self, quick: T, full: T) -> T {
        if self.quick {
            quick
        } else {
            full
        }
    }
}

/// One of the lecture's claims, tested by training and measuring.
pub trait Experiment: Sync {
    /// The name `seqzoo experiment NAME` runs it by.
    fn name(&self) -> &'static str;

    /// The claim in one line (what `seqzoo experiment list` shows).
    fn claim(&self) -> &'static str;

    /// Runs the experiment; the report's `seconds` is filled in by [`run`].
    fn run(&self, options: &Options) -> Result<Report>;
}

/// Every experiment, in the order `list` shows them.
pub fn all() -> Vec<&'static dyn Experiment> {
    vec![
        &window::Window,
        &population::Population,
        &teacher_forcing::TeacherForcing,
        &gradient_flow::GradientFlowExperiment,
        &clipping::Clipping,
        &adding::Adding,
        &copy::Copy,
        &captioning::Captioning,
        &encoder_decoder::EncoderDecoder,
        &bidirectional::Bidirectional,
        &gru_vs_lstm::GruVsLstm,
    ]
}

/// The experiment named `name`, or an `Error::Config` listing the names.
pub fn find(name: &str) -> Result<&'static dyn Experiment> {
    all().into_iter().find(|e| e.name() == name).ok_or_else(|| {
        let names: Vec<&str> = all().iter().map(|e| e.name()).collect();
        Error::Config(format!(
            "unknown experiment '{name}'; experiments: {} (or all)",
            names.join(", ")
        ))
    })
}

/// Runs `experiment` and times it.
pub fn run(experiment: &dyn Experiment, options: &Options) -> Result<Report> {
    let start = Instant::now();
    let mut report = experiment.run(options)?;
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}
