//! The upper bound of every size flag, named once here, and the checks the subcommands call: an
//! error names the flag and its bound (a usage error, exit code 2).

use super::data::DataArgs;
use super::demo::DemoArgs;
use super::generate::GenerateArgs;
use super::train::TrainArgs;
use super::{usage_error, Failure};

pub use seqzoo::problem::limits::{
    MAX_BATCH, MAX_EMBEDDING, MAX_HIDDEN, MAX_LAYERS, MAX_STEPS, MAX_TRAIN_SIZE, MAX_VAL_SIZE,
};
/// The largest `--len` of `generate` (tokens).
pub const MAX_GENERATE_LEN: usize = 100_000;
/// The largest `--n` of `data` (examples, values or lines).
pub const MAX_SHOW: usize = 100_000;
/// The largest `--beam` of `generate`.
pub const MAX_BEAM: usize = 256;

/// An error naming `flag` and `max` when `value` is given and above `max`.
fn at_most(flag: &str, value: Option<usize>, max: usize) -> Result<(), Failure> {
    match value {
        Some(v) if v > max => Err(usage_error(format!(
            "{flag} {v} is above the bound: {flag} must be at most {max}"
        ))),
        _ => Ok(()),
    }
}

/// Checks every pair of (flag, value, bound).
fn all(checks: &[(&str, Option<usize>, usize)]) -> Result<(), Failure> {
    checks
        .iter()
        .try_for_each(|&(flag, value, max)| at_most(flag, value, max))
}

/// The size flags of `train`; `--val-size` must also be at least 1.
pub fn train(args: &TrainArgs) -> Result<(), Failure> {
    if args.val_size == Some(0) {
        return Err(usage_error(format!(
            "--val-size must be at least 1 (and at most {MAX_VAL_SIZE})"
        )));
    }
    if args.patience == Some(0) {
        return Err(usage_error(format!(
            "--patience must be at least 1 validation (and at most {MAX_STEPS})"
        )));
    }
    all(&[
        ("--hidden", args.hidden, MAX_HIDDEN),
        ("--proj-size", args.proj_size, MAX_HIDDEN - 1),
        ("--layers", args.layers, MAX_LAYERS),
        ("--embedding", args.embedding, MAX_EMBEDDING),
        ("--train-size", args.train_size, MAX_TRAIN_SIZE),
        ("--val-size", args.val_size, MAX_VAL_SIZE),
        ("--batch", args.batch, MAX_BATCH),
        ("--steps", args.steps, MAX_STEPS),
        ("--epochs", args.epochs, MAX_STEPS),
        ("--save-every", args.save_every.map(|n| n.get()), MAX_STEPS),
        ("--val-every", Some(args.val_every), MAX_STEPS),
        ("--patience", args.patience, MAX_STEPS),
    ])
}

/// The steps of `epochs` passes over `examples` in batches of `batch` (at least one batch per
/// pass): an error naming `--epochs` and [`MAX_STEPS`] when there would be more.
pub fn epoch_steps(epochs: usize, examples: usize, batch: usize) -> Result<usize, Failure> {
    let batches = (examples / batch.max(1)).max(1);
    match epochs.checked_mul(batches) {
        Some(steps) if steps <= MAX_STEPS => Ok(steps),
        _ => Err(usage_error(format!(
            "--epochs {epochs} is above the bound: {epochs} epochs of {batches} batches must be \
             at most {MAX_STEPS} steps"
        ))),
    }
}

/// The size flags of `generate`.
pub fn generate(args: &GenerateArgs) -> Result<(), Failure> {
    all(&[
        ("--len", Some(args.len), MAX_GENERATE_LEN),
        ("--beam", Some(args.beam), MAX_BEAM),
    ])
}

/// The size flag of `data`.
pub fn data(args: &DataArgs) -> Result<(), Failure> {
    at_most("--n", Some(args.n), MAX_SHOW)
}

/// The size flags of `demo`.
pub fn demo(args: &DemoArgs) -> Result<(), Failure> {
    all(&[
        ("--steps", args.steps, MAX_STEPS),
        ("--t", args.t, datasets::synthetic::MAX_T),
    ])
}
