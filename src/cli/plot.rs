//! `seqzoo plot`: training and validation curves of one or more metrics logs as an SVG chart.

use std::path::PathBuf;

use clap::Args;
use seqzoo::plot::{training_curves, LogCurves};

use super::Failure;

/// Arguments of `seqzoo plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Metrics logs written by `train --log` (one JSON line per validation); each is a run in
    /// the legend, named by its file name.
    #[arg(required = true)]
    pub logs: Vec<PathBuf>,
    /// The SVG file to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Plot this logged field (e.g. val_accuracy) instead of the training and validation loss.
    #[arg(long)]
    pub metric: Option<String>,
}

/// Reads the logs and writes the chart.
pub fn run(args: &PlotArgs) -> Result<String, Failure> {
    let runs = args
        .logs
        .iter()
        .map(|p| LogCurves::read(p))
        .collect::<autograd::Result<Vec<_>>>()
        .map_err(Failure::runtime)?;
    let chart = training_curves(&runs, args.metric.as_deref()).map_err(Failure::runtime)?;
    chart.write(&args.output).map_err(Failure::runtime)?;
    Ok(format!(
        "wrote {} ({} series)\n",
        args.output.display(),
        chart.series.len()
    ))
}
