//! Recurrent regularizers of a layer: recurrent (variational) dropout, zoneout and weight drop,
//! against a reference written from their papers, their gradients, evaluation, determinism, and
//! the bounds of their settings.

mod common;

use autograd::{gradcheck_params, GradcheckOptions, ParamStore, Rng, Tape, Tensor};
use common::{build, uniform, KINDS};
use zoo::{Ctx, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer, Regularizers};

fn regularizers(recurrent_dropout: f64, zoneout: f64, weight_drop: f64) -> Regularizers {
    Regularizers {
        recurrent_dropout,
        zoneout,
        weight_drop,
    }
}

/// The layer's output `[B, T, D·H]` on `x`, in training from a generator seeded `seed`, or in
/// evaluation.
fn output(
    layer: &RecurrentLayer,
    store: &ParamStore<f64>,
    x: &Tensor<f64>,
    train: Option<u64>,
) -> Vec<f64> {
    let tape = Tape::new();
    let mut rng = Rng::new(train.unwrap_or(0));
    let cx = match train {
        Some(_) => Ctx::train(&tape, store, &mut rng),
        None => Ctx::eval(&tape, store),
    };
    let out = layer.forward(&cx, tape.constant(x.clone()), RecurrentInput::default());
    out.output.value().data().to_vec()
}

/// A one-layer Elman (tanh) network written from the papers, one row, step and unit at a time:
/// the input times `m_x` `[B, I]` and the state entering W_hh times `m_h` `[B, H]` at every step
/// (variational dropout), and each new state blended with the previous one by `d` `[B, T, H]`
/// (zoneout).
fn elman_reference(
    store: &ParamStore<f64>,
    x: &Tensor<f64>,
    m_x: &[f64],
    m_h: &[f64],
    d: &[f64],
) -> Vec<f64> {
    let (b, t, i) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let value = |name: &str| {
        let (id, _) = store
            .iter()
            .find(|(_, p)| p.name.ends_with(name))
            .expect("a parameter");
        store.value(id).data().to_vec()
    };
    let (w_ih, w_hh, b_ih, b_hh) = (
        value("weight_ih_l0"),
        value("weight_hh_l0"),
        value("bias_ih_l0"),
        value("bias_hh_l0"),
    );
    let h = b_ih.len();
    let mut out = vec![0.0; b * t * h];
    for row in 0..b {
        let mut hs = vec![0.0; h];
        for step in 0..t {
            let xt = &x.data()[(row * t + step) * i..];
            let new: Vec<f64> = (0..h)
                .map(|u| {
                    let gx: f64 = (0..i)
                        .map(|c| w_ih[u * i + c] * xt[c] * m_x[row * i + c])
                        .sum();
                    let gh: f64 = (0..h)
                        .map(|c| w_hh[u * h + c] * hs[c] * m_h[row * h + c])
                        .sum();
                    let cand = (gx + b_ih[u] + gh + b_hh[u]).tanh();
                    let keep = d[(row * t + step) * h + u];
                    keep * hs[u] + (1.0 - keep) * cand
                })
                .collect();
            hs = new;
            out[(row * t + step) * h..][..h].copy_from_slice(&hs);
        }
    }
    out
}

/// `n` draws of an inverted-dropout mask at `p` (0, else 1/(1−p)), as a generator gives them.
fn dropout_draws(rng: &mut Rng, n: usize, p: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if rng.bernoulli(p) {
                0.0
            } else {
                1.0 / (1.0 - p)
            }
        })
        .collect()
}

#[test]
fn recurrent_dropout_and_zoneout_follow_their_papers() {
    let (b, t, i, h) = (3, 5, 2, 4);
    let x = uniform(&[b, t, i], 1);
    let p = 0.4;
    for (reg, what) in [
        (regularizers(p, 0.0, 0.0), "recurrent dropout"),
        (regularizers(0.0, p, 0.0), "zoneout"),
        (regularizers(p, p, 0.0), "both"),
    ] {
        let config = RecurrentConfig::new(RecurrentKind::Rnn, i, h).regularizers(reg);
        let (layer, store) = build(config);
        // The draws in the layer's order: the input mask, the state mask, then zoneout's.
        let mut rng = Rng::new(9);
        let on = |q: f64| q > 0.0;
        let m_x = if on(reg.recurrent_dropout) {
            dropout_draws(&mut rng, b * i, p)
        } else {
            vec![1.0; b * i]
        };
        let m_h = if on(reg.recurrent_dropout) {
            dropout_draws(&mut rng, b * h, p)
        } else {
            vec![1.0; b * h]
        };
        let d: Vec<f64> = (0..b * t * h)
            .map(|_| on(reg.zoneout) && rng.bernoulli(p))
            .map(|keep| if keep { 1.0 } else { 0.0 })
            .collect();
        let want = elman_reference(&store, &x, &m_x, &m_h, &d);
        let got = output(&layer, &store, &x, Some(9));
        for (k, (a, w)) in got.iter().zip(&want).enumerate() {
            assert!((a - w).abs() < 1e-12, "{what}: at {k} got {a}, want {w}");
        }
        let plain = elman_reference(&store, &x, &[1.0; 6], &[1.0; 12], &[0.0; 60]);
        assert!(
            got.iter().zip(&plain).any(|(a, w)| (a - w).abs() > 1e-3),
            "{what} changed nothing"
        );
        // In evaluation: no dropout, and zoneout blends by its probability everywhere.
        let d_eval = vec![reg.zoneout; b * t * h];
        let want = elman_reference(&store, &x, &[1.0; 6], &[1.0; 12], &d_eval);
        let got = output(&layer, &store, &x, None);
        for (k, (a, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - w).abs() < 1e-12,
                "{what} in evaluation: at {k} got {a}, want {w}"
            );
        }
    }
}

