//! The harness can fail: a panicking target, an over-allocating target and a hanging target are
//! each reported, with the failing input saved; inputs are reproducible from seed and index.

use seqzoo_fuzz::alloc;
use seqzoo_fuzz::driver::{generate_input, run_target, RunConfig};
use seqzoo_fuzz::mutate::Gen;
use seqzoo_fuzz::targets::{self, Target};
use seqzoo_fuzz::{Corpus, CountingAlloc};
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn three_bytes(_rng: &mut Gen, _corpus: &Corpus) -> Vec<u8> {
    vec![1, 2, 3]
}

fn panics(_input: &[u8]) -> String {
    panic!("deliberate panic of the test target")
}

fn allocates_4_mib(_input: &[u8]) -> String {
    let v = std::hint::black_box(vec![7u8; 4 << 20]);
    format!("ok: {} bytes", v.len())
}

fn sleeps(input: &[u8]) -> String {
    std::thread::sleep(Duration::from_millis(1000));
    format!("ok: {} bytes", input.len())
}

fn target(name: &'static str, run: fn(&[u8]) -> String) -> Target {
    Target {
        name,
        about: "a test target",
        needs_corpus: false,
        generate: three_bytes,
        run,
    }
}

#[test]
fn panics_allocations_and_hangs_are_detected() {
    assert!(alloc::installed(), "the counting allocator is installed");
    let dir = std::env::temp_dir().join(format!("seqzoo-fuzz-test-{}", std::process::id()));
    let config = RunConfig {
        inputs: 40,
        seed: 9,
        threads: 2,
        hang_after: Duration::from_millis(200),
        failures_dir: Some(dir.clone()),
        verbose: false,
    };
    let corpus = Corpus::empty();

    let report = run_target(&target("always-panics", panics), &corpus, &config);
    assert_eq!(report.panics, 40);
    assert!(!report.passed());
    let first = &report.failures[0];
    assert_eq!(first.kind, "panic");
    assert!(
        first.message.contains("deliberate panic"),
        "{}",
        first.message
    );
    let saved = first.saved.as_ref().expect("the failing input is saved");
    assert_eq!(std::fs::read(saved).unwrap(), vec![1, 2, 3]);

    // The cap records instead of aborting here, so the run can report it.
    assert!(alloc::exceeds_cap(0, 2 << 20, 1 << 20));
    assert!(alloc::exceeds_cap(900 << 10, 200 << 10, 1 << 20));
    assert!(!alloc::exceeds_cap(100, 100, 1 << 20));
    alloc::set_abort_over_cap(false);
    alloc::set_cap(1 << 20);
    let report = run_target(&target("over-allocates", allocates_4_mib), &corpus, &config);
    alloc::set_cap(alloc::DEFAULT_CAP);
    alloc::set_abort_over_cap(true);
    assert_eq!(report.over_cap, 40);
    assert_eq!(report.panics, 0);
    assert!(report.peak_bytes >= 4 << 20, "peak {}", report.peak_bytes);
    assert!(!report.passed());

    let config = RunConfig {
        inputs: 2,
        ..config
    };
    let report = run_target(&target("sleeps", sleeps), &corpus, &config);
    assert_eq!(report.hangs, 2);
    assert!(!report.passed());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_input_is_reproducible_from_seed_and_index() {
    let corpus = Corpus::empty();
    let t = targets::find("safetensors").expect("the safetensors target");
    let a = generate_input(&t, &corpus, 5, 17);
    assert_eq!(a, generate_input(&t, &corpus, 5, 17));
    assert_ne!(a, generate_input(&t, &corpus, 5, 18));
    assert_ne!(a, generate_input(&t, &corpus, 6, 17));
}
