//! `seqzoo demo` (and `seqzoo` with no arguments): the SRN-versus-LSTM adding-problem experiment.

use clap::Args;
use seqzoo::demo::{table, DemoConfig};
use serde_json::{json, Value};
use zoo::train::Progress;

use super::{bounds, usage_error, Failure};

/// Arguments of `seqzoo demo`.
#[derive(Debug, Args, Default)]
pub struct DemoArgs {
    /// Training steps per model (default 4000, at most 100000000).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Sequence length of the adding problem (default 100, at most 100000).
    #[arg(long)]
    pub t: Option<usize>,
    /// The seed of data and initialization.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also train a GRU.
    #[arg(long)]
    pub gru: bool,
    /// Print a JSON summary as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

/// Trains the models and prints the table.
pub fn run(args: &DemoArgs) -> Result<String, Failure> {
    bounds::demo(args)?;
    let mut config = DemoConfig {
        seed: args.seed,
        ..DemoConfig::default()
    };
    if let Some(steps) = args.steps {
        if steps == 0 {
            return Err(usage_error("--steps must be at least 1".into()));
        }
        config.steps = steps;
    }
    if let Some(t) = args.t {
        config.t = t;
    }
    if args.gru {
        config.models.push("gru".into());
    }
    eprintln!(
        "seqzoo demo: training {} on the adding problem (T = {}), {} steps each",
        config.models.join(" and "),
        config.t,
        config.steps
    );
    let rows = config
        .run(|_| Progress::stderr())
        .map_err(Failure::from_error)?;
    let mut out = table(&config, &rows);
    if args.json {
        let models: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "model": r.model, "params": r.params, "steps": r.steps,
                    "seconds": r.seconds, "val_mse": r.val_mse, "solved": r.solved(),
                    "solved_at": r.solved_at,
                })
            })
            .collect();
        let baseline = rows.first().map_or(f64::NAN, |r| r.baseline);
        out += &json!({"task": "adding", "t": config.t, "baseline": baseline, "models": models})
            .to_string();
        out.push('\n');
    }
    Ok(out)
}
