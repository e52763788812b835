//! `Trainer`: the generic loop — loss, backward, clip, schedule, step; validation, early stopping.

use super::{Metrics, Objective, Observer, TrainConfig, TrainSummary, ValRecord};
use autograd::optim::{clip_grad_norm, grad_norm};
use autograd::{Element, Error, Optimizer, ParamStore, Result, Rng, Tape, Tensor};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The stream of the trainer's generator, apart from the caller's `Rng::new(seed)` used for
/// initialization, so dropout masks do not replay the initial weights' random numbers.
pub const TRAINER_STREAM: u64 = 0x0074_7261_696e; // "train" in ASCII

/// The stream of the generator of the diagnostic batches ([`Trainer::set_diagnostics`]), apart
/// from the trainer's so that diagnosing changes no training number.
pub const DIAGNOSTICS_STREAM: u64 = 0x6469_6167; // "diag" in ASCII

/// When [`Trainer::train_saving`] hands the trainer to its save function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveEvery {
    /// After every step that is a multiple of this many (counted from step 0, so a resumed run
    /// saves at the same steps as one that never stopped); 0 never.
    Steps(usize),
    /// After every validation.
    Validation,
}

/// The bookkeeping of a run besides weights, optimizer and RNG: saved in checkpoints as JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunState {
    /// The lowest finite `val_loss` so far.
    pub best_val_loss: Option<f64>,
    /// The step of that validation.
    pub best_step: usize,
    /// Its metrics.
    pub best_val: Metrics,
    /// The metrics of the latest validation.
    pub last_val: Metrics,
    /// The step of the latest validation.
    pub last_val_step: Option<usize>,
    /// Validations in a row without a lower `val_loss`.
    pub bad_validations: usize,
    /// Whether early stopping has ended the run.
    pub stopped_early: bool,
    /// Whether `finish` put the best weights back.
    pub restored_best: bool,
    /// Sum of the training losses since the latest validation.
    pub interval_loss_sum: f64,
    /// Steps since the latest validation.
    pub interval_steps: usize,
    /// Seconds of training before this process.
    pub seconds: f64,
    /// Every validation.
    pub history: Vec<ValRecord>,
}

/// Trains the parameters of a [`ParamStore`] against an [`Objective`]; owns the store, the
/// optimizer, the generator, the step counter and the validation history, so that a checkpoint
/// of a trainer ([`Trainer::save_checkpoint`]) resumes to the identical continuation.
pub struct Trainer<E: Element> {
    pub(super) store: ParamStore<E>,
    pub(super) config: TrainConfig,
    pub(super) optimizer: Box<dyn Optimizer<E>>,
    pub(super) rng: Rng,
    pub(super) step: usize,
    pub(super) state: RunState,
    /// The weights at the best validation, kept only with `restore_best`.
    pub(super) best_weights: Option<Vec<Tensor<E>>>,
    /// Where this process's steps spent their time, when asked ([`Trainer::set_profiling`]).
    pub(super) profile: Option<StepProfile>,
    /// Whether each validation also diagnoses a training batch ([`Trainer::set_diagnostics`]).
    pub(super) diagnostics: bool,
}

/// Where a run's training steps spent their time: each op of the model and loss (forward and
/// backward), the parameter update, and the validations (a [`Trainer::set_profiling`] run).
#[derive(Clone, Debug, Default)]
pub struct StepProfile {
    /// The optimizer's name.
    pub optimizer: &'static str,
    /// Training steps profiled.
    pub steps: usize,
    /// The ops of the training steps' tapes.
    pub ops: autograd::OpProfile,
    /// Adding each step's gradients into the store.
    pub accumulate: Duration,
    /// Gradient clipping.
    pub clip: Duration,
    /// The optimizer's update.
    pub update: Duration,
    /// Validations run, and their time.
    pub validations: usize,
    /// Time validating.
    pub validation: Duration,
}

impl<E: Element> Trainer<E> {
    /// A trainer at step 0 for `store`, its generator seeded from `config.seed` (stream
    /// [`TRAINER_STREAM`]); an `Error::Config` for an invalid configuration.
    pub fn new(mut store: ParamStore<E>, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let optimizer = config.optimizer.build::<E>()?;
        store.zero_grad();
        Ok(Trainer {
            rng: Rng::new(config.seed).fork(TRAINER_STREAM),
            store,
            config,
            optimizer,
            step: 0,
            state: RunState::default(),
            best_weights: None,
            profile: None,
            diagnostics: false,
        })
    }

