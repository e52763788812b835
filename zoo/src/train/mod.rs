//! Training: a generic loop over any model and data ([`Trainer`] + an [`Objective`]), metrics,
//! a progress bar and JSON-lines log ([`Observer`]s), and checkpoints that resume bit for bit.
//!
//! Per step the trainer zeroes the gradients, records the objective's loss on a fresh tape,
//! backpropagates into the store, clips the global gradient norm (`clip`), sets the learning rate
//! from the schedule and steps the optimizer. It validates every `val_every` steps and at the end.
//!
//! Early stopping (`patience`) ends the run after that many validations in a row without a lower
//! `val_loss`. The weights are then the latest ones unless `restore_best` is set, in which case
//! the trainer keeps a copy of the weights of the best validation (also saved in checkpoints) and
//! puts it back when the run finishes — whether it stopped early or reached `steps`.

mod checkpoint;
mod config;
mod log;
mod metrics;
mod objective;
mod observer;
mod progress;
mod report;
mod trainer;

pub use checkpoint::{
    load_weights, Checkpoint, BEST_PREFIX, CHECKPOINT_VERSION, FORMAT_KEY, OPTIMIZER_KEY,
    OPTIM_PREFIX, RESERVED_METADATA_PREFIX, RNG_KEY, STATE_KEY, STEP_KEY, TRAIN_CONFIG_KEY,
};
pub use config::TrainConfig;
pub use log::MetricsLog;
pub use metrics::{
    accuracy, argmax, bits_per_char, exact_match, mse, nats_per_symbol, rmse, token_accuracy,
    Metrics,
};
pub use objective::Objective;
pub use observer::Observer;
pub use progress::Progress;
pub use report::{TrainSummary, ValRecord};
pub use trainer::{Trainer, TRAINER_STREAM};
