//! `RecurrentLayer`: stacked, optionally bidirectional Elman/LSTM/GRU networks, mirroring PyTorch's
//! `nn.RNN`, `nn.LSTM` (with `proj_size`) and `nn.GRU` with `batch_first=True`; optionally
//! regularized by Keras's recurrent dropout (`LSTM(dropout=p, recurrent_dropout=p)`), zoneout, and
//! AWD-LSTM's `WeightDrop` on `weight_hh`, fused into the recurrent kernel.

use super::config::{MergeMode, ParamInit, RecurrentConfig, RecurrentKind};
use crate::Ctx;
use autograd::init::rnn_default;
use autograd::{
    Directions, Element, Error, NormWeights, ParamId, ParamPath, RecurrentSpec, RecurrentWeights,
    Result, Rng, Tensor, Var,
};

/// The parameters of one layer in one direction.
#[derive(Clone, Debug)]
struct DirectionWeights {
    w_ih: ParamId,
    w_hh: ParamId,
    b_ih: ParamId,
    b_hh: ParamId,
    /// An LSTMP's projection `[P, H]`.
    w_hr: Option<ParamId>,
    /// A layer-normalized cell's gains: `ln_ih_weight`, `ln_hh_weight`, then an LSTM's
    /// `ln_c_weight`, `ln_c_bias`.
    norm: Vec<ParamId>,
}

/// A stacked, optionally bidirectional recurrent network (`nn.RNN`/`nn.LSTM`/`nn.GRU`).
///
/// Parameters carry PyTorch's state_dict names and shapes (`weight_ih_l{k}`, `weight_hh_l{k}`,
/// `bias_ih_l{k}`, `bias_hh_l{k}`, and `weight_hr_l{k}` with a projection; `_reverse` for the
/// backward direction). Layer-normalized cells add `ln_ih_weight_l{k}`, `ln_hh_weight_l{k}` `[G·H]`
/// and, for an LSTM, `ln_c_weight_l{k}`, `ln_c_bias_l{k}` `[H]` (see
/// [`RecurrentConfig::parameter_shapes`]).
#[derive(Clone, Debug)]
pub struct RecurrentLayer {
    config: RecurrentConfig,
    /// Indexed by `layer · D + direction`, as PyTorch indexes `h_n`.
    weights: Vec<DirectionWeights>,
}

/// Optional inputs of [`RecurrentLayer::forward`].
#[derive(Default)]
pub struct RecurrentInput<'a, 't, E: Element> {
    /// Initial hidden state `[D·L, B, P]` (P = H without projection); zeros when absent.
    pub h0: Option<Var<'t, E>>,
    /// Initial cell state `[D·L, B, H]` (LSTM); zeros when absent.
    pub c0: Option<Var<'t, E>>,
    /// True length of each sequence (any order), each in `1..=T`; all `T` when absent.
    pub lengths: Option<&'a [usize]>,
}

/// What [`RecurrentLayer::forward`] returns, in PyTorch's batch-first layout.
pub struct RecurrentOutput<'t, E: Element> {
    /// Last layer's output at every step `[B, T, D·P]` (or `[B, T, P]` when merged), zero at
    /// padded steps (P = H without projection).
    pub output: Var<'t, E>,
    /// Final hidden state of every layer and direction `[D·L, B, P]`, taken at each true last step.
    pub h_n: Var<'t, E>,
    /// Final cell state `[D·L, B, H]` (LSTM only).
    pub c_n: Option<Var<'t, E>>,
}

/// The state_dict name of parameter `what` (`weight_ih`, …) of `layer` in `direction`.
pub fn param_name(what: &str, layer: usize, direction: usize) -> String {
    let suffix = if direction == 1 { "_reverse" } else { "" };
    format!("{what}_l{layer}{suffix}")
}

