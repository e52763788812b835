//! The driver: runs a target's inputs 0..N over worker threads, each input generated from the
//! run's seed and its index (so any one can be rerun alone), under `catch_unwind` with a quiet
//! panic hook, the counting allocator's per-input accounting, and a watchdog that reports an
//! input computing too long (in CPU time) or stuck as a hang. Failing inputs are saved for replay.

use crate::alloc::{self, InputLabel};
use crate::corpus::Corpus;
use crate::cputime::ThreadCpu;
use crate::mutate::input_gen;
use crate::targets::{Outcome, Target};
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

/// How a run goes.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Inputs per target.
    pub inputs: u64,
    /// The seed every input is generated from (with the target and the index).
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// An input using this much CPU time (or four times it on the wall clock) is reported as a hang.
    pub hang_after: Duration,
    /// Where failing inputs are saved (`None`: not saved).
    pub failures_dir: Option<PathBuf>,
    /// Print each failure as it happens.
    pub verbose: bool,
}

impl Default for RunConfig {
    /// 10,000 inputs, seed 0, 2 threads, hangs after 5 s, failures saved under `fuzz/failures/`.
    fn default() -> Self {
        RunConfig {
            inputs: 10_000,
            seed: 0,
            threads: 2,
            hang_after: Duration::from_secs(5),
            failures_dir: Some(default_failures_dir()),
            verbose: true,
        }
    }
}

/// `fuzz/failures/` in the source tree (git-ignored).
pub fn default_failures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("failures")
}

/// One failing input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The input's index.
    pub index: u64,
    /// `panic`, `hang` or `over allocation cap`.
    pub kind: &'static str,
    /// The panic message, or what was exceeded.
    pub message: String,
    /// Where the input was saved, if it was.
    pub saved: Option<PathBuf>,
}

/// What a target's run did.
#[derive(Clone, Debug, Default)]
pub struct TargetReport {
    /// The target.
    pub name: &'static str,
    /// Inputs run.
    pub inputs: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The most bytes one input held live at once.
    pub peak_bytes: usize,
    /// The input that held them.
    pub peak_index: u64,
    /// Inputs that panicked.
    pub panics: u64,
    /// Inputs that ran past the hang limit.
    pub hangs: u64,
    /// Inputs over the allocation cap (only when the cap records instead of aborting).
    pub over_cap: u64,
    /// Inputs that were rejected with an error (the rest loaded or parsed).
    pub errors: u64,
    /// The failing inputs (at most the first 100).
    pub failures: Vec<Failure>,
}

impl TargetReport {
    /// Whether every input returned within the limits.
    pub fn passed(&self) -> bool {
        self.panics == 0 && self.hangs == 0 && self.over_cap == 0
    }

    /// The table line: inputs, seconds, peak bytes of one input, panics, hangs, over-cap.
    pub fn line(&self) -> String {
        format!(
            "{:<12} {:>10} inputs {:>9.1} s {:>12} peak bytes/input (#{}) {:>4} panics {:>4} hangs {:>4} over-cap {:>5.1}% rejected",
            self.name,
            self.inputs,
            self.seconds,
            self.peak_bytes,
            self.peak_index,
            self.panics,
            self.hangs,
            self.over_cap,
            100.0 * self.errors as f64 / self.inputs.max(1) as f64
        )
    }
}

/// The header of the table [`TargetReport::line`] fills.
pub const TABLE_HEADER: &str = "target       inputs run, seconds, peak bytes of one input, panics, hangs, inputs over the cap, share rejected with an error";

thread_local! {
    static IN_INPUT: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Whether a panic's message carries a backtrace.
static BACKTRACES: AtomicBool = AtomicBool::new(false);

/// Makes panics inside inputs carry a backtrace in their message (for reproducing one input).
pub fn set_backtraces(on: bool) {
    BACKTRACES.store(on, Ordering::Relaxed);
}

/// Installs (once) a panic hook that is quiet inside an input — it keeps the message and place
/// for the report — and the default hook's behaviour elsewhere.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_INPUT.with(Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let payload = info.payload();
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string panic payload)".into());
                // When reproducing one input, where it came from (symbolizing is slow).
                let trace = if BACKTRACES.load(Ordering::Relaxed) {
                    format!("\n{}", std::backtrace::Backtrace::force_capture())
                } else {
                    String::new()
                };
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{place}{trace}")));
            } else {
                default(info);
            }
        }));
    });
}

