//! `seqzoo data` run as a real binary: output snapshots for fixed seeds, exit codes, errors.

use std::process::{Command, Output};

fn seqzoo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seqzoo"))
        .args(args)
        .output()
        .expect("the seqzoo binary runs")
}

fn stdout(args: &[&str]) -> String {
    let out = seqzoo(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn snapshots_of_every_task() {
    for task in datasets::registry::names() {
        let text = stdout(&["data", task, "--n", "3", "--seed", "7"]);
        insta::assert_snapshot!(format!("data_{task}"), text);
    }
}

#[test]
fn same_seed_same_output_other_seed_other_output() {
    for task in ["adding", "dates", "mackey-glass", "corpus"] {
        let a = stdout(&["data", task, "--seed", "1"]);
        assert_eq!(a, stdout(&["data", task, "--seed", "1"]));
        if task != "mackey-glass" {
            // Mackey-Glass has no randomness: its series is the same for every seed.
            assert_ne!(a, stdout(&["data", task, "--seed", "2"]), "{task}");
        }
    }
}

#[test]
fn n_controls_the_number_of_examples() {
    let text = stdout(&["data", "sentiment", "--n", "4"]);
    assert_eq!(text.lines().filter(|l| l.starts_with('#')).count(), 4);
    let dates = stdout(&["data", "dates", "--n", "12"]);
    assert!(dates.lines().filter(|l| l.contains(" → ")).count() == 12);
}

#[test]
fn unknown_task_lists_known_ones_and_exits_2() {
    let out = seqzoo(&["data", "no-such-task"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-task") && err.contains("adding") && err.contains("dates"));
}

#[test]
fn bad_arguments_are_usage_errors() {
    assert_eq!(
        seqzoo(&["data", "adding", "--n", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(seqzoo(&["data"]).status.code(), Some(2));
}

#[test]
fn no_subcommand_prints_usage_mentioning_the_demo() {
    let text = stdout(&[]);
    assert!(text.contains("seqzoo data") && text.contains("demo"));
}
