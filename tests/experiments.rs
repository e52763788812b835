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

#[test]
fn the_command_writes_the_page_and_prints_every_number_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pages");
    let printed = common::cli::stdout(&[
        "experiment",
        "adding",
        "--quick",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let last: serde_json::Value = serde_json::from_str(printed.lines().last().unwrap()).unwrap();
    assert_eq!(last["experiment"], "adding");
    assert_eq!(last["quick"], true);
    let verdict = if last["holds"] == true {
        "verdict: holds"
    } else {
        "verdict: does not hold"
    };
    assert!(printed.contains(verdict), "{printed}");
    for file in [
        "adding.md",
        "adding.json",
        "adding-curves.svg",
        "adding-lengths.svg",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("adding.json")).unwrap()).unwrap();
    assert_eq!(
        saved["tables"], last["tables"],
        "the file holds the printed numbers"
    );
}

#[test]
fn an_unwritable_out_dir_fails_before_any_training() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = blocker.join("pages");
    let run = common::cli::seqzoo(&["experiment", "adding", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("pages"), "{err}");
    assert!(!err.contains("experiment adding:"), "no run started: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
