//! SGD with momentum, dampening, Nesterov momentum and L2 weight decay (torch.optim.SGD).

use super::state::{ParamSlots, Update};
use super::{delegate_common, l2_decay, require, setters, Optimizer};
use crate::element::Element;
use crate::error::Result;
use crate::params::ParamStore;
use serde::{Deserialize, Serialize};

/// SGD settings; `Default` is PyTorch's (lr 1e-3, no momentum, no weight decay).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (0 disables the momentum buffer).
    pub momentum: f64,
    /// Dampening of the gradient added to the momentum buffer (not applied on the first step).
    pub dampening: f64,
    /// L2 penalty added to the gradient: `g + weight_decay·w`.
    pub weight_decay: f64,
    /// Nesterov momentum (needs momentum > 0 and dampening 0).
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

setters!(SgdConfig {
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
});

impl SgdConfig {
    /// Checks the settings the way PyTorch's constructor does.
    pub fn validate(&self) -> Result<()> {
        require(self.lr >= 0.0, "sgd", || format!("lr {} < 0", self.lr))?;
        require(self.momentum >= 0.0, "sgd", || {
            format!("momentum {} < 0", self.momentum)
        })?;
        require(self.weight_decay >= 0.0, "sgd", || {
            format!("weight_decay {} < 0", self.weight_decay)
        })?;
        require(
            !self.nesterov || (self.momentum > 0.0 && self.dampening == 0.0),
            "sgd",
            || "nesterov momentum needs momentum > 0 and dampening 0".to_string(),
        )
    }
}

/// Stochastic gradient descent with PyTorch's update rule.
pub struct Sgd<E: Element> {
    cfg: SgdConfig,
    slots: ParamSlots<E>,
}

impl<E: Element> Sgd<E> {
    /// An SGD optimizer, or an `Error::Config` for out-of-range settings.
    pub fn new(cfg: SgdConfig) -> Result<Self> {
        cfg.validate()?;
        let buffers = if cfg.momentum != 0.0 {
            vec![("momentum_buffer", E::zero())]
        } else {
            Vec::new()
        };
        Ok(Sgd {
            cfg,
            slots: ParamSlots::new("sgd", buffers),
        })
    }

    /// The settings.
    pub fn config(&self) -> &SgdConfig {
        &self.cfg
    }
}

impl<E: Element> Optimizer<E> for Sgd<E> {
    fn step(&mut self, store: &mut ParamStore<E>) {
        let c = &self.cfg;
        let (lr, wd, momentum) = (E::of(c.lr), E::of(c.weight_decay), E::of(c.momentum));
        let (keep, nesterov) = (E::of(1.0 - c.dampening), c.nesterov);
        let has_momentum = c.momentum != 0.0;
        self.slots.step(store, |mut u: Update<'_, E>| {
            let mut buf = u.bufs.next_if(has_momentum);
            for (i, (p, &g)) in u.param.iter_mut().zip(u.grad).enumerate() {
                let mut d = l2_decay(g, *p, wd);
                if let Some(buf) = buf.as_deref_mut() {
                    // The buffer starts as the first gradient itself, undampened.
                    buf[i] = if u.step == 1 {
                        d
                    } else {
                        momentum * buf[i] + keep * d
                    };
                    d = if nesterov {
                        d + momentum * buf[i]
                    } else {
                        buf[i]
                    };
                }
                *p -= lr * d;
            }
        });
    }

    delegate_common!();
}
