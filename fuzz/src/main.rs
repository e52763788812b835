//! `seqzoo-fuzz [--inputs N] [--seed S] [--threads T] [TARGET...]`: runs the fuzz targets and
//! prints one line per target; `--only I` reruns input I of one target; `--replay FILE` runs a
//! saved input. Exits 1 when any input panicked, hung or went over the allocation cap.

use clap::Parser;
use seqzoo_fuzz::alloc::{self, CountingAlloc, InputLabel};
use seqzoo_fuzz::driver::{self, InputResult, RunConfig, TABLE_HEADER};
use seqzoo_fuzz::targets::{self, Target, TARGETS};
use seqzoo_fuzz::Corpus;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Fuzz seqzoo's readers on stable Rust.
#[derive(Debug, Parser)]
#[command(name = "seqzoo-fuzz")]
struct Args {
    /// Targets to run (default: all): safetensors, exchange, checkpoint, csv, text, settings.
    targets: Vec<String>,
    /// Inputs per target.
    #[arg(long, default_value_t = 10_000)]
    inputs: u64,
    /// The seed inputs are generated from.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seconds of CPU time (four times as many on the wall clock) after which an input is a hang.
    #[arg(long, default_value_t = 5.0)]
    hang_secs: f64,
    /// The most MiB one input may hold live (or ask for at once).
    #[arg(long, default_value_t = 256)]
    cap_mib: usize,
    /// Rerun only input INDEX (of the one target named) and print what it did.
    #[arg(long, value_name = "INDEX")]
    only: Option<u64>,
    /// Run the saved input FILE through the one target named and print what it did.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Write the input's bytes (with --only) to FILE.
    #[arg(long, value_name = "FILE")]
    dump: Option<PathBuf>,
    /// List the targets and exit.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    alloc::set_cap(args.cap_mib << 20);
    if args.list {
        for t in TARGETS {
            println!("{:<12} {}", t.name, t.about);
        }
        return ExitCode::SUCCESS;
    }
    let chosen: Vec<Target> = if args.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        let mut chosen = Vec::new();
        for name in &args.targets {
            match targets::find(name) {
                Some(t) => chosen.push(t),
                None => {
                    eprintln!("unknown target '{name}'; run with --list");
                    return ExitCode::from(2);
                }
            }
        }
        chosen
    };
    let corpus = if chosen.iter().any(|t| t.needs_corpus) {
        match Corpus::build() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("cannot build the checkpoint corpus: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        Corpus::empty()
    };
    if args.only.is_some() || args.replay.is_some() {
        let [target] = chosen.as_slice() else {
            eprintln!("--only and --replay need exactly one target");
            return ExitCode::from(2);
        };
        return single(&args, target, &corpus);
    }
    let config = RunConfig {
        inputs: args.inputs,
        seed: args.seed,
        threads: args.threads,
        hang_after: Duration::from_secs_f64(args.hang_secs),
        ..RunConfig::default()
    };
    println!(
        "seqzoo-fuzz: {} inputs per target, seed {}, {} threads, cap {} MiB per input",
        config.inputs, config.seed, config.threads, args.cap_mib
    );
    println!("{TABLE_HEADER}");
    let mut failed = false;
    for target in &chosen {
        let report = driver::run_target(target, &corpus, &config);
        println!("{}", report.line());
        failed |= !report.passed();
    }
    if failed {
        println!("FAILED: rerun an input with `seqzoo-fuzz TARGET --seed S --only INDEX`");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs one input (generated, or read from a file) and prints what it did.
fn single(args: &Args, target: &Target, corpus: &Corpus) -> ExitCode {
    let (bytes, index) = match (&args.replay, args.only) {
        (Some(path), _) => match std::fs::read(path) {
            Ok(b) => (b, 0),
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        (None, Some(i)) => (driver::generate_input(target, corpus, args.seed, i), i),
        (None, None) => unreachable!("single is called with --only or --replay"),
    };
    if let Some(path) = &args.dump {
        if let Err(e) = std::fs::write(path, &bytes) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let label = InputLabel {
        target: target.name,
        seed: args.seed,
        index,
    };
    println!("{} input of {} bytes", target.name, bytes.len());
    driver::set_backtraces(true);
    match driver::run_input(target, label, &bytes) {
        InputResult::Returned(outcome, usage) => {
            println!("{outcome}");
            println!("peak {} bytes", usage.peak_bytes);
            ExitCode::SUCCESS
        }
        InputResult::Panicked(msg, usage) => {
            println!("PANIC: {msg}");
            println!("peak {} bytes", usage.peak_bytes);
            ExitCode::FAILURE
        }
    }
}
