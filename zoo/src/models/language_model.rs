//! `LanguageModel`: embedding → stacked recurrent network → Linear to the vocabulary, the PyTorch
//! word-language-model pattern (`self.decoder(self.rnn(self.encoder(ids), hidden))`), optionally
//! conditioned on a context vector, with greedy, temperature and top-k sampling.

use super::{argmax, require, State};
use crate::{
    Ctx, Embedding, Linear, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer,
};
use autograd::{Element, ParamPath, ParamStore, Result, Rng, Tape, Tensor, Var};
use serde::{Deserialize, Serialize};

/// How a context vector conditions a [`LanguageModel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextMode {
    /// `tanh(Linear(context))` is the initial hidden state of every layer (and cell state, LSTM).
    InitialState,
    /// The context is concatenated to the embedding at every step.
    EveryStep,
}

/// A conditioning context of `size` features, used as `mode` says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextConfig {
    /// Features of the context vector.
    pub size: usize,
    /// How it enters the network.
    pub mode: ContextMode,
}

/// The configuration of a [`LanguageModel`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanguageModelConfig {
    /// Vocabulary size (BOS/EOS/padding included).
    pub vocab: usize,
    /// Embedding size.
    pub embedding: usize,
    /// The recurrent network: unidirectional, `input_size` = `embedding` (+ context size with
    /// [`ContextMode::EveryStep`]).
    pub rnn: RecurrentConfig,
    /// An optional conditioning context.
    pub context: Option<ContextConfig>,
}

/// How the next token is drawn from the logits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// The most likely token.
    Greedy,
    /// A draw from softmax(logits / temperature).
    Temperature(f64),
    /// A draw from softmax(logits / temperature) restricted to the `k` most likely tokens.
    TopK {
        /// Tokens kept.
        k: usize,
        /// Softmax temperature.
        temperature: f64,
    },
}

impl Sampling {
    /// Checks that temperatures are positive and `k` at least 1.
    pub fn validate(&self) -> Result<()> {
        let (k, t) = match *self {
            Sampling::Greedy => (1, 1.0),
            Sampling::Temperature(t) => (1, t),
            Sampling::TopK { k, temperature } => (k, temperature),
        };
        require(t > 0.0 && t.is_finite(), "sampling", || {
            format!("temperature {t} must be positive")
        })?;
        require(k >= 1, "sampling", || "top-k needs k ≥ 1".into())
    }

    /// Draws a token index from one row of logits (greedy draws nothing from `rng`).
    pub fn sample<E: Element>(&self, logits: &[E], rng: &mut Rng) -> usize {
        let (k, temperature) = match *self {
            Sampling::Greedy => return argmax(logits),
            Sampling::Temperature(t) => (logits.len(), t),
            Sampling::TopK { k, temperature } => (k, temperature),
        };
        let logits: Vec<f64> = logits
            .iter()
            .map(|x| x.to_f64().unwrap_or(f64::NAN))
            .collect();
        let mut order: Vec<usize> = (0..logits.len()).collect();
        order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
        order.truncate(k.max(1));
        let top = logits[order[0]];
        let weights: Vec<f64> = order
            .iter()
            .map(|&i| ((logits[i] - top) / temperature).exp())
            .collect();
        let mut u = rng.uniform() * weights.iter().sum::<f64>();
        for (&i, w) in order.iter().zip(&weights) {
            if u < *w {
                return i;
            }
            u -= w;
        }
        order[order.len() - 1]
    }
}

/// Optional inputs of [`LanguageModel::forward`].
#[derive(Default)]
pub struct LmInput<'a, 't, E: Element> {
    /// The state to continue from (takes precedence over an initial-state context).
    pub state: Option<State<'t, E>>,
    /// The context `[B, size]`; required by a conditioned model (unless `state` is given in
    /// initial-state mode).
    pub context: Option<Var<'t, E>>,
    /// True length of each sequence.
    pub lengths: Option<&'a [usize]>,
}