#[test]
fn masks_are_per_sequence_or_per_step_as_each_regularizer_says() {
    let (b, t, i, h) = (4, 50, 3, 8);
    let p = 0.3;
    let reg = regularizers(p, p, 0.0);
    let store = ParamStore::<f64>::new();
    let tape = Tape::new();
    let mut rng = Rng::new(5);
    let cx = Ctx::train(&tape, &store, &mut rng);
    // The input mask: the same over every step of a row, 0 or 1/(1−p).
    let ones = tape.constant(Tensor::full(&[b, t, i], 1.0));
    let masked = reg.input(&cx, ones).value();
    let keep = 1.0 / (1.0 - p);
    for row in 0..b {
        let first = &masked.data()[row * t * i..][..i];
        for step in 1..t {
            assert_eq!(
                &masked.data()[(row * t + step) * i..][..i],
                first,
                "row {row}"
            );
        }
        assert!(first.iter().all(|&m| m == 0.0 || m == keep), "{first:?}");
    }
    let masks = reg.kernel_masks(&cx, [b, t, 2, h]);
    // The state mask: one value per row and unit (no time axis), 0 or 1/(1−p).
    let state = masks.state.expect("a state mask in training");
    assert_eq!(state.shape(), [b, h]);
    assert!(state.data().iter().all(|&m| m == 0.0 || m == keep));
    // Zoneout: 0 or 1 drawn anew at every step, about p of them 1.
    let zone = masks.zoneout.expect("a zoneout mask");
    assert_eq!(zone.shape(), [b, t, 2 * h]);
    assert!(zone.data().iter().all(|&m| m == 0.0 || m == 1.0));
    let width = 2 * h;
    let changes = (1..t)
        .filter(|&s| zone.data()[s * width..][..width] != zone.data()[(s - 1) * width..][..width])
        .count();
    assert!(
        changes > t / 2,
        "zoneout's mask changed at {changes} of {t} steps"
    );
    let kept = zone.data().iter().filter(|&&m| m == 1.0).count() as f64 / zone.numel() as f64;
    assert!((kept - p).abs() < 0.05, "kept {kept}, p {p}");
    // In evaluation: no state mask, zoneout's expectation.
    let eval = Ctx::eval(&tape, &store);
    let masks = reg.kernel_masks(&eval, [b, t, 2, h]);
    assert!(masks.state.is_none());
    assert!(masks
        .zoneout
        .expect("zoneout")
        .data()
        .iter()
        .all(|&m| m == p));
    let ones = tape.constant(Tensor::full(&[b, t, i], 1.0));
    assert_eq!(reg.input(&eval, ones).value().data(), vec![1.0; b * t * i]);
}

#[test]
fn weight_drop_is_one_mask_on_weight_hh_for_the_whole_forward() {
    let (b, t, i, h) = (2, 6, 3, 4);
    let x = uniform(&[b, t, i], 2);
    let p = 0.5;
    for kind in KINDS {
        let config = RecurrentConfig::new(kind, i, h).regularizers(regularizers(0.0, 0.0, p));
        let (layer, store) = build(config.clone());
        let got = output(&layer, &store, &x, Some(4));
        // In evaluation (no weight drop), the network with its W_hh times the mask drawn from
        // that seed once: the training forward's bits.
        let mut dropped = store.clone();
        let (id, _) = store
            .iter()
            .find(|(_, q)| q.name.ends_with("weight_hh_l0"))
            .expect("weight_hh");
        let w = store.value(id);
        let mask = dropout_draws(&mut Rng::new(4), w.numel(), p);
        let data: Vec<f64> = w.data().iter().zip(&mask).map(|(a, m)| a * m).collect();
        dropped.set_value(id, Tensor::new(w.shape(), data));
        assert_eq!(got, output(&layer, &dropped, &x, None), "{kind:?}");
        // In evaluation, the bits of the same network without weight drop.
        let (plain, plain_store) = build(config.regularizers(Regularizers::default()));
        assert_eq!(
            output(&layer, &store, &x, None),
            output(&plain, &plain_store, &x, None),
            "{kind:?} in evaluation"
        );
    }
}

