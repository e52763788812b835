//! How an LSTM training step and inference scale with the sequence length T and the batch B: the
//! seqzoo side of `benches/scaling_side_by_side.sh` (`benches/torch_scaling.py` is the PyTorch
//! side, with the same fields). Run by hand, never by CI.
//!
//! ```text
//! cargo run --release --example scaling_table                  # T sweep at B=32, B sweep at T=100
//! cargo run --release --example scaling_table -- --ts 50,100 --bs 1,8 --seconds 0.2
//! cargo run --release --example scaling_table -- --case 100 32  # one case, in this process
//! ```
//!
//! The layer: LSTM, H = 256, I = 65, one layer, unidirectional, batch-first `[B, T, I]` f32 input
//! (uniform in [-1, 1), fixed seed), 2 rayon threads. The training step is the one of
//! `benches/recurrent_step.rs` and `benches/torch_lstm.py`: forward over the whole sequence, loss =
//! mean(output²), backward, one Adam step (lr 1e-3); inference is the forward under `no_grad`.
//! Subnormals are not flushed (as in those benches).
//!
//! Cases: (T, 32) for each T of `--ts` (default 50,100,200,400,800), then (100, B) for each B of
//! `--bs` (default 1,8,32,128), a case met twice run once. Each case runs in a fresh process (this
//! program started again with `--case T B`), which prints one JSON line: `T`, `B`, `H`, `I`,
//! `train_ms` and `infer_ms` (medians of the per-step times after a warm-up of at least 3 steps
//! and min(0.5 s, `--seconds`), with as many timed steps as fill about `--seconds`, at least 3;
//! default 2), `train_iters`, `infer_iters`, `train_ms_mean`, `infer_ms_mean`, and the memory:
//! `rss_before_mib` (VmRSS once the layer, the input and the optimizer exist), `hwm_after_mib`
//! (VmHWM after the first training step), `train_peak_mib` = their difference, and `hwm_reset`
//! (whether writing "5" to /proc/self/clear_refs reset the high-water mark before the step; when
//! it did not, VmHWM is the fresh process's, still a bound on the step's peak).
//!
//! `autograd::kernels::keep_freed_memory()` (glibc mallopt: buffers of every size from the heap,
//! freed memory kept, 64 MiB top pad) is called after the memory step and before the timing: the
//! memory figure is measured with glibc's default allocator settings, as PyTorch runs (it does not
//! tune malloc), so it counts what the step holds live and not what the tuned allocator keeps
//! cached; the timing is measured with it, as the `seqzoo` binary and the criterion benches run.

use std::process::Command;
use std::time::Instant;

use autograd::optim::optimizer;
use autograd::{ParamStore, Rng, Tape, Tensor};
use serde_json::json;
use zoo::{Ctx, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer};

const H: usize = 256;
const I: usize = 65;
const THREADS: usize = 2;

/// One field of /proc/self/status in KiB (`VmRSS`, `VmHWM`), 0 where unavailable.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(&format!("{field}:")))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Per-step times in seconds of `step` run for about `seconds` after a warm-up of at least 3 steps
/// and min(0.5, `seconds`) seconds, as `benches/torch_lstm.py` times (at least 3 timed steps).
fn timed(seconds: f64, mut step: impl FnMut()) -> Vec<f64> {
    let warmup = seconds.min(0.5);
    let start = Instant::now();
    let mut n = 0;
    while n < 3 || start.elapsed().as_secs_f64() < warmup {
        step();
        n += 1;
    }
    let per = start.elapsed().as_secs_f64() / n as f64;
    let iters = ((seconds / per).ceil() as usize).max(3);
    (0..iters)
        .map(|_| {
            let t = Instant::now();
            step();
            t.elapsed().as_secs_f64()
        })
        .collect()
}

/// Median and mean of `times`, in milliseconds.
fn median_mean_ms(times: &[f64]) -> (f64, f64) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    (median * 1e3, mean * 1e3)
}

