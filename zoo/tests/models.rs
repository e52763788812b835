//! Models: gradients (gradcheck in f64), shapes, parameter names, padding invariance, decoding and
//! configuration errors. The learning tests are in `models_learning.rs`.

use autograd::{
    gradcheck, gradcheck_params, Error, GradcheckOptions, ParamStore, Rng, Tape, Tensor, Var,
};
use zoo::models::{AttentionScore, StateValues};
use zoo::{
    ContextConfig, ContextMode, Ctx, Embedding, LanguageModel, LanguageModelConfig, Linear,
    LmInput, RecurrentConfig, RecurrentKind, Sampling, Seq2Seq, Seq2SeqConfig, SequenceInput,
    SequenceModel, SequenceModelConfig, State, WindowMlp, WindowMlpConfig,
};

const KINDS: [RecurrentKind; 3] = [RecurrentKind::Rnn, RecurrentKind::Lstm, RecurrentKind::Gru];

fn uniform(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = Rng::new(seed);
    Tensor::from_fn(shape, |_| rng.uniform_in(-1.0, 1.0))
}

/// `sum(v ⊙ r)` for a fixed random `r`: a scalar that depends on every element of `v`.
fn probe<'t>(tape: &'t Tape<f64>, v: Var<'t, f64>, seed: u64) -> Var<'t, f64> {
    (v * tape.constant(uniform(&v.shape(), seed))).sum()
}

/// Builds a model into a fresh f64 store.
fn build<M>(new: impl FnOnce(&mut ParamStore<f64>, &mut Rng) -> M) -> (M, ParamStore<f64>) {
    let mut store = ParamStore::new();
    let model = new(&mut store, &mut Rng::new(5));
    (model, store)
}

/// Checks the gradient of `loss` with respect to every parameter element against central
/// differences, with PyTorch's gradcheck tolerances.
fn check_param_grads(
    what: &str,
    store: &mut ParamStore<f64>,
    loss: impl for<'t> Fn(&'t Tape<f64>, &ParamStore<f64>) -> Var<'t, f64>,
) {
    if let Err(e) = gradcheck_params(store, loss, &GradcheckOptions::default()) {
        panic!("{what}: {e}");
    }
}

/// Checks the gradient with respect to `inputs` with `autograd::gradcheck`.
fn check_input_grads(
    what: &str,
    inputs: &[Tensor<f64>],
    f: impl for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
) {
    if let Err(e) = gradcheck(f, inputs, &GradcheckOptions::default()) {
        panic!("{what}: {e}");
    }
}

fn names(store: &ParamStore<f64>) -> Vec<String> {
    store.names().map(str::to_string).collect()
}

#[test]
fn embedding_looks_up_rows_and_sends_gradients_back() {
    let (embedding, store) = build(|s, rng| Embedding::new(&mut s.path("embedding"), 5, 3, rng));
    let tape = Tape::new();
    let y = embedding.forward(&Ctx::eval(&tape, &store), &[4, 0, 4, 1, 2, 3], &[2, 3]);
    assert_eq!(y.shape(), [2, 3, 3]);
    let w = store.value(store.id("embedding.weight").expect("named weight"));
    assert_eq!(
        y.value().narrow(0, 0, 1).narrow(1, 0, 1).reshape(&[3]),
        w.narrow(0, 4, 1).reshape(&[3])
    );
    let grads = (y * 2.0).sum().backward();
    let g = grads
        .param(store.id("embedding.weight").unwrap())
        .expect("gradient");
    // Row 4 was picked twice, row 0 once.
    assert_eq!(g.narrow(0, 4, 1).to_f64_vec(), vec![4.0; 3]);
    assert_eq!(g.narrow(0, 0, 1).to_f64_vec(), vec![2.0; 3]);
}

#[test]
#[should_panic(expected = "id 7 out of range for 5 embeddings")]
fn embedding_rejects_out_of_range_ids() {
    let (embedding, store) = build(|s, rng| Embedding::new(&mut s.root(), 5, 3, rng));
    let tape = Tape::new();
    embedding.forward(&Ctx::eval(&tape, &store), &[1, 7], &[2]);
}

