//! Recurrent layers: gradients, packed-sequence semantics, merge modes and weight files.

mod common;

use autograd::{gradcheck, gradcheck_params, GradcheckOptions, ParamStore, Rng, Tape, Tensor, Var};
use common::{build, uniform, KINDS};
use zoo::recurrent::exchange;
use zoo::{Ctx, MergeMode, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer};

/// A layer of every kind over `i` features with `h` units, `layers` deep, both directions; and an
/// LSTM with projections to `h - 1` features (`nn.LSTM(proj_size=h - 1)`).
fn every_kind(i: usize, h: usize, layers: usize) -> Vec<RecurrentConfig> {
    let config = |kind| {
        RecurrentConfig::new(kind, i, h)
            .layers(layers)
            .bidirectional(true)
    };
    let lstmp = config(RecurrentKind::Lstm).proj_size(h - 1);
    KINDS.into_iter().map(config).chain([lstmp]).collect()
}

/// sum(output ⊙ probe) + sum(h_n ⊙ probe_h) (+ c_n): touches every output of the layer.
fn scalar_of<'t>(tape: &'t Tape<f64>, out: zoo::RecurrentOutput<'t, f64>) -> Var<'t, f64> {
    let probe = |v: Var<'t, f64>, seed| (v * tape.constant(uniform(&v.shape(), seed))).sum();
    let mut total = probe(out.output, 50) + probe(out.h_n, 51);
    if let Some(c) = out.c_n {
        total = total + probe(c, 52);
    }
    total
}

#[test]
fn gradcheck_through_stacked_bidirectional_layers_with_lengths() {
    let (b, t, i, h) = (3, 3, 2, 3);
    for config in every_kind(i, h, 2) {
        let (kind, p) = (config.kind, config.real_hidden_size());
        let (layer, store) = build(config);
        let lstm = kind == RecurrentKind::Lstm;
        let mut inputs = vec![uniform(&[b, t, i], 1), uniform(&[4, b, p], 2)];
        if lstm {
            inputs.push(uniform(&[4, b, h], 3));
        }
        let lengths = [3, 1, 2];
        let result = gradcheck(
            |tape, v| {
                let input = RecurrentInput {
                    h0: Some(v[1]),
                    c0: v.get(2).copied(),
                    lengths: Some(&lengths),
                };
                let cx = Ctx::eval(tape, &store);
                scalar_of(tape, layer.forward(&cx, v[0], input))
            },
            &inputs,
            &GradcheckOptions::default(),
        );
        if let Err(e) = result {
            panic!("{kind:?} (P = {p}): {e}");
        }
    }
}

/// Checks every parameter gradient of `layer` (over inputs `[2, 3, I]` with lengths) against
/// central differences.
fn assert_param_grads_match(layer: &RecurrentLayer, mut store: ParamStore<f64>, what: &str) {
    let x = uniform(&[2, 3, layer.config().input_size], 7);
    let lengths = [3, 2];
    if let Err(e) = gradcheck_params(
        &mut store,
        |tape: &Tape<f64>, store: &ParamStore<f64>| {
            let input = RecurrentInput {
                lengths: Some(&lengths),
                ..Default::default()
            };
            let out = layer.forward(&Ctx::eval(tape, store), tape.constant(x.clone()), input);
            scalar_of(tape, out)
        },
        &GradcheckOptions::default(),
    ) {
        panic!("{what}: {e}");
    }
}

#[test]
fn parameter_gradients_match_finite_differences() {
    for config in every_kind(2, 2, 2) {
        let (kind, proj) = (config.kind, config.proj_size);
        let (layer, store) = build(config);
        assert_param_grads_match(&layer, store, &format!("{kind:?} proj_size {proj}"));
    }
}

