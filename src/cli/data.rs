//! `seqzoo data TASK [--n K] [--seed S] [--set KEY=VALUE]`: print examples of a dataset, or of a user's own CSV
//! column (`csv:PATH --column NAME`) or UTF-8 text file (`text:PATH`).

use std::path::Path;

use clap::Args;
use datasets::params::Params;
use datasets::series::csv::Missing;

use super::{bounds, usage_error, Failure, EXIT_FAILURE, EXIT_USAGE};

/// Arguments of `seqzoo data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The task to show, or `csv:PATH` / `text:PATH`; without one (or `list`), the task list.
    pub task: Option<String>,
    /// How many examples (or values, or lines) to print (at most 100000).
    #[arg(long, default_value_t = 5)]
    pub n: usize,
    /// The dataset seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The column to show of a `csv:PATH` file.
    #[arg(long)]
    pub column: Option<String>,
    /// A task setting `key=value` overriding a default (e.g. `--set t=200` for adding or copy);
    /// repeat for several.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// Skip (and count) rows whose cell is missing instead of failing on the first one.
    #[arg(long)]
    pub skip_missing: bool,
}

/// The known tasks, one per line with their problem type and summary, then their recipe.
pub fn list() -> String {
    datasets::registry::TASKS
        .iter()
        .map(|t| {
            format!(
                "{:<18} {:<15} {}\n{:<18} {:<15} recipe: {}\n",
                t.name(),
                t.problem().name(),
                t.summary(),
                "",
                "",
                t.recipe()
            )
        })
        .collect()
}

/// Runs the subcommand; an unknown task is a usage error listing the known ones.
pub fn run(args: &DataArgs) -> Result<String, Failure> {
    bounds::data(args)?;
    let Some(task) = &args.task else {
        if !args.settings.is_empty() {
            return Err(usage_error("--set only applies to a task".into()));
        }
        return Ok(list());
    };
    let is_file = task.starts_with("csv:") || task.starts_with("text:");
    if !args.settings.is_empty() && (is_file || task == "list") {
        return Err(usage_error("--set only applies to a task".into()));
    }
    if task == "list" {
        return Ok(list());
    }
    if let Some(path) = task.strip_prefix("csv:") {
        let Some(column) = &args.column else {
            return Err(usage_error(format!(
                "{path}: which column? give it with --column NAME"
            )));
        };
        let missing = if args.skip_missing {
            Missing::Skip
        } else {
            Missing::Error
        };
        return datasets::show::csv_file(Path::new(path), column, missing, args.n)
            .map_err(Failure::runtime);
    }
    if args.column.is_some() || args.skip_missing {
        return Err(usage_error(
            "--column and --skip-missing only apply to csv:PATH".into(),
        ));
    }
    if let Some(path) = task.strip_prefix("text:") {
        return datasets::show::text_file(Path::new(path), args.n).map_err(Failure::runtime);
    }
    if datasets::registry::find(task).is_none() {
        return Err(usage_error(format!(
            "unknown task '{}'; known tasks: {}, or csv:PATH --column NAME, or text:PATH",
            task,
            datasets::registry::names().join(", ")
        )));
    }
    let params = Params::parse(&args.settings).map_err(|e| usage_error(e.to_string()))?;
    datasets::registry::show_with(task, args.n, args.seed, &params).map_err(|e| Failure {
        message: e.to_string(),
        code: match e {
            // A bad or unknown setting is a usage error like a bad flag.
            datasets::Error::Config(_) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        },
    })
}
