//! `seqzoo train --recurrent-dropout P --zoneout P --weight-drop P` as the real binary: each trains,
//! changes the run, repeats its bits under the same seed, is kept by a checkpoint, and is refused
//! outside [0, 1) or where it does not apply.

use serde_json::Value;

mod common;

use common::cli::{seqzoo, stdout};

const FLAGS: [&str; 3] = ["--recurrent-dropout", "--zoneout", "--weight-drop"];

/// A short run on the adding problem with `extra` flags.
fn args(extra: &[&str]) -> Vec<String> {
    let base = [
        "train",
        "--task",
        "adding",
        "--set",
        "t=20",
        "--hidden",
        "16",
        "--steps",
        "30",
        "--val-every",
        "15",
        "--train-size",
        "400",
        "--val-size",
        "40",
        "--json",
    ];
    base.iter().chain(extra).map(|s| s.to_string()).collect()
}

/// The `--json` object of a run that must succeed.
fn json(args: &[String]) -> Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = stdout(&args);
    let last = text.lines().last().expect("output");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{args:?}: last line {last:?}: {e}"))
}

/// A failed run's one stderr line.
fn failure(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = seqzoo(&args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.lines().count(),
        1,
        "{args:?}: one line on stderr: {err}"
    );
    err
}

#[test]
fn each_flag_trains_changes_the_run_and_repeats_its_bits() {
    let plain = json(&args(&[]));
    let loss = |v: &Value| v["train_loss"].as_f64().expect("train_loss");
    for flag in FLAGS {
        let run = json(&args(&[flag, "0.3"]));
        assert!(loss(&run).is_finite(), "{flag}: {run}");
        assert_ne!(loss(&run), loss(&plain), "{flag} changed nothing");
        let again = json(&args(&[flag, "0.3"]));
        assert_eq!(run["train_loss"], again["train_loss"], "{flag}: same seed");
        assert_eq!(run["val_loss"], again["val_loss"], "{flag}: same seed");
    }
    let all = json(&args(&[FLAGS[0], "0.2", FLAGS[1], "0.1", FLAGS[2], "0.2"]));
    assert!(loss(&all).is_finite(), "{all}");
}

#[test]
fn a_flag_outside_zero_to_one_is_a_usage_error_naming_it() {
    for flag in FLAGS {
        for bad in ["-0.1", "1", "NaN", "18446744073709551615", "inf"] {
            let err = failure(&args(&[flag, bad]));
            assert!(
                err.contains(flag) && err.contains("must be in [0, 1)"),
                "{flag} {bad}: {err}"
            );
        }
        json(&args(&[flag, "0"]));
    }
}

#[test]
fn seq2seq_and_the_mlp_baseline_refuse_them() {
    for (task, model) in [("dates", "gru"), ("sines", "mlp")] {
        for flag in FLAGS {
            let run = [
                "train",
                "--task",
                task,
                "--model",
                model,
                "--steps",
                "2",
                "--train-size",
                "40",
                "--val-size",
                "8",
                flag,
                "0.2",
            ];
            let err = failure(&run.map(String::from));
            assert!(err.contains(flag) && err.contains(task), "{task}: {err}");
        }
    }
}

#[test]
fn a_checkpoint_keeps_them_and_resuming_with_another_value_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("zoned.ckpt");
    let ckpt = ckpt.to_str().unwrap();
    json(&args(&["--zoneout", "0.2", "--save", ckpt]));
    let err = failure(&["train", "--resume", ckpt, "--zoneout", "0.3"].map(String::from));
    assert!(err.contains("--zoneout 0.3 contradicts"), "{err}");
    let resumed = ["train", "--resume", ckpt, "--steps", "40", "--json"].map(String::from);
    assert_eq!(json(&resumed)["steps"], 40);
}
