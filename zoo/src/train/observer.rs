//! `Observer`: callbacks a run reports its progress to (progress bar, metrics log, the caller's own).

use super::{TrainSummary, ValRecord};
use autograd::Result;

/// Receives a run's events; every method does nothing by default. Combine observers with a tuple
/// `(a, b)`, make one optional with `Option`, or pass `&mut ()` for none.
pub trait Observer {
    /// Training starts (or resumes) at `step` of `total` steps.
    fn start(&mut self, _step: usize, _total: usize) {}

    /// Step `step` (counted from 1) finished with training loss `loss` at learning rate `lr`.
    fn step(&mut self, _step: usize, _loss: f64, _lr: f64) {}

    /// Whether [`Observer::gradient`] should be called on runs without clipping too (where the
    /// norm costs an extra pass over the gradients); runs with clipping always report it.
    fn wants_gradient_norm(&self) -> bool {
        false
    }

    /// Step `step` (counted from 1) had gradients of global L2 norm `norm`, before clipping.
    fn gradient(&mut self, _step: usize, _norm: f64) {}

    /// A validation finished; an error (e.g. the log cannot be written) stops the run.
    fn validation(&mut self, _record: &ValRecord) -> Result<()> {
        Ok(())
    }

    /// The run finished.
    fn finish(&mut self, _summary: &TrainSummary) {}

    /// Asked between steps: `true` stops the run there (e.g. on a signal), without finishing it.
    fn stop_requested(&mut self) -> bool {
        false
    }
}

impl Observer for () {}

impl<O: Observer + ?Sized> Observer for &mut O {
    fn start(&mut self, step: usize, total: usize) {
        (**self).start(step, total);
    }
    fn step(&mut self, step: usize, loss: f64, lr: f64) {
        (**self).step(step, loss, lr);
    }
    fn wants_gradient_norm(&self) -> bool {
        (**self).wants_gradient_norm()
    }
    fn gradient(&mut self, step: usize, norm: f64) {
        (**self).gradient(step, norm);
    }
    fn validation(&mut self, record: &ValRecord) -> Result<()> {
        (**self).validation(record)
    }
    fn finish(&mut self, summary: &TrainSummary) {
        (**self).finish(summary);
    }
    fn stop_requested(&mut self) -> bool {
        (**self).stop_requested()
    }
}

impl<O: Observer> Observer for Option<O> {
    fn start(&mut self, step: usize, total: usize) {
        if let Some(o) = self {
            o.start(step, total);
        }
    }
    fn step(&mut self, step: usize, loss: f64, lr: f64) {
        if let Some(o) = self {
            o.step(step, loss, lr);
        }
    }
    fn wants_gradient_norm(&self) -> bool {
        self.as_ref().is_some_and(|o| o.wants_gradient_norm())
    }
    fn gradient(&mut self, step: usize, norm: f64) {
        if let Some(o) = self {
            o.gradient(step, norm);
        }
    }
    fn validation(&mut self, record: &ValRecord) -> Result<()> {
        self.as_mut().map_or(Ok(()), |o| o.validation(record))
    }
    fn finish(&mut self, summary: &TrainSummary) {
        if let Some(o) = self {
            o.finish(summary);
        }
    }
    fn stop_requested(&mut self) -> bool {
        self.as_mut().is_some_and(|o| o.stop_requested())
    }
}

impl<A: Observer, B: Observer> Observer for (A, B) {
    fn start(&mut self, step: usize, total: usize) {
        self.0.start(step, total);
        self.1.start(step, total);
    }
    fn step(&mut self, step: usize, loss: f64, lr: f64) {
        self.0.step(step, loss, lr);
        self.1.step(step, loss, lr);
    }
    fn wants_gradient_norm(&self) -> bool {
        self.0.wants_gradient_norm() || self.1.wants_gradient_norm()
    }
    fn gradient(&mut self, step: usize, norm: f64) {
        self.0.gradient(step, norm);
        self.1.gradient(step, norm);
    }
    fn validation(&mut self, record: &ValRecord) -> Result<()> {
        self.0.validation(record)?;
        self.1.validation(record)
    }
    fn finish(&mut self, summary: &TrainSummary) {
        self.0.finish(summary);
        self.1.finish(summary);
    }
    fn stop_requested(&mut self) -> bool {
        // Both are asked, so neither misses the question.
        self.0.stop_requested() | self.1.stop_requested()
    }
}
