//! One training step of a recurrent layer, identical to `benches/torch_lstm.py`: forward over the
//! whole sequence, loss = mean of squares of `output`, backward, one Adam step (lr 1e-3); plus an
//! inference-only forward at the medium shape; at the char shape, training steps with recurrent
//! dropout, zoneout and weight drop (masks drawn from the generator as in training); and at the
//! char and medium shapes, training steps of layer-normalized LSTM and GRU cells.
//!
//! Throughput counts FLOPs = 3·2·B·T·(I+H)·G·H per training step (one third for inference), so
//! criterion's "Gelem/s" reads as GFLOP/s. `SEQZOO_BENCH_KINDS=lstm,gru,srn` picks the cells.

use autograd::optim::{optimizer, Optimizer};
use autograd::{ParamStore, Rng, Tape, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use zoo::{Ctx, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer, Regularizers};

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

/// The regularized training steps benched at the char shape.
const REGULARIZED: [(&str, Regularizers); 3] = [
    (
        "recurrent-dropout",
        Regularizers {
            recurrent_dropout: 0.25,
            zoneout: 0.0,
            weight_drop: 0.0,
        },
    ),
    (
        "zoneout",
        Regularizers {
            recurrent_dropout: 0.0,
            zoneout: 0.1,
            weight_drop: 0.0,
        },
    ),
    (
        "weight-drop",
        Regularizers {
            recurrent_dropout: 0.0,
            zoneout: 0.0,
            weight_drop: 0.5,
        },
    ),
];

/// One training step: forward over `x`, mean of squares, backward, one optimizer step; in a
/// training context drawing from `rng` when given, else in evaluation mode (no regularizer draws).
fn train_step(
    layer: &RecurrentLayer,
    store: &mut ParamStore<f32>,
    x: &Tensor<f32>,
    opt: &mut dyn Optimizer<f32>,
    rng: Option<&mut Rng>,
) {
    let tape = Tape::new();
    let grads = {
        let cx = match rng {
            Some(rng) => Ctx::train(&tape, store, rng),
            None => Ctx::eval(&tape, store),
        };
        let out = layer.forward(&cx, tape.constant(x.clone()), RecurrentInput::default());
        out.output.square().mean().backward()
    };
    store.zero_grad();
    store.accumulate(&grads);
    opt.step(store);
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
                bench.iter(|| train_step(&layer, &mut store, &x, &mut *opt, None))
            });
            // A variant of the plain layer, trained on the same input (with mask draws).
            let mut variant = |what: &str, config: RecurrentConfig| {
                let mut store = ParamStore::<f32>::new();
                let layer =
                    RecurrentLayer::new(&mut store.root(), config, &mut rng).expect("config");
                let mut opt = optimizer::<f32>("adam", 1e-3).expect("adam");
                let mut draws = Rng::new(1);
                group.bench_function(format!("train/{name}+{what}"), |bench| {
                    bench.iter(|| train_step(&layer, &mut store, &x, &mut *opt, Some(&mut draws)))
                });
            };
            if name == "char" {
                for (what, reg) in REGULARIZED {
                    variant(what, RecurrentConfig::new(kind, i, h).regularizers(reg));
                }
            }
            let gated = matches!(kind, RecurrentKind::Lstm | RecurrentKind::Gru);
            if gated && (name == "char" || name == "med") {
                variant(
                    "layer-norm",
                    RecurrentConfig::new(kind, i, h).layer_norm(true),
                );
            }
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
