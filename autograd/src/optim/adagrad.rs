//! Adagrad (torch.optim.Adagrad): accumulated squared gradients, LR decay, L2 weight decay.

use super::state::{ParamSlots, Update};
use super::{delegate_common, l2_decay, require, setters, Optimizer};
use crate::element::Element;
use crate::error::Result;
use crate::params::ParamStore;
use serde::{Deserialize, Serialize};

/// Adagrad settings; `Default` is PyTorch's (lr 1e-2, eps 1e-10, no decay, accumulator 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdagradConfig {
    /// Learning rate.
    pub lr: f64,
    /// The step size at update `t` is `lr / (1 + (t − 1)·lr_decay)`.
    pub lr_decay: f64,
    /// L2 penalty added to the gradient: `g + weight_decay·w`.
    pub weight_decay: f64,
    /// The starting value of the sum of squared gradients.
    pub initial_accumulator_value: f64,
    /// Added to the root of the sum (outside the square root).
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }
}

setters!(AdagradConfig {
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    initial_accumulator_value: f64,
    eps: f64,
});

impl AdagradConfig {
    /// Checks the settings the way PyTorch's constructor does.
    pub fn validate(&self) -> Result<()> {
        let checks = [
            ("lr", self.lr),
            ("lr_decay", self.lr_decay),
            ("weight_decay", self.weight_decay),
            ("initial_accumulator_value", self.initial_accumulator_value),
            ("eps", self.eps),
        ];
        for (what, x) in checks {
            require(x >= 0.0, "adagrad", || format!("{what} {x} < 0"))?;
        }
        Ok(())
    }
}

/// Adagrad with PyTorch's update rule.
pub struct Adagrad<E: Element> {
    cfg: AdagradConfig,
    slots: ParamSlots<E>,
}

impl<E: Element> Adagrad<E> {
    /// An Adagrad optimizer, or an `Error::Config` for out-of-range settings.
    pub fn new(cfg: AdagradConfig) -> Result<Self> {
        cfg.validate()?;
        let buffers = vec![("sum", E::of(cfg.initial_accumulator_value))];
        Ok(Adagrad {
            cfg,
            slots: ParamSlots::new("adagrad", buffers),
        })
    }

    /// The settings.
    pub fn config(&self) -> &AdagradConfig {
        &self.cfg
    }
}

impl<E: Element> Optimizer<E> for Adagrad<E> {
    fn step(&mut self, store: &mut ParamStore<E>) {
        let c = &self.cfg;
        let (lr, lr_decay, wd, eps) = (c.lr, c.lr_decay, E::of(c.weight_decay), E::of(c.eps));
        self.slots.step(store, |mut u: Update<'_, E>| {
            let clr = E::of(lr / (1.0 + (u.step - 1) as f64 * lr_decay));
            let sum = u.bufs.next();
            for (i, (p, &g)) in u.param.iter_mut().zip(u.grad).enumerate() {
                let g = l2_decay(g, *p, wd);
                sum[i] += g * g;
                *p -= clr * g / (sum[i].sqrt() + eps);
            }
        });
    }

    delegate_common!();
}
