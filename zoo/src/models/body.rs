//! The shared body of the regressor and the classifier: (embedding →) recurrent layer → Linear,
//! read out from the last state (many-to-one) or from every step (many-to-many).

use super::{last_layer_state, require, SequenceInput};
use crate::{Embedding, Linear, RecurrentConfig, RecurrentInput, RecurrentLayer};
use autograd::{Element, ParamPath, ParamStore, Result, Rng, Tape, Var};

/// `embedding` (optional) → `rnn` → `head`, as in PyTorch's usual `forward`:
/// `out, h_n = self.rnn(x); return self.head(out if per_step else h_n[-D:])`.
#[derive(Clone, Debug)]
pub(crate) struct RecurrentBody {
    embedding: Option<Embedding>,
    rnn: RecurrentLayer,
    head: Linear,
    per_step: bool,
}

impl RecurrentBody {
    /// Registers `embedding.weight` (with a vocabulary), `rnn.*` and `head.*` under `path`.
    pub(crate) fn new<E: Element>(
        model: &str,
        path: &mut ParamPath<'_, E>,
        rnn: &RecurrentConfig,
        vocab: Option<usize>,
        outputs: usize,
        per_step: bool,
        rng: &mut Rng,
    ) -> Result<Self> {
        require(outputs > 0, model, || "outputs must be positive".into())?;
        require(vocab != Some(0), model, || "vocab must be positive".into())?;
        rnn.validate()?;
        let embedding =
            vocab.map(|v| Embedding::new(&mut path.path("embedding"), v, rnn.input_size, rng));
        let rnn_layer = RecurrentLayer::new(&mut path.path("rnn"), rnn.clone(), rng)?;
        let features = if per_step {
            rnn.output_size()
        } else {
            rnn.directions() * rnn.hidden_size
        };
        let head = Linear::new(&mut path.path("head"), features, outputs, true, rng);
        Ok(RecurrentBody {
            embedding,
            rnn: rnn_layer,
            head,
            per_step,
        })
    }

    /// `[B, outputs]` from the last state, or `[B, T, outputs]` per step.
    pub(crate) fn forward<'t, E: Element>(
        &self,
        tape: &'t Tape<E>,
        store: &ParamStore<E>,
        input: SequenceInput<'_, 't, E>,
        lengths: Option<&[usize]>,
        dropout_rng: Option<&mut Rng>,
    ) -> Var<'t, E> {
        let x = match (input, &self.embedding) {
            (SequenceInput::Steps(x), None) => x,
            (SequenceInput::Tokens { ids, batch, steps }, Some(embedding)) => {
                embedding.forward(tape, store, ids, &[batch, steps])
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
            dropout_rng,
            ..Default::default()
        };
        let out = self.rnn.forward(tape, store, x, input);
        let features = if self.per_step {
            out.output
        } else {
            last_layer_state(out.h_n, self.rnn.config().directions())
        };
        self.head.forward(tape, store, features)
    }
}
