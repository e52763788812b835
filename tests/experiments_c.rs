//! The quick runs of `copy`, `bidirectional` and `gru-vs-lstm`: stable cells and verdicts pinned,
//! pages, JSON and plots checked, and the numbers each verdict rests on.

mod common;

use common::experiment::quick;

/// The table's column `name` of row `row`, as shown.
fn cell(report: &seqzoo::experiment::Report, row: usize, name: &str) -> String {
    let table = &report.tables[0];
    let col = table.header.iter().position(|h| h == name).unwrap();
    table.rows[row][col].show()
}

#[test]
fn copy() {
    let report = quick("copy");
    insta::assert_snapshot!(report.snapshot());
    assert_eq!(cell(&report, 0, "baseline"), "0.6931", "10·ln 8 / 30");
    assert!(
        report.verdict.because.contains("T = 20"),
        "{}",
        report.verdict.because
    );
}

#[test]
fn bidirectional() {
    let report = quick("bidirectional");
    insta::assert_snapshot!(report.snapshot());
    let future = |row| {
        cell(&report, row, "future-decided accuracy")
            .parse::<f64>()
            .unwrap()
    };
    assert!(
        future(1) > 0.9 && future(0) < 0.65,
        "{}",
        report.verdict.because
    );
}

#[test]
fn gru_vs_lstm() {
    let report = quick("gru-vs-lstm");
    insta::assert_snapshot!(report.snapshot());
    assert_eq!(report.plots.len(), 3, "one chart per task");
    for row in 0..3 {
        let ratio: f64 = cell(&report, row, "GRU / LSTM weights").parse().unwrap();
        assert!((0.74..0.8).contains(&ratio), "row {row}: {ratio}");
    }
}
