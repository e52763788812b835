//! The short fuzz pass CI runs: a few thousand inputs of every target, with the counting
//! allocator installed, must all return — no panic, no hang, no input over the allocation cap.

use seqzoo_fuzz::alloc;
use seqzoo_fuzz::driver::{run_target, RunConfig};
use seqzoo_fuzz::{Corpus, CountingAlloc, TARGETS};
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Inputs per target in the short pass.
const SHORT_PASS_INPUTS: u64 = 5_000;

#[test]
fn every_target_survives_a_short_pass() {
    assert!(alloc::installed(), "the counting allocator is installed");
    let corpus = Corpus::build().expect("the checkpoint corpus trains");
    assert!(!corpus.checkpoints.is_empty());
    let config = RunConfig {
        inputs: SHORT_PASS_INPUTS,
        seed: 0,
        threads: 2,
        hang_after: Duration::from_secs(10),
        ..RunConfig::default()
    };
    let mut failed = Vec::new();
    for target in &TARGETS {
        let report = run_target(target, &corpus, &config);
        println!("{}", report.line());
        assert_eq!(report.inputs, SHORT_PASS_INPUTS);
        if !report.passed() {
            failed.push(format!("{}: {:?}", report.name, report.failures));
        }
    }
    assert!(failed.is_empty(), "fuzz failures: {failed:#?}");
}
