//! `Ctx`: what every module's forward takes — the tape, the parameter store, the mode and the
//! generator — mirroring PyTorch's implicit `module.training` flag and global generator, made
//! explicit the way candle's `Module::forward` + `VarBuilder` make them.

use autograd::{Element, ParamId, ParamStore, Rng, Tape, Tensor, Var};
use std::cell::{RefCell, RefMut};

/// Whether a forward pass trains (dropout on, teacher forcing drawn) or evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Training: dropout and random draws from the generator (`model.train()` in PyTorch).
    Train,
    /// Evaluation: deterministic, no dropout (`model.eval()` in PyTorch).
    Eval,
}

/// What every module's forward takes: the tape, the parameter store, the mode and the generator.
///
/// Modules hold `ParamId`s of the store they were built on; running them through a context on
/// another store panics (a clone of that store is fine).
pub struct Ctx<'s, 't, E: Element> {
    tape: &'t Tape<E>,
    store: &'s ParamStore<E>,
    mode: Mode,
    rng: Option<RefCell<&'s mut Rng>>,
}

impl<'s, 't, E: Element> Ctx<'s, 't, E> {
    /// A training context: dropout runs and random draws come from `rng`.
    pub fn train(tape: &'t Tape<E>, store: &'s ParamStore<E>, rng: &'s mut Rng) -> Self {
        Ctx {
            tape,
            store,
            mode: Mode::Train,
            rng: Some(RefCell::new(rng)),
        }
    }

    /// An evaluation context: no dropout, no random draws.
    pub fn eval(tape: &'t Tape<E>, store: &'s ParamStore<E>) -> Self {
        Ctx {
            tape,
            store,
            mode: Mode::Eval,
            rng: None,
        }
    }

    /// The tape the forward pass records on.
    pub fn tape(&self) -> &'t Tape<E> {
        self.tape
    }

    /// The parameter store the model was built on.
    pub fn store(&self) -> &'s ParamStore<E> {
        self.store
    }

    /// Training or evaluation.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether this is a training pass.
    pub fn is_training(&self) -> bool {
        self.mode == Mode::Train
    }

    /// The leaf of parameter `id` on the tape; panics if `id` belongs to another store.
    pub fn param(&self, id: ParamId) -> Var<'t, E> {
        self.tape.param(self.store, id)
    }

    /// A leaf that never requires a gradient.
    pub fn constant(&self, value: Tensor<E>) -> Var<'t, E> {
        self.tape.constant(value)
    }

    /// Dropout with probability `p` in training; the identity in evaluation or when `p == 0`.
    pub fn dropout(&self, x: Var<'t, E>, p: f64) -> Var<'t, E> {
        match self.rng() {
            Some(mut rng) if p > 0.0 => x.dropout(p, &mut rng),
            _ => x,
        }
    }

    /// A draw that is true with probability `p`; panics in evaluation (there is no generator).
    pub fn bernoulli(&self, p: f64) -> bool {
        self.rng()
            .expect("Ctx::bernoulli: an evaluation context has no generator; draw only in training")
            .bernoulli(p)
    }

    /// The generator in training (`None` in evaluation).
    pub fn rng(&self) -> Option<RefMut<'_, &'s mut Rng>> {
        self.rng.as_ref().map(RefCell::borrow_mut)
    }
}
