//! Quick runs of the teacher-forcing, encoder-decoder and captioning experiments: stable cells
//! and verdicts pinned, pages and plots checked.

mod common;

use common::experiment::quick;

#[test]
fn teacher_forcing() {
    let report = quick("teacher-forcing");
    insta::assert_snapshot!(report.snapshot());
    let runs = report.data["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 4, "three ratios and the schedule");
    assert!(runs.iter().all(|r| r["forced_loss"].is_number()));
}

#[test]
fn encoder_decoder() {
    let report = quick("encoder-decoder");
    insta::assert_snapshot!(report.snapshot());
    let runs = report.data["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 6, "three tasks, with and without attention");
}

#[test]
fn captioning() {
    let report = quick("captioning");
    insta::assert_snapshot!(report.snapshot());
    let runs = report.data["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3, "two conditionings and the baseline");
    assert!(runs
        .iter()
        .all(|r| r["samples"].as_array().is_some_and(|s| s.len() == 3)));
}