#[test]
fn parameter_gradients_under_every_regularizer_match_finite_differences() {
    let (b, t, i, h) = (2, 3, 2, 2);
    for kind in KINDS {
        let config = RecurrentConfig::new(kind, i, h)
            .layers(2)
            .bidirectional(true)
            .regularizers(regularizers(0.3, 0.4, 0.3));
        let (layer, mut store) = build(config);
        let x = uniform(&[b, t, i], 7);
        let probe = uniform(&[b, t, 2 * h], 8);
        let lengths = [3, 2];
        // The same seed at every evaluation: the same masks.
        let opts = GradcheckOptions {
            atol: 1e-6,
            rtol: 1e-4,
            ..Default::default()
        };
        if let Err(e) = gradcheck_params(
            &mut store,
            |tape: &Tape<f64>, store: &ParamStore<f64>| {
                let mut rng = Rng::new(21);
                let cx = Ctx::train(tape, store, &mut rng);
                let input = RecurrentInput {
                    lengths: Some(&lengths),
                    ..Default::default()
                };
                let out = layer.forward(&cx, tape.constant(x.clone()), input);
                (out.output * tape.constant(probe.clone())).sum() + out.h_n.sum()
            },
            &opts,
        ) {
            panic!("{kind:?}: {e}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_bits_on_one_and_two_threads() {
    // Large enough for the scan to split its batch across two threads.
    let (b, t, i, h) = (8, 32, 4, 32);
    let x = uniform(&[b, t, i], 3);
    let config = RecurrentConfig::new(RecurrentKind::Lstm, i, h)
        .layers(2)
        .bidirectional(true)
        .regularizers(regularizers(0.25, 0.1, 0.2));
    let (layer, store) = build(config);
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a rayon pool");
        pool.install(|| {
            let tape = Tape::new();
            let mut rng = Rng::new(seed);
            let cx = Ctx::train(&tape, &store, &mut rng);
            let out = layer.forward(&cx, tape.constant(x.clone()), RecurrentInput::default());
            let y = out.output;
            let grads = (y * y).sum().backward();
            let g: Vec<Vec<f64>> = store
                .iter()
                .map(|(id, _)| grads.param(id).expect("a gradient").data().to_vec())
                .collect();
            (y.value().data().to_vec(), g)
        })
    };
    let one = run(1, 6);
    assert_eq!(one, run(1, 6), "the same seed twice");
    assert_eq!(one, run(2, 6), "one and two threads");
    assert_ne!(one.0, run(1, 7).0, "another seed draws other masks");
}

#[test]
fn each_setting_is_checked_in_zero_to_one() {
    let config = |reg| RecurrentConfig::new(RecurrentKind::Lstm, 2, 3).regularizers(reg);
    for name in ["recurrent_dropout", "zoneout", "weight_drop"] {
        let with = |p: f64| {
            let mut r = Regularizers::default();
            match name {
                "recurrent_dropout" => r.recurrent_dropout = p,
                "zoneout" => r.zoneout = p,
                _ => r.weight_drop = p,
            }
            r
        };
        for p in [0.0, 0.5, 1.0 - f64::EPSILON] {
            assert!(config(with(p)).validate().is_ok(), "{name} {p}");
        }
        for p in [-0.1, 1.0, f64::NAN, u64::MAX as f64, f64::INFINITY] {
            let err = config(with(p)).validate().expect_err("out of range");
            let text = err.to_string();
            assert!(text.contains(name) && text.contains("[0, 1)"), "{text}");
        }
    }
}

#[test]
fn configs_save_the_settings_only_when_on_and_older_files_load_with_them_off() {
    let plain = RecurrentConfig::new(RecurrentKind::Gru, 2, 3);
    let json = serde_json::to_value(&plain).unwrap();
    for key in ["recurrent_dropout", "zoneout", "weight_drop"] {
        assert!(json.get(key).is_none(), "{key} saved while off: {json}");
    }
    let read: RecurrentConfig = serde_json::from_value(json).unwrap();
    assert_eq!(read, plain);
    let on = plain.regularizers(regularizers(0.1, 0.2, 0.3));
    let json = serde_json::to_value(&on).unwrap();
    assert_eq!(json["zoneout"], 0.2);
    assert_eq!(serde_json::from_value::<RecurrentConfig>(json).unwrap(), on);
}
