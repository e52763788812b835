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