#[test]
fn padded_rows_equal_each_sequence_run_alone() {
    // Packed-sequence semantics: a row of a padded batch gives exactly what the sequence gives
    // alone, padded steps are zero in `output`, and the reverse direction starts at each true end.
    let (t, i, h) = (5, 3, 4);
    let lengths = [5, 2, 4];
    for kind in KINDS {
        let config = RecurrentConfig::new(kind, i, h)
            .layers(2)
            .bidirectional(true);
        let (layer, store) = build(config);
        let x = uniform(&[3, t, i], 11);
        let tape = Tape::new();
        let input = RecurrentInput {
            lengths: Some(&lengths),
            ..Default::default()
        };
        let cx = Ctx::eval(&tape, &store);
        let batch = layer.forward(&cx, tape.constant(x.clone()), input);
        for (row, &len) in lengths.iter().enumerate() {
            let alone_x = x.narrow(0, row, 1).narrow(1, 0, len);
            let alone = layer.forward(&cx, tape.constant(alone_x), RecurrentInput::default());
            let got = batch.output.value().narrow(0, row, 1);
            assert!(
                got.narrow(1, 0, len).max_abs_diff(&alone.output.value()) < 1e-12,
                "{kind:?} row {row}: output differs from the sequence alone"
            );
            if len < t {
                assert!(
                    got.narrow(1, len, t - len).data().iter().all(|&v| v == 0.0),
                    "{kind:?}: padding not zero"
                );
            }
            let hn = batch.h_n.value().narrow(1, row, 1);
            assert!(
                hn.max_abs_diff(&alone.h_n.value()) < 1e-12,
                "{kind:?} row {row}: h_n differs"
            );
            if let (Some(c), Some(ca)) = (batch.c_n, alone.c_n) {
                assert!(c.value().narrow(1, row, 1).max_abs_diff(&ca.value()) < 1e-12);
            }
        }
    }
}

#[test]
fn merge_modes_combine_the_two_directions() {
    let config = RecurrentConfig::new(RecurrentKind::Gru, 3, 4).bidirectional(true);
    let x = uniform(&[2, 5, 3], 13);
    let run = |merge| {
        let (layer, store) = build(config.clone().merge(merge));
        let tape = Tape::new();
        layer
            .forward(
                &Ctx::eval(&tape, &store),
                tape.constant(x.clone()),
                RecurrentInput::default(),
            )
            .output
            .value()
    };
    let concat = run(MergeMode::Concat);
    assert_eq!(concat.shape(), &[2, 5, 8]);
    let (fwd, rev) = (concat.narrow(2, 0, 4), concat.narrow(2, 4, 4));
    let want = |f: fn(f64, f64) -> f64| fwd.zip_same(&rev, f);
    assert!(run(MergeMode::Sum).max_abs_diff(&want(|a, b| a + b)) < 1e-12);
    assert!(run(MergeMode::Mean).max_abs_diff(&want(|a, b| (a + b) / 2.0)) < 1e-12);
    assert!(run(MergeMode::Mul).max_abs_diff(&want(|a, b| a * b)) < 1e-12);
}

#[test]
fn dropout_between_layers_only_when_training() {
    let config = RecurrentConfig::new(RecurrentKind::Lstm, 3, 8)
        .layers(2)
        .dropout(0.5);
    let (layer, store) = build(config);
    let x = uniform(&[2, 4, 3], 17);
    let tape = Tape::new();
    let run = |cx: Ctx<'_, '_, f64>| {
        layer
            .forward(&cx, tape.constant(x.clone()), RecurrentInput::default())
            .output
            .value()
    };
    let eval = |rng: Option<&mut Rng>| match rng {
        Some(rng) => run(Ctx::train(&tape, &store, rng)),
        None => run(Ctx::eval(&tape, &store)),
    };
    let (a, b) = (eval(None), eval(None));
    assert_eq!(a, b, "no dropout at evaluation");
    let (c, d) = (eval(Some(&mut Rng::new(1))), eval(Some(&mut Rng::new(1))));
    assert_eq!(c, d, "seeded dropout is deterministic");
    assert!(
        a.max_abs_diff(&c) > 1e-6,
        "dropout changes the output in training"
    );
}