fn regressor(kind: RecurrentKind, bi: bool, per_step: bool) -> (SequenceModel, ParamStore<f64>) {
    let rnn = RecurrentConfig::new(kind, 2, 2).layers(2).bidirectional(bi);
    let config = SequenceModelConfig {
        rnn,
        vocab: None,
        outputs: 2,
        per_step,
    };
    build(|s, rng| SequenceModel::new(&mut s.root(), config, rng).expect("valid"))
}

/// Runs a model without a vocabulary over steps `x` in evaluation.
fn steps<'t>(
    model: &SequenceModel,
    tape: &'t Tape<f64>,
    store: &ParamStore<f64>,
    x: Var<'t, f64>,
    lengths: Option<&[usize]>,
) -> Var<'t, f64> {
    let cx = Ctx::eval(tape, store);
    model.forward(&cx, SequenceInput::Steps(x), lengths)
}

#[test]
fn regressor_gradients_match_finite_differences() {
    let lengths = [3, 1, 2];
    for kind in KINDS {
        for (bi, per_step) in [(true, false), (false, true), (true, true)] {
            let what = format!("regressor {kind:?} bi={bi} per_step={per_step}");
            let (model, mut store) = regressor(kind, bi, per_step);
            let x = uniform(&[3, 3, 2], 1);
            check_input_grads(&what, std::slice::from_ref(&x), |tape, v| {
                probe(tape, steps(&model, tape, &store, v[0], Some(&lengths)), 9)
            });
            check_param_grads(&what, &mut store, |tape, store| {
                let y = steps(
                    &model,
                    tape,
                    store,
                    tape.constant(x.clone()),
                    Some(&lengths),
                );
                probe(tape, y, 9)
            });
        }
    }
}

