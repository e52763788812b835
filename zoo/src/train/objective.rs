//! `Objective`: what a caller implements to train any model on any data with the [`Trainer`](super::Trainer).

use super::Metrics;
use autograd::{Element, ParamStore, Result, Rng, Tape, Var};

/// The model-and-data side of training: a loss per step and metrics on held-out data.
pub trait Objective<E: Element> {
    /// The scalar training loss of step `step` (counted from 0), recorded on `tape` with the
    /// parameters of `store`. The batch must be a pure function of `step` so that a resumed run
    /// sees the same batches; `rng` is the trainer's generator (dropout, teacher forcing) and is
    /// saved in checkpoints.
    fn loss<'t>(
        &self,
        tape: &'t Tape<E>,
        store: &ParamStore<E>,
        step: usize,
        rng: &mut Rng,
    ) -> Result<Var<'t, E>>;

    /// Metrics on the held-out split, with at least `val_loss` (the one early stopping watches).
    fn validate(&self, store: &ParamStore<E>) -> Result<Metrics>;
}