/// Runs one case in this process and prints its JSON line.
fn run_case(t: usize, b: usize, seconds: f64) {
    rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build_global()
        .expect("the global thread pool");
    // Start the workers before the memory is read, so their stacks are not the step's.
    rayon::broadcast(|_| ());
    let mut rng = Rng::new(0);
    let mut store = ParamStore::<f32>::new();
    let config = RecurrentConfig::new(RecurrentKind::Lstm, I, H);
    let layer = RecurrentLayer::new(&mut store.root(), config, &mut rng).expect("config");
    let x = Tensor::from_fn(&[b, t, I], |_| rng.uniform_in(-1.0, 1.0) as f32);
    let mut opt = optimizer::<f32>("adam", 1e-3).expect("adam");
    let mut train = || {
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
    };

    // Memory of the first training step, with glibc's default malloc settings.
    let rss_before = status_kib("VmRSS");
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    train();
    let hwm_after = status_kib("VmHWM");

    autograd::kernels::keep_freed_memory();
    let (train_ms, train_ms_mean, train_iters) = {
        let times = timed(seconds, &mut train);
        let (median, mean) = median_mean_ms(&times);
        (median, mean, times.len())
    };
    let infer = || {
        let tape = Tape::new();
        let _guard = tape.no_grad();
        let out = layer.forward(
            &Ctx::eval(&tape, &store),
            tape.constant(x.clone()),
            RecurrentInput::default(),
        );
        std::hint::black_box(out.output.value());
    };
    let times = timed(seconds, infer);
    let (infer_ms, infer_ms_mean) = median_mean_ms(&times);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    println!(
        "{}",
        json!({
            "side": "seqzoo",
            "T": t, "B": b, "H": H, "I": I, "threads": THREADS,
            "train_ms": round(train_ms), "train_ms_mean": round(train_ms_mean),
            "train_iters": train_iters,
            "infer_ms": round(infer_ms), "infer_ms_mean": round(infer_ms_mean),
            "infer_iters": times.len(),
            "rss_before_mib": round(mib(rss_before)),
            "hwm_after_mib": round(mib(hwm_after)),
            "train_peak_mib": round(mib(hwm_after.saturating_sub(rss_before))),
            "hwm_reset": hwm_reset,
        })
    );
}

/// A comma-separated list of sizes.
fn sizes(s: &str) -> Vec<usize> {
    s.split(',')
        .filter(|v| !v.is_empty())
        .map(|v| v.trim().parse().expect("a comma-separated list of sizes"))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut ts = sizes("50,100,200,400,800");
    let mut bs = sizes("1,8,32,128");
    let mut seconds = 2.0;
    let mut case = None;
    let mut k = 0;
    while k < args.len() {
        let value = |k: usize| args.get(k + 1).expect("a value after the flag").as_str();
        match args[k].as_str() {
            "--ts" => ts = sizes(value(k)),
            "--bs" => bs = sizes(value(k)),
            "--seconds" => seconds = value(k).parse().expect("seconds per case"),
            "--case" => {
                let t = value(k).parse().expect("T");
                let b = args.get(k + 2).expect("B").parse().expect("B");
                case = Some((t, b));
                k += 1;
            }
            other => panic!("unknown argument {other}; see the doc comment of this example"),
        }
        k += 2;
    }
    if let Some((t, b)) = case {
        run_case(t, b, seconds);
        return;
    }
    let mut cases: Vec<(usize, usize)> = ts.iter().map(|&t| (t, 32)).collect();
    cases.extend(bs.iter().map(|&b| (100, b)));
    let mut seen = Vec::new();
    cases.retain(|c| {
        let new = !seen.contains(c);
        seen.push(*c);
        new
    });
    let exe = std::env::current_exe().expect("this program's path");
    for (t, b) in cases {
        let status = Command::new(&exe)
            .args(["--case", &t.to_string(), &b.to_string()])
            .args(["--seconds", &seconds.to_string()])
            .status()
            .expect("a child process");
        assert!(status.success(), "case T={t} B={b} failed");
    }
}
