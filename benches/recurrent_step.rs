//! One training step of a recurrent layer, identical to `benches/torch_lstm.py`: forward over the
//! whole sequence, loss = mean of squares of `output`, backward, one Adam step (lr 1e-3); plus an
//! inference-only forward at the medium shape.
//!
//! Throughput counts FLOPs = 3·2·B·T·(I+H)·G·H per training step (one third for inference), so
//! criterion's "Gelem/s" reads as GFLOP/s. `SEQZOO_BENCH_KINDS=lstm,gru,srn` picks the cells.

use autograd::optim::optimizer;
use autograd::{ParamStore, Rng, Tape, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use zoo::{Ctx, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer};

/// (name, hidden H, batch B, steps T, input I), as in the issue and the PyTorch script.
const SHAPES: [(&str, usize, usize, usize, usize); 4] = [
    ("small", 32, 32, 100, 2),
    ("char", 128, 32, 64, 65),
    ("med", 256, 32, 64, 65),
    ("big", 512, 64, 64, 65),
];

fn kinds() -> Vec<RecurrentKind> {
    let wanted = std::env::var("SEQZOO_BENCH_KINDS").unwrap_or_else(|_| "lstm".to_string());
    wanted
        .split(',')
        .filter_map(|k| match k.trim() {
            "lstm" => Some(RecurrentKind::Lstm),
            "gru" => Some(RecurrentKind::Gru),
            "srn" | "rnn" => Some(RecurrentKind::Rnn),
            _ => None,
        })
        .collect()
}

fn bench_recurrent(c: &mut Criterion) {
    autograd::kernels::keep_freed_memory();
    for kind in kinds() {
        let mut group = c.benchmark_group(format!("{}_step", kind.name()));
        group
            .measurement_time(Duration::from_secs(4))
            .sample_size(10);
        for (name, h, b, t, i) in SHAPES {
            let mut rng = Rng::new(0);
            let mut store = ParamStore::<f32>::new();
            let config = RecurrentConfig::new(kind, i, h);
            let layer = RecurrentLayer::new(&mut store.root(), config, &mut rng).expect("config");
            let x = Tensor::from_fn(&[b, t, i], |_| rng.uniform_in(-1.0, 1.0) as f32);
            let mut opt = optimizer::<f32>("adam", 1e-3).expect("adam");
            let g = kind.cell().gates();
            let flops = 2 * b * t * (i + h) * g * h;
            group.throughput(Throughput::Elements((3 * flops) as u64));
            group.bench_function(format!("train/{name}"), |bench| {
                bench.iter(|| {
                    let tape = Tape::new();
                    let out = layer.forward(
                        &Ctx::eval(&tape, &store),
                        tape.constant(x.clone()),
                        RecurrentInput::default(),
                    );
                    let loss = out.output.square().mean();
                    store.zero_grad();
                    store.accumulate(&loss.backward());
                    opt.step(&mut store);
                })
            });
            if name == "med" {
                group.throughput(Throughput::Elements(flops as u64));
                group.bench_function(format!("infer/{name}"), |bench| {
                    bench.iter(|| {
                        let tape = Tape::new();
                        let _guard = tape.no_grad();
                        let out = layer.forward(
                            &Ctx::eval(&tape, &store),
                            tape.constant(x.clone()),
                            RecurrentInput::default(),
                        );
                        out.output.value()
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_recurrent);
criterion_main!(benches);
