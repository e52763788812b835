//! Quick runs of the `window`, `population` and `clipping` experiments: their pages, snapshots and
//! verdicts.

mod common;

use common::experiment::quick;

#[test]
fn window_quick_run() {
    let report = quick("window");
    insta::assert_snapshot!(report.snapshot());
    assert!(report.verdict.holds, "{}", report.verdict.because);
}

#[test]
fn clipping_quick_run() {
    let report = quick("clipping");
    insta::assert_snapshot!(report.snapshot());
    assert!(report.verdict.holds, "{}", report.verdict.because);
}

#[test]
fn population_quick_run() {
    let report = quick("population");
    insta::assert_snapshot!(report.snapshot());
    assert!(report.verdict.holds, "{}", report.verdict.because);
}