#[test]
fn regressor_shapes_and_names() {
    let (model, store) = regressor(RecurrentKind::Lstm, true, false);
    let tape = Tape::new();
    let x = tape.constant(uniform(&[4, 5, 2], 2));
    assert_eq!(steps(&model, &tape, &store, x, None).shape(), [4, 2]);
    let names = names(&store);
    for name in [
        "rnn.weight_ih_l0",
        "rnn.weight_hh_l1_reverse",
        "head.weight",
        "head.bias",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    // The head reads both directions of the last layer.
    assert_eq!(
        store.value(store.id("head.weight").unwrap()).shape(),
        [2, 4]
    );
    let (model, store) = regressor(RecurrentKind::Gru, true, true);
    let tape = Tape::new(); // a tape caches parameters by id: one store per tape
    let x = tape.constant(uniform(&[4, 5, 2], 2));
    assert_eq!(steps(&model, &tape, &store, x, None).shape(), [4, 5, 2]);
}

#[test]
fn a_padded_row_predicts_what_the_row_alone_predicts() {
    let lengths = [5, 2, 4];
    for kind in KINDS {
        for per_step in [false, true] {
            let (model, store) = regressor(kind, true, per_step);
            let x = uniform(&[3, 5, 2], 3);
            let tape = Tape::new();
            let batch = steps(
                &model,
                &tape,
                &store,
                tape.constant(x.clone()),
                Some(&lengths),
            );
            let batch = batch.value();
            for (row, &len) in lengths.iter().enumerate() {
                let alone_x = tape.constant(x.narrow(0, row, 1).narrow(1, 0, len));
                let alone = steps(&model, &tape, &store, alone_x, None).value();
                let mine = batch.narrow(0, row, 1);
                let mine = if per_step {
                    mine.narrow(1, 0, len)
                } else {
                    mine
                };
                assert!(
                    mine.max_abs_diff(&alone) < 1e-12,
                    "{kind:?} per_step={per_step} row {row}"
                );
            }
        }
    }
}

fn classifier(kind: RecurrentKind, vocab: Option<usize>, per_step: bool) -> SequenceModelConfig {
    SequenceModelConfig {
        rnn: RecurrentConfig::new(kind, 2, 2).bidirectional(true),
        vocab,
        outputs: 3,
        per_step,
    }
}

#[test]
fn classifier_gradients_match_finite_differences() {
    let ids = [1, 3, 2, 0, 4, 0];
    let lengths = [3, 2];
    for kind in KINDS {
        for per_step in [false, true] {
            let what = format!("classifier {kind:?} per_step={per_step}");
            let config = classifier(kind, Some(5), per_step);
            let (model, mut store) =
                build(|s, rng| SequenceModel::new(&mut s.root(), config, rng).unwrap());
            check_param_grads(&what, &mut store, |tape, store| {
                let input = SequenceInput::Tokens {
                    ids: &ids,
                    batch: 2,
                    steps: 3,
                };
                let cx = Ctx::eval(tape, store);
                probe(tape, model.forward(&cx, input, Some(&lengths)), 4)
            });
        }
        let config = classifier(kind, None, false);
        let (model, store) =
            build(|s, rng| SequenceModel::new(&mut s.root(), config, rng).unwrap());
        check_input_grads(
            &format!("classifier {kind:?} steps"),
            &[uniform(&[2, 3, 2], 8)],
            |t, v| {
                let logits = steps(&model, t, &store, v[0], Some(&lengths));
                logits.cross_entropy(&[2, 0])
            },
        );
    }
}

#[test]
fn classifier_shapes_and_padding_invariance() {
    let config = classifier(RecurrentKind::Gru, Some(6), true);
    let (model, store) = build(|s, rng| SequenceModel::new(&mut s.root(), config, rng).unwrap());
    assert!(store.id("embedding.weight").is_some());
    let tape = Tape::new();
    let ids = [1, 2, 3, 4, 5, 2, 0, 0];
    let tokens = |ids, batch, steps| SequenceInput::Tokens { ids, batch, steps };
    let cx = Ctx::eval(&tape, &store);
    let batch = model.forward(&cx, tokens(&ids, 2, 4), Some(&[4, 2]));
    assert_eq!(batch.shape(), [2, 4, 3]);
    let alone = model.forward(&cx, tokens(&ids[4..6], 1, 2), None);
    let mine = batch.value().narrow(0, 1, 1).narrow(1, 0, 2);
    assert!(mine.max_abs_diff(&alone.value()) < 1e-12);
}

fn language_model(
    kind: RecurrentKind,
    mode: Option<ContextMode>,
) -> (LanguageModel, ParamStore<f64>) {
    let extra = if mode == Some(ContextMode::EveryStep) {
        2
    } else {
        0
    };
    let config = LanguageModelConfig {
        vocab: 4,
        embedding: 2,
        rnn: RecurrentConfig::new(kind, 2 + extra, 2).layers(2),
        context: mode.map(|mode| ContextConfig { size: 2, mode }),
    };
    build(|s, rng| LanguageModel::new(&mut s.root(), config, rng).expect("valid"))
}

/// A scalar touching the logits and the final state of a language model over a fixed batch.
fn lm_scalar<'t>(
    model: &LanguageModel,
    tape: &'t Tape<f64>,
    store: &ParamStore<f64>,
    context: Option<Var<'t, f64>>,
) -> Var<'t, f64> {
    let input = LmInput {
        context,
        lengths: Some(&[3, 2]),
        ..Default::default()
    };
    let cx = Ctx::eval(tape, store);
    let (logits, state) = model.forward(&cx, &[0, 2, 3, 0, 1, 1], [2, 3], input);
    let mut total = probe(tape, logits, 1) + probe(tape, state.h, 2);
    if let Some(c) = state.c {
        total = total + probe(tape, c, 3);
    }
    total
}

