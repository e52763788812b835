//! `seqzoo data TASK [--n K] [--seed S]`: print examples of a dataset.

use clap::Args;

use super::{Failure, EXIT_FAILURE, EXIT_USAGE};

/// Arguments of `seqzoo data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The task to show (`seqzoo data list` names them all).
    pub task: String,
    /// How many examples to print.
    #[arg(long, default_value_t = 5)]
    pub n: usize,
    /// The dataset seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The known tasks, one per line with their kind and summary.
fn list() -> String {
    datasets::registry::TASKS
        .iter()
        .map(|t| format!("{:<18} {:<15} {}\n", t.name, t.kind, t.summary))
        .collect()
}

/// Runs the subcommand; an unknown task is a usage error listing the known ones.
pub fn run(args: &DataArgs) -> Result<String, Failure> {
    if args.task == "list" {
        return Ok(list());
    }
    if datasets::registry::find(&args.task).is_none() {
        return Err(Failure {
            message: format!(
                "unknown task '{}'; known tasks: {}",
                args.task,
                datasets::registry::names().join(", ")
            ),
            code: EXIT_USAGE,
        });
    }
    datasets::show::show(&args.task, args.n, args.seed).map_err(|e| Failure {
        message: e.to_string(),
        code: EXIT_FAILURE,
    })
}
