//! Runs the recurrent benchmark's training step (or inference) a fixed number of times, for
//! profilers and `perf stat`, where criterion's adaptive iteration counts get in the way.
//!
//! `cargo run --release --example recurrent_profile -- lstm med 50 [infer]`: kind (lstm, gru,
//! srn), shape (small, char, med, big), iterations. Prints the mean wall time per iteration.

use autograd::optim::optimizer;
use autograd::{ParamStore, Rng, Tape, Tensor};
use std::time::Instant;
use zoo::{Ctx, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer};

fn main() {
    autograd::kernels::keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |k: usize, default: &str| args.get(k).cloned().unwrap_or_else(|| default.into());
    let kind = match arg(0, "lstm").as_str() {
        "gru" => RecurrentKind::Gru,
        "srn" | "rnn" => RecurrentKind::Rnn,
        _ => RecurrentKind::Lstm,
    };
    let (h, b, t, i) = match arg(1, "med").as_str() {
        "small" => (32, 32, 100, 2),
        "char" => (128, 32, 64, 65),
        "big" => (512, 64, 64, 65),
        _ => (256, 32, 64, 65),
    };
    let iters: usize = arg(2, "20").parse().expect("iterations");
    let infer = arg(3, "") == "infer";
    let mut rng = Rng::new(0);
    let mut store = ParamStore::<f32>::new();
    let layer = RecurrentLayer::new(
        &mut store.root(),
        RecurrentConfig::new(kind, i, h),
        &mut rng,
    )
    .expect("config");
    let x = Tensor::from_fn(&[b, t, i], |_| rng.uniform_in(-1.0, 1.0) as f32);
    let mut opt = optimizer::<f32>("adam", 1e-3).expect("adam");
    let mut step = || {
        let tape = Tape::new();
        let _guard = infer.then(|| tape.no_grad());
        let out = layer.forward(
            &Ctx::eval(&tape, &store),
            tape.constant(x.clone()),
            RecurrentInput::default(),
        );
        if !infer {
            let loss = out.output.square().mean();
            store.zero_grad();
            store.accumulate(&loss.backward());
            opt.step(&mut store);
        }
    };
    step();
    let start = Instant::now();
    for _ in 0..iters {
        step();
    }
    let ms = start.elapsed().as_secs_f64() * 1e3 / iters as f64;
    println!("{} {} {ms:.3} ms/iter", kind.name(), arg(1, "med"));
}
