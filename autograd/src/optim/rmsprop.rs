//! RMSprop (torch.optim.RMSprop): optionally centered, with momentum and L2 weight decay.

use super::state::{ParamSlots, Update};
use super::{delegate_common, l2_decay, require, setters, Optimizer};
use crate::element::Element;
use crate::error::Result;
use crate::params::ParamStore;
use serde::{Deserialize, Serialize};

/// RMSprop settings; `Default` is PyTorch's (lr 1e-2, alpha 0.99, eps 1e-8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RmsPropConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decay rate of the running average of squared gradients.
    pub alpha: f64,
    /// Added to the root of the running average (outside the square root).
    pub eps: f64,
    /// L2 penalty added to the gradient: `g + weight_decay·w`.
    pub weight_decay: f64,
    /// Momentum factor (0 disables the momentum buffer).
    pub momentum: f64,
    /// Normalize by the estimated variance (subtract the squared running mean of the gradient).
    pub centered: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

setters!(RmsPropConfig {
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
});

impl RmsPropConfig {
    /// Checks the settings the way PyTorch's constructor does.
    pub fn validate(&self) -> Result<()> {
        let checks = [
            ("lr", self.lr),
            ("alpha", self.alpha),
            ("eps", self.eps),
            ("weight_decay", self.weight_decay),
            ("momentum", self.momentum),
        ];
        for (what, x) in checks {
            require(x >= 0.0, "rmsprop", || format!("{what} {x} < 0"))?;
        }
        Ok(())
    }
}

/// RMSprop with PyTorch's update rule.
pub struct RmsProp<E: Element> {
    cfg: RmsPropConfig,
    slots: ParamSlots<E>,
}

impl<E: Element> RmsProp<E> {
    /// An RMSprop optimizer, or an `Error::Config` for out-of-range settings.
    pub fn new(cfg: RmsPropConfig) -> Result<Self> {
        cfg.validate()?;
        let mut buffers = vec![("square_avg", E::zero())];
        if cfg.momentum > 0.0 {
            buffers.push(("momentum_buffer", E::zero()));
        }
        if cfg.centered {
            buffers.push(("grad_avg", E::zero()));
        }
        Ok(RmsProp {
            cfg,
            slots: ParamSlots::new("rmsprop", buffers),
        })
    }

    /// The settings.
    pub fn config(&self) -> &RmsPropConfig {
        &self.cfg
    }
}

impl<E: Element> Optimizer<E> for RmsProp<E> {
    fn step(&mut self, store: &mut ParamStore<E>) {
        let c = &self.cfg;
        let (lr, wd, eps) = (E::of(c.lr), E::of(c.weight_decay), E::of(c.eps));
        let (alpha, one_m_alpha, momentum) =
            (E::of(c.alpha), E::of(1.0 - c.alpha), E::of(c.momentum));
        let (has_momentum, centered) = (c.momentum > 0.0, c.centered);
        self.slots.step(store, |mut u: Update<'_, E>| {
            let square_avg = u.bufs.next();
            let mut buf = u.bufs.next_if(has_momentum);
            let mut grad_avg = u.bufs.next_if(centered);
            for (i, (p, &g)) in u.param.iter_mut().zip(u.grad).enumerate() {
                let g = l2_decay(g, *p, wd);
                square_avg[i] = square_avg[i] * alpha + one_m_alpha * g * g;
                let var = match grad_avg.as_deref_mut() {
                    Some(grad_avg) => {
                        grad_avg[i] += one_m_alpha * (g - grad_avg[i]);
                        square_avg[i] - grad_avg[i] * grad_avg[i]
                    }
                    None => square_avg[i],
                };
                let avg = var.sqrt() + eps;
                match buf.as_deref_mut() {
                    Some(buf) => {
                        buf[i] = buf[i] * momentum + g / avg;
                        *p -= lr * buf[i];
                    }
                    None => *p -= lr * g / avg,
                }
            }
        });
    }

    delegate_common!();
}