    /// At every validation from now on, also runs one training batch (the one of the step just
    /// done) on a [`Tape::diagnosing`] tape and adds its gradient flow to the validation record
    /// ([`ValRecord::diagnostics`], the `diag_*` fields of
    /// [`crate::diagnostics::flat_metrics`]). The batch's gradients go nowhere (not into the
    /// store nor the optimizer) and its random draws come from a generator of their own
    /// ([`DIAGNOSTICS_STREAM`]), so diagnosing changes no training number. Off by default.
    pub fn set_diagnostics(&mut self, on: bool) {
        self.diagnostics = on;
    }

    /// Whether validations diagnose a training batch ([`Trainer::set_diagnostics`]).
    pub fn diagnostics(&self) -> bool {
        self.diagnostics
    }

    /// The flat diagnostics of the training batch of the step just done (step 0's before the
    /// first step), recorded on a diagnosing tape: forward, backward, and nothing else.
    pub fn diagnose<O: Objective<E> + ?Sized>(&self, objective: &O) -> Result<Metrics> {
        Ok(crate::diagnostics::flat_metrics(
            &self.diagnose_layers(objective)?,
        ))
    }

    /// Every recurrent kernel's diagnostics on the training batch of the step just done (step
    /// 0's before the first step): forward and backward on a diagnosing tape, and nothing else
    /// (the store's gradients, the optimizer and the trainer's generator are untouched).
    pub fn diagnose_layers<O: Objective<E> + ?Sized>(
        &self,
        objective: &O,
    ) -> Result<Vec<crate::diagnostics::LayerDiagnostics>> {
        let step = self.step.saturating_sub(1);
        let mut rng = Rng::new(self.config.seed ^ step as u64).fork(DIAGNOSTICS_STREAM);
        let tape = Tape::diagnosing();
        let loss = objective.loss(&tape, &self.store, step, &mut rng)?;
        if loss.shape().iter().product::<usize>() == 1 && loss.requires_grad() {
            drop(loss.backward());
        }
        Ok(crate::diagnostics::layers(&tape))
    }

    /// Times every training step from now on, by op and phase ([`Trainer::profile`]); off by
    /// default, as it reads the clock around every op.
    pub fn set_profiling(&mut self, on: bool) {
        self.profile = on.then(|| StepProfile {
            optimizer: self.optimizer.name(),
            ..StepProfile::default()
        });
    }

    /// Where this process's training steps spent their time, if [`Trainer::set_profiling`].
    pub fn profile(&self) -> Option<&StepProfile> {
        self.profile.as_ref()
    }

    /// The parameters.
    pub fn store(&self) -> &ParamStore<E> {
        &self.store
    }

    /// The parameters, mutably (e.g. to load pretrained weights before training).
    pub fn store_mut(&mut self) -> &mut ParamStore<E> {
        &mut self.store
    }