#[test]
fn language_model_gradients_match_finite_differences() {
    let ids = [0, 2, 3, 0, 1, 1];
    for kind in KINDS {
        for mode in [
            None,
            Some(ContextMode::InitialState),
            Some(ContextMode::EveryStep),
        ] {
            let what = format!("language model {kind:?} {mode:?}");
            let (model, mut store) = language_model(kind, mode);
            let context = uniform(&[2, 2], 6);
            check_param_grads(&what, &mut store, |tape, store| {
                lm_scalar(
                    &model,
                    tape,
                    store,
                    mode.map(|_| tape.constant(context.clone())),
                )
            });
            if mode.is_some() {
                check_input_grads(&what, std::slice::from_ref(&context), |tape, v| {
                    lm_scalar(&model, tape, &store, Some(v[0]))
                });
            }
        }
        // Gradients reach a state carried in from a previous chunk (truncated BPTT).
        let (model, store) = language_model(kind, None);
        let lstm = kind == RecurrentKind::Lstm;
        let mut inputs = vec![uniform(&[2, 2, 2], 4)];
        if lstm {
            inputs.push(uniform(&[2, 2, 2], 5));
        }
        check_input_grads(
            &format!("language model {kind:?} state"),
            &inputs,
            |tape, v| {
                let state = State {
                    h: v[0],
                    c: v.get(1).copied(),
                };
                let input = LmInput {
                    state: Some(state),
                    ..Default::default()
                };
                let cx = Ctx::eval(tape, &store);
                probe(tape, model.forward(&cx, &ids, [2, 3], input).0, 7)
            },
        );
    }
}

#[test]
fn a_window_from_a_carried_detached_state_has_the_truncated_gradients() {
    // Stateful training: the next window starts from the last one's final state as values
    // (detached), so its parameter gradients are those of a fixed initial state.
    for kind in KINDS {
        let (model, mut store) = language_model(kind, None);
        let carried: StateValues<f64> = {
            let tape = Tape::new();
            let cx = Ctx::eval(&tape, &store);
            let (_, last) = model.forward(&cx, &[1, 3, 2, 2], [2, 2], LmInput::default());
            last.values()
        };
        assert_eq!(carried.h.shape(), [2, 2, 2]);
        assert_eq!(carried.c.is_some(), kind == RecurrentKind::Lstm);
        let what = format!("language model {kind:?} from a carried state");
        check_param_grads(&what, &mut store, |tape, store| {
            let input = LmInput {
                state: Some(carried.on(tape)),
                ..Default::default()
            };
            let cx = Ctx::eval(tape, store);
            let (logits, state) = model.forward(&cx, &[0, 2, 3, 0, 1, 1], [2, 3], input);
            probe(tape, logits, 8) + probe(tape, state.h, 9)
        });
    }
}

#[test]
fn language_model_state_continues_a_sequence_exactly() {
    for kind in KINDS {
        let (model, store) = language_model(kind, Some(ContextMode::InitialState));
        let tape = Tape::new();
        let context = tape.constant(uniform(&[1, 2], 3));
        let with = |state| LmInput {
            state,
            context: Some(context),
            ..Default::default()
        };
        let ids = [0, 3, 2, 1, 2];
        let cx = Ctx::eval(&tape, &store);
        let (whole, _) = model.forward(&cx, &ids, [1, 5], with(None));
        assert_eq!(whole.shape(), [1, 5, 4]);
        let (first, state) = model.forward(&cx, &ids[..2], [1, 2], with(None));
        let (rest, _) = model.forward(&cx, &ids[2..], [1, 3], with(Some(state)));
        let split = Var::concat(&[first, rest], 1).value();
        assert!(split.max_abs_diff(&whole.value()) < 1e-12, "{kind:?}");
    }
}

