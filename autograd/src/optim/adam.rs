//! Adam and AdamW (torch.optim.Adam / AdamW): bias-corrected moments, optional AMSGrad.

use super::state::{ParamSlots, Update};
use super::{delegate_common, l2_decay, require, setters, Optimizer};
use crate::element::Element;
use crate::error::Result;
use crate::params::ParamStore;
use crate::simd::vectorized;
use serde::{Deserialize, Serialize};

/// Adam settings; `Default` is PyTorch's Adam, [`AdamConfig::adamw`] PyTorch's AdamW.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decay rates of the first and second moment estimates.
    pub betas: (f64, f64),
    /// Added to the bias-corrected root of the second moment (outside the square root).
    pub eps: f64,
    /// Weight decay: an L2 term in the gradient (Adam) or a decoupled shrink of the weights (AdamW).
    pub weight_decay: f64,
    /// Use the running maximum of the second moment (AMSGrad).
    pub amsgrad: bool,
    /// Decoupled weight decay `w ← w·(1 − lr·wd)` before the update, which makes this AdamW.
    pub decoupled_weight_decay: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            decoupled_weight_decay: false,
        }
    }
}

setters!(AdamConfig {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    decoupled_weight_decay: bool,
});

impl AdamConfig {
    /// PyTorch's AdamW defaults: Adam's, with decoupled weight decay 0.01.
    pub fn adamw() -> Self {
        AdamConfig {
            weight_decay: 1e-2,
            decoupled_weight_decay: true,
            ..AdamConfig::default()
        }
    }

    /// Checks the settings the way PyTorch's constructor does.
    pub fn validate(&self) -> Result<()> {
        let name = self.name();
        require(self.lr >= 0.0, name, || format!("lr {} < 0", self.lr))?;
        require(self.eps >= 0.0, name, || format!("eps {} < 0", self.eps))?;
        for (i, beta) in [self.betas.0, self.betas.1].into_iter().enumerate() {
            require((0.0..1.0).contains(&beta), name, || {
                format!("betas.{i} = {beta} is outside [0, 1)")
            })?;
        }
        require(self.weight_decay >= 0.0, name, || {
            format!("weight_decay {} < 0", self.weight_decay)
        })
    }

    /// `"adamw"` with decoupled weight decay, `"adam"` otherwise.
    pub fn name(&self) -> &'static str {
        if self.decoupled_weight_decay {
            "adamw"
        } else {
            "adam"
        }
    }
}

/// Adam / AdamW with PyTorch's update rule.
pub struct Adam<E: Element> {
    cfg: AdamConfig,
    slots: ParamSlots<E>,
}

impl<E: Element> Adam<E> {
    /// An Adam (or AdamW) optimizer, or an `Error::Config` for out-of-range settings.
    pub fn new(cfg: AdamConfig) -> Result<Self> {
        cfg.validate()?;
        let mut buffers = vec![("exp_avg", E::zero()), ("exp_avg_sq", E::zero())];
        if cfg.amsgrad {
            buffers.push(("max_exp_avg_sq", E::zero()));
        }
        Ok(Adam {
            slots: ParamSlots::new(cfg.name(), buffers),
            cfg,
        })
    }

    /// The settings.
    pub fn config(&self) -> &AdamConfig {
        &self.cfg
    }
}

impl<E: Element> Optimizer<E> for Adam<E> {
    fn step(&mut self, store: &mut ParamStore<E>) {
        let c = &self.cfg;
        let (beta1, beta2) = c.betas;
        let (one_m_b1, b2, one_m_b2) = (E::of(1.0 - beta1), E::of(beta2), E::of(1.0 - beta2));
        let (eps, amsgrad) = (E::of(c.eps), c.amsgrad);
        let (l2, shrink) = if c.decoupled_weight_decay {
            (E::zero(), E::of(1.0 - c.lr * c.weight_decay))
        } else {
            (E::of(c.weight_decay), E::one())
        };
        let lr = c.lr;
        self.slots.step(store, |mut u: Update<'_, E>| {
            let t = u.step as f64;
            let step_size = E::of(lr / (1.0 - beta1.powf(t)));
            let bc2_sqrt = E::of((1.0 - beta2.powf(t)).sqrt());
            let (m, v) = (u.bufs.next(), u.bufs.next());
            let Some(v_max) = u.bufs.next_if(amsgrad) else {
                // Without AMSGrad the loop has no branch per element and vectorizes (same bits).
                vectorized(
                    #[inline(always)]
                    || {
                        let rows = u.param.iter_mut().zip(u.grad).zip(m.iter_mut().zip(v));
                        for ((p, &g), (m, v)) in rows {
                            *p *= shrink;
                            let g = l2_decay(g, *p, l2);
                            *m += one_m_b1 * (g - *m);
                            *v = *v * b2 + one_m_b2 * g * g;
                            *p -= step_size * *m / (v.sqrt() / bc2_sqrt + eps);
                        }
                    },
                );
                return;
            };
            for (i, (p, &g)) in u.param.iter_mut().zip(u.grad).enumerate() {
                if shrink != E::one() {
                    *p *= shrink;
                }
                let g = l2_decay(g, *p, l2);
                m[i] += one_m_b1 * (g - m[i]);
                v[i] = v[i] * b2 + one_m_b2 * g * g;
                v_max[i] = v_max[i].max(v[i]);
                *p -= step_size * m[i] / (v_max[i].sqrt() / bc2_sqrt + eps);
            }
        });
    }

    delegate_common!();
}
