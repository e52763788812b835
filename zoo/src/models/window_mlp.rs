//! `WindowMlp`: the fixed-window feed-forward baseline — predict from the last `window` values with
//! `nn.Sequential`-style `hidden` (`nn.Linear`) → tanh → `head` (`nn.Linear`).

use super::require;
use crate::{Ctx, Linear};
use autograd::{Element, ParamPath, Result, Rng, Var};
use serde::{Deserialize, Serialize};

/// The configuration of a [`WindowMlp`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowMlpConfig {
    /// Past values the model sees.
    pub window: usize,
    /// Hidden units.
    pub hidden: usize,
    /// Values predicted.
    pub outputs: usize,
}

/// A two-layer perceptron over a fixed window: `head(tanh(hidden(x)))`.
#[derive(Clone, Debug)]
pub struct WindowMlp {
    config: WindowMlpConfig,
    hidden: Linear,
    head: Linear,
}

impl WindowMlp {
    /// Registers `hidden.*` and `head.*` under `path`; checks the configuration.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        config: WindowMlpConfig,
        rng: &mut Rng,
    ) -> Result<Self> {
        let c = &config;
        require(
            c.window > 0 && c.hidden > 0 && c.outputs > 0,
            "window mlp",
            || {
                format!(
                    "window {}, hidden {} and outputs {} must be positive",
                    c.window, c.hidden, c.outputs
                )
            },
        )?;
        let hidden = Linear::new(&mut path.path("hidden"), c.window, c.hidden, true, rng);
        let head = Linear::new(&mut path.path("head"), c.hidden, c.outputs, true, rng);
        Ok(WindowMlp {
            config,
            hidden,
            head,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &WindowMlpConfig {
        &self.config
    }

    /// Predicts `[B, outputs]` from `x` `[B, window]`.
    pub fn forward<'t, E: Element>(&self, cx: &Ctx<'_, 't, E>, x: Var<'t, E>) -> Var<'t, E> {
        let h = self.hidden.forward(cx, x).tanh();
        self.head.forward(cx, h)
    }
}