/// A recurrent language model: `embedding` → `rnn.*` → `head` (logits over the vocabulary),
/// with `init_h` / `init_c` (`nn.Linear`) mapping an initial-state context to `h0` / `c0`.
#[derive(Clone, Debug)]
pub struct LanguageModel {
    config: LanguageModelConfig,
    embedding: Embedding,
    rnn: RecurrentLayer,
    init_h: Option<Linear>,
    init_c: Option<Linear>,
    head: Linear,
}

impl LanguageModel {
    /// Registers `embedding.weight`, `rnn.*`, `head.*` (and `init_h.*`, `init_c.*`) under `path`;
    /// checks the configuration.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        config: LanguageModelConfig,
        rng: &mut Rng,
    ) -> Result<Self> {
        let c = &config;
        let model = "language model";
        require(c.vocab > 0 && c.embedding > 0, model, || {
            format!(
                "vocab {} and embedding {} must be positive",
                c.vocab, c.embedding
            )
        })?;
        c.rnn.validate()?;
        require(!c.rnn.bidirectional, model, || {
            "the recurrent network must be unidirectional".into()
        })?;
        let every_step = match &c.context {
            Some(ctx) => {
                require(ctx.size > 0, model, || {
                    "context size must be positive".into()
                })?;
                (ctx.mode == ContextMode::EveryStep).then_some(ctx.size)
            }
            None => None,
        };
        let input = c.embedding + every_step.unwrap_or(0);
        require(c.rnn.input_size == input, model, || {
            format!(
                "rnn.input_size is {} but the recurrent input is {input} (embedding {}{})",
                c.rnn.input_size,
                c.embedding,
                every_step.map_or(String::new(), |s| format!(" + context {s}"))
            )
        })?;
        let embedding = Embedding::new(&mut path.path("embedding"), c.vocab, c.embedding, rng);
        let rnn = RecurrentLayer::new(&mut path.path("rnn"), c.rnn.clone(), rng)?;
        // h0 is `[L, B, P]` (P = H without projection), c0 `[L, B, H]`.
        let (states_h, states_c) = (
            c.rnn.num_layers * c.rnn.real_hidden_size(),
            c.rnn.num_layers * c.rnn.hidden_size,
        );
        let (mut init_h, mut init_c) = (None, None);
        if let Some(ctx) = c
            .context
            .as_ref()
            .filter(|x| x.mode == ContextMode::InitialState)
        {
            init_h = Some(Linear::new(
                &mut path.path("init_h"),
                ctx.size,
                states_h,
                true,
                rng,
            ));
            if c.rnn.kind == RecurrentKind::Lstm {
                init_c = Some(Linear::new(
                    &mut path.path("init_c"),
                    ctx.size,
                    states_c,
                    true,
                    rng,
                ));
            }
        }
        let head = Linear::new(
            &mut path.path("head"),
            c.rnn.real_hidden_size(),
            c.vocab,
            true,
            rng,
        );
        Ok(LanguageModel {
            config,
            embedding,
            rnn,
            init_h,
            init_c,
            head,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LanguageModelConfig {
        &self.config
    }

    /// Logits `[B, T, vocab]` for `ids` laid out as `[B, T]`, and the state after each sequence's
    /// true last step (to continue from); dropout between stacked layers in training. Stateful
    /// training (Keras's `stateful=True`) passes the previous batch's final state, detached
    /// ([`State::values`], then [`super::StateValues::on`] the next tape), as `input.state`.
    pub fn forward<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        ids: &[usize],
        shape: [usize; 2],
        input: LmInput<'_, 't, E>,
    ) -> (Var<'t, E>, State<'t, E>) {
        let [b, t] = shape;
        let mode = self.check_context(input.context, input.state.is_some(), b);
        let state = match (input.state, input.context, mode) {
            (Some(state), ..) => Some(state),
            (None, Some(ctx), Some(ContextMode::InitialState)) => Some(self.initial_state(cx, ctx)),
            _ => None,
        };
        let mut x = self.embedding.forward(cx, ids, &shape);
        if let (Some(ctx), Some(ContextMode::EveryStep)) = (input.context, mode) {
            let repeated = Var::concat(&vec![ctx.unsqueeze(1); t], 1);
            x = Var::concat(&[x, repeated], 2);
        }
        let rnn_input = RecurrentInput {
            h0: state.map(|s| s.h),
            c0: state.and_then(|s| s.c),
            lengths: input.lengths,
        };
        let out = self.rnn.forward(cx, x, rnn_input);
        let logits = self.head.forward(cx, out.output);
        let state = State {
            h: out.h_n,
            c: out.c_n,
        };
        (logits, state)
    }

    /// Checks that a context `[B, size]` is given exactly when the model needs one (always with
    /// [`ContextMode::EveryStep`], unless a state is carried in with [`ContextMode::InitialState`]);
    /// returns the mode.
    fn check_context<E: Element>(
        &self,
        context: Option<Var<'_, E>>,
        has_state: bool,
        batch: usize,
    ) -> Option<ContextMode> {
        let Some(config) = &self.config.context else {
            assert!(
                context.is_none(),
                "language model: a context was given to a model without one"
            );
            return None;
        };
        match context {
            Some(c) => assert!(
                c.shape() == [batch, config.size],
                "language model: context of shape {:?}, expected [{batch}, {}]",
                c.shape(),
                config.size
            ),
            None => assert!(
                has_state && config.mode == ContextMode::InitialState,
                "language model: this model is conditioned and needs a context"
            ),
        }
        Some(config.mode)
    }

    /// `h0 = tanh(init_h(context))` (and `c0 = tanh(init_c(context))`), reshaped to `[L, B, P]`
    /// (and `[L, B, H]`).
    fn initial_state<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        context: Var<'t, E>,
    ) -> State<'t, E> {
        let (b, l) = (context.dim(0), self.config.rnn.num_layers);
        let to_layers = |linear: &Linear| {
            let v = linear.forward(cx, context).tanh();
            // The linear's outputs are L states side by side.
            let width = v.dim(1) / l;
            v.reshape(&[b, l, width]).transpose(0, 1)
        };
        let init_h = self
            .init_h
            .as_ref()
            .expect("an initial-state model has init_h");
        State {
            h: to_layers(init_h),
            c: self.init_c.as_ref().map(to_layers),
        }
    }

    /// Continues `prompt` (at least one token, e.g. just BOS) by up to `max_new` tokens drawn with
    /// `sampling`, stopping after emitting `eos` when given; returns the new tokens only (the EOS
    /// included). Runs without gradients: the prompt once, then one step at a time carrying the
    /// state. `context` is `[size]` or `[1, size]` for a conditioned model.
    ///
    /// Panics on an empty prompt, an out-of-range token or invalid `sampling`
    /// (see [`Sampling::validate`]).
    #[allow(clippy::too_many_arguments)]
    pub fn generate<E: Element>(
        &self,
        store: &ParamStore<E>,
        prompt: &[usize],
        max_new: usize,
        sampling: Sampling,
        context: Option<&Tensor<E>>,
        eos: Option<usize>,
        rng: &mut Rng,
    ) -> Vec<usize> {
        assert!(
            !prompt.is_empty(),
            "generate: the prompt needs at least one token"
        );
        if let Err(e) = sampling.validate() {
            panic!("generate: {e}");
        }
        let mut state: Option<(Tensor<E>, Option<Tensor<E>>)> = None;
        let mut ids = prompt.to_vec();
        let mut generated = Vec::new();
        while generated.len() < max_new {
            let tape = Tape::new();
            let _no_grad = tape.no_grad();
            let input = LmInput {
                state: state.as_ref().map(|(h, c)| State {
                    h: tape.constant(h.clone()),
                    c: c.as_ref().map(|c| tape.constant(c.clone())),
                }),
                context: context.map(|c| tape.constant(c.reshape(&[1, c.numel()]))),
                ..Default::default()
            };
            let cx = Ctx::eval(&tape, store);
            let (logits, next_state) = self.forward(&cx, &ids, [1, ids.len()], input);
            let logits = logits.value();
            let last = &logits.data()[logits.numel() - self.config.vocab..];
            let token = sampling.sample(last, rng);
            generated.push(token);
            if Some(token) == eos {
                break;
            }
            state = Some((next_state.h.value(), next_state.c.map(|c| c.value())));
            ids = vec![token];
        }
        generated
    }
}