impl RecurrentLayer {
    /// Registers the parameters under `path`: PyTorch's four (and an LSTMP's `weight_hr`)
    /// initialized U(±1/√H) as PyTorch does, a layer-normalized cell's gains at 1 and its
    /// cell-state shift at 0.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        config: RecurrentConfig,
        rng: &mut Rng,
    ) -> Result<Self> {
        config.validate()?;
        let h = config.hidden_size;
        // An LSTMP's weight_hr follows PyTorch's four (see `RecurrentConfig::parameter_shapes`).
        let proj = usize::from(config.proj_size > 0);
        let mut weights = Vec::new();
        for layer in 0..config.num_layers {
            for dir in 0..config.directions() {
                let mut ids = Vec::new();
                for p in config.parameter_shapes(layer) {
                    let name = param_name(p.name, layer, dir);
                    ids.push(path.add_with(name, &p.shape, |s| match p.init {
                        ParamInit::Uniform => rnn_default(s, h, rng),
                        ParamInit::One => Tensor::ones(s),
                        ParamInit::Zero => Tensor::zeros(s),
                    }));
                }
                weights.push(DirectionWeights {
                    w_ih: ids[0],
                    w_hh: ids[1],
                    b_ih: ids[2],
                    b_hh: ids[3],
                    w_hr: (proj == 1).then(|| ids[4]),
                    norm: ids[4 + proj..].to_vec(),
                });
            }
        }
        Ok(RecurrentLayer { config, weights })
    }

    /// The configuration.
    pub fn config(&self) -> &RecurrentConfig {
        &self.config
    }

    /// An error unless `x` is `[B, T, I]` with B, T ≥ 1, the initial states `[h0, c0]` (when
    /// given) `[D·L, B, P]` and `[D·L, B, H]` (P = H without projection) and `lengths` B values in
    /// 1..=T: what [`RecurrentLayer::forward`] needs, checked before it runs on inputs read from a
    /// file.
    pub fn check_input(
        &self,
        x: &[usize],
        states: [Option<Vec<usize>>; 2],
        lengths: Option<&[usize]>,
    ) -> Result<()> {
        let cfg = &self.config;
        let fail = |what: String| Err(Error::Config(format!("recurrent layer: {what}")));
        let [b, t, i] = x else {
            return fail(format!(
                "input of shape {x:?}, expected [B, T, {}]",
                cfg.input_size
            ));
        };
        let (b, t) = (*b, *t);
        if *i != cfg.input_size || b == 0 || t == 0 {
            return fail(format!(
                "input of shape {x:?}, expected [B, T, {}] with B, T >= 1",
                cfg.input_size
            ));
        }
        let layers = cfg.directions() * cfg.num_layers;
        let widths = [cfg.real_hidden_size(), cfg.hidden_size];
        for ((what, shape), width) in ["h0", "c0"].iter().zip(states).zip(widths) {
            let expected = [layers, b, width];
            match shape {
                Some(s) if s != expected => {
                    return fail(format!("{what} of shape {s:?}, expected {expected:?}"))
                }
                _ => {}
            }
        }
        match lengths {
            Some(l) if l.len() != b || !l.iter().all(|&n| (1..=t).contains(&n)) => fail(format!(
                "lengths {l:?} for a batch of {b} sequences of {t} steps"
            )),
            _ => Ok(()),
        }
    }

    /// Runs the network over `x` `[B, T, I]` (batch-first), with dropout between stacked layers
    /// in training; panics on inputs [`RecurrentLayer::check_input`] refuses (a model's own
    /// inputs; inputs read from a file go through [`RecurrentLayer::try_forward`]).
    pub fn forward<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        x: Var<'t, E>,
        input: RecurrentInput<'_, 't, E>,
    ) -> RecurrentOutput<'t, E> {
        self.try_forward(cx, x, input)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`RecurrentLayer::forward`], with the error of [`RecurrentLayer::check_input`] for inputs
    /// it cannot run on.
    pub fn try_forward<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        x: Var<'t, E>,
        input: RecurrentInput<'_, 't, E>,
    ) -> Result<RecurrentOutput<'t, E>> {
        let cfg = &self.config;
        let shape = x.shape();
        let (h0, c0) = (input.h0, input.c0);
        let states = [h0.map(|v| v.shape()), c0.map(|v| v.shape())];
        self.check_input(&shape, states, input.lengths)?;
        let (b, t, h, d) = (shape[0], shape[1], cfg.hidden_size, cfg.directions());
        let p = cfg.real_hidden_size();
        let lstm = cfg.kind == RecurrentKind::Lstm;
        let mask = input.lengths.map(|l| {
            cx.constant(Tensor::from_fn(&[b, t, 1], |i| {
                if i % t < l[i / t] {
                    E::one()
                } else {
                    E::zero()
                }
            }))
        });
        // The initial state `[B, width]` of layer and direction k.
        let state_at = |v: Option<Var<'t, E>>, k: usize, width: usize| {
            v.map_or_else(
                || cx.constant(Tensor::zeros(&[b, width])),
                |v| v.narrow(0, k, 1).reshape(&[b, width]),
            )
        };
        let mut layer_in = x;
        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        let reg = cfg.regularizers;
        let cell = cfg.kind.cell();
        for layer in 0..cfg.num_layers {
            // Drawn in this order for each layer: the input mask, then for each direction the
            // weight drop mask, the state mask and zoneout's.
            layer_in = reg.input(cx, layer_in);
            let weights = |k: usize| {
                let w = &self.weights[k];
                let p = |id| cx.param(id);
                RecurrentWeights {
                    w_ih: p(w.w_ih),
                    b_ih: p(w.b_ih),
                    w_hh: reg.hidden_weight(cx, p(w.w_hh)),
                    b_hh: p(w.b_hh),
                    w_hr: w.w_hr.map(p),
                    norm: (!w.norm.is_empty()).then(|| NormWeights {
                        gain_ih: p(w.norm[0]),
                        gain_hh: p(w.norm[1]),
                        cell: lstm.then(|| [p(w.norm[2]), p(w.norm[3])]),
                    }),
                }
            };
            let h_init = |k: usize| state_at(h0, k, p);
            let c_init = |k: usize| lstm.then(|| state_at(c0, k, h));
            let masked = reg.recurrent_dropout > 0.0 && cx.is_training() || reg.zoneout > 0.0;
            // The states of each direction `[B, T, S·H]` (`[B, T, P + H]` projected).
            let per_direction = if masked {
                // Each direction with its own masks, one after the other (never projected: the
                // config refuses proj_size with these masks).
                (0..d)
                    .map(|dir| {
                        let k = layer * d + dir;
                        let w = weights(k);
                        let masks = reg.kernel_masks(cx, [b, t, cell.states(), h]);
                        let spec = RecurrentSpec {
                            cell,
                            reverse: dir == 1,
                            lengths: input.lengths.map(<[usize]>::to_vec),
                        };
                        layer_in.recurrent_masked(w, h_init(k), c_init(k), &spec, masks)
                    })
                    .collect()
            } else if d == 2 {
                let (f, r) = (layer * 2, layer * 2 + 1);
                layer_in
                    .recurrent_bidirectional(
                        Directions {
                            w: [weights(f), weights(r)],
                            h0: [h_init(f), h_init(r)],
                            c0: [c_init(f), c_init(r)],
                        },
                        cell,
                        input.lengths,
                    )
                    .to_vec()
            } else {
                let spec = RecurrentSpec {
                    cell,
                    reverse: false,
                    lengths: input.lengths.map(<[usize]>::to_vec),
                };
                let k = layer;
                vec![layer_in.recurrent(weights(k), h_init(k), c_init(k), &spec)]
            };
            let mut outs = Vec::with_capacity(d);
            for (dir, states) in per_direction.into_iter().enumerate() {
                // Padded steps carry the state, so the last processed step holds h_n (and c_n).
                let last = states.narrow(1, if dir == 1 { 0 } else { t - 1 }, 1);
                h_n.push(last.narrow(2, 0, p).reshape(&[b, p]));
                if lstm {
                    c_n.push(last.narrow(2, p, h).reshape(&[b, h]));
                }
                let out = states.narrow(2, 0, p);
                outs.push(mask.map_or(out, |m| out * m));
            }
            let last_layer = layer + 1 == cfg.num_layers;
            layer_in = if last_layer && d == 2 {
                merge(&outs, cfg.merge)
            } else if d == 2 {
                Var::concat(&outs, 2)
            } else {
                outs[0]
            };
            if !last_layer {
                layer_in = cx.dropout(layer_in, cfg.dropout);
            }
        }
        Ok(RecurrentOutput {
            output: layer_in,
            h_n: Var::stack(&h_n, 0),
            c_n: lstm.then(|| Var::stack(&c_n, 0)),
        })
    }
}

/// Combines the forward and reverse outputs of the last layer.
fn merge<'t, E: Element>(outs: &[Var<'t, E>], mode: MergeMode) -> Var<'t, E> {
    match mode {
        MergeMode::Concat => Var::concat(outs, 2),
        MergeMode::Sum => outs[0] + outs[1],
        MergeMode::Mean => (outs[0] + outs[1]) * 0.5,
        MergeMode::Mul => outs[0] * outs[1],
    }
}
