//! Each experiment's quick run: its table's stable cells and verdict pinned, its page, JSON and
//! SVG plots written and well-formed.

mod common;

use common::experiment::quick;
use seqzoo::experiment;

#[test]
fn list_names_every_experiment_once() {
    let names: Vec<&str> = experiment::all().iter().map(|e| e.name()).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    let listed = common::cli::stdout(&["experiment", "list"]);
    for name in names {
        assert!(
            listed.lines().any(|l| l.starts_with(name)),
            "{name} in:\n{listed}"
        );
    }
}

#[test]
fn an_unknown_experiment_is_a_usage_error_naming_the_known_ones() {
    let out = common::cli::seqzoo(&["experiment", "no-such-claim", "--quick"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-claim") && err.contains("adding"),
        "{err}"
    );
}

#[test]
fn adding() {
    let report = quick("adding");
    insta::assert_snapshot!(report.snapshot());
}

#[test]
fn gradient_flow() {
    let report = quick("gradient-flow");
    insta::assert_snapshot!(report.snapshot());
    // The sweep's ln-change per step never exceeds ln ρ: tanh's slope is at most 1.
    let sweep = &report.json()["tables"][1]["rows"];
    for row in sweep.as_array().unwrap() {
        let (ln_rho, slope) = (row[1].as_f64().unwrap(), row[3].as_f64().unwrap());
        assert!(slope <= ln_rho + 0.02, "{row}");
    }
}
