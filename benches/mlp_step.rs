//! One MLP training step (forward, softmax cross-entropy, backward, Adam) at a char-model size.

use autograd::optim::optimizer;
use autograd::{ParamStore, Rng, Tape, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use zoo::{Ctx, Linear};

/// Batch, input, hidden and class sizes: a 2048-row batch through 65 → 512 → 512 → 65.
const B: usize = 2048;
const SIZES: [usize; 4] = [65, 512, 512, 65];

fn bench_mlp_step(c: &mut Criterion) {
    autograd::kernels::keep_freed_memory();
    let mut rng = Rng::new(0);
    let mut store = ParamStore::<f32>::new();
    let layers: Vec<Linear> = (0..3)
        .map(|i| Linear::new(&mut store.path(i), SIZES[i], SIZES[i + 1], true, &mut rng))
        .collect();
    let x = Tensor::from_fn(&[B, SIZES[0]], |_| rng.uniform_in(-1.0, 1.0) as f32);
    let targets: Vec<i64> = (0..B).map(|_| rng.below(SIZES[3]) as i64).collect();
    let mut opt = optimizer::<f32>("adam", 1e-3).expect("adam");
    // Training FLOPs ≈ 3 × forward GEMM FLOPs (forward, grad of input, grad of weight).
    let flops: usize = SIZES.windows(2).map(|w| 3 * 2 * B * w[0] * w[1]).sum();
    let mut group = c.benchmark_group("mlp_step");
    group.throughput(Throughput::Elements(flops as u64));
    group
        .measurement_time(Duration::from_secs(5))
        .sample_size(20);
    group.bench_function("2048x65-512-512-65", |bench| {
        bench.iter(|| {
            let tape = Tape::new();
            let cx = Ctx::eval(&tape, &store);
            let mut h = tape.constant(x.clone());
            for (i, layer) in layers.iter().enumerate() {
                h = layer.forward(&cx, h);
                if i + 1 < layers.len() {
                    h = h.tanh();
                }
            }
            let loss = h.cross_entropy(&targets);
            store.zero_grad();
            store.accumulate(&loss.backward());
            opt.step(&mut store);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_mlp_step);
criterion_main!(benches);
