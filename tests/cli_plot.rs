//! `seqzoo plot` and `train --plot`: training curves as SVG, and clear errors for bad logs.

mod common;

use common::cli::{seqzoo, stdout};

/// Trains a tiny adding model with a log and a plot in `dir`; returns (log, plot) paths.
fn train(dir: &std::path::Path, model: &str) -> (String, String) {
    let log = dir.join(format!("{model}.jsonl")).display().to_string();
    let plot = dir.join(format!("{model}.svg")).display().to_string();
    stdout(&[
        "train",
        "--task",
        "adding",
        "--set",
        "t=10",
        "--model",
        model,
        "--hidden",
        "8",
        "--steps",
        "40",
        "--val-every",
        "10",
        "--val-size",
        "64",
        "--log",
        &log,
        "--plot",
        &plot,
    ]);
    (log, plot)
}

#[test]
fn train_plot_draws_the_runs_loss_curves() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plot) = train(dir.path(), "gru");
    let texts = common::svg::texts(&std::fs::read_to_string(plot).unwrap());
    for wanted in ["training step", "loss: mean squared error"] {
        assert!(texts.iter().any(|t| t == wanted), "{wanted} in {texts:?}");
    }
    let legend: Vec<&String> = texts
        .iter()
        .filter(|t| t.ends_with(" train") || t.ends_with(" validation"))
        .collect();
    assert_eq!(legend.len(), 2, "{texts:?}");
}

#[test]
fn plot_overlays_every_log_named_by_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let (srn, _) = train(dir.path(), "srn");
    let (lstm, _) = train(dir.path(), "lstm");
    let out = dir.path().join("both.svg").display().to_string();
    let said = stdout(&["plot", &srn, &lstm, "-o", &out]);
    assert!(said.contains("4 series"), "{said}");
    let texts = common::svg::texts(&std::fs::read_to_string(&out).unwrap());
    for wanted in [
        "srn train",
        "srn validation",
        "lstm train",
        "lstm validation",
    ] {
        assert!(texts.iter().any(|t| t == wanted), "{wanted} in {texts:?}");
    }
    let mse = dir.path().join("mse.svg").display().to_string();
    stdout(&["plot", &srn, "--metric", "val_mse", "-o", &mse]);
    let texts = common::svg::texts(&std::fs::read_to_string(&mse).unwrap());
    assert!(texts.iter().any(|t| t == "srn val_mse"), "{texts:?}");
}

#[test]
fn a_bad_log_is_an_error_naming_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.svg").display().to_string();
    let cases = [
        (
            "garbage.jsonl",
            "{\"step\": 10, \"val_loss\": 1.0}\nnot json\n",
            "line 2",
        ),
        ("nostep.jsonl", "{\"val_loss\": 1.0}\n", "line 1"),
        ("empty.jsonl", "\n\n", "no validation lines"),
        ("array.jsonl", "[1, 2]\n", "line 1"),
    ];
    for (name, text, what) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let run = seqzoo(&["plot", path.to_str().unwrap(), "-o", &out]);
        assert_eq!(run.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(name) && err.contains(what), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(
        !dir.path().join("x.svg").exists(),
        "nothing written for a bad log"
    );
    let run = seqzoo(&[
        "plot",
        dir.path().join("missing.jsonl").to_str().unwrap(),
        "-o",
        &out,
    ]);
    assert_eq!(run.status.code(), Some(1));
    let log = dir.path().join("ok.jsonl");
    std::fs::write(&log, "{\"step\": 10, \"val_loss\": 1.0}\n").unwrap();
    let run = seqzoo(&[
        "plot",
        log.to_str().unwrap(),
        "--metric",
        "val_bleu",
        "-o",
        &out,
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("val_bleu"));
}
