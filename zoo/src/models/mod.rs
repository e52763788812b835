//! Models for the four sequence problems — prediction, classification, generation and
//! sequence-to-sequence — plus the fixed-window feed-forward baseline, each written the way its
//! PyTorch counterpart is and with the same parameter names.

mod language_model;
pub mod seq2seq;
mod sequence;
mod window_mlp;

pub use language_model::{
    ContextConfig, ContextMode, LanguageModel, LanguageModelConfig, LmInput, Sampling,
};
pub use seq2seq::{AttentionScore, Seq2Seq, Seq2SeqConfig};
pub use sequence::{SequenceModel, SequenceModelConfig};
pub use window_mlp::{WindowMlp, WindowMlpConfig};

use autograd::{Element, Error, Result, Tape, Tensor, Var};

/// What a sequence model reads: feature vectors, or token ids looked up in its embedding.
#[derive(Clone, Copy)]
pub enum SequenceInput<'a, 't, E: Element> {
    /// Features `[B, T, I]`.
    Steps(Var<'t, E>),
    /// Token ids, row-major `[batch, steps]`.
    Tokens {
        /// The ids, `batch · steps` of them.
        ids: &'a [usize],
        /// Sequences in the batch.
        batch: usize,
        /// Steps per sequence (padded).
        steps: usize,
    },
}

/// The recurrent state carried between calls: `h [L, B, H]` and, for an LSTM, `c [L, B, H]`.
#[derive(Clone, Copy)]
pub struct State<'t, E: Element> {
    /// Hidden state of every layer.
    pub h: Var<'t, E>,
    /// Cell state of every layer (LSTM only).
    pub c: Option<Var<'t, E>>,
}

impl<'t, E: Element> State<'t, E> {
    /// The state of the batch rows `rows` (in that order, repeats allowed).
    pub fn select(&self, rows: &[usize]) -> Self {
        State {
            h: self.h.index_select(1, rows),
            c: self.c.map(|c| c.index_select(1, rows)),
        }
    }
}

/// A [`State`]'s values, carried from one tape to the next, detached from the tape they were
/// computed on (decoding one step per tape keeps memory constant however many steps run; a
/// stateful language model starts each batch from the last one's final state).
#[derive(Clone, Debug, PartialEq)]
pub struct StateValues<E: Element> {
    /// Hidden state of every layer `[L, B, H]`.
    pub h: Tensor<E>,
    /// Cell state of every layer `[L, B, H]` (LSTM only).
    pub c: Option<Tensor<E>>,
}

impl<'t, E: Element> State<'t, E> {
    /// The values, to carry to another tape.
    pub fn values(&self) -> StateValues<E> {
        StateValues {
            h: self.h.value(),
            c: self.c.map(|c| c.value()),
        }
    }
}

impl<E: Element> StateValues<E> {
    /// The state as constants of `tape`: leaves no gradient flows into.
    pub fn on<'t>(&self, tape: &'t Tape<E>) -> State<'t, E> {
        State {
            h: tape.constant(self.h.clone()),
            c: self.c.as_ref().map(|c| tape.constant(c.clone())),
        }
    }

    /// The state of the batch rows `rows` (in that order, repeats allowed).
    pub(crate) fn select(&self, rows: &[usize]) -> Self {
        StateValues {
            h: self.h.index_select(1, rows),
            c: self.c.as_ref().map(|c| c.index_select(1, rows)),
        }
    }
}

/// The final hidden state of the last layer `[B, D·H]` from `h_n [D·L, B, H]`, both directions
/// side by side when bidirectional (what `torch.cat((h_n[-2], h_n[-1]), 1)` gives in PyTorch).
pub fn last_layer_state<'t, E: Element>(h_n: Var<'t, E>, directions: usize) -> Var<'t, E> {
    let (layers_dirs, b, h) = (h_n.dim(0), h_n.dim(1), h_n.dim(2));
    h_n.narrow(0, layers_dirs - directions, directions)
        .transpose(0, 1)
        .reshape(&[b, directions * h])
}

/// The index of the largest value (the first one on ties).
pub fn argmax<E: Element>(values: &[E]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// `Ok(())` when `ok`, otherwise `Error::Config` naming the model and the problem.
pub(crate) fn require(ok: bool, model: &str, problem: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!("{model}: {}", problem())))
    }
}
