//! `seqzoo eval CKPT [--task T] [--set K=V] [--json]`: a trained model's validation metrics.

use std::path::PathBuf;

use clap::Args;
use seqzoo::problem::{problem_type, Trained};
use serde_json::{Map, Value};

use super::Failure;

/// Arguments of `seqzoo eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A checkpoint written by `seqzoo train --save`.
    pub checkpoint: PathBuf,
    /// The task to evaluate on (default: the one it was trained on); it must fit the model.
    #[arg(long)]
    pub task: Option<String>,
    /// The column of a `csv:PATH` task.
    #[arg(long)]
    pub column: Option<String>,
    /// Task settings `key=value` replacing the trained ones (e.g. `t=200`); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// The data seed (default: the training seed, whose validation split the model never saw).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print a JSON summary as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

/// Loads the model, prepares the task, prints every validation metric and the verdict.
pub fn run(args: &EvalArgs) -> Result<String, Failure> {
    let trained = Trained::load(&args.checkpoint).map_err(Failure::runtime)?;
    let mut spec = trained.spec.clone();
    if let Some(task) = &args.task {
        if *task != spec.task {
            spec.settings.clear();
            spec.column = None;
        }
        spec.task = task.clone();
    }
    if !args.settings.is_empty() {
        spec.settings = args.settings.clone();
    }
    if args.column.is_some() {
        spec.column = args.column.clone();
    }
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    let same_task = spec.task == trained.spec.task;
    if let (true, Some(source)) = (same_task, &trained.source) {
        source.check().map_err(Failure::runtime)?;
    }
    // Data is read with the vocabulary and normalization the model was trained with, never ones
    // fitted again on what is evaluated.
    let task = spec
        .prepare_task_fitted(&trained.fitted)
        .map_err(Failure::from_error)?;
    let metrics = trained.evaluate(&task).map_err(Failure::runtime)?;
    let settings = if spec.settings.is_empty() {
        String::new()
    } else {
        format!(" with {}", spec.settings.join(" "))
    };
    let mut out = format!(
        "{}: {} after {} steps, on {}{settings} ({} validation examples)\n",
        args.checkpoint.display(),
        trained.config.describe(),
        trained.steps,
        task.name,
        task.val.len()
    );
    for (name, v) in metrics.iter() {
        out += &format!("  {name:<18} {v:.4}\n");
    }
    out += &problem_type(task.problem).report(&task, &metrics);
    if args.json {
        let mut map = Map::new();
        let number = |v: f64| serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number);
        map.insert("task".into(), Value::String(task.name.clone()));
        map.insert(
            "model".into(),
            Value::String(trained.spec.model.model.clone()),
        );
        map.insert("steps".into(), Value::from(trained.steps));
        map.insert("params".into(), Value::from(trained.store.num_weights()));
        for (name, v) in metrics.iter() {
            map.insert(name.to_string(), number(v));
        }
        out += &Value::Object(map).to_string();
        out.push('\n');
    }
    Ok(out)
}
