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
//!
//! [`Trainer::train_saving`] hands the trainer to a save function during the run (every N steps or
//! at every validation, [`SaveEvery`]), and stops between two steps when an observer asks
//! ([`Observer::stop_requested`], e.g. on a signal); a checkpoint taken there resumes bit for bit.
//!
//! ```
//! use autograd::{ParamStore, Result, Rng, Tape, Tensor, Var};
//! use zoo::train::{mse, Metrics, Objective, Progress, TrainConfig, Trainer};
//! use zoo::{Ctx, Linear};
//!
//! /// Fit y = 3x on a fixed grid.
//! struct Line(Linear);
//!
//! fn data() -> (Tensor<f32>, Tensor<f32>) {
//!     let x: Vec<f64> = (0..8).map(|i| i as f64 / 8.0).collect();
//!     let y: Vec<f64> = x.iter().map(|x| 3.0 * x).collect();
//!     (Tensor::from_f64(&[8, 1], &x), Tensor::from_f64(&[8, 1], &y))
//! }
//!
//! impl Objective<f32> for Line {
//!     fn loss<'t>(&self, tape: &'t Tape<f32>, store: &ParamStore<f32>, _step: usize,
//!                 rng: &mut Rng) -> Result<Var<'t, f32>> {
//!         let cx = Ctx::train(tape, store, rng);
//!         let (x, y) = data();
//!         Ok(self.0.forward(&cx, tape.constant(x)).mse(tape.constant(y)))
//!     }
//!     fn validate(&self, store: &ParamStore<f32>) -> Result<Metrics> {
//!         let tape = Tape::new();
//!         let (x, y) = data();
//!         let pred = self.0.forward(&Ctx::eval(&tape, store), tape.constant(x)).value();
//!         let m = mse(pred.data(), y.data())?;
//!         Ok(Metrics::new().with("val_loss", m).with("val_mse", m))
//!     }
//! }
//!
//! # fn main() -> Result<()> {
//! let mut store = ParamStore::new();
//! let line = Line(Linear::new(&mut store.root(), 1, 1, true, &mut Rng::new(0)));
//! let config = TrainConfig::new(300, "adam", 0.05)?.val_every(100);
//! let mut trainer = Trainer::new(store, config)?;
//! let summary = trainer.run(&line, &mut Progress::stderr())?;
//! assert!(summary.last_val.get("val_mse").unwrap() < 1e-3);
//! # Ok(())
//! # }
//! ```

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
    load_weights, Checkpoint, BEST_PREFIX, CARRY_PREFIX, CHECKPOINT_VERSION, FORMAT_KEY,
    OPTIMIZER_KEY, OPTIM_PREFIX, RESERVED_METADATA_PREFIX, RNG_KEY, STATE_KEY, STEP_KEY,
    TRAIN_CONFIG_KEY,
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
pub use trainer::{SaveEvery, StepProfile, Trainer, DIAGNOSTICS_STREAM, TRAINER_STREAM};
