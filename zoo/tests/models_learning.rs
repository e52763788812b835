//! One small learning problem per model family, each solvable in a few hundred Adam steps — and
//! each one a model with a broken gradient, state or mask would fail.

use autograd::optim::{Adam, AdamConfig, Optimizer};
use autograd::{ParamStore, Rng, Tape, Tensor, Var};
use zoo::{
    AttentionScore, ContextConfig, ContextMode, Ctx, LanguageModel, LanguageModelConfig,
    RecurrentConfig, RecurrentKind, Sampling, Seq2Seq, Seq2SeqConfig, SequenceInput, SequenceModel,
    SequenceModelConfig, WindowMlp, WindowMlpConfig,
};

/// Runs `steps` Adam steps on `loss(tape, store, step_rng)`; returns the last loss.
fn train(
    store: &mut ParamStore<f32>,
    steps: usize,
    lr: f64,
    mut loss: impl for<'t> FnMut(&'t Tape<f32>, &ParamStore<f32>, &mut Rng) -> Var<'t, f32>,
) -> f64 {
    let mut opt = Adam::new(AdamConfig::default().lr(lr)).expect("valid Adam");
    let mut rng = Rng::new(42);
    let mut last = f64::NAN;
    for _ in 0..steps {
        let tape = Tape::new();
        let l = loss(&tape, store, &mut rng);
        last = l.item();
        let grads = l.backward();
        store.zero_grad();
        store.accumulate(&grads);
        opt.step(store);
    }
    last
}

#[test]
fn regressor_learns_to_recall_the_first_value() {
    let (b, t) = (32, 6);
    let config = SequenceModelConfig {
        rnn: RecurrentConfig::new(RecurrentKind::Gru, 1, 12),
        vocab: None,
        outputs: 1,
        per_step: false,
    };
    let mut store = ParamStore::new();
    let model = SequenceModel::new(&mut store.root(), config, &mut Rng::new(1)).unwrap();
    let batch = |rng: &mut Rng| {
        let x = Tensor::<f32>::from_fn(&[b, t, 1], |_| rng.uniform_in(-1.0, 1.0) as f32);
        let y = Tensor::from_fn(&[b, 1], |i| x.data()[i * t]);
        (x, y)
    };
    train(&mut store, 300, 0.01, |tape, store, rng| {
        let (x, y) = batch(rng);
        let cx = Ctx::train(tape, store, rng);
        let pred = model.forward(&cx, SequenceInput::Steps(tape.constant(x)), None);
        pred.mse(tape.constant(y))
    });
    let tape = Tape::new();
    let (x, y) = batch(&mut Rng::new(7));
    let x = SequenceInput::Steps(tape.constant(x));
    let mse = model
        .forward(&Ctx::eval(&tape, &store), x, None)
        .mse(tape.constant(y))
        .item();
    assert!(
        mse < 0.01,
        "validation MSE {mse} (predicting 0 gives ≈ 0.33)"
    );
}

#[test]
fn classifier_learns_the_first_token_of_variable_length_sequences() {
    let (b, t, vocab) = (32, 6, 4);
    let config = SequenceModelConfig {
        rnn: RecurrentConfig::new(RecurrentKind::Lstm, 4, 12),
        vocab: Some(vocab),
        outputs: 3,
        per_step: false,
    };
    let mut store = ParamStore::new();
    let model = SequenceModel::new(&mut store.root(), config, &mut Rng::new(1)).unwrap();
    // Tokens 1..=3, padded with 0 after each true length; the class is the first token − 1.
    let batch = |rng: &mut Rng| {
        let lengths: Vec<usize> = (0..b).map(|_| 2 + rng.below(t - 1)).collect();
        let ids: Vec<usize> = (0..b * t)
            .map(|i| {
                if i % t < lengths[i / t] {
                    1 + rng.below(3)
                } else {
                    0
                }
            })
            .collect();
        let labels: Vec<i64> = (0..b).map(|r| ids[r * t] as i64 - 1).collect();
        (ids, lengths, labels)
    };
    train(&mut store, 250, 0.01, |tape, store, rng| {
        let (ids, lengths, labels) = batch(rng);
        let input = SequenceInput::Tokens {
            ids: &ids,
            batch: b,
            steps: t,
        };
        model
            .forward(&Ctx::train(tape, store, rng), input, Some(&lengths))
            .cross_entropy(&labels)
    });
    let tape = Tape::new();
    let (ids, lengths, labels) = batch(&mut Rng::new(9));
    let input = SequenceInput::Tokens {
        ids: &ids,
        batch: b,
        steps: t,
    };
    let out = model
        .forward(&Ctx::eval(&tape, &store), input, Some(&lengths))
        .value();
    let correct = out
        .data()
        .chunks(3)
        .zip(&labels)
        .filter(|(row, &label)| zoo::models::argmax(row) == label as usize)
        .count();
    assert!(correct >= 30, "{correct}/{b} correct (chance ≈ 11)");
}

