//! Optimizers with PyTorch semantics, their checkpointable state, LR schedules and gradient clipping.
//!
//! ```
//! use autograd::optim::{Optimizer, Sgd, SgdConfig};
//! use autograd::{ParamStore, Tensor};
//! let mut store = ParamStore::<f64>::new();
//! let w = store.add("w", Tensor::from_f64(&[2], &[1.0, -1.0]));
//! store.get_mut(w).grad = Some(Tensor::from_f64(&[2], &[0.5, 0.5]));
//! let mut opt = Sgd::new(SgdConfig::default().lr(0.1)).unwrap();
//! opt.step(&mut store);
//! assert_eq!(store.value(w).to_f64_vec(), vec![0.95, -1.05]);
//! ```

mod adagrad;
mod adam;
mod clip;
mod rmsprop;
mod schedule;
mod sgd;
mod state;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig};
pub use clip::{clip_grad_norm, clip_grad_value, grad_norm};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule::Schedule;
pub use sgd::{Sgd, SgdConfig};
pub use state::OptimState;

use crate::element::Element;
use crate::error::{Error, Result};
use crate::params::ParamStore;
use serde::{Deserialize, Serialize};

/// Updates the parameters of a store from their accumulated gradients.
pub trait Optimizer<E: Element>: Send {
    /// Updates every parameter that has a gradient; parameters whose `grad` is `None` are skipped
    /// and keep their state untouched.
    fn step(&mut self, store: &mut ParamStore<E>);

    /// The current learning rate.
    fn lr(&self) -> f64;

    /// Replaces the learning rate (what a schedule calls before each step).
    fn set_lr(&mut self, lr: f64);

    /// The optimizer's name as accepted by [`OptimConfig::from_name`] (`"sgd"`, `"adamw"`, …).
    fn name(&self) -> &'static str;

    /// The state a checkpoint needs to resume bit for bit: step count and per-parameter buffers.
    fn state(&self) -> OptimState<E>;

    /// Restores a state from [`Optimizer::state`], checking it against the optimizer's kind and
    /// buffers and against the names and shapes of `store`; on error nothing is changed.
    fn load_state(&mut self, state: OptimState<E>, store: &ParamStore<E>) -> Result<()>;
}

/// The names [`OptimConfig::from_name`] accepts.
pub const OPTIMIZER_NAMES: [&str; 5] = ["sgd", "adam", "adamw", "rmsprop", "adagrad"];

/// Any optimizer's configuration, serializable as `{"name": "adam", "lr": …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum OptimConfig {
    /// Stochastic gradient descent.
    Sgd(SgdConfig),
    /// Adam, or AdamW when `decoupled_weight_decay` is set.
    Adam(AdamConfig),
    /// RMSprop.
    RmsProp(RmsPropConfig),
    /// Adagrad.
    Adagrad(AdagradConfig),
}

impl OptimConfig {
    /// PyTorch's default configuration of the optimizer called `name` (see [`OPTIMIZER_NAMES`]).
    pub fn from_name(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "sgd" => Ok(OptimConfig::Sgd(SgdConfig::default())),
            "adam" => Ok(OptimConfig::Adam(AdamConfig::default())),
            "adamw" => Ok(OptimConfig::Adam(AdamConfig::adamw())),
            "rmsprop" => Ok(OptimConfig::RmsProp(RmsPropConfig::default())),
            "adagrad" => Ok(OptimConfig::Adagrad(AdagradConfig::default())),
            _ => Err(Error::Config(format!(
                "unknown optimizer {name:?}; known optimizers: {}",
                OPTIMIZER_NAMES.join(", ")
            ))),
        }
    }

    /// The configured learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimConfig::Sgd(c) => c.lr,
            OptimConfig::Adam(c) => c.lr,
            OptimConfig::RmsProp(c) => c.lr,
            OptimConfig::Adagrad(c) => c.lr,
        }
    }

    /// The same configuration with another learning rate.
    pub fn with_lr(self, lr: f64) -> Self {
        match self {
            OptimConfig::Sgd(c) => OptimConfig::Sgd(c.lr(lr)),
            OptimConfig::Adam(c) => OptimConfig::Adam(c.lr(lr)),
            OptimConfig::RmsProp(c) => OptimConfig::RmsProp(c.lr(lr)),
            OptimConfig::Adagrad(c) => OptimConfig::Adagrad(c.lr(lr)),
        }
    }

    /// Builds the optimizer, or an `Error::Config` if a setting is out of range.
    pub fn build<E: Element>(&self) -> Result<Box<dyn Optimizer<E>>> {
        Ok(match self {
            OptimConfig::Sgd(c) => Box::new(Sgd::new(c.clone())?),
            OptimConfig::Adam(c) => Box::new(Adam::new(c.clone())?),
            OptimConfig::RmsProp(c) => Box::new(RmsProp::new(c.clone())?),
            OptimConfig::Adagrad(c) => Box::new(Adagrad::new(c.clone())?),
        })
    }
}

/// The optimizer called `name` with PyTorch's defaults and learning rate `lr`.
pub fn optimizer<E: Element>(name: &str, lr: f64) -> Result<Box<dyn Optimizer<E>>> {
    OptimConfig::from_name(name)?.with_lr(lr).build()
}

/// `g + wd·p`, PyTorch's L2 weight decay folded into the gradient (a no-op when `wd` is zero).
#[inline(always)]
pub(crate) fn l2_decay<E: Element>(g: E, p: E, wd: E) -> E {
    if wd == E::zero() {
        g
    } else {
        g + wd * p
    }
}

/// An `Error::Config` naming the optimizer and the setting unless `ok`.
pub(crate) fn require(ok: bool, optimizer: &str, what: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!("{optimizer}: {}", what())))
    }
}

/// Builder-style setters (`cfg.lr(0.1).momentum(0.9)`) for the public fields of a config struct.
macro_rules! setters {
    ($ty:ident { $($field:ident: $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $field(mut self, $field: $t) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;

/// The `Optimizer` methods every optimizer implements alike from its `cfg.lr` and `slots` fields.
macro_rules! delegate_common {
    () => {
        fn lr(&self) -> f64 {
            self.cfg.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.cfg.lr = lr;
        }

        fn name(&self) -> &'static str {
            self.slots.kind()
        }

        fn state(&self) -> $crate::optim::OptimState<E> {
            self.slots.export()
        }

        fn load_state(
            &mut self,
            state: $crate::optim::OptimState<E>,
            store: &$crate::params::ParamStore<E>,
        ) -> $crate::error::Result<()> {
            self.slots.import(state, store)
        }
    };
}
pub(crate) use delegate_common;
