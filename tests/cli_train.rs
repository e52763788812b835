//! `seqzoo train`, `eval`, `generate` and `demo` run as the real binary: the `--json` contract,
//! checkpoints that evaluate to the numbers training reported, bit-identical resume, clean errors.

use std::path::Path;

use autograd::params::read_tensors;
use serde_json::Value;

mod common;

use common::cli::{seqzoo, stdout};

/// The `--json` object: the last line of stdout.
fn json(args: &[&str]) -> Value {
    let text = stdout(args);
    let last = text.lines().last().expect("output");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{args:?}: last line {last:?}: {e}"))
}

/// A failed run's exit code and its one stderr line.
fn failure(args: &[&str]) -> (i32, String) {
    let out = seqzoo(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.lines().count(),
        1,
        "{args:?}: one line on stderr: {err}"
    );
    (out.status.code().unwrap(), err)
}

const SMALL: [&str; 8] = [
    "--steps",
    "30",
    "--val-every",
    "15",
    "--train-size",
    "400",
    "--val-size",
    "40",
];

fn train(task: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["train", "--task", task, "--hidden", "16", "--json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(SMALL.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn json_reports_the_contract_fields_for_every_problem_type() {
    let common = [
        "task",
        "model",
        "steps",
        "train_loss",
        "val_loss",
        "params",
        "seconds",
    ];
    for (task, extra, metrics) in [
        (
            "adding",
            &["--set", "t=20"][..],
            &["val_mse", "val_rmse", "baseline"][..],
        ),
        (
            "sines",
            &[],
            &["val_mse", "val_rmse", "persistence_rmse", "mean_rmse"],
        ),
        ("parity", &[], &["val_accuracy", "baseline"]),
        ("corpus", &[], &["val_nats", "val_bpc", "baseline"]),
        (
            "reversal",
            &[],
            &["val_exact_match", "val_token_accuracy", "baseline"],
        ),
        ("tagging", &["--bidirectional"], &["val_accuracy"]),
    ] {
        let v = json(&refs(&train(task, extra)));
        for key in common.iter().chain(metrics) {
            assert!(
                v.get(key).is_some_and(|x| !x.is_null()),
                "{task}: no {key} in {v}"
            );
        }
        assert_eq!(v["task"], task);
        assert_eq!(v["steps"], 30);
    }
}

#[test]
fn eval_of_a_saved_checkpoint_reproduces_the_final_validation() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("parity.safetensors");
    let ckpt = ckpt.to_str().unwrap();
    let trained = json(&refs(&train("parity", &["--save", ckpt])));
    let evaluated = json(&["eval", ckpt, "--json"]);
    for key in ["val_loss", "val_accuracy", "baseline"] {
        assert_eq!(trained[key], evaluated[key], "{key}");
    }
    assert_eq!(evaluated["params"], trained["params"]);
    // Another task's inputs do not fit the model: a clean error, not a panic.
    let (code, err) = failure(&["eval", ckpt, "--task", "adding"]);
    assert_eq!(code, 1);
    assert!(err.contains("does not fit"), "{err}");
}