#[test]
fn files_round_trip_and_the_architecture_is_detected() {
    let dir = tempfile::tempdir().expect("tempdir");
    for base in every_kind(3, 5, 1) {
        for (layers, bi) in [(1, false), (2, true)] {
            let config = base.clone().layers(layers).bidirectional(bi);
            let (kind, proj) = (config.kind, config.proj_size);
            let (layer, store) = build(config.clone());
            let path = dir
                .path()
                .join(format!("{kind:?}{proj}{layers}{bi}.safetensors"));
            exchange::save(&layer, &store, &path).expect("save");
            let (loaded, loaded_store) = exchange::load::<f64>(&path).expect("load");
            assert_eq!(loaded.config(), &config);
            // The architecture from the tensors alone, as in a file PyTorch saved.
            let tensors = autograd::params::read_tensors(&path).expect("read");
            let bare = dir.path().join("bare.safetensors");
            let values: Vec<(String, Tensor<f64>)> = tensors
                .names()
                .map(|n| (n.to_string(), tensors.tensor(n).expect("tensor")))
                .collect();
            let refs: Vec<(&str, &Tensor<f64>)> =
                values.iter().map(|(n, t)| (n.as_str(), t)).collect();
            // Without the config seqzoo writes (the relu RNN's nonlinearity stays).
            let mut metadata = tensors.metadata().clone();
            metadata.remove(autograd::params::CONFIG_KEY);
            autograd::params::write_tensors(&bare, &refs, &metadata).expect("write");
            let detected = exchange::detect(&autograd::params::read_tensors(&bare).expect("read"));
            assert_eq!(detected.expect("detect"), config);
            for (_, p) in store.iter() {
                let id = loaded_store.id(&p.name).expect("same names");
                assert_eq!(loaded_store.value(id), &p.value, "{}", p.name);
            }
        }
    }
}

