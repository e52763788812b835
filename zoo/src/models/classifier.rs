//! `SequenceClassifier`: (embedding →) recurrent network → class logits, the PyTorch pattern
//! `out, h_n = self.rnn(self.embedding(ids)); logits = self.head(h_n[-1])` (or `self.head(out)` for
//! tagging every step). Train it with `cross_entropy` on the logits.

use super::body::RecurrentBody;
use super::SequenceInput;
use crate::RecurrentConfig;
use autograd::{Element, ParamPath, ParamStore, Result, Rng, Tape, Var};
use serde::{Deserialize, Serialize};

/// The configuration of a [`SequenceClassifier`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceClassifierConfig {
    /// The recurrent network; with a vocabulary its `input_size` is the embedding size.
    pub rnn: RecurrentConfig,
    /// The number of classes.
    pub classes: usize,
    /// Token input: the vocabulary size of an `nn.Embedding` of dimension `rnn.input_size`.
    pub vocab: Option<usize>,
    /// Classify every step (tagging) instead of the whole sequence.
    pub per_step: bool,
}

/// Sequence classification (or tagging): `embedding` (optional) → `rnn.*` → `head`.
#[derive(Clone, Debug)]
pub struct SequenceClassifier {
    config: SequenceClassifierConfig,
    body: RecurrentBody,
}

impl SequenceClassifier {
    /// Registers `embedding.weight` (with a vocabulary), `rnn.*` and `head.*` under `path`.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        config: SequenceClassifierConfig,
        rng: &mut Rng,
    ) -> Result<Self> {
        let body = RecurrentBody::new(
            "sequence classifier",
            path,
            &config.rnn,
            config.vocab,
            config.classes,
            config.per_step,
            rng,
        )?;
        Ok(SequenceClassifier { config, body })
    }

    /// The configuration.
    pub fn config(&self) -> &SequenceClassifierConfig {
        &self.config
    }

    /// Class logits `[B, C]` (or `[B, T, C]` when tagging). `input` must be tokens when the model
    /// has a vocabulary and steps `[B, T, I]` otherwise (a mismatch panics).
    pub fn forward<'t, E: Element>(
        &self,
        tape: &'t Tape<E>,
        store: &ParamStore<E>,
        input: SequenceInput<'_, 't, E>,
        lengths: Option<&[usize]>,
        dropout_rng: Option<&mut Rng>,
    ) -> Var<'t, E> {
        self.body.forward(tape, store, input, lengths, dropout_rng)
    }
}
