//! Learning-rate schedules: pure functions of the step, so a resumed run gets the same rates.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A learning-rate schedule; [`Schedule::lr_at`] gives the rate for a step from the base rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Schedule {
    /// Always the base rate.
    #[default]
    Constant,
    /// `base·gamma^⌊step / step_size⌋` (torch StepLR).
    Step {
        /// Steps between decays.
        step_size: usize,
        /// Decay factor.
        gamma: f64,
    },
    /// `base·gamma^step` (torch ExponentialLR).
    Exponential {
        /// Decay factor per step.
        gamma: f64,
    },
    /// `eta_min + (base − eta_min)·(1 + cos(π·step/t_max))/2`, torch CosineAnnealingLR's closed
    /// form (periodic past `t_max`, as in torch).
    Cosine {
        /// Half period in steps.
        t_max: usize,
        /// The lowest rate.
        eta_min: f64,
    },
    /// `base·(step+1)/warmup_steps` for the first `warmup_steps` steps, then `after` at
    /// `step − warmup_steps`.
    Warmup {
        /// Length of the linear ramp; its last step uses the full base rate.
        warmup_steps: usize,
        /// The schedule that follows the ramp.
        after: Box<Schedule>,
    },
}

impl Schedule {
    /// A step decay by `gamma` every `step_size` steps.
    pub fn step(step_size: usize, gamma: f64) -> Self {
        Schedule::Step { step_size, gamma }
    }

    /// An exponential decay by `gamma` per step.
    pub fn exponential(gamma: f64) -> Self {
        Schedule::Exponential { gamma }
    }

    /// Cosine annealing from the base rate to `eta_min` over `t_max` steps.
    pub fn cosine(t_max: usize, eta_min: f64) -> Self {
        Schedule::Cosine { t_max, eta_min }
    }

    /// This schedule preceded by a linear warmup of `warmup_steps` steps.
    pub fn with_warmup(self, warmup_steps: usize) -> Self {
        Schedule::Warmup {
            warmup_steps,
            after: Box::new(self),
        }
    }

    /// An `Error::Config` for a zero period or a negative or non-finite factor.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(Error::Config(format!("lr schedule: {what}")));
        match self {
            Schedule::Constant => Ok(()),
            Schedule::Step { step_size: 0, .. } => bad("step_size must be positive".into()),
            Schedule::Step { gamma, .. } | Schedule::Exponential { gamma }
                if !(gamma.is_finite() && *gamma >= 0.0) =>
            {
                bad(format!("gamma {gamma} must be finite and >= 0"))
            }
            Schedule::Step { .. } | Schedule::Exponential { .. } => Ok(()),
            Schedule::Cosine { t_max: 0, .. } => bad("t_max must be positive".into()),
            Schedule::Cosine { eta_min, .. } if !eta_min.is_finite() => {
                bad(format!("eta_min {eta_min} must be finite"))
            }
            Schedule::Cosine { .. } => Ok(()),
            Schedule::Warmup { after, .. } => after.validate(),
        }
    }

    /// The learning rate at `step` (counted from 0) for base rate `base_lr`.
    pub fn lr_at(&self, base_lr: f64, step: usize) -> f64 {
        match self {
            Schedule::Constant => base_lr,
            Schedule::Step { step_size, gamma } => {
                base_lr * gamma.powf((step / (*step_size).max(1)) as f64)
            }
            Schedule::Exponential { gamma } => base_lr * gamma.powf(step as f64),
            Schedule::Cosine { t_max, eta_min } => {
                let phase = std::f64::consts::PI * step as f64 / (*t_max).max(1) as f64;
                eta_min + (base_lr - eta_min) * (1.0 + phase.cos()) / 2.0
            }
            Schedule::Warmup {
                warmup_steps,
                after,
            } => {
                if step < *warmup_steps {
                    base_lr * (step + 1) as f64 / *warmup_steps as f64
                } else {
                    after.lr_at(base_lr, step - warmup_steps)
                }
            }
        }
    }
}