#[test]
fn broken_files_give_clear_errors() {
    use autograd::params::write_tensors;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.safetensors");
    let none = Default::default();
    let z = |shape: &[usize]| Tensor::<f32>::zeros(shape);
    type Tensors = Vec<(&'static str, Tensor<f32>)>;
    let cases: Vec<(Tensors, &str)> = vec![
        (
            vec![("encoder.weight", z(&[2, 2]))],
            "`encoder.weight` is not a parameter of nn.RNN",
        ),
        (
            vec![("weight_ih_l0", z(&[10, 3])), ("weight_hh_l0", z(&[10, 5]))],
            "rows must be 1, 3 or 4 times",
        ),
        (
            vec![("weight_ih_l0", z(&[20, 3]))],
            "no tensor `weight_hh_l0`",
        ),
        (
            vec![
                ("weight_ih_l0", z(&[20, 3])),
                ("weight_hh_l0", z(&[20, 5])),
                ("bias_ih_l0", z(&[20])),
                ("bias_hh_l0", z(&[19])),
            ],
            "bias_hh_l0",
        ),
    ];
    for (tensors, expected) in cases {
        let refs: Vec<(&str, &Tensor<f32>)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
        write_tensors(&path, &refs, &none).expect("write");
        let err = exchange::load::<f32>(&path)
            .expect_err("must fail")
            .to_string();
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
        assert!(
            err.contains("w.safetensors"),
            "the error names the file: {err}"
        );
    }
}

/// The error of detecting the architecture of a file holding `tensors` (zeros of these shapes)
/// with `metadata`.
fn detect_error(tensors: &[(&str, &[usize])], metadata: &[(&str, &str)]) -> String {
    use autograd::params::{read_tensors, write_tensors};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.safetensors");
    let values: Vec<Tensor<f32>> = tensors.iter().map(|(_, s)| Tensor::zeros(s)).collect();
    let refs: Vec<(&str, &Tensor<f32>)> = tensors.iter().map(|(n, _)| *n).zip(&values).collect();
    let metadata = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    write_tensors(&path, &refs, &metadata).expect("write");
    let file = read_tensors(&path).expect("read");
    exchange::detect(&file).expect_err("must fail").to_string()
}

/// A complete GRU layer `l{layer}{suffix}` of 5 units over `input` features.
fn gru_layer(layer: usize, suffix: &str, input: usize) -> Vec<(String, Vec<usize>)> {
    [
        ("weight_ih", vec![15, input]),
        ("weight_hh", vec![15, 5]),
        ("bias_ih", vec![15]),
        ("bias_hh", vec![15]),
    ]
    .into_iter()
    .map(|(what, shape)| (format!("{what}_l{layer}{suffix}"), shape))
    .collect()
}

#[test]
fn detect_checks_every_layer_and_direction_before_building_anything() {
    let err = |layers: Vec<(String, Vec<usize>)>, metadata: &[(&str, &str)]| {
        let refs: Vec<(&str, &[usize])> = layers
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        detect_error(&refs, metadata)
    };
    let with = |mut base: Vec<(String, Vec<usize>)>, extra: &[(&str, &[usize])]| {
        base.extend(extra.iter().map(|(n, s)| (n.to_string(), s.to_vec())));
        base
    };
    let l0 = gru_layer(0, "", 3);
    // A zero-size tensor of layer 50,000,000: refused before 50,000,001 layers are built.
    let e = err(with(l0.clone(), &[("bias_ih_l50000000", &[0])]), &[]);
    assert!(e.contains("bias_ih_l50000000") && e.contains("64"), "{e}");
    // Layers must be contiguous: layer 2 without layer 1.
    let e = err([l0.clone(), gru_layer(2, "", 10)].concat(), &[]);
    assert!(e.contains("no tensor `weight_ih_l1`"), "{e}");
    // Every direction needs all four tensors.
    let e = err(with(l0.clone(), &[("bias_hh_l0_reverse", &[15])]), &[]);
    assert!(e.contains("no tensor `weight_ih_l0_reverse`"), "{e}");
    let e = err(l0[1..].to_vec(), &[]);
    assert!(e.contains("weight_ih_l0"), "{e}");
    // Layer 1 reads the D·H = 5 outputs of layer 0.
    let e = err([l0.clone(), gru_layer(1, "", 3)].concat(), &[]);
    assert!(
        e.contains("`weight_ih_l1` has shape [15, 3]; expected [15, 5]"),
        "{e}"
    );
    let mut bad = l0.clone();
    bad[1].1 = vec![15, 5, 1];
    let e = err(bad, &[]);
    assert!(e.contains("weight_hh_l0"), "{e}");
    // The nonlinearity is tanh or relu, and only on an RNN.
    let e = err(l0, &[("nonlinearity", "relu")]);
    assert!(e.contains("nonlinearity") && e.contains("gru"), "{e}");
    let rnn: Vec<(String, Vec<usize>)> = gru_layer(0, "", 3)
        .into_iter()
        .map(|(n, s)| (n, s.iter().map(|&d| if d == 15 { 5 } else { d }).collect()))
        .collect();
    let e = err(rnn, &[("nonlinearity", "sigmoid")]);
    assert!(e.contains("nonlinearity") && e.contains("sigmoid"), "{e}");
}

#[test]
fn inputs_a_file_can_hold_are_checked_as_errors_not_asserts() {
    let config = RecurrentConfig::new(RecurrentKind::Lstm, 3, 4).layers(2);
    let (layer, store) = build(config);
    let check = |x: &[usize], h0: Option<Vec<usize>>, lengths: Option<&[usize]>| {
        layer
            .check_input(x, [h0, None], lengths)
            .map_err(|e| e.to_string())
    };
    assert!(check(&[2, 5, 3], Some(vec![2, 2, 4]), Some(&[5, 1])).is_ok());
    for (x, h0, lengths, needle) in [
        (&[2, 0, 3][..], None, None, "[2, 0, 3]"),
        (&[0, 5, 3], None, None, "[0, 5, 3]"),
        (&[2, 5, 4], None, None, "[2, 5, 4]"),
        (&[2, 5], None, None, "[2, 5]"),
        (&[2, 5, 3], Some(vec![1, 2, 4]), None, "h0"),
        (&[2, 5, 3], None, Some(&[6, 1][..]), "lengths"),
    ] {
        let e = check(x, h0, lengths).expect_err("must fail");
        assert!(e.contains(needle), "{needle}: {e}");
    }
    // try_forward returns the same errors instead of panicking, and runs what passes.
    let tape = Tape::<f64>::new();
    let cx = Ctx::eval(&tape, &store);
    let run = |x: &[usize]| {
        let input = RecurrentInput::default();
        layer
            .try_forward(&cx, tape.var(Tensor::zeros(x)), input)
            .map(|out| out.output.shape())
            .map_err(|e| e.to_string())
    };
    assert_eq!(run(&[2, 5, 3]), Ok(vec![2, 5, 4]));
    let e = run(&[2, 0, 3]).expect_err("T = 0");
    assert!(e.contains("[2, 0, 3]"), "{e}");
}

#[test]
fn an_lstm_with_projections_has_p_wide_outputs_and_h_n_and_h_wide_c_n() {
    // nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, batch_first=True).
    let config = RecurrentConfig::new(RecurrentKind::Lstm, 3, 5)
        .layers(2)
        .bidirectional(true)
        .proj_size(2);
    assert_eq!((config.real_hidden_size(), config.output_size()), (2, 4));
    let (layer, store) = build(config.clone());
    let shapes: Vec<(String, Vec<usize>)> = store
        .iter()
        .map(|(_, p)| (p.name.clone(), p.value.shape().to_vec()))
        .collect();
    let shape_of = |name: &str| {
        shapes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
    };
    // PyTorch's state_dict: weight_hh [4H, P], weight_hr [P, H], layer 1 reads D·P = 4.
    assert_eq!(shape_of("weight_hh_l0"), Some(vec![20, 2]));
    assert_eq!(shape_of("weight_hr_l0_reverse"), Some(vec![2, 5]));
    assert_eq!(shape_of("weight_ih_l1"), Some(vec![20, 4]));
    assert_eq!(shapes.len(), 20, "five tensors per layer and direction");
    let tape = Tape::<f64>::new();
    let cx = Ctx::eval(&tape, &store);
    let input = RecurrentInput {
        h0: Some(tape.var(uniform(&[4, 3, 2], 1))),
        c0: Some(tape.var(uniform(&[4, 3, 5], 2))),
        lengths: Some(&[4, 1, 3]),
    };
    let out = layer.forward(&cx, tape.var(uniform(&[3, 4, 3], 3)), input);
    assert_eq!(out.output.shape(), vec![3, 4, 4]);
    assert_eq!(out.h_n.shape(), vec![4, 3, 2]);
    assert_eq!(out.c_n.expect("an LSTM's c_n").shape(), vec![4, 3, 5]);
    // The initial states are checked against P and H, naming what is wrong.
    for (h0, c0, needle) in [
        (
            vec![4, 3, 5],
            vec![4, 3, 5],
            "h0 of shape [4, 3, 5], expected [4, 3, 2]",
        ),
        (
            vec![4, 3, 2],
            vec![4, 3, 2],
            "c0 of shape [4, 3, 2], expected [4, 3, 5]",
        ),
    ] {
        let e = layer
            .check_input(&[3, 4, 3], [Some(h0), Some(c0)], None)
            .expect_err("wrong state width");
        assert!(e.to_string().contains(needle), "{e}");
    }
}

#[test]
fn proj_size_is_bounded_and_for_an_lstm_only() {
    let lstm = |p: usize| RecurrentConfig::new(RecurrentKind::Lstm, 3, 8).proj_size(p);
    for p in [0, 1, 7] {
        lstm(p).validate().expect("0 < P < H, or none");
    }
    for p in [8, 9, usize::MAX] {
        let e = lstm(p).validate().expect_err("P >= H").to_string();
        assert!(
            e.contains(&format!("proj_size {p} must be less than hidden_size 8")),
            "{e}"
        );
    }
    for kind in [
        RecurrentKind::Rnn,
        RecurrentKind::RnnRelu,
        RecurrentKind::Gru,
    ] {
        let e = RecurrentConfig::new(kind, 3, 8)
            .proj_size(2)
            .validate()
            .expect_err("not an LSTM")
            .to_string();
        assert!(
            e.contains("proj_size 2 is for an lstm only") && e.contains(kind.name()),
            "{e}"
        );
        assert!(RecurrentConfig::new(kind, 3, 8).validate().is_ok());
    }
    // The projection's kernel takes no regularizer masks: weight drop (on W_hh) only.
    for (r, ok) in [
        (
            zoo::Regularizers {
                zoneout: 0.1,
                ..Default::default()
            },
            false,
        ),
        (
            zoo::Regularizers {
                recurrent_dropout: 0.2,
                ..Default::default()
            },
            false,
        ),
        (
            zoo::Regularizers {
                weight_drop: 0.5,
                ..Default::default()
            },
            true,
        ),
    ] {
        let got = lstm(2).regularizers(r).validate();
        match got {
            Ok(()) => assert!(ok, "{r:?} accepted"),
            Err(e) => {
                let e = e.to_string();
                assert!(
                    !ok && e.contains("proj_size 2 does not run with"),
                    "{r:?}: {e}"
                );
            }
        }
        assert!(
            lstm(0).regularizers(r).validate().is_ok(),
            "{r:?} without a projection"
        );
    }
    // Nor with a layer-normalized cell.
    let e = lstm(2)
        .layer_norm(true)
        .validate()
        .expect_err("with layer_norm");
    assert!(
        e.to_string()
            .contains("proj_size 2 does not run with layer_norm"),
        "{e}"
    );
    // Saved only when set: a config without it (an older one) reads as unprojected.
    let json = serde_json::to_value(lstm(0)).expect("json");
    assert!(json.get("proj_size").is_none(), "saved while off: {json}");
    let old: RecurrentConfig = serde_json::from_value(json).expect("an older config");
    assert_eq!(old, lstm(0));
    let json = serde_json::to_value(lstm(7)).expect("json");
    assert_eq!(json["proj_size"], 7);
    assert_eq!(
        serde_json::from_value::<RecurrentConfig>(json).expect("read"),
        lstm(7)
    );
}

#[test]
fn detect_refuses_projections_that_do_not_fit() {
    // An LSTMP of H = 5, P = 2 over 3 features, two layers: weight_hh [20, 2], weight_hr [2, 5].
    let layer = |l: usize, input: usize| -> Vec<(String, Vec<usize>)> {
        [
            ("weight_ih", vec![20, input]),
            ("weight_hh", vec![20, 2]),
            ("bias_ih", vec![20]),
            ("bias_hh", vec![20]),
            ("weight_hr", vec![2, 5]),
        ]
        .into_iter()
        .map(|(what, shape)| (format!("{what}_l{l}"), shape))
        .collect()
    };
    let err = |tensors: Vec<(String, Vec<usize>)>| {
        let refs: Vec<(&str, &[usize])> = tensors
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        detect_error(&refs, &[])
    };
    let without = |name: &str| -> Vec<(String, Vec<usize>)> {
        [layer(0, 3), layer(1, 2)]
            .concat()
            .into_iter()
            .filter(|(n, _)| n != name)
            .collect()
    };
    // weight_hr on some layers only.
    let e = err(without("weight_hr_l1"));
    assert!(
        e.contains("no tensor `weight_hr_l1`") && e.contains("all 5 tensors"),
        "{e}"
    );
    let e = err(without("weight_hr_l0"));
    assert!(e.contains("`weight_hr_l1` without weight_hr_l0"), "{e}");
    // Layer 1 reads D·P = 2 features, not D·H.
    let e = err([layer(0, 3), layer(1, 5)].concat());
    assert!(
        e.contains("`weight_ih_l1` has shape [20, 5]; expected [20, 2]"),
        "{e}"
    );
    // A [P, H] that disagrees with weight_hh's P columns.
    let mut bad = layer(0, 3);
    bad[4].1 = vec![3, 5];
    let e = err(bad);
    assert!(
        e.contains("weight_hr_l0 of shape [3, 5] does not fit weight_hh_l0 [20, 2]"),
        "{e}"
    );
    // A projection on a GRU (weight_hh [3H, P]), and one as wide as the cell (P = H).
    let mut gru = layer(0, 3);
    for (name, shape) in gru.iter_mut() {
        if !name.starts_with("weight_hr") {
            shape[0] = 15;
        }
    }
    let e = err(gru);
    assert!(e.contains("LSTM's projection") && e.contains("GRU"), "{e}");
    let mut wide = layer(0, 3);
    wide[1].1 = vec![20, 5];
    wide[4].1 = vec![5, 5];
    let e = err(wide);
    assert!(
        e.contains("proj_size 5 must be less than hidden_size 5"),
        "{e}"
    );
}

#[test]
fn layer_norm_cells_register_their_gains_and_round_trip_through_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    for kind in [RecurrentKind::Lstm, RecurrentKind::Gru] {
        let config = RecurrentConfig::new(kind, 3, 5)
            .layers(2)
            .bidirectional(true)
            .layer_norm(true);
        let (layer, store) = build(config.clone());
        let g = kind.cell().gates();
        let lstm = kind == RecurrentKind::Lstm;
        // 4 PyTorch tensors + 2 gains (+ 2 cell-state ones for the LSTM), per layer and direction.
        assert_eq!(store.len(), 2 * 2 * if lstm { 8 } else { 6 });
        let value = |name: &str| store.value(store.id(name).expect(name)).clone();
        assert_eq!(value("ln_ih_weight_l1_reverse"), Tensor::ones(&[g * 5]));
        assert_eq!(value("ln_hh_weight_l0"), Tensor::ones(&[g * 5]));
        if lstm {
            assert_eq!(value("ln_c_weight_l0"), Tensor::ones(&[5]));
            assert_eq!(value("ln_c_bias_l1"), Tensor::zeros(&[5]));
        } else {
            assert!(store.id("ln_c_weight_l0").is_none());
        }
        let path = dir.path().join(format!("{kind:?}.safetensors"));
        exchange::save(&layer, &store, &path).expect("save");
        let (loaded, _) = exchange::load::<f64>(&path).expect("load");
        assert_eq!(loaded.config(), &config);
        // Without seqzoo's config in the metadata, the gains alone say it is layer-normalized.
        use autograd::params::{read_tensors, write_tensors};
        let bare = dir.path().join(format!("{kind:?}-bare.safetensors"));
        let values: Vec<(String, Tensor<f64>)> = store
            .iter()
            .map(|(_, p)| (p.name.clone(), p.value.clone()))
            .collect();
        let refs: Vec<(&str, &Tensor<f64>)> = values.iter().map(|(n, v)| (n.as_str(), v)).collect();
        write_tensors(&bare, &refs, &Default::default()).expect("write");
        let detected = exchange::detect(&read_tensors(&bare).expect("read")).expect("detect");
        assert!(detected.layer_norm, "{kind:?}");
    }
}