#[test]
fn language_model_learns_to_say_what_its_context_asks_for() {
    // BOS = 0, EOS = 1; context [1, 0] asks for "2 3 4 5", context [0, 1] for "5 4 3 2".
    let (bos, eos) = (0, 1);
    let sentences = [[2, 3, 4, 5], [5, 4, 3, 2]];
    for mode in [ContextMode::InitialState, ContextMode::EveryStep] {
        let extra = if mode == ContextMode::EveryStep { 2 } else { 0 };
        let config = LanguageModelConfig {
            vocab: 6,
            embedding: 4,
            rnn: RecurrentConfig::new(RecurrentKind::Gru, 4 + extra, 16),
            context: Some(ContextConfig { size: 2, mode }),
        };
        let mut store = ParamStore::new();
        let model = LanguageModel::new(&mut store.root(), config, &mut Rng::new(1)).unwrap();
        let inputs: Vec<usize> = sentences
            .iter()
            .flat_map(|s| [bos, s[0], s[1], s[2], s[3]])
            .collect();
        let targets: Vec<i64> = sentences
            .iter()
            .flat_map(|s| [s[0], s[1], s[2], s[3], eos])
            .map(|x| x as i64)
            .collect();
        let context = Tensor::<f32>::from_f64(&[2, 2], &[1.0, 0.0, 0.0, 1.0]);
        train(&mut store, 150, 0.02, |tape, store, rng| {
            let input = zoo::LmInput {
                context: Some(tape.constant(context.clone())),
                ..Default::default()
            };
            let cx = Ctx::train(tape, store, rng);
            let (logits, _) = model.forward(&cx, &inputs, [2, 5], input);
            logits.cross_entropy(&targets)
        });
        for (row, sentence) in sentences.iter().enumerate() {
            let ctx = context.narrow(0, row, 1);
            let mut rng = Rng::new(3);
            let said = model.generate(
                &store,
                &[bos],
                10,
                Sampling::Greedy,
                Some(&ctx),
                Some(eos),
                &mut rng,
            );
            assert_eq!(
                said,
                [&sentence[..], &[eos]].concat(),
                "{mode:?} context {row}"
            );
        }
    }
}

#[test]
fn seq2seq_learns_to_copy_three_tokens() {
    // PAD 0, BOS 1, EOS 2, content tokens 3..=5.
    let (bos, eos, b) = (1, 2, 16);
    let config = Seq2SeqConfig {
        src_vocab: 6,
        tgt_vocab: 6,
        embedding: 8,
        kind: RecurrentKind::Gru,
        hidden: 16,
        layers: 1,
        bidirectional_encoder: true,
        attention: Some(AttentionScore::General),
        dropout: 0.0,
        layer_norm: false,
    };
    let mut store = ParamStore::new();
    let model = Seq2Seq::new(&mut store.root(), config, &mut Rng::new(1)).unwrap();
    train(&mut store, 200, 0.02, |tape, store, rng| {
        let src: Vec<usize> = (0..3 * b).map(|_| 3 + rng.below(3)).collect();
        let tgt_in: Vec<usize> = src
            .chunks(3)
            .flat_map(|s| [bos, s[0], s[1], s[2]])
            .collect();
        let tgt_out: Vec<i64> = src
            .chunks(3)
            .flat_map(|s| [s[0], s[1], s[2], eos])
            .map(|x| x as i64)
            .collect();
        let cx = Ctx::train(tape, store, rng);
        let logits = model.forward(&cx, &src, &[3; 16], &tgt_in, 1.0);
        logits.cross_entropy(&tgt_out)
    });
    // Every one of the 27 sequences, decoded greedily and with a beam.
    let all: Vec<usize> = (0..27)
        .flat_map(|i| [3 + i / 9, 3 + i / 3 % 3, 3 + i % 3])
        .collect();
    let want: Vec<Vec<usize>> = all.chunks(3).map(<[usize]>::to_vec).collect();
    assert_eq!(model.greedy(&store, &all, &[3; 27], bos, eos, 6), want);
    assert_eq!(
        model.beam_search(&store, &all, &[3; 27], bos, eos, 3, 6),
        want
    );
}

#[test]
fn window_mlp_learns_a_linear_predictor() {
    let (b, window) = (32, 4);
    let config = WindowMlpConfig {
        window,
        hidden: 16,
        outputs: 1,
    };
    let mut store = ParamStore::new();
    let model = WindowMlp::new(&mut store.root(), config, &mut Rng::new(1)).unwrap();
    // The next value of x_n = 0.5·x_{n−1} − 0.3·x_{n−3}, a noiseless autoregression.
    let batch = |rng: &mut Rng| {
        let x = Tensor::<f32>::from_fn(&[b, window], |_| rng.uniform_in(-1.0, 1.0) as f32);
        let y = Tensor::from_fn(&[b, 1], |r| {
            0.5 * x.data()[r * window + 3] - 0.3 * x.data()[r * window + 1]
        });
        (x, y)
    };
    train(&mut store, 300, 0.01, |tape, store, rng| {
        let (x, y) = batch(rng);
        model
            .forward(&Ctx::train(tape, store, rng), tape.constant(x))
            .mse(tape.constant(y))
    });
    let tape = Tape::new();
    let (x, y) = batch(&mut Rng::new(5));
    let mse = model
        .forward(&Ctx::eval(&tape, &store), tape.constant(x))
        .mse(tape.constant(y))
        .item();
    assert!(
        mse < 1e-3,
        "validation MSE {mse} (predicting 0 gives ≈ 0.11)"
    );
}
