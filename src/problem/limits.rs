//! The upper bound of every size a run is made of, named once: the command line checks its flags
//! against them, and a checkpoint's run spec and train config are checked against them before
//! anything is built from it.

use std::path::Path;

use autograd::{Error, Result};
use zoo::train::TrainConfig;

use super::session::RunSpec;

/// The most hidden units per layer.
pub const MAX_HIDDEN: usize = 8192;
/// The most stacked layers (the recurrent layer's own bound).
pub const MAX_LAYERS: usize = zoo::recurrent::MAX_LAYERS;
/// The largest embedding size.
pub const MAX_EMBEDDING: usize = 8192;
/// The most training examples of a synthetic task.
pub const MAX_TRAIN_SIZE: usize = 10_000_000;
/// The most validation examples (the fewest is 1).
pub const MAX_VAL_SIZE: usize = 1_000_000;
/// The most examples per batch.
pub const MAX_BATCH: usize = 65_536;
/// The most training steps of a run.
pub const MAX_STEPS: usize = 100_000_000;

/// Each named size of `spec`, and of `train` with the steps done, with its least value and bound.
fn sizes(
    spec: &RunSpec,
    train: Option<(&TrainConfig, usize)>,
) -> Vec<(&'static str, usize, usize, usize)> {
    let mut sizes = vec![
        ("hidden", spec.model.hidden, 1, MAX_HIDDEN),
        ("proj_size", spec.model.proj_size, 0, MAX_HIDDEN - 1),
        ("layers", spec.model.layers, 1, MAX_LAYERS),
        ("embedding", spec.model.embedding, 1, MAX_EMBEDDING),
        ("train_size", spec.train_size, 0, MAX_TRAIN_SIZE),
        ("val_size", spec.val_size, 1, MAX_VAL_SIZE),
        ("batch", spec.batch, 1, MAX_BATCH),
    ];
    if let Some((t, step)) = train {
        sizes.extend([
            ("step", step, 0, MAX_STEPS),
            ("steps", t.steps, 0, MAX_STEPS),
            ("val_every", t.val_every, 0, MAX_STEPS),
            ("patience", t.patience.unwrap_or(1), 1, MAX_STEPS),
        ]);
    }
    sizes
}

/// An `Error::Format` naming `path`, the size and its bounds when a size of the run spec (and of
/// the train config and the steps done, when given) read from the checkpoint at `path` is out of
/// range.
pub fn check_saved_run(
    path: &Path,
    spec: &RunSpec,
    train: Option<(&TrainConfig, usize)>,
) -> Result<()> {
    for (name, value, least, most) in sizes(spec, train) {
        if !(least..=most).contains(&value) {
            return Err(Error::format(
                path,
                format!("checkpoint {name} {value} is out of range: it must be {least}..={most}"),
            ));
        }
    }
    if !(0.0..=1.0).contains(&spec.teacher_forcing) {
        return Err(Error::format(
            path,
            format!(
                "checkpoint teacher_forcing {} is out of range: it must be in [0, 1]",
                spec.teacher_forcing
            ),
        ));
    }
    spec.teacher_forcing_schedule
        .validate()
        .map_err(|e| Error::format(path, format!("checkpoint {e}")))?;
    Ok(())
}
