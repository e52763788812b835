//! `Seq2Seq`: a stacked recurrent encoder-decoder, the PyTorch seq2seq-tutorial pattern
//! (`EncoderRNN` + `DecoderRNN`/`AttnDecoderRNN` in one module): the encoder reads the source, its
//! final states start the decoder (through a `bridge` when the encoder is bidirectional), the
//! decoder runs with teacher forcing at a ratio, optionally attending to the encoder outputs, and
//! decodes greedily or with beam search.

mod attention;
mod beam;

pub use attention::AttentionScore;

use super::{argmax, require, State, StateValues};
use crate::{
    Ctx, Embedding, Linear, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer,
};
use attention::{Attention, Memory, MemoryValues};
use autograd::{Element, ParamPath, ParamStore, Result, Rng, Tape, Tensor, Var};
use serde::{Deserialize, Serialize};

/// The configuration of a [`Seq2Seq`] model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seq2SeqConfig {
    /// Source vocabulary size.
    pub src_vocab: usize,
    /// Target vocabulary size (BOS and EOS included).
    pub tgt_vocab: usize,
    /// Embedding size of both vocabularies.
    pub embedding: usize,
    /// The recurrent network of encoder and decoder.
    pub kind: RecurrentKind,
    /// Hidden size of encoder and decoder.
    pub hidden: usize,
    /// Stacked layers of encoder and decoder.
    pub layers: usize,
    /// Whether the encoder also reads the source backwards.
    pub bidirectional_encoder: bool,
    /// Luong attention over the encoder outputs, scored as given; none when `None`.
    pub attention: Option<AttentionScore>,
    /// Dropout on embeddings and between stacked layers, in training only.
    pub dropout: f64,
    /// Layer-normalized cells in encoder and decoder (LSTM, GRU).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub layer_norm: bool,
}

impl Seq2SeqConfig {
    /// The encoder's recurrent configuration.
    fn encoder(&self) -> RecurrentConfig {
        RecurrentConfig::new(self.kind, self.embedding, self.hidden)
            .layers(self.layers)
            .bidirectional(self.bidirectional_encoder)
            .dropout(self.dropout)
            .layer_norm(self.layer_norm)
    }

    /// The decoder's recurrent configuration.
    fn decoder(&self) -> RecurrentConfig {
        self.encoder().bidirectional(false)
    }
}

/// What the encoder hands the decoder.
struct Encoded<'t, E: Element> {
    /// The attention memory (with attention only).
    memory: Option<Memory<'t, E>>,
    /// The decoder's initial state `[L, B, H]`.
    state: State<'t, E>,
}

/// An encoder-decoder: `encoder.embedding`, `encoder.rnn.*`, `bridge.h.{k}` / `bridge.c.{k}`
/// (bidirectional encoder), `decoder.embedding`, `decoder.rnn.*`, `decoder.attention` /
/// `decoder.combine` (attention) and `decoder.head`.
#[derive(Clone, Debug)]
pub struct Seq2Seq {
    config: Seq2SeqConfig,
    src_embedding: Embedding,
    encoder: RecurrentLayer,
    bridge_h: Vec<Linear>,
    bridge_c: Vec<Linear>,
    tgt_embedding: Embedding,
    decoder: RecurrentLayer,
    attention: Option<Attention>,
    head: Linear,
}

