//! Luong-style global attention (Luong, Pham & Manning 2015) without input feeding: every decoder
//! output `h_t` scores every encoder output `h̄_s` (`dot`: h_tᵀh̄_s, `general`: h_tᵀW_a h̄_s), padded
//! source positions are masked out of the softmax, and the context `c_t = Σ_s a_ts h̄_s` is combined
//! as `tanh(W_c [h_t; c_t])` before the output layer.

use crate::{Ctx, Linear};
use autograd::{Element, ParamPath, Rng, Tape, Tensor, Var};
use serde::{Deserialize, Serialize};

/// Added to the scores of padded source positions: their softmax weight underflows to exactly 0.
const MASKED: f64 = -1e9;

/// How a decoder state scores an encoder output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttentionScore {
    /// `h_tᵀ h̄_s` (needs the encoder output size to equal the decoder's hidden size).
    Dot,
    /// `h_tᵀ W_a h̄_s` with a learned `W_a` (`attention.weight`).
    #[default]
    General,
}

/// The encoder outputs prepared for attention: values, keys and the padding mask.
#[derive(Clone, Copy)]
pub(crate) struct Memory<'t, E: Element> {
    /// Encoder outputs `[B, S, D·H]`.
    values: Var<'t, E>,
    /// What decoder states are scored against `[B, S, H]` (`W_a h̄_s`, or the values for `dot`).
    keys: Var<'t, E>,
    /// 0 at real positions and a large negative number at padding, `[B, 1, S]`.
    mask: Var<'t, E>,
}

/// A [`Memory`]'s values, carried from one tape to the next.
#[derive(Clone)]
pub(crate) struct MemoryValues<E: Element> {
    values: Tensor<E>,
    keys: Tensor<E>,
    mask: Tensor<E>,
}

impl<'t, E: Element> Memory<'t, E> {
    /// The values, to carry to another tape.
    pub(crate) fn values(&self) -> MemoryValues<E> {
        MemoryValues {
            values: self.values.value(),
            keys: self.keys.value(),
            mask: self.mask.value(),
        }
    }
}

impl<E: Element> MemoryValues<E> {
    /// The memory as constants of `tape`.
    pub(crate) fn on<'t>(&self, tape: &'t Tape<E>) -> Memory<'t, E> {
        Memory {
            values: tape.constant(self.values.clone()),
            keys: tape.constant(self.keys.clone()),
            mask: tape.constant(self.mask.clone()),
        }
    }

    /// The memory of the batch rows `rows` (repeats allowed, e.g. one source row for every beam).
    pub(crate) fn select(&self, rows: &[usize]) -> Self {
        MemoryValues {
            values: self.values.index_select(0, rows),
            keys: self.keys.index_select(0, rows),
            mask: self.mask.index_select(0, rows),
        }
    }
}

/// The attention layers of the decoder: `attention` (`W_a`, general score only) and `combine`
/// (`W_c`).
#[derive(Clone, Debug)]
pub(crate) struct Attention {
    key: Option<Linear>,
    combine: Linear,
}

impl Attention {
    /// Registers `attention.weight` (general) and `combine.*` under `path` (the decoder's).
    pub(crate) fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        score: AttentionScore,
        encoder_size: usize,
        hidden: usize,
        rng: &mut Rng,
    ) -> Self {
        let key = (score == AttentionScore::General).then(|| {
            Linear::new(
                &mut path.path("attention"),
                encoder_size,
                hidden,
                false,
                rng,
            )
        });
        let combine = Linear::new(
            &mut path.path("combine"),
            hidden + encoder_size,
            hidden,
            true,
            rng,
        );
        Attention { key, combine }
    }

    /// Prepares encoder outputs `[B, S, D·H]` of sequences with the given true lengths.
    pub(crate) fn memory<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        values: Var<'t, E>,
        lengths: &[usize],
    ) -> Memory<'t, E> {
        let (b, s) = (values.dim(0), values.dim(1));
        let mask = Tensor::from_fn(&[b, 1, s], |i| {
            E::of(if i % s < lengths[i / s] { 0.0 } else { MASKED })
        });
        let keys = self
            .key
            .as_ref()
            .map_or(values, |key| key.forward(cx, values));
        Memory {
            values,
            keys,
            mask: cx.constant(mask),
        }
    }

    /// `tanh(W_c [h_t; c_t])` for decoder outputs `[B, T, H]`, giving `[B, T, H]`.
    pub(crate) fn attend<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        memory: &Memory<'t, E>,
        decoder_out: Var<'t, E>,
    ) -> Var<'t, E> {
        let scores = decoder_out.matmul_nt(memory.keys) + memory.mask; // [B, T, S]
        let context = scores.softmax(2).matmul(memory.values); // [B, T, D·H]
        self.combine
            .forward(cx, Var::concat(&[decoder_out, context], 2))
            .tanh()
    }
}