fn weights(path: &Path) -> Vec<(String, Vec<u32>)> {
    let file = read_tensors(path).unwrap();
    let mut out: Vec<(String, Vec<u32>)> = file
        .names()
        .filter(|n| !n.starts_with("__"))
        .map(|n| {
            let t = file.tensor::<f32>(n).unwrap();
            (
                n.to_string(),
                t.data().iter().map(|x| x.to_bits()).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn resuming_a_checkpoint_continues_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (straight, half, resumed) = (path("straight"), path("half"), path("resumed"));
    let extra = ["--dropout", "0.3", "--layers", "2", "--clip", "1"];
    let mut a = train("adding", &extra);
    a.extend(["--set", "t=10", "--save", &straight].map(String::from));
    stdout(&refs(&a));
    let mut b = train("adding", &extra);
    b.extend(["--set", "t=10", "--save", &half].map(String::from));
    let steps = b.iter().position(|s| s == "--steps").unwrap();
    b[steps + 1] = "12".into();
    stdout(&refs(&b));
    let out = stdout(&[
        "train", "--resume", &half, "--steps", "30", "--save", &resumed,
    ]);
    assert!(out.contains("resuming at step 12"), "{out}");
    assert_eq!(weights(Path::new(&straight)), weights(Path::new(&resumed)));
    assert_ne!(weights(Path::new(&straight)), weights(Path::new(&half)));
}

#[test]
fn generate_samples_from_language_models_and_decodes_with_seq2seq() {
    let dir = tempfile::tempdir().unwrap();
    let lm = dir.path().join("lm").to_str().unwrap().to_string();
    stdout(&refs(&train("corpus", &["--save", &lm])));
    let a = stdout(&["generate", &lm, "--len", "30", "--seed", "1"]);
    assert_eq!(a, stdout(&["generate", &lm, "--len", "30", "--seed", "1"]));
    assert!(!a.trim().is_empty());
    let s2s = dir.path().join("s2s").to_str().unwrap().to_string();
    stdout(&refs(&train("reversal", &["--save", &s2s])));
    let out = stdout(&[
        "generate", &s2s, "--prompt", "1234", "--beam", "3", "--len", "8",
    ]);
    assert!(out.trim().chars().all(|c| c.is_ascii_digit()), "{out}");
    let (code, err) = failure(&["generate", &s2s, "--prompt", "12x"]);
    assert_eq!(code, 2);
    assert!(err.contains("'x'") || err.contains("\"x\""), "{err}");
    let reg = dir.path().join("reg").to_str().unwrap().to_string();
    stdout(&refs(&train("sines", &["--save", &reg])));
    let (code, err) = failure(&["generate", &reg]);
    assert_eq!(code, 1);
    assert!(err.contains("does not generate"), "{err}");
}

#[test]
fn a_missing_argument_is_named_in_one_line() {
    for (args, needle) in [
        (&["eval"][..], "<CHECKPOINT>"),
        (&["generate"], "<CHECKPOINT>"),
        (&["forward"], "<WEIGHTS>"),
        (&["inspect"], "<FILE>"),
    ] {
        let (code, err) = failure(args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn bad_arguments_are_one_line_usage_errors() {
    for (args, needle) in [
        (
            &["train", "--task", "adding", "--model", "transformer"][..],
            "unknown model",
        ),
        (&["train", "--task", "nope"], "unknown task"),
        (&["train"], "--task"),
        (
            &["train", "--task", "adding", "--optimizer", "lbfgs"],
            "unknown optimizer",
        ),
        (
            &["train", "--task", "corpus", "--bidirectional"],
            "bidirectional",
        ),
        (&["train", "--task", "csv:data.csv"], "--column"),
        (&["train", "--task", "adding", "--set", "q=1"], "q"),
        (&["train", "--task", "adding", "--lr=-1"], "learning rate"),
        (
            &["train", "--task", "sentiment", "--attention"],
            "--attention",
        ),
        (
            &["train", "--task", "dates", "--teacher-forcing", "2"],
            "teacher-forcing",
        ),
    ] {
        let (code, err) = failure(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let (code, err) = failure(&["eval", "/no/such/checkpoint.safetensors"]);
    assert_eq!(code, 1);
    assert!(err.contains("/no/such/checkpoint.safetensors"), "{err}");
}

#[test]
fn the_demo_shows_the_lstm_solving_what_the_srn_cannot() {
    // `seqzoo` with no arguments is the demo.
    let out = stdout(&[]);
    let row = |model: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{model} ")))
            .unwrap_or_else(|| panic!("no {model} row in\n{out}"))
            .to_string()
    };
    assert!(row("lstm").contains("solved (below"), "{out}");
    assert!(row("srn").contains("not solved"), "{out}");
    assert!(out.contains("Solved by lstm; not by srn"), "{out}");
}

#[test]
fn epochs_count_passes_over_the_training_examples() {
    let v = json(&[
        "train",
        "--task",
        "parity",
        "--epochs",
        "3",
        "--train-size",
        "100",
        "--batch",
        "20",
        "--hidden",
        "8",
        "--json",
    ]);
    assert_eq!(v["steps"], 15);
    let (code, _) = failure(&["train", "--task", "parity", "--epochs", "1", "--steps", "5"]);
    assert_eq!(code, 2);
}

/// Asserts that `args` fail as a usage error (exit code 2) whose one line names every needle.
fn usage_failure_names(args: &[&str], needles: &[&str]) {
    let (code, err) = failure(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
    }
}

#[test]
fn every_size_flag_and_setting_is_bounded_and_the_error_names_it() {
    let huge = u64::MAX.to_string();
    let train = |flag: &'static str, value: &str, bound: &'static str| {
        usage_failure_names(&["train", "--task", "parity", flag, value], &[flag, bound])
    };
    train("--hidden", "4611686018427387904", "8192");
    train("--layers", "65", "64");
    train("--embedding", "8193", "8192");
    train("--train-size", "10000000000", "10000000");
    train("--val-size", "1000001", "1000000");
    train("--val-size", "0", "at least 1");
    train("--batch", "65537", "65536");
    train("--steps", &huge, "100000000");
    train("--epochs", &huge, "100000000");
    train("--val-every", &huge, "100000000");
    train("--patience", "100000001", "100000000");
    train("--patience", &huge, "100000000");
    train("--patience", "0", "at least 1");
    // 0 is legal for --val-every: one validation, at the end.
    let v = json(&[
        "train",
        "--task",
        "parity",
        "--steps",
        "20",
        "--val-every",
        "0",
        "--json",
    ]);
    assert!(v["val_accuracy"].is_number(), "{v}");
    for value in ["100000001", huge.as_str()] {
        usage_failure_names(
            &[
                "train",
                "--task",
                "parity",
                "--save",
                "x.st",
                "--save-every",
                value,
            ],
            &["--save-every", "100000000"],
        );
    }
    usage_failure_names(
        &[
            "train",
            "--task",
            "parity",
            "--save",
            "x.st",
            "--save-every",
            "0",
        ],
        &["--save-every", "0"],
    );
    // Under the bound alone, but 10,000 epochs of 20,000 batches are 2·10⁸ steps.
    usage_failure_names(
        &[
            "train", "--task", "parity", "--epochs", "10000", "--batch", "1",
        ],
        &["--epochs", "100000000"],
    );
    for (task, setting, bound) in [
        ("adding", "t=1000000000000", "100000"),
        ("tagging", "gap=18446744073709551615", "100000"),
        ("mackey-glass", "tau=1e12", "10000"),
        ("echo", "d=18446744073709551615", "10000"),
        ("echo", "d=18446744073709551616", "10000"),
    ] {
        let key = setting.split('=').next().unwrap();
        usage_failure_names(
            &["train", "--task", task, "--set", setting],
            &[&format!("'{key}="), bound],
        );
    }
    usage_failure_names(
        &[
            "train",
            "--task",
            "text:Cargo.toml",
            "--set",
            "window=18446744073709551615",
        ],
        &["'window=", "100000"],
    );
    for (setting, named) in [
        ("d=0", "lag d"),
        ("phi=1", "phi"),
        ("phi=nan", "phi"),
        ("phi=-1e309", "phi"),
    ] {
        usage_failure_names(
            &["train", "--task", "echo", "--set", setting],
            &[named, "echo"],
        );
    }
    usage_failure_names(
        &["data", "adding", "--n", "100000000000"],
        &["--n", "100000"],
    );
    usage_failure_names(&["demo", "--t", "100001"], &["--t", "100000"]);
    usage_failure_names(
        &["generate", "x.safetensors", "--len", "1000000"],
        &["--len", "100000"],
    );
    usage_failure_names(
        &["generate", "x.safetensors", "--beam", "257"],
        &["--beam", "256"],
    );
}

#[test]
fn a_caption_checkpoint_without_validation_scenes_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("cap").to_str().unwrap().to_string();
    stdout(&[
        "train",
        "--task",
        "captioning",
        "--hidden",
        "8",
        "--steps",
        "2",
        "--train-size",
        "40",
        "--val-size",
        "1",
        "--save",
        &ckpt,
    ]);
    // The same checkpoint as one trained with an empty validation split (the run spec says 0).
    let bytes = std::fs::read(&ckpt).unwrap();
    let (from, to) = (br#"val_size\":1"#, br#"val_size\":0"#);
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("val_size in the spec");
    let mut edited = bytes.clone();
    edited[at..at + to.len()].copy_from_slice(to);
    std::fs::write(&ckpt, edited).unwrap();
    let (code, err) = failure(&["generate", &ckpt]);
    assert_eq!(code, 1, "{err}");
    // Refused when the checkpoint is read, before the empty split could be sampled.
    assert!(
        err.contains("checkpoint val_size 0 is out of range"),
        "{err}"
    );
}

#[test]
fn resume_refuses_a_flag_that_contradicts_the_checkpoint_and_accepts_equal_or_free_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt").to_str().unwrap().to_string();
    let log = dir.path().join("log").to_str().unwrap().to_string();
    let mut a = train("adding", &["--set", "t=10", "--save", &ckpt]);
    let steps = a.iter().position(|s| s == "--steps").unwrap();
    a[steps + 1] = "12".into();
    stdout(&refs(&a));
    for (flag, value, saved) in [
        ("--hidden", "32", "--hidden 16"),
        ("--task", "parity", "--task adding"),
        ("--set", "t=20", "--set t=10"),
        ("--lr", "0.5", "--lr "),
        ("--seed", "3", "--seed 0"),
        ("--train-size", "500", "--train-size 400"),
        ("--model", "gru", "--model lstm"),
        ("--optimizer", "sgd", "--optimizer adam"),
        ("--batch", "7", "--batch "),
    ] {
        let (code, err) = failure(&["train", "--resume", &ckpt, flag, value]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(
            err.contains(&format!("{flag} {value}")) && err.contains(saved) && err.contains(&ckpt),
            "{flag}: {err}"
        );
    }
    let out = json(&[
        "train",
        "--resume",
        &ckpt,
        "--hidden",
        "16",
        "--task",
        "adding",
        "--set",
        "t=10",
        "--train-size",
        "400",
        "--seed",
        "0",
        "--steps",
        "20",
        "--val-every",
        "10",
        "--patience",
        "5",
        "--log",
        &log,
        "--save",
        &ckpt,
        "--json",
    ]);
    assert_eq!(out["steps"], 20, "{out}");
}

/// Writes a small text file, trains a character model of it for a few steps and saves it.
fn text_checkpoint(dir: &Path) -> (String, String) {
    let text = dir.join("t.txt").to_str().unwrap().to_string();
    let ckpt = dir.join("t.ckpt").to_str().unwrap().to_string();
    std::fs::write(&text, "the cat sat on the mat. ".repeat(40)).unwrap();
    let task = format!("text:{text}");
    stdout(&[
        "train",
        "--task",
        &task,
        "--hidden",
        "8",
        "--batch",
        "4",
        "--steps",
        "4",
        "--val-every",
        "2",
        "--save",
        &ckpt,
    ]);
    (text, ckpt)
}

#[test]
fn resume_and_eval_refuse_a_text_file_changed_since_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (text, ckpt) = text_checkpoint(dir.path());
    stdout(&["eval", &ckpt]);
    let original = std::fs::read_to_string(&text).unwrap();
    // A new character, and the same size with a different set of characters.
    for changed in [format!("{original}Z"), original.replace('m', "q")] {
        std::fs::write(&text, &changed).unwrap();
        for args in [
            vec!["train", "--resume", &ckpt, "--steps", "6"],
            vec!["eval", &ckpt],
        ] {
            let (code, err) = failure(&args);
            assert_eq!(code, 1, "{args:?}: {err}");
            assert!(
                err.contains(&format!("{text} changed since the checkpoint was written")),
                "{args:?}: {err}"
            );
        }
    }
    std::fs::write(&text, &original).unwrap();
    stdout(&["train", "--resume", &ckpt, "--steps", "6"]);
}

#[test]
fn eval_reads_another_text_file_with_the_checkpoints_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let (text, ckpt) = text_checkpoint(dir.path());
    let original = std::fs::read_to_string(&text).unwrap();
    // The same characters in other proportions: a rebuilt vocabulary would number them otherwise.
    let other = dir.path().join("other.txt").to_str().unwrap().to_string();
    std::fs::write(&other, format!("{}{original}", "mmmmmmmmmmmm".repeat(30))).unwrap();
    let task = format!("text:{other}");
    let out = stdout(&["eval", &ckpt, "--task", &task]);
    assert!(out.contains(&task), "{out}");
    // In the held-out tenth an unknown character reads as UNK, as training read its own.
    std::fs::write(&other, format!("{original}Zebra")).unwrap();
    stdout(&["eval", &ckpt, "--task", &task]);
    // In the part a model would train on, it is an error naming it.
    std::fs::write(&other, format!("Zebra{original}")).unwrap();
    let (code, err) = failure(&["eval", &ckpt, "--task", &task]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&other) && err.contains("character \"Z\"") && err.contains("vocabulary"),
        "{err}"
    );
}

#[test]
fn eval_normalizes_another_csv_file_with_the_checkpoints_statistics() {
    let dir = tempfile::tempdir().unwrap();
    // A sine for training; the same sine shifted by 50 for evaluation. Normalization fitted again
    // on the shifted file would hide the shift; the trained model's own statistics must not.
    let write = |name: &str, shift: f64| {
        let path = dir.path().join(name);
        let values: Vec<String> = (0..400)
            .map(|t| format!("{:.6}", shift + (t as f64 * 0.3).sin()))
            .collect();
        std::fs::write(&path, format!("x\n{}\n", values.join("\n"))).unwrap();
        format!("csv:{}", path.to_str().unwrap())
    };
    let (task, shifted) = (write("sine.csv", 0.0), write("shifted.csv", 50.0));
    let ckpt = dir.path().join("sine.ckpt").to_str().unwrap().to_string();
    let trained = json(&[
        "train", "--task", &task, "--column", "x", "--hidden", "8", "--steps", "40", "--save",
        &ckpt, "--json",
    ]);
    let file = read_tensors(Path::new(&ckpt)).unwrap();
    let stored: Value = serde_json::from_str(&file.metadata()["normalizer"]).unwrap();
    let (mean, std) = (
        stored["mean"].as_f64().unwrap(),
        stored["std"].as_f64().unwrap(),
    );
    assert!(mean.abs() < 0.1 && (0.6..0.8).contains(&std), "{stored}");
    let same = json(&["eval", &ckpt, "--json"]);
    assert_eq!(same["val_rmse"], trained["val_rmse"]);
    let other = json(&["eval", &ckpt, "--task", &shifted, "--column", "x", "--json"]);
    let (rmse, moved) = (
        trained["val_rmse"].as_f64().unwrap(),
        other["val_rmse"].as_f64().unwrap(),
    );
    let persistence = |v: &Value| v["persistence_rmse"].as_f64().unwrap();
    assert!((persistence(&other) - persistence(&trained)).abs() < 1e-4);
    assert!(moved > 10.0 * rmse, "shifted {moved} vs {rmse}");
}

#[test]
fn profile_shares_each_training_step_between_ops_update_and_validation() {
    let args = train("adding", &["--model", "lstm", "--profile"]);
    let text = stdout(&refs(&args));
    assert!(text.contains("profile of 30 training steps"), "{text}");
    let shares: Vec<(String, f64)> = text
        .lines()
        .filter(|l| l.starts_with("| ") && l.ends_with("% |") && !l.starts_with("| step "))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let share = cells[cells.len() - 2]
                .trim_end_matches('%')
                .parse()
                .unwrap();
            (cells[1].to_string(), share)
        })
        .collect();
    let share = |prefix: &str| {
        shares
            .iter()
            .find(|(name, _)| name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} row in {text}"))
            .1
    };
    // The fused LSTM runs once per step and takes the largest share of it.
    assert!(share("Recurrent (×1)") > 20.0, "{text}");
    assert!(share("update (adam)") > 0.0, "{text}");
    share("clipping");
    let total: f64 = shares.iter().map(|(_, s)| s).sum();
    assert!(
        (total - 100.0).abs() < 1.0,
        "shares add up to {total}: {text}"
    );
    assert!(text.contains("validation: 2 passes"), "{text}");
    // The --json line is still the last one.
    let last = text.lines().last().expect("output");
    serde_json::from_str::<Value>(last).unwrap_or_else(|e| panic!("last line {last:?}: {e}"));
}

#[test]
fn proj_size_trains_lstm_sequence_and_language_models_and_is_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("lstmp.safetensors");
    let ckpt = ckpt.to_str().unwrap();
    // A classifier (sequence model) and a language model on an LSTM with projections.
    let proj = ["--model", "lstm", "--proj-size", "4"];
    let trained = json(&refs(&train(
        "parity",
        &[&proj[..], &["--save", ckpt]].concat(),
    )));
    // 16·(1 + 4 + 1 + 1) gate rows of W_ih (1 input), W_hh (4 columns), both biases; W_hr 4×16;
    // the head reads the 4 projected features (2 classes).
    assert_eq!(
        trained["params"],
        64 * 7 + 4 * 16 + 2 * (4 + 1),
        "{trained}"
    );
    let evaluated = json(&["eval", ckpt, "--json"]);
    assert_eq!(trained["val_loss"], evaluated["val_loss"]);
    let saved = read_tensors(ckpt).unwrap();
    assert_eq!(
        saved.entry("rnn.weight_hr_l0").map(|e| e.shape.clone()),
        Some(vec![4, 16])
    );
    let lm = json(&refs(&train("corpus", &proj)));
    assert!(lm["val_nats"].is_number(), "{lm}");
    // LSTM only, 0 < P < H, bounded, and on models with one recurrent layer of their own.
    let fails = |extra: &[&str], needles: &[&str]| {
        usage_failure_names(
            &[&["train", "--task", "parity", "--hidden", "16"], extra].concat(),
            needles,
        )
    };
    fails(
        &["--model", "gru", "--proj-size", "4"],
        &["--proj-size 4", "lstm only", "gru"],
    );
    for p in ["16", "17"] {
        fails(
            &["--proj-size", p],
            &[&format!("--proj-size {p} must be less than --hidden 16")],
        );
    }
    for p in ["8192", &u64::MAX.to_string()] {
        fails(&["--proj-size", p], &["--proj-size", "8191"]);
    }
    usage_failure_names(
        &["train", "--task", "reversal", "--proj-size", "4"],
        &["--proj-size", "reversal"],
    );
    // With weight drop (on W_hh), not with the masks inside the kernel.
    let dropped = json(&refs(&train(
        "parity",
        &[&proj[..], &["--weight-drop", "0.3"]].concat(),
    )));
    assert!(dropped["val_accuracy"].is_number(), "{dropped}");
    for flag in ["--zoneout", "--recurrent-dropout"] {
        fails(
            &["--proj-size", "4", flag, "0.1"],
            &[&format!("--proj-size 4 does not run with {flag} 0.1")],
        );
    }
    fails(
        &["--proj-size", "4", "--layer-norm"],
        &["--proj-size 4 does not run with --layer-norm"],
    );
}

#[test]
fn stateful_training_is_true_or_false_on_a_text_that_holds_its_streams() {
    let text = ["train", "--task", "text:Cargo.toml", "--steps", "1"];
    let with = |extra: &[&'static str]| [&text[..], extra].concat();
    usage_failure_names(&with(&["--set", "stateful=maybe"]), &["'stateful=maybe'"]);
    usage_failure_names(
        &with(&["--set", "stateful=18446744073709551615"]),
        &["'stateful=18446744073709551615'"],
    );
    usage_failure_names(
        &with(&["--set", "stateful=true", "--batch", "65536"]),
        &["stateful=true", "batch = 65536", "window = 64"],
    );
    usage_failure_names(
        &["train", "--task", "corpus", "--set", "stateful=true"],
        &["corpus: stateful=true", "sentences"],
    );
}

#[test]
fn a_text_file_with_no_model_flags_trains_the_recipe_for_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let line = "It was the best of times, it was the worst of times; call me Ishmael.\n";
    let model = |chars: usize| {
        let path = dir.path().join(format!("t{chars}.txt"));
        std::fs::write(&path, line.repeat(chars.div_ceil(line.len()))).unwrap();
        let task = format!("text:{}", path.display());
        let out = stdout(&["train", "--task", &task, "--steps", "1", "--val-every", "0"]);
        let header = out.lines().nth(1).unwrap_or_default().to_string();
        header.split(':').next().unwrap_or_default().to_string()
    };
    assert_eq!(model(200_000), "model lstm 2x256 layer-norm");
    assert_eq!(model(199_000), "model lstm 1x128");
}