#[test]
fn layer_norm_changes_the_output_and_its_gradients_match_finite_differences() {
    for kind in [RecurrentKind::Lstm, RecurrentKind::Gru] {
        let config = |norm: bool| {
            RecurrentConfig::new(kind, 2, 3)
                .layers(2)
                .bidirectional(true)
                .layer_norm(norm)
        };
        let (layer, mut store) = build(config(true));
        // Gains and shifts away from their initial 1 and 0, so that each one matters.
        let ids: Vec<_> = store.iter().map(|(id, _)| id).collect();
        for (k, id) in ids.into_iter().enumerate() {
            let shape = store.value(id).shape().to_vec();
            store.set_value(id, uniform(&shape, 100 + k as u64));
        }
        // The same weights without normalization give another output.
        let (plain, mut plain_store) = build(config(false));
        let ids: Vec<_> = plain_store
            .iter()
            .map(|(id, p)| (id, p.name.clone()))
            .collect();
        for (id, name) in ids {
            plain_store.set_value(id, store.value(store.id(&name).expect("shared")).clone());
        }
        let run = |layer: &RecurrentLayer, store: &ParamStore<f64>| {
            let tape = Tape::new();
            let x = tape.constant(uniform(&[2, 3, 2], 7));
            let cx = Ctx::eval(&tape, store);
            layer
                .forward(&cx, x, RecurrentInput::default())
                .output
                .value()
        };
        assert_ne!(run(&layer, &store), run(&plain, &plain_store), "{kind:?}");
        assert_param_grads_match(&layer, store, &format!("layer-norm {kind:?}"));
    }
}