impl Seq2Seq {
    /// Registers every parameter under `path`; checks the configuration.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        config: Seq2SeqConfig,
        rng: &mut Rng,
    ) -> Result<Self> {
        let c = &config;
        require(
            c.src_vocab > 0 && c.tgt_vocab > 0 && c.embedding > 0,
            "seq2seq",
            || {
                format!(
                    "src_vocab {}, tgt_vocab {} and embedding {} must be positive",
                    c.src_vocab, c.tgt_vocab, c.embedding
                )
            },
        )?;
        let (enc, h, layers) = (c.encoder(), c.hidden, c.layers);
        enc.validate()?;
        let encoder_size = enc.output_size();
        require(
            c.attention != Some(AttentionScore::Dot) || encoder_size == h,
            "seq2seq",
            || {
                format!(
                    "dot attention needs the encoder output size ({encoder_size}) to equal the \
                     hidden size ({h}); use general attention with a bidirectional encoder"
                )
            },
        )?;
        let mut encoder_path = path.path("encoder");
        let src_embedding = Embedding::new(
            &mut encoder_path.path("embedding"),
            c.src_vocab,
            c.embedding,
            rng,
        );
        let encoder = RecurrentLayer::new(&mut encoder_path.path("rnn"), enc, rng)?;
        let mut bridge = |what: &str, yes: bool| -> Vec<Linear> {
            let n = if yes && c.bidirectional_encoder {
                layers
            } else {
                0
            };
            (0..n)
                .map(|k| {
                    Linear::new(
                        &mut path.path(format!("bridge.{what}.{k}")),
                        2 * h,
                        h,
                        true,
                        rng,
                    )
                })
                .collect()
        };
        let bridge_h = bridge("h", true);
        let bridge_c = bridge("c", c.kind == RecurrentKind::Lstm);
        let mut decoder_path = path.path("decoder");
        let tgt_embedding = Embedding::new(
            &mut decoder_path.path("embedding"),
            c.tgt_vocab,
            c.embedding,
            rng,
        );
        let decoder = RecurrentLayer::new(&mut decoder_path.path("rnn"), c.decoder(), rng)?;
        let attention = c
            .attention
            .map(|score| Attention::new(&mut decoder_path, score, encoder_size, h, rng));
        let head = Linear::new(&mut decoder_path.path("head"), h, c.tgt_vocab, true, rng);
        Ok(Seq2Seq {
            config,
            src_embedding,
            encoder,
            bridge_h,
            bridge_c,
            tgt_embedding,
            decoder,
            attention,
            head,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Seq2SeqConfig {
        &self.config
    }

    /// Logits `[B, T, tgt_vocab]` for source ids `[B, S]` (row-major, padded after each of the
    /// `B = src_lengths.len()` true lengths) and teacher input `tgt_in` `[B, T]` (BOS, y₁, …).
    ///
    /// In training, at each step after the first the decoder is fed the teacher token with
    /// probability `teacher_forcing` (one draw from the context's generator per step for the whole
    /// batch), otherwise its own argmax of the previous step, and dropout runs. In evaluation the
    /// decoder is always fed the teacher tokens (the ratio is ignored) and there is no dropout. Fed
    /// only teacher tokens, the decoder runs as one sequence call.
    pub fn forward<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        src: &[usize],
        src_lengths: &[usize],
        tgt_in: &[usize],
        teacher_forcing: f64,
    ) -> Var<'t, E> {
        assert!(
            (0.0..=1.0).contains(&teacher_forcing),
            "seq2seq: teacher forcing ratio {teacher_forcing} outside [0, 1]"
        );
        let b = src_lengths.len();
        let t = steps("target", tgt_in, b);
        let encoded = self.encode(cx, src, src_lengths);
        let memory = encoded.memory.as_ref();
        if teacher_forcing >= 1.0 || !cx.is_training() {
            return self.decode(cx, memory, tgt_in, [b, t], encoded.state).0;
        }
        let column = |step: usize| (0..b).map(|i| tgt_in[i * t + step]).collect::<Vec<_>>();
        let (mut state, mut tokens, mut logits) = (encoded.state, column(0), Vec::new());
        for step in 0..t {
            if step > 0 {
                let teacher = teacher_forcing > 0.0 && cx.bernoulli(teacher_forcing);
                tokens = if teacher {
                    column(step)
                } else {
                    row_argmax(&logits.last().map(Var::value).expect("a previous step"))
                };
            }
            let (l, next) = self.decode(cx, memory, &tokens, [b, 1], state);
            logits.push(l);
            state = next;
        }
        Var::concat(&logits, 1)
    }

    /// Greedy decoding of every source row (run without gradients): starting from `bos`, feed back
    /// the argmax until `eos` or `max_len` tokens. Each result excludes BOS and EOS.
    pub fn greedy<E: Element>(
        &self,
        store: &ParamStore<E>,
        src: &[usize],
        src_lengths: &[usize],
        bos: usize,
        eos: usize,
        max_len: usize,
    ) -> Vec<Vec<usize>> {
        let b = src_lengths.len();
        let (memory, mut state) = self.encode_values(store, src, src_lengths);
        let mut tokens = vec![bos; b];
        let mut out = vec![Vec::new(); b];
        let mut done = vec![false; b];
        for _ in 0..max_len {
            let (logits, next) = self.step(store, memory.as_ref(), &tokens, &state, false);
            state = next;
            tokens = row_argmax(&logits);
            for ((row, done), &token) in out.iter_mut().zip(&mut done).zip(&tokens) {
                if token == eos {
                    *done = true;
                } else if !*done {
                    row.push(token);
                }
            }
            if done.iter().all(|&d| d) {
                break;
            }
        }
        out
    }

    /// Beam-search decoding of every source row (run without gradients), keeping `beam`
    /// hypotheses ranked by the sum of their tokens' log-probabilities; the result is the finished
    /// hypothesis with the best length-normalized score (mean log-probability per token, EOS
    /// counted). Each result excludes BOS and EOS. `beam = 1` is greedy decoding.
    #[allow(clippy::too_many_arguments)]
    pub fn beam_search<E: Element>(
        &self,
        store: &ParamStore<E>,
        src: &[usize],
        src_lengths: &[usize],
        bos: usize,
        eos: usize,
        beam: usize,
        max_len: usize,
    ) -> Vec<Vec<usize>> {
        assert!(beam >= 1, "beam_search: the beam width must be at least 1");
        let s = steps("source", src, src_lengths.len());
        src.chunks(s)
            .zip(src_lengths)
            .map(|(row, &len)| {
                let (memory, state) = self.encode_values(store, row, &[len]);
                beam::search(beam, max_len, bos, eos, state, |tokens, state| {
                    // Every live hypothesis reads the one source row.
                    let memory = memory.as_ref().map(|m| m.select(&vec![0; tokens.len()]));
                    self.step(store, memory.as_ref(), tokens, state, true)
                })
            })
            .collect()
    }

    /// Encodes `src` `[B, S]` on a tape of its own (without gradients): the attention memory and
    /// the decoder's initial state as values, for [`Seq2Seq::step`].
    fn encode_values<E: Element>(
        &self,
        store: &ParamStore<E>,
        src: &[usize],
        lengths: &[usize],
    ) -> (Option<MemoryValues<E>>, StateValues<E>) {
        let tape = Tape::new();
        let _no_grad = tape.no_grad();
        let encoded = self.encode(&Ctx::eval(&tape, store), src, lengths);
        (encoded.memory.map(|m| m.values()), encoded.state.values())
    }

    /// One decoding step of `tokens` (one per row) from `state` on a tape of its own (without
    /// gradients), so decoding holds one step in memory at a time: logits `[B, 1, V]` (their log
    /// softmax with `log_probs`) and the next state.
    fn step<E: Element>(
        &self,
        store: &ParamStore<E>,
        memory: Option<&MemoryValues<E>>,
        tokens: &[usize],
        state: &StateValues<E>,
        log_probs: bool,
    ) -> (Tensor<E>, StateValues<E>) {
        let tape = Tape::new();
        let _no_grad = tape.no_grad();
        let cx = Ctx::eval(&tape, store);
        let memory = memory.map(|m| m.on(&tape));
        let shape = [tokens.len(), 1];
        let (logits, next) = self.decode(&cx, memory.as_ref(), tokens, shape, state.on(&tape));
        let logits = if log_probs {
            logits.log_softmax(2)
        } else {
            logits
        };
        (logits.value(), next.values())
    }

    /// Runs the encoder over `src` `[B, S]` and prepares the decoder's start.
    fn encode<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        src: &[usize],
        lengths: &[usize],
    ) -> Encoded<'t, E> {
        let b = lengths.len();
        let s = steps("source", src, b);
        let x = self.embed(cx, &self.src_embedding, src, [b, s]);
        let input = RecurrentInput {
            lengths: Some(lengths),
            ..Default::default()
        };
        let out = self.encoder.forward(cx, x, input);
        let state = State {
            h: self.bridge(cx, &self.bridge_h, out.h_n),
            c: out.c_n.map(|c| self.bridge(cx, &self.bridge_c, c)),
        };
        let memory = self
            .attention
            .as_ref()
            .map(|a| a.memory(cx, out.output, lengths));
        Encoded { memory, state }
    }

    /// Maps an encoder state `[D·L, B, H]` to the decoder's `[L, B, H]`: unchanged with one
    /// direction, `tanh(bridge_k [forward; reverse])` per layer with two.
    fn bridge<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        bridge: &[Linear],
        state: Var<'t, E>,
    ) -> Var<'t, E> {
        if bridge.is_empty() {
            return state;
        }
        let (l, b, h) = (bridge.len(), state.dim(1), state.dim(2));
        let both = state
            .reshape(&[l, 2, b, h])
            .transpose(1, 2)
            .reshape(&[l, b, 2 * h]);
        let layers: Vec<_> = bridge
            .iter()
            .enumerate()
            .map(|(k, linear)| {
                let x = both.narrow(0, k, 1).reshape(&[b, 2 * h]);
                linear.forward(cx, x).tanh()
            })
            .collect();
        Var::stack(&layers, 0)
    }

    /// Runs the decoder over `tokens` `[B, T]` from `state`: logits `[B, T, tgt_vocab]` and the
    /// state after the last step.
    fn decode<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        memory: Option<&Memory<'t, E>>,
        tokens: &[usize],
        shape: [usize; 2],
        state: State<'t, E>,
    ) -> (Var<'t, E>, State<'t, E>) {
        let x = self.embed(cx, &self.tgt_embedding, tokens, shape);
        let input = RecurrentInput {
            h0: Some(state.h),
            c0: state.c,
            lengths: None,
        };
        let out = self.decoder.forward(cx, x, input);
        let features = match (&self.attention, memory) {
            (Some(attention), Some(memory)) => attention.attend(cx, memory, out.output),
            _ => out.output,
        };
        let next = State {
            h: out.h_n,
            c: out.c_n,
        };
        (self.head.forward(cx, features), next)
    }

    /// Embeds `ids` `[B, T]`, with dropout in training.
    fn embed<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        embedding: &Embedding,
        ids: &[usize],
        shape: [usize; 2],
    ) -> Var<'t, E> {
        cx.dropout(embedding.forward(cx, ids, &shape), self.config.dropout)
    }
}

/// The steps per row of `ids` laid out as `[batch, steps]`; panics if they do not divide evenly.
fn steps(what: &str, ids: &[usize], batch: usize) -> usize {
    assert!(
        batch > 0 && !ids.is_empty() && ids.len().is_multiple_of(batch),
        "seq2seq: {} {what} ids for a batch of {batch}",
        ids.len()
    );
    ids.len() / batch
}

/// The argmax of every row of logits `[B, 1, V]`.
fn row_argmax<E: Element>(logits: &Tensor<E>) -> Vec<usize> {
    let v = logits.dim(logits.rank() - 1);
    logits.data().chunks(v).map(argmax).collect()
}