/// The result of one input run alone.
#[derive(Debug)]
pub enum InputResult {
    /// It returned: what it did, and the bytes it held at its peak.
    Returned(Outcome, alloc::InputUsage),
    /// It panicked with this message.
    Panicked(String, alloc::InputUsage),
}

/// Runs `target` on `bytes` under `catch_unwind` and the allocator's accounting.
pub fn run_input(target: &Target, label: InputLabel, bytes: &[u8]) -> InputResult {
    install_panic_hook();
    IN_INPUT.with(|f| f.set(true));
    alloc::begin_input(label);
    let result = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(bytes)));
    let usage = alloc::end_input();
    IN_INPUT.with(|f| f.set(false));
    match result {
        Ok(outcome) => InputResult::Returned(outcome, usage),
        Err(_) => {
            let msg = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "(no message)".into());
            InputResult::Panicked(msg, usage)
        }
    }
}

/// The bytes of input `index` of `target` under `seed`.
pub fn generate_input(target: &Target, corpus: &Corpus, seed: u64, index: u64) -> Vec<u8> {
    (target.generate)(&mut input_gen(seed, target.name, index), corpus)
}

/// Saves a failing input as `<dir>/<target>-seed<S>-<index>.bin`.
fn save_failure(config: &RunConfig, target: &str, index: u64, bytes: &[u8]) -> Option<PathBuf> {
    let dir = config.failures_dir.as_ref()?;
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(format!("{target}-seed{}-{index}.bin", config.seed));
    std::fs::write(&path, bytes).ok()?;
    Some(path)
}

/// The input a worker is running, for the watchdog.
struct Running {
    index: u64,
    started: Instant,
    bytes: Arc<[u8]>,
    reported: bool,
    /// The worker's CPU time when the watchdog first looked at this input.
    cpu_at_first_look: Option<Duration>,
}

/// What the workers of one target share.
struct Shared<'a> {
    target: &'a Target,
    corpus: &'a Corpus,
    config: &'a RunConfig,
    next: AtomicU64,
    done: AtomicBool,
    slots: Vec<Mutex<Option<Running>>>,
    cpus: Vec<OnceLock<Option<ThreadCpu>>>,
    report: Mutex<TargetReport>,
    errors: AtomicU64,
    peak: AtomicUsize,
}

/// Inputs a worker claims at a time.
const CHUNK: u64 = 16;

/// Runs `config.inputs` inputs of `target` and reports what they did.
pub fn run_target(target: &Target, corpus: &Corpus, config: &RunConfig) -> TargetReport {
    install_panic_hook();
    let threads = config.threads.max(1);
    let shared = Shared {
        target,
        corpus,
        config,
        next: AtomicU64::new(0),
        done: AtomicBool::new(false),
        slots: (0..threads).map(|_| Mutex::new(None)).collect(),
        cpus: (0..threads).map(|_| OnceLock::new()).collect(),
        report: Mutex::new(TargetReport {
            name: target.name,
            ..TargetReport::default()
        }),
        errors: AtomicU64::new(0),
        peak: AtomicUsize::new(0),
    };
    let start = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let shared = &shared;
                scope.spawn(move || worker(shared, w))
            })
            .collect();
        let watchdog = scope.spawn(|| watchdog(&shared));
        for w in workers {
            let _ = w.join();
        }
        shared.done.store(true, Ordering::Relaxed);
        let _ = watchdog.join();
    });
    let mut report = shared
        .report
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    report.inputs = config.inputs;
    report.seconds = start.elapsed().as_secs_f64();
    report.errors = shared.errors.load(Ordering::Relaxed);
    report
}

