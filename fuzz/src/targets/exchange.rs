//! PyTorch state_dict exchange: `exchange::detect` and `load_file::<f32>`, then — when the layer
//! loads — one tiny forward as `seqzoo forward` runs it (`check_input`, then `try_forward`, which
//! must refuse the same inputs), with T ≤ 4, B ≤ 2 and sometimes mis-shaped states or lengths.
//!
//! Input bytes: `[t, b, flags]` then the safetensors file.

use super::{Outcome, Target};
use crate::corpus::Corpus;
use crate::layer_file::{layer_file, small_config};
use crate::mutate::safetensors::mutate;
use crate::mutate::{bytes, Gen};
use autograd::{SafetensorsFile, Tape, Tensor};
use rand::Rng;
use zoo::recurrent::exchange;
use zoo::{Ctx, RecurrentInput, RecurrentKind};

/// The target.
pub const TARGET: Target = Target {
    name: "exchange",
    about: "exchange::detect, exchange::load_file::<f32>, then a forward of T <= 4, B <= 2",
    needs_corpus: false,
    generate,
    run,
};

/// Flag bits of the third byte.
const WITH_H0: u8 = 1;
const WITH_C0: u8 = 2;
const WITH_LENGTHS: u8 = 4;
const WRONG_INPUT: u8 = 8;
const WRONG_STATE: u8 = 16;
const WRONG_LENGTHS: u8 = 32;

/// A layer's state_dict, mutated in structure and/or bytes, behind the forward's settings.
fn generate(rng: &mut Gen, _corpus: &Corpus) -> Vec<u8> {
    let config = small_config(rng);
    let mut model = layer_file(rng, &config);
    if rng.random_bool(0.7) {
        mutate(rng, &mut model);
    }
    let mut file = model.to_bytes();
    if rng.random_bool(0.2) {
        bytes::mutate(rng, &mut file, 4, 1 << 16);
    }
    let mut flags = rng.random::<u8>() & (WITH_H0 | WITH_C0 | WITH_LENGTHS);
    if rng.random_bool(0.2) {
        flags |= [WRONG_INPUT, WRONG_STATE, WRONG_LENGTHS][rng.random_range(0..3)];
    }
    let mut out = vec![rng.random_range(0..8), rng.random_range(0..3), flags];
    out.extend_from_slice(&file);
    out
}

/// Detects, loads and runs the layer.
fn run(input: &[u8]) -> Outcome {
    let (head, bytes) = input.split_at(input.len().min(3));
    let get = |i: usize| head.get(i).copied().unwrap_or(0);
    let file = match SafetensorsFile::from_bytes("fuzz-weights.safetensors", bytes.to_vec()) {
        Ok(f) => f,
        Err(e) => return format!("error: {e}"),
    };
    let detected = exchange::detect(&file);
    let (layer, store) = match exchange::load_file::<f32>(&file) {
        Ok(loaded) => loaded,
        Err(e) => return format!("error: {e}"),
    };
    let cfg = layer.config().clone();
    assert_eq!(
        detected.ok().as_ref(),
        Some(&cfg),
        "detect agrees with load_file"
    );
    let (t, b, flags) = (
        1 + usize::from(get(0) % 4),
        1 + usize::from(get(1) % 2),
        get(2),
    );
    let wrong = |bit: u8| usize::from(flags & bit != 0);
    let x_shape = vec![b, t, cfg.input_size + wrong(WRONG_INPUT)];
    let state_shape = vec![
        cfg.directions() * cfg.num_layers,
        b + wrong(WRONG_STATE),
        cfg.hidden_size,
    ];
    let h0 = (flags & WITH_H0 != 0).then(|| state_shape.clone());
    let c0 = (flags & WITH_C0 != 0 && cfg.kind == RecurrentKind::Lstm).then(|| state_shape.clone());
    let lengths: Option<Vec<usize>> = (flags & (WITH_LENGTHS | WRONG_LENGTHS) != 0).then(|| {
        (0..b)
            .map(|i| 1 + (i + t - 1) % t + wrong(WRONG_LENGTHS) * t)
            .collect()
    });
    let checked = layer.check_input(&x_shape, [h0.clone(), c0.clone()], lengths.as_deref());
    let tape = Tape::<f32>::new();
    let fill = |shape: &[usize]| {
        let n = shape.iter().product();
        Tensor::try_new(shape, (0..n).map(|i| (i % 7) as f32 * 0.1 - 0.3).collect())
            .expect("a checked shape holds its elements")
    };
    let x = tape.var(fill(&x_shape));
    let input = RecurrentInput {
        h0: h0.as_deref().map(|s| tape.var(fill(s))),
        c0: c0.as_deref().map(|s| tape.var(fill(s))),
        lengths: lengths.as_deref(),
    };
    // `try_forward` checks its input itself: it must refuse exactly what `check_input` refuses.
    let out = match (
        layer.try_forward(&Ctx::eval(&tape, &store), x, input),
        checked,
    ) {
        (Ok(out), Ok(())) => out,
        (Err(e), Err(_)) => return format!("error (input): {e}"),
        (tried, checked) => panic!(
            "try_forward {} but check_input {}",
            if tried.is_ok() { "ran" } else { "refused" },
            if checked.is_ok() {
                "accepted"
            } else {
                "refused"
            }
        ),
    };
    let output = out.output.value();
    assert_eq!(&output.shape()[..2], &[b, t], "forward output shape");
    format!(
        "ok: {} {:?} over [{b}, {t}]",
        cfg.kind.name(),
        output.shape()
    )
}
