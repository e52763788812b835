//! GEMM throughput at the products the recurrent kernel issues (`benches/gemm_shapes.json`):
//! seqzoo's `gemm` on 1 and 2 threads and matrixmultiply on one, one JSON line per shape (the
//! seqzoo side of `benches/gemm_side_by_side.sh`, which puts PyTorch's MKL beside it).
//!
//! `cargo run --release --example gemm_table [-- SECONDS_PER_CASE]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use autograd::kernels::{gemm, Gemm};
use serde_json::{json, Value};

/// The median seconds of one call of `f`, timed for about `budget` after a warm-up.
fn median_seconds(budget: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    while start.elapsed() < budget / 5 {
        f();
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || times.len() < 5 {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Deterministic values in [-0.06, 0.06].
fn values(len: usize, step: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * step % 13) as f32 - 6.0) * 0.01)
        .collect()
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .map_or(1.0, |s| s.parse().expect("seconds per case"));
    let budget = Duration::from_secs_f64(seconds);
    let shapes: Vec<Value> =
        serde_json::from_str(include_str!("../benches/gemm_shapes.json")).expect("shapes");
    let pools: Vec<(usize, rayon::ThreadPool)> = [1, 2]
        .into_iter()
        .map(|t| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build();
            (t, pool.expect("a thread pool"))
        })
        .collect();
    for s in shapes {
        let dim = |key: &str| s[key].as_u64().expect("a size") as usize;
        let flag = |key: &str| s[key].as_bool().expect("a flag");
        let g = Gemm {
            m: dim("m"),
            k: dim("k"),
            n: dim("n"),
            ta: flag("ta"),
            tb: flag("tb"),
        };
        let (a, b) = (values(g.m * g.k, 7), values(g.k * g.n, 5));
        let mut c = vec![0.0f32; g.m * g.n];
        let flops = 2.0 * (g.m * g.k * g.n) as f64;
        let mut row = json!({"name": s["name"]});
        for (threads, pool) in &pools {
            let t = pool.install(|| {
                median_seconds(budget, || {
                    gemm(g, 1.0, &a, &b, 0.0, &mut c);
                    black_box(&c);
                })
            });
            row[format!("seqzoo_{threads}t")] = json!(flops / t / 1e9);
        }
        // matrixmultiply on this thread: strides express the transposes.
        let (rsa, csa) = if g.ta { (1, g.m) } else { (g.k, 1) };
        let (rsb, csb) = if g.tb { (1, g.k) } else { (g.n, 1) };
        let t = median_seconds(budget, || {
            // SAFETY: a is m·k and b k·n values laid out by the strides above, c is m×n.
            unsafe {
                matrixmultiply::sgemm(
                    g.m,
                    g.k,
                    g.n,
                    1.0,
                    a.as_ptr(),
                    rsa as isize,
                    csa as isize,
                    b.as_ptr(),
                    rsb as isize,
                    csb as isize,
                    0.0,
                    c.as_mut_ptr(),
                    g.n as isize,
                    1,
                );
            }
            black_box(&c);
        });
        row["matrixmultiply_1t"] = json!(flops / t / 1e9);
        println!("{row}");
    }
}