/// Claims chunks of inputs and runs them until all are claimed.
fn worker(shared: &Shared<'_>, w: usize) {
    let (target, config) = (shared.target, shared.config);
    let _ = shared.cpus[w].set(ThreadCpu::current());
    loop {
        let first = shared.next.fetch_add(CHUNK, Ordering::Relaxed);
        if first >= config.inputs {
            return;
        }
        for index in first..(first + CHUNK).min(config.inputs) {
            let bytes: Arc<[u8]> = generate_input(target, shared.corpus, config.seed, index).into();
            set_slot(shared, w, Some((index, bytes.clone())));
            let label = InputLabel {
                target: target.name,
                seed: config.seed,
                index,
            };
            let result = run_input(target, label, &bytes);
            let hung = set_slot(shared, w, None);
            let (failure, usage) = match result {
                InputResult::Returned(outcome, usage) => {
                    if outcome.starts_with("error") {
                        shared.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    let failure = usage.over_cap.map(|b| {
                        (
                            "over allocation cap",
                            format!("{b} bytes, cap {}", alloc::cap()),
                        )
                    });
                    (failure, usage)
                }
                InputResult::Panicked(msg, usage) => (Some(("panic", msg)), usage),
            };
            if usage.peak_bytes > shared.peak.fetch_max(usage.peak_bytes, Ordering::Relaxed) {
                let mut report = lock(&shared.report);
                if usage.peak_bytes >= report.peak_bytes {
                    report.peak_bytes = usage.peak_bytes;
                    report.peak_index = index;
                }
            }
            if let Some((kind, message)) = failure {
                record(shared, index, kind, message, &bytes);
            }
            if hung {
                lock(&shared.report).hangs += 1;
            }
        }
    }
}

/// Locks a mutex, even one a panicking thread left poisoned.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets worker `w`'s running input; returns whether the input it replaces was reported hung.
fn set_slot(shared: &Shared<'_>, w: usize, input: Option<(u64, Arc<[u8]>)>) -> bool {
    let new = input.map(|(index, bytes)| Running {
        index,
        started: Instant::now(),
        bytes,
        reported: false,
        cpu_at_first_look: None,
    });
    let old = std::mem::replace(&mut *lock(&shared.slots[w]), new);
    old.is_some_and(|r| r.reported)
}

/// Records a failure: counts it, saves the input, prints it.
fn record(shared: &Shared<'_>, index: u64, kind: &'static str, message: String, bytes: &[u8]) {
    let (target, config) = (shared.target, shared.config);
    let saved = save_failure(config, target.name, index, bytes);
    if config.verbose {
        eprintln!(
            "{} target={} seed={} index={}: {message}{}",
            kind.to_uppercase(),
            target.name,
            config.seed,
            index,
            saved
                .as_ref()
                .map(|p| format!(" (saved {})", p.display()))
                .unwrap_or_default()
        );
    }
    let mut report = lock(&shared.report);
    match kind {
        "panic" => report.panics += 1,
        "hang" => {}
        _ => report.over_cap += 1,
    }
    if report.failures.len() < 100 {
        report.failures.push(Failure {
            index,
            kind,
            message,
            saved,
        });
    }
}

/// Every 50 ms: reports an input as hung (once) when, since the watchdog first saw it, its
/// worker has used the hang limit in CPU time, or when it has run four times the limit on the
/// wall clock (blocked, or starved on a busy machine; without a CPU clock, the limit itself); and
/// ends the process when one has run twenty times the limit (it will not return).
fn watchdog(shared: &Shared<'_>) {
    let limit = shared.config.hang_after;
    while !shared.done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        for (slot, cpu) in shared.slots.iter().zip(&shared.cpus) {
            let cpu = cpu.get().and_then(Option::as_ref);
            let mut hung = None;
            {
                let mut slot = lock(slot);
                let Some(running) = slot.as_mut() else {
                    continue;
                };
                let age = running.started.elapsed();
                if age < Duration::from_millis(100) || running.reported {
                    if age > limit * 20 {
                        eprintln!(
                            "HANG target={} seed={} index={}: still running after {:.0} s; giving up",
                            shared.target.name,
                            shared.config.seed,
                            running.index,
                            age.as_secs_f64()
                        );
                        std::process::exit(3);
                    }
                    continue;
                }
                let now = cpu.and_then(ThreadCpu::used);
                if running.cpu_at_first_look.is_none() {
                    running.cpu_at_first_look = now;
                }
                let busy = match (now, running.cpu_at_first_look) {
                    (Some(now), Some(first)) => now.saturating_sub(first) >= limit,
                    _ => age >= limit,
                };
                if busy || age >= limit * 4 {
                    running.reported = true;
                    hung = Some((running.index, running.bytes.clone(), age));
                }
            }
            if let Some((index, bytes, age)) = hung {
                let message = format!(
                    "running for {:.1} s (limit {:.1} s of CPU time)",
                    age.as_secs_f64(),
                    limit.as_secs_f64()
                );
                record(shared, index, "hang", message, &bytes);
            }
        }
    }
}
