//! `SequenceRegressor`: a recurrent network with a linear read-out, the PyTorch pattern
//! `out, h_n = self.rnn(x); y = self.head(h_n[-1])` (many-to-one) or `y = self.head(out)`
//! (many-to-many).

use super::body::RecurrentBody;
use super::SequenceInput;
use crate::RecurrentConfig;
use autograd::{Element, ParamPath, ParamStore, Result, Rng, Tape, Var};
use serde::{Deserialize, Serialize};

/// The configuration of a [`SequenceRegressor`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceRegressorConfig {
    /// The recurrent network (its `input_size` is the features per step).
    pub rnn: RecurrentConfig,
    /// Values predicted (per sequence, or per step).
    pub outputs: usize,
    /// Predict at every step (many-to-many) instead of once from the final state (many-to-one).
    pub per_step: bool,
}

/// Prediction / regression over sequences: `rnn.*` → `head` (`nn.Linear`).
///
/// Many-to-one reads the last layer's final hidden state (both directions side by side when
/// bidirectional, taken at each sequence's true end); many-to-many reads the output at every step.
#[derive(Clone, Debug)]
pub struct SequenceRegressor {
    config: SequenceRegressorConfig,
    body: RecurrentBody,
}

impl SequenceRegressor {
    /// Registers `rnn.*` and `head.*` under `path`; checks the configuration.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        config: SequenceRegressorConfig,
        rng: &mut Rng,
    ) -> Result<Self> {
        let body = RecurrentBody::new(
            "sequence regressor",
            path,
            &config.rnn,
            None,
            config.outputs,
            config.per_step,
            rng,
        )?;
        Ok(SequenceRegressor { config, body })
    }

    /// The configuration.
    pub fn config(&self) -> &SequenceRegressorConfig {
        &self.config
    }

    /// Predicts `[B, outputs]` (or `[B, T, outputs]` per step) from `x` `[B, T, I]`, with optional
    /// true lengths and, in training, the generator for the recurrent layer's dropout.
    pub fn forward<'t, E: Element>(
        &self,
        tape: &'t Tape<E>,
        store: &ParamStore<E>,
        x: Var<'t, E>,
        lengths: Option<&[usize]>,
        dropout_rng: Option<&mut Rng>,
    ) -> Var<'t, E> {
        self.body
            .forward(tape, store, SequenceInput::Steps(x), lengths, dropout_rng)
    }
}
