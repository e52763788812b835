//! GEMM at recurrent shapes: raw matrixmultiply on one core vs seqzoo's wrapper on 1 and 2 threads.
//!
//! Throughput is reported in elements/s where one element is one floating-point operation, so
//! criterion's "Gelem/s" reads as GFLOP/s.

use autograd::kernels::{gemm, Gemm};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// (name, m, k, n): the input projection, a char-LM projection and a large projection.
const SHAPES: [(&str, usize, usize, usize); 3] = [
    ("32x256x1024", 32, 256, 1024),
    ("2048x65x512", 2048, 65, 512),
    ("2048x256x1024", 2048, 256, 1024),
];

fn buffers(m: usize, k: usize, n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let a = (0..m * k)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.01)
        .collect();
    let b = (0..k * n)
        .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.01)
        .collect();
    (a, b, vec![0.0; m * n])
}

fn bench_gemm(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm");
    group
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    for (name, m, k, n) in SHAPES {
        let (a, b, mut out) = buffers(m, k, n);
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_with_input(
            BenchmarkId::new("matrixmultiply-1core", name),
            &(),
            |bench, _| {
                bench.iter(|| unsafe {
                    // SAFETY: a, b, out are m×k, k×n and m×n row-major buffers.
                    matrixmultiply::sgemm(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_ptr(),
                        k as isize,
                        1,
                        b.as_ptr(),
                        n as isize,
                        1,
                        0.0,
                        out.as_mut_ptr(),
                        n as isize,
                        1,
                    );
                    black_box(&out);
                })
            },
        );
        let g = Gemm {
            m,
            k,
            n,
            ta: false,
            tb: false,
        };
        for (threads, pool) in [("seqzoo-1thread", &one), ("seqzoo-2threads", &two)] {
            group.bench_with_input(BenchmarkId::new(threads, name), &(), |bench, _| {
                pool.install(|| {
                    bench.iter(|| {
                        gemm(g, 1.0, &a, &b, 0.0, &mut out);
                        black_box(&out);
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_gemm);
criterion_main!(benches);