    /// The parameters, giving up the trainer.
    pub fn into_store(self) -> ParamStore<E> {
        self.store
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Steps done so far.
    pub fn step(&self) -> usize {
        self.step
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &dyn Optimizer<E> {
        self.optimizer.as_ref()
    }

    /// Every validation so far, in order.
    pub fn history(&self) -> &[ValRecord] {
        &self.state.history
    }

    /// The metrics of the latest validation (empty before the first).
    pub fn last_val(&self) -> &Metrics {
        &self.state.last_val
    }

    /// The metrics of the validation with the lowest `val_loss` (empty before the first).
    pub fn best_val(&self) -> &Metrics {
        &self.state.best_val
    }

    /// Whether the run is over: `config.steps` done or stopped early.
    pub fn is_done(&self) -> bool {
        self.state.stopped_early || self.step >= self.config.steps
    }

    /// Trains until `config.steps` or early stopping, then [`Trainer::finish`]es.
    pub fn run<O, B>(&mut self, objective: &O, observer: &mut B) -> Result<TrainSummary>
    where
        O: Objective<E> + ?Sized,
        B: Observer + ?Sized,
    {
        self.train_until(objective, observer, self.config.steps)?;
        self.finish(objective, observer)
    }

    /// Trains up to step `until` (at most `config.steps`) unless early stopping ends the run
    /// first, validating every `val_every` steps; no final validation (so it can be called in
    /// pieces, e.g. to save a checkpoint between them, with the same result as one call). An
    /// observer's [`Observer::stop_requested`] ends it early too, between two steps.
    pub fn train_until<O, B>(&mut self, objective: &O, observer: &mut B, until: usize) -> Result<()>
    where
        O: Objective<E> + ?Sized,
        B: Observer + ?Sized,
    {
        self.train_saving(objective, observer, until, None, &mut |_| Ok(()))
            .map(|_| ())
    }

    /// [`Trainer::train_until`], handing the trainer to `save` after each step `every` marks
    /// (after its update and its validation, so a checkpoint written then resumes to the same
    /// continuation); `Ok(true)` when the observer's [`Observer::stop_requested`] stopped it
    /// before `until`. An error of `save` stops the run.
    pub fn train_saving<O, B>(
        &mut self,
        objective: &O,
        observer: &mut B,
        until: usize,
        every: Option<SaveEvery>,
        save: &mut dyn FnMut(&Self) -> Result<()>,
    ) -> Result<bool>
    where
        O: Objective<E> + ?Sized,
        B: Observer + ?Sized,
    {
        let clock = Instant::now();
        observer.start(self.step, self.config.steps);
        let end = until.min(self.config.steps);
        let result = (|| {
            while self.step < end && !self.state.stopped_early {
                if observer.stop_requested() {
                    return Ok(true);
                }
                let lr = self.lr_at(self.step);
                self.optimizer.set_lr(lr);
                let (loss, norm) = self.train_step(objective, observer.wants_gradient_norm())?;
                observer.step(self.step, loss, lr);
                if let Some(norm) = norm {
                    observer.gradient(self.step, norm);
                }
                let val_every = self.config.val_every;
                let validates = val_every > 0 && self.step.is_multiple_of(val_every);
                if validates {
                    let seconds = self.state.seconds + clock.elapsed().as_secs_f64();
                    self.validate(objective, observer, seconds)?;
                }
                let saves = match every {
                    None => false,
                    Some(SaveEvery::Validation) => validates,
                    Some(SaveEvery::Steps(n)) => n > 0 && self.step.is_multiple_of(n),
                };
                if saves {
                    let seconds = self.state.seconds;
                    self.state.seconds += clock.elapsed().as_secs_f64();
                    let saved = save(self);
                    self.state.seconds = seconds;
                    saved?;
                }
            }
            Ok(false)
        })();
        self.state.seconds += clock.elapsed().as_secs_f64();
        result
    }

    /// Ends the run: validates unless the current step was just validated, puts the best
    /// weights back with `restore_best` (when the best validation is not the latest), and
    /// returns the summary.
    pub fn finish<O, B>(&mut self, objective: &O, observer: &mut B) -> Result<TrainSummary>
    where
        O: Objective<E> + ?Sized,
        B: Observer + ?Sized,
    {
        if self.state.last_val_step != Some(self.step) {
            let clock = Instant::now();
            let result = self.validate(objective, observer, self.state.seconds);
            self.state.seconds += clock.elapsed().as_secs_f64();
            result?;
        }
        if self.config.restore_best && self.state.best_step != self.step {
            if let Some(best) = &self.best_weights {
                let ids: Vec<_> = self.store.iter().map(|(id, _)| id).collect();
                for (id, t) in ids.into_iter().zip(best) {
                    self.store.set_value(id, t.clone());
                }
                self.state.restored_best = true;
            }
        }
        let summary = self.summary();
        observer.finish(&summary);
        Ok(summary)
    }

    /// The summary of the run so far.
    pub fn summary(&self) -> TrainSummary {
        TrainSummary {
            steps: self.step,
            train_loss: self.state.history.last().map_or(f64::NAN, |r| r.train_loss),
            last_val: self.state.last_val.clone(),
            best_val: self.state.best_val.clone(),
            best_step: self.state.best_step,
            seconds: self.state.seconds,
            stopped_early: self.state.stopped_early,
            restored_best: self.state.restored_best,
        }
    }

    /// The scheduled learning rate of step `step`.
    fn lr_at(&self, step: usize) -> f64 {
        self.config.schedule.lr_at(self.config.optimizer.lr(), step)
    }

    /// One optimizer step: zero grads, loss, backward into the store, clip, update; the loss and
    /// the gradients' global norm before clipping (when clipping, or when `norm` asks for it).
    fn train_step<O: Objective<E> + ?Sized>(
        &mut self,
        objective: &O,
        norm: bool,
    ) -> Result<(f64, Option<f64>)> {
        self.store.zero_grad();
        // The tape is dropped before the update so the parameters' storage is not shared with it.
        let (value, grads) = {
            let tape = if self.profile.is_some() {
                Tape::profiled()
            } else {
                Tape::new()
            };
            let loss = objective.loss(&tape, &self.store, self.step, &mut self.rng)?;
            let shape = loss.shape();
            if shape.iter().product::<usize>() != 1 {
                return Err(Error::Data(format!(
                    "the training loss of step {} has shape {shape:?}, not a single value",
                    self.step
                )));
            }
            let value = loss.item();
            if !value.is_finite() {
                return Err(Error::Data(format!(
                    "training diverged: the loss is {value} at step {} \
                     (try a lower learning rate or gradient clipping)",
                    self.step + 1
                )));
            }
            let grads = loss.backward();
            if let (Some(p), Some(ops)) = (self.profile.as_mut(), tape.profile()) {
                p.ops.add(&ops);
                p.steps += 1;
            }
            (value, grads)
        };
        let clock = Instant::now();
        self.store.accumulate(&grads);
        drop(grads);
        let accumulated = clock.elapsed();
        let norm = match self.config.clip {
            Some(max_norm) => Some(clip_grad_norm(&mut self.store, max_norm, 2.0)),
            None => norm.then(|| grad_norm(&self.store, 2.0)),
        };
        let clipped = clock.elapsed();
        self.optimizer.step(&mut self.store);
        self.store.zero_grad();
        if let Some(p) = self.profile.as_mut() {
            p.accumulate += accumulated;
            p.clip += clipped - accumulated;
            p.update += clock.elapsed() - clipped;
        }
        self.step += 1;
        self.state.interval_loss_sum += value;
        self.state.interval_steps += 1;
        Ok((value, norm))
    }

    /// Validates at the current step, updates best / early-stopping state and reports the record.
    fn validate<O, B>(&mut self, objective: &O, observer: &mut B, seconds: f64) -> Result<()>
    where
        O: Objective<E> + ?Sized,
        B: Observer + ?Sized,
    {
        let diagnostics = if self.diagnostics {
            self.diagnose(objective)?
        } else {
            Metrics::new()
        };
        let clock = Instant::now();
        let metrics = objective.validate(&self.store)?;
        if let Some(p) = self.profile.as_mut() {
            p.validations += 1;
            p.validation += clock.elapsed();
        }
        let Some(val) = metrics.val_loss() else {
            let names: Vec<_> = metrics.iter().map(|(n, _)| n).collect();
            return Err(Error::Config(format!(
                "the objective's validation returned no `{}` (it returned {names:?})",
                Metrics::VAL_LOSS
            )));
        };
        let s = &mut self.state;
        let train_loss = if s.interval_steps > 0 {
            s.interval_loss_sum / s.interval_steps as f64
        } else {
            f64::NAN
        };
        s.interval_loss_sum = 0.0;
        s.interval_steps = 0;
        let record = ValRecord {
            step: self.step,
            lr: self.lr_at(self.step.saturating_sub(1)),
            train_loss,
            metrics: metrics.clone(),
            diagnostics,
            seconds,
        };
        let s = &mut self.state;
        if val.is_finite() && s.best_val_loss.is_none_or(|b| val < b) {
            s.best_val_loss = Some(val);
            s.best_step = self.step;
            s.best_val = metrics.clone();
            s.bad_validations = 0;
            if self.config.restore_best {
                self.best_weights = Some(self.store.iter().map(|(_, p)| p.value.clone()).collect());
            }
        } else {
            s.bad_validations += 1;
            if self.config.patience.is_some_and(|p| s.bad_validations >= p) {
                s.stopped_early = true;
            }
        }
        s.last_val = metrics;
        s.last_val_step = Some(self.step);
        s.history.push(record.clone());
        observer.validation(&record)
    }
}
