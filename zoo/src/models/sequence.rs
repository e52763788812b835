//! `SequenceModel`: (embedding →) recurrent network → linear read-out, the PyTorch pattern
//! `out, h_n = self.rnn(x); y = self.head(h_n[-1])` (many-to-one, e.g. sequence regression or
//! classification) or `y = self.head(out)` (many-to-many, e.g. per-step prediction or tagging),
//! with `x = self.embedding(ids)` for token input. Train classifiers with `cross_entropy` on the
//! logits, regressors with `mse`.

use super::{last_layer_state, require, SequenceInput};
use crate::{Ctx, Embedding, Linear, RecurrentConfig, RecurrentInput, RecurrentLayer};
use autograd::{Element, ParamPath, Result, Rng, Var};
use serde::{Deserialize, Serialize};

/// The configuration of a [`SequenceModel`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceModelConfig {
    /// The recurrent network; its `input_size` is the features per step, or the embedding size
    /// with a vocabulary.
    pub rnn: RecurrentConfig,
    /// Token input: the vocabulary size of an `nn.Embedding` of dimension `rnn.input_size`.
    #[serde(default)]
    pub vocab: Option<usize>,
    /// Values predicted, or classes (per sequence, or per step).
    #[serde(alias = "classes")]
    pub outputs: usize,
    /// Read out every step (many-to-many) instead of once from the final state (many-to-one).
    pub per_step: bool,
}

/// Sequence regression, classification or tagging: `embedding` (optional) → `rnn.*` → `head`
/// (`nn.Linear`), mirroring a PyTorch `nn.Module` made of `nn.Embedding`, `nn.RNN`/`nn.LSTM`/
/// `nn.GRU` and `nn.Linear`.
///
/// Many-to-one reads the last layer's final hidden state (both directions side by side when
/// bidirectional, taken at each sequence's true end); many-to-many reads the output at every step.
#[derive(Clone, Debug)]
pub struct SequenceModel {
    config: SequenceModelConfig,
    embedding: Option<Embedding>,
    rnn: RecurrentLayer,
    head: Linear,
}

impl SequenceModel {
    /// Registers `embedding.weight` (with a vocabulary), `rnn.*` and `head.*` under `path`; checks
    /// the configuration.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        config: SequenceModelConfig,
        rng: &mut Rng,
    ) -> Result<Self> {
        let (model, c) = ("sequence model", &config);
        require(c.outputs > 0, model, || "outputs must be positive".into())?;
        require(c.vocab != Some(0), model, || {
            "vocab must be positive".into()
        })?;
        c.rnn.validate()?;
        let embedding = c
            .vocab
            .map(|v| Embedding::new(&mut path.path("embedding"), v, c.rnn.input_size, rng));
        let rnn = RecurrentLayer::new(&mut path.path("rnn"), c.rnn.clone(), rng)?;
        let features = if c.per_step {
            c.rnn.output_size()
        } else {
            c.rnn.directions() * c.rnn.real_hidden_size()
        };
        let head = Linear::new(&mut path.path("head"), features, c.outputs, true, rng);
        Ok(SequenceModel {
            config,
            embedding,
            rnn,
            head,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SequenceModelConfig {
        &self.config
    }

    /// `[B, outputs]` from the last state, or `[B, T, outputs]` per step, with optional true
    /// lengths. `input` must be tokens when the model has a vocabulary and steps `[B, T, I]`
    /// otherwise (a mismatch panics).
    pub fn forward<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        input: SequenceInput<'_, 't, E>,
        lengths: Option<&[usize]>,
    ) -> Var<'t, E> {
        let x = match (input, &self.embedding) {
            (SequenceInput::Steps(x), None) => x,
            (SequenceInput::Tokens { ids, batch, steps }, Some(embedding)) => {
                embedding.forward(cx, ids, &[batch, steps])
            }
            (SequenceInput::Steps(_), Some(_)) => {
                panic!("sequence model: built with a vocabulary, so it takes tokens, not steps")
            }
            (SequenceInput::Tokens { .. }, None) => {
                panic!("sequence model: built without a vocabulary, so it takes steps, not tokens")
            }
        };
        let input = RecurrentInput {
            lengths,
            ..Default::default()
        };
        let out = self.rnn.forward(cx, x, input);
        let features = if self.config.per_step {
            out.output
        } else {
            last_layer_state(out.h_n, self.rnn.config().directions())
        };
        self.head.forward(cx, features)
    }
}