#[test]
fn generation_is_deterministic_stops_at_eos_and_top1_is_greedy() {
    for kind in KINDS {
        for mode in [
            None,
            Some(ContextMode::InitialState),
            Some(ContextMode::EveryStep),
        ] {
            let (model, store) = language_model(kind, mode);
            let context = mode.map(|_| uniform(&[2], 9));
            let generate = |sampling, eos, seed| {
                let mut rng = Rng::new(seed);
                model.generate(&store, &[0], 12, sampling, context.as_ref(), eos, &mut rng)
            };
            let hot = Sampling::Temperature(5.0);
            let a = generate(hot, None, 1);
            assert_eq!(a.len(), 12);
            assert_eq!(a, generate(hot, None, 1), "same seed, same text");
            assert_ne!(
                a,
                generate(hot, None, 2),
                "{kind:?}: another seed, another text"
            );
            let greedy = generate(Sampling::Greedy, None, 1);
            let top1 = Sampling::TopK {
                k: 1,
                temperature: 0.7,
            };
            assert_eq!(generate(top1, None, 3), greedy);
            // Stop right after the first EOS.
            let eos = greedy[2];
            let stopped = generate(Sampling::Greedy, Some(eos), 1);
            let first = greedy.iter().position(|&t| t == eos).unwrap();
            assert_eq!(stopped, greedy[..=first]);
        }
    }
}

#[test]
fn sampling_is_validated_and_top_k_stays_in_the_top_k() {
    assert!(Sampling::Temperature(0.0).validate().is_err());
    assert!(Sampling::TopK {
        k: 0,
        temperature: 1.0
    }
    .validate()
    .is_err());
    let logits = [0.0f64, 3.0, 2.9, -1.0, 2.8];
    let mut rng = Rng::new(1);
    let top2 = Sampling::TopK {
        k: 2,
        temperature: 10.0,
    };
    let draws: Vec<usize> = (0..200).map(|_| top2.sample(&logits, &mut rng)).collect();
    assert!(draws.iter().all(|&t| t == 1 || t == 2));
    assert!(draws.contains(&1) && draws.contains(&2));
    assert_eq!(Sampling::Greedy.sample(&logits, &mut rng), 1);
}

fn seq2seq_config(
    kind: RecurrentKind,
    bi: bool,
    attention: Option<AttentionScore>,
) -> Seq2SeqConfig {
    Seq2SeqConfig {
        src_vocab: 5,
        tgt_vocab: 4,
        embedding: 2,
        kind,
        hidden: 2,
        layers: 2,
        bidirectional_encoder: bi,
        attention,
        dropout: 0.0,
        layer_norm: false,
    }
}

fn seq2seq(config: Seq2SeqConfig) -> (Seq2Seq, ParamStore<f64>) {
    build(|s, rng| Seq2Seq::new(&mut s.root(), config, rng).expect("valid"))
}

const SRC: [usize; 8] = [1, 2, 3, 4, 4, 2, 0, 0];
const SRC_LENGTHS: [usize; 2] = [4, 2];
const TGT_IN: [usize; 6] = [0, 2, 3, 0, 3, 1];

#[test]
fn seq2seq_gradients_match_finite_differences() {
    for kind in KINDS {
        for (bi, attention) in [
            (true, Some(AttentionScore::General)),
            (false, Some(AttentionScore::Dot)),
            (true, None),
        ] {
            let what = format!("seq2seq {kind:?} bi={bi} {attention:?}");
            let (model, mut store) = seq2seq(seq2seq_config(kind, bi, attention));
            check_param_grads(&what, &mut store, |tape, store| {
                let cx = Ctx::eval(tape, store);
                let logits = model.forward(&cx, &SRC, &SRC_LENGTHS, &TGT_IN, 1.0);
                probe(tape, logits, 2)
            });
        }
    }
}

