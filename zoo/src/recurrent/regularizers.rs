//! `Regularizers`: the recurrent regularizers of a layer — variational (recurrent) dropout as
//! Keras's `dropout`/`recurrent_dropout` (Gal & Ghahramani 2016), zoneout (Krueger et al. 2016)
//! and weight drop, DropConnect on `W_hh` as AWD-LSTM's `WeightDrop` (Merity et al. 2017) — and
//! the masks each draws from the context's generator.

use crate::Ctx;
use autograd::{Element, Error, RecurrentMasks, Result, Tensor, Var};
use serde::{Deserialize, Serialize};

/// The recurrent regularizers of a layer, each a probability in [0, 1) (0: off). Saved in a
/// layer's config only when on, so files of layers without them are unchanged, and older files
/// load with all of them off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Regularizers {
    /// Variational dropout probability: in training, one mask per sequence on each layer's input
    /// and one on its recurrent state where it enters `W_hh`, the same at every step, scaled by
    /// 1/(1−p).
    #[serde(default, skip_serializing_if = "is_off")]
    pub recurrent_dropout: f64,
    /// Zoneout probability: each unit of h (and of an LSTM's c) keeps its previous value with
    /// this probability, drawn anew at every step in training; in evaluation every unit blends
    /// the two with weight p (the expectation).
    #[serde(default, skip_serializing_if = "is_off")]
    pub zoneout: f64,
    /// Weight drop probability: in training, DropConnect on each `W_hh`, one mask per forward
    /// pass, scaled by 1/(1−p).
    #[serde(default, skip_serializing_if = "is_off")]
    pub weight_drop: f64,
}

/// Whether a probability is 0 (a regularizer that is off).
fn is_off(p: &f64) -> bool {
    *p == 0.0
}

impl Regularizers {
    /// Each setting with its name.
    pub fn settings(&self) -> [(&'static str, f64); 3] {
        [
            ("recurrent_dropout", self.recurrent_dropout),
            ("zoneout", self.zoneout),
            ("weight_drop", self.weight_drop),
        ]
    }

    /// Whether every regularizer is off.
    pub fn is_off(&self) -> bool {
        self.settings().iter().all(|(_, p)| is_off(p))
    }

    /// An `Error::Config` naming the first setting outside [0, 1) (NaN included).
    pub fn validate(&self) -> Result<()> {
        match self
            .settings()
            .into_iter()
            .find(|(_, p)| !(0.0..1.0).contains(p))
        {
            Some((name, p)) => Err(Error::Config(format!(
                "recurrent layer: {name} {p} must be in [0, 1)"
            ))),
            None => Ok(()),
        }
    }

    /// The layer input `x` `[B, T, I]` under recurrent dropout: in training, times one mask
    /// `[B, 1, I]` for all steps (one op); otherwise `x`.
    pub fn input<'t, E: Element>(&self, cx: &Ctx<'_, 't, E>, x: Var<'t, E>) -> Var<'t, E> {
        let (b, i) = (x.dim(0), x.dim(2));
        match inverted_mask(cx, self.recurrent_dropout, &[b, 1, i]) {
            Some(m) => x * cx.constant(m),
            None => x,
        }
    }

    /// `w_hh` under weight drop: in training, one dropout op (its mask for every step);
    /// otherwise `w_hh`.
    pub fn hidden_weight<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        w_hh: Var<'t, E>,
    ) -> Var<'t, E> {
        cx.dropout(w_hh, self.weight_drop)
    }

    /// The masks of one kernel of `b` sequences of `t` steps, `s` states of `h` units: in
    /// training the recurrent-dropout mask `[B, H]` and zoneout's `[B, T, S·H]` drawn (1 keeps
    /// the previous value); in evaluation zoneout's expectation p everywhere.
    pub fn kernel_masks<E: Element>(
        &self,
        cx: &Ctx<'_, '_, E>,
        [b, t, s, h]: [usize; 4],
    ) -> RecurrentMasks<E> {
        let state = inverted_mask(cx, self.recurrent_dropout, &[b, h]);
        let p = self.zoneout;
        let zoneout = (p > 0.0).then(|| {
            let shape = [b, t, s * h];
            match cx.rng() {
                Some(mut rng) => Tensor::from_fn(&shape, |_| {
                    if rng.bernoulli(p) {
                        E::one()
                    } else {
                        E::zero()
                    }
                }),
                None => Tensor::full(&shape, E::of(p)),
            }
        });
        RecurrentMasks { state, zoneout }
    }
}

/// In training with `p > 0`, an inverted-dropout mask of `shape`: 0 with probability p, else
/// 1/(1−p).
fn inverted_mask<E: Element>(cx: &Ctx<'_, '_, E>, p: f64, shape: &[usize]) -> Option<Tensor<E>> {
    if p <= 0.0 {
        return None;
    }
    let mut rng = cx.rng()?;
    let keep = E::of(1.0 / (1.0 - p));
    Some(Tensor::from_fn(shape, |_| {
        if rng.bernoulli(p) {
            E::zero()
        } else {
            keep
        }
    }))
}