#[test]
fn layer_norm_files_and_configs_that_do_not_fit_are_errors() {
    // An Elman cell has no layer-normalized form.
    let err = RecurrentLayer::new(
        &mut ParamStore::<f32>::new().root(),
        RecurrentConfig::new(RecurrentKind::Rnn, 3, 5).layer_norm(true),
        &mut Rng::new(0),
    )
    .expect_err("must fail")
    .to_string();
    assert!(err.contains("layer_norm is for lstm and gru"), "{err}");
    let lstm = |extra: &[(&'static str, Vec<usize>)], skip: &str| -> Vec<(String, Vec<usize>)> {
        [
            ("weight_ih_l0", vec![20, 3]),
            ("weight_hh_l0", vec![20, 5]),
            ("bias_ih_l0", vec![20]),
            ("bias_hh_l0", vec![20]),
        ]
        .iter()
        .chain(extra)
        .filter(|(n, _)| *n != skip)
        .map(|(n, s)| (n.to_string(), s.clone()))
        .collect()
    };
    let gains = [
        ("ln_ih_weight_l0", vec![20]),
        ("ln_hh_weight_l0", vec![20]),
        ("ln_c_weight_l0", vec![5]),
        ("ln_c_bias_l0", vec![5]),
    ];
    let detect = |tensors: Vec<(String, Vec<usize>)>| {
        let refs: Vec<(&str, &[usize])> = tensors
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        detect_error(&refs, &[])
    };
    // A layer-normalized LSTM without its cell-state shift.
    let err = detect(lstm(&gains, "ln_c_bias_l0"));
    assert!(err.contains("no tensor `ln_c_bias_l0`"), "{err}");
    // A gain of the wrong size.
    let mut wrong = gains.to_vec();
    wrong[1].1 = vec![19];
    let err = detect(lstm(&wrong, ""));
    assert!(err.contains("`ln_hh_weight_l0` has shape [19]"), "{err}");
    // A plain LSTM with a stray cell-state gain.
    let err = detect(lstm(&gains[2..3], ""));
    assert!(err.contains("`ln_c_weight_l0` has no place"), "{err}");
}