#[test]
fn seq2seq_names_and_shapes() {
    let config = seq2seq_config(RecurrentKind::Lstm, true, Some(AttentionScore::General));
    let (model, store) = seq2seq(config);
    let names = names(&store);
    for name in [
        "encoder.embedding.weight",
        "encoder.rnn.weight_ih_l1_reverse",
        "bridge.h.1.weight",
        "bridge.c.0.bias",
        "decoder.embedding.weight",
        "decoder.rnn.weight_hh_l1",
        "decoder.attention.weight",
        "decoder.combine.weight",
        "decoder.head.weight",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    let tape = Tape::new();
    let logits = model.forward(&Ctx::eval(&tape, &store), &SRC, &SRC_LENGTHS, &TGT_IN, 1.0);
    assert_eq!(logits.shape(), [2, 3, 4]);
}

#[test]
fn step_by_step_decoding_matches_the_sequence_call() {
    for kind in KINDS {
        let config = seq2seq_config(kind, true, Some(AttentionScore::General));
        let (model, store) = seq2seq(config);
        let tape = Tape::new();
        let whole = model.forward(&Ctx::eval(&tape, &store), &SRC, &SRC_LENGTHS, &TGT_IN, 1.0);
        // A ratio just under 1 takes the step-by-step path; with this seed every coin says teacher.
        let mut rng = Rng::new(1);
        let cx = Ctx::train(&tape, &store, &mut rng);
        let steps = model.forward(&cx, &SRC, &SRC_LENGTHS, &TGT_IN, 1.0 - 1e-9);
        assert!(
            whole.value().max_abs_diff(&steps.value()) < 1e-12,
            "{kind:?}"
        );
        // Without teacher forcing (in training: evaluation always feeds the teacher tokens) the
        // decoder feeds back its argmax: what greedy decoding does. No dropout here, no draws.
        let mut rng = Rng::new(1);
        let free = model
            .forward(
                &Ctx::train(&tape, &store, &mut rng),
                &SRC,
                &SRC_LENGTHS,
                &TGT_IN,
                0.0,
            )
            .value();
        let greedy = model.greedy(&store, &SRC, &SRC_LENGTHS, 0, usize::MAX, 3);
        for (row, tokens) in greedy.iter().enumerate() {
            let argmax: Vec<usize> = (0..3)
                .map(|t| zoo::models::argmax(free.narrow(0, row, 1).narrow(1, t, 1).data()))
                .collect();
            assert_eq!(&argmax, tokens, "{kind:?} row {row}");
        }
    }
}

#[test]
fn beam_of_one_is_greedy_and_padding_does_not_change_decoding() {
    for kind in KINDS {
        for (bi, attention) in [(true, Some(AttentionScore::General)), (false, None)] {
            let (model, store) = seq2seq(seq2seq_config(kind, bi, attention));
            for eos in [1, 3] {
                let greedy = model.greedy(&store, &SRC, &SRC_LENGTHS, 0, eos, 6);
                let beam1 = model.beam_search(&store, &SRC, &SRC_LENGTHS, 0, eos, 1, 6);
                assert_eq!(beam1, greedy, "{kind:?} bi={bi}");
                assert!(greedy
                    .iter()
                    .all(|row| row.len() <= 6 && !row.contains(&eos)));
                let beam3 = model.beam_search(&store, &SRC, &SRC_LENGTHS, 0, eos, 3, 6);
                assert!(beam3
                    .iter()
                    .all(|row| row.len() <= 6 && !row.contains(&eos)));
                // The padded second row decodes as it does alone.
                let alone = model.greedy(&store, &SRC[4..6], &[2], 0, eos, 6);
                assert_eq!(alone[0], greedy[1], "{kind:?} bi={bi}");
                let alone = model.beam_search(&store, &SRC[4..6], &[2], 0, eos, 3, 6);
                assert_eq!(alone[0], beam3[1], "{kind:?} bi={bi}");
            }
        }
    }
}

#[test]
fn window_mlp_shapes_and_gradients() {
    let config = WindowMlpConfig {
        window: 3,
        hidden: 4,
        outputs: 2,
    };
    let (model, mut store) = build(|s, rng| WindowMlp::new(&mut s.root(), config, rng).unwrap());
    let x = uniform(&[5, 3], 1);
    let tape = Tape::new();
    assert_eq!(
        model
            .forward(&Ctx::eval(&tape, &store), tape.constant(x.clone()))
            .shape(),
        [5, 2]
    );
    assert_eq!(
        names(&store),
        ["head.bias", "head.weight", "hidden.bias", "hidden.weight"]
    );
    check_input_grads("window mlp", std::slice::from_ref(&x), |tape, v| {
        probe(tape, model.forward(&Ctx::eval(tape, &store), v[0]), 3)
    });
    check_param_grads("window mlp", &mut store, |tape, store| {
        probe(
            tape,
            model.forward(&Ctx::eval(tape, store), tape.constant(x.clone())),
            3,
        )
    });
}

/// The message of a configuration error.
fn config_error<T: std::fmt::Debug>(result: autograd::Result<T>) -> String {
    match result {
        Err(e @ Error::Config(_)) => e.to_string(),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn bad_configurations_are_errors_that_say_what_is_wrong() {
    let mut store = ParamStore::<f32>::new();
    let mut rng = Rng::new(1);
    let rnn = RecurrentConfig::new(RecurrentKind::Lstm, 3, 4);
    let lm = |rnn: RecurrentConfig, context| LanguageModelConfig {
        vocab: 10,
        embedding: 3,
        rnn,
        context,
    };
    let every_step = Some(ContextConfig {
        size: 2,
        mode: ContextMode::EveryStep,
    });
    let cases = [
        (
            config_error(LanguageModel::new(
                &mut store.path("a"),
                lm(rnn.clone(), every_step),
                &mut rng,
            )),
            "rnn.input_size is 3 but the recurrent input is 5 (embedding 3 + context 2)",
        ),
        (
            config_error(LanguageModel::new(
                &mut store.path("b"),
                lm(rnn.clone().bidirectional(true), None),
                &mut rng,
            )),
            "unidirectional",
        ),
        (
            config_error(Seq2Seq::new(
                &mut store.path("c"),
                Seq2SeqConfig {
                    bidirectional_encoder: true,
                    attention: Some(AttentionScore::Dot),
                    ..seq2seq_config(RecurrentKind::Gru, true, None)
                },
                &mut rng,
            )),
            "dot attention needs the encoder output size (4) to equal the hidden size (2)",
        ),
        (
            config_error(SequenceModel::new(
                &mut store.path("d"),
                SequenceModelConfig {
                    rnn: rnn.clone(),
                    vocab: None,
                    outputs: 0,
                    per_step: false,
                },
                &mut rng,
            )),
            "sequence model: outputs must be positive",
        ),
        (
            config_error(SequenceModel::new(
                &mut store.path("e"),
                SequenceModelConfig {
                    rnn: rnn.clone().layers(0),
                    vocab: None,
                    outputs: 2,
                    per_step: false,
                },
                &mut rng,
            )),
            "num_layers 0 must be between 1 and 64",
        ),
        (
            config_error(WindowMlp::new(
                &mut store.path("f"),
                WindowMlpConfig {
                    window: 0,
                    hidden: 3,
                    outputs: 1,
                },
                &mut rng,
            )),
            "window 0",
        ),
    ];
    for (message, expected) in cases {
        assert!(
            message.contains(expected),
            "expected {expected:?} in {message:?}"
        );
    }
}

#[test]
fn configs_round_trip_through_json() {
    let config = seq2seq_config(RecurrentKind::Gru, true, Some(AttentionScore::General));
    let json = serde_json_round_trip(&config);
    assert_eq!(json, config);
    let lm = LanguageModelConfig {
        vocab: 4,
        embedding: 2,
        rnn: RecurrentConfig::new(RecurrentKind::Lstm, 2, 3),
        context: Some(ContextConfig {
            size: 2,
            mode: ContextMode::InitialState,
        }),
    };
    assert_eq!(serde_json_round_trip(&lm), lm);
}

fn serde_json_round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let text = serde_json::to_string(value).expect("serialize");
    serde_json::from_str(&text).expect("deserialize")
}

#[test]
#[should_panic(expected = "this model is conditioned and needs a context")]
fn a_conditioned_language_model_without_its_context_panics() {
    let (model, store) = language_model(RecurrentKind::Gru, Some(ContextMode::EveryStep));
    let tape = Tape::new();
    model.forward(
        &Ctx::eval(&tape, &store),
        &[0, 1],
        [1, 2],
        LmInput::default(),
    );
}

#[test]
#[should_panic(expected = "takes tokens, not steps")]
fn a_token_classifier_given_steps_panics() {
    let config = classifier(RecurrentKind::Rnn, Some(4), false);
    let (model, store) = build(|s, rng| SequenceModel::new(&mut s.root(), config, rng).unwrap());
    let tape = Tape::new();
    let x = tape.constant(uniform(&[1, 2, 2], 1));
    model.forward(&Ctx::eval(&tape, &store), SequenceInput::Steps(x), None);
}

#[test]
fn seq2seq_gradients_flow_step_by_step_with_partial_teacher_forcing() {
    for kind in KINDS {
        let (model, mut store) = seq2seq(seq2seq_config(kind, true, Some(AttentionScore::General)));
        check_param_grads(
            &format!("seq2seq {kind:?} ratio 0.5"),
            &mut store,
            |tape, store| {
                let mut rng = Rng::new(3); // the same coin flips on every evaluation
                let cx = Ctx::train(tape, store, &mut rng);
                let logits = model.forward(&cx, &SRC, &SRC_LENGTHS, &TGT_IN, 0.5);
                probe(tape, logits, 2)
            },
        );
    }
}

#[test]
fn seq2seq_dropout_is_seeded_and_only_in_training() {
    let config = Seq2SeqConfig {
        dropout: 0.3,
        layer_norm: false,
        ..seq2seq_config(RecurrentKind::Lstm, true, Some(AttentionScore::General))
    };
    let (model, store) = seq2seq(config);
    let tape = Tape::new();
    let run = |rng: Option<&mut Rng>| {
        let cx = match rng {
            Some(rng) => Ctx::train(&tape, &store, rng),
            None => Ctx::eval(&tape, &store),
        };
        model.forward(&cx, &SRC, &SRC_LENGTHS, &TGT_IN, 1.0).value()
    };
    assert_eq!(run(None), run(None));
    let (a, b) = (run(Some(&mut Rng::new(1))), run(Some(&mut Rng::new(1))));
    assert_eq!(a, b);
    assert!(a.max_abs_diff(&run(None)) > 1e-6);
}

/// A `Linear` over `[1, 2]` inputs built into a fresh store, with the store.
fn linear_on_a_fresh_store() -> (Linear, ParamStore<f64>) {
    build(|s, rng| Linear::new(&mut s.path("head"), 2, 1, true, rng))
}

#[test]
#[should_panic(expected = "belongs to another ParamStore: a model runs only against the store")]
fn a_model_runs_only_against_the_store_it_was_built_on() {
    let (linear, _) = linear_on_a_fresh_store();
    let (_, other) = linear_on_a_fresh_store(); // same names and shapes, another store
    let tape = Tape::new();
    let x = tape.constant(uniform(&[1, 2], 1));
    linear.forward(&Ctx::eval(&tape, &other), x);
}

#[test]
fn a_model_runs_against_a_clone_of_its_store() {
    let (linear, store) = linear_on_a_fresh_store();
    let copy = store.clone();
    let x = uniform(&[1, 2], 1);
    let run = |store: &ParamStore<f64>| {
        let tape = Tape::new();
        let cx = Ctx::eval(&tape, store);
        linear.forward(&cx, tape.constant(x.clone())).value()
    };
    assert_eq!(run(&copy), run(&store));
}

#[test]
fn older_regressor_and_classifier_configs_read_as_sequence_models() {
    let rnn = serde_json::to_string(&RecurrentConfig::new(RecurrentKind::Gru, 2, 3)).unwrap();
    let regressor = format!(r#"{{"rnn": {rnn}, "outputs": 2, "per_step": false}}"#);
    let classifier = format!(r#"{{"rnn": {rnn}, "classes": 4, "vocab": 7, "per_step": true}}"#);
    let regressor: SequenceModelConfig = serde_json::from_str(&regressor).expect("regressor");
    assert_eq!((regressor.vocab, regressor.outputs), (None, 2));
    let classifier: SequenceModelConfig = serde_json::from_str(&classifier).expect("classifier");
    assert_eq!((classifier.vocab, classifier.outputs), (Some(7), 4));
    assert!(classifier.per_step);
}
