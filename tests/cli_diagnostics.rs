//! `seqzoo train --diagnostics --log FILE`: each log line carries the `diag_*` gradient-flow
//! fields, and the flag changes no training number.

use serde_json::{Map, Value};

mod common;

use common::cli::stdout;

/// The log lines of a small run of `task` (with `extra` flags), with or without `--diagnostics`.
fn logged(task: &str, extra: &[&str], diagnose: bool) -> Vec<Map<String, Value>> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    let log = log.to_str().unwrap();
    let mut args = vec![
        "train",
        "--task",
        task,
        "--hidden",
        "12",
        "--steps",
        "20",
        "--val-every",
        "10",
        "--train-size",
        "200",
        "--val-size",
        "40",
        "--log",
        log,
    ];
    args.extend_from_slice(extra);
    if diagnose {
        args.push("--diagnostics");
    }
    stdout(&args);
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| match serde_json::from_str(l) {
            Ok(Value::Object(m)) => m,
            other => panic!("{l}: {other:?}"),
        })
        .collect()
}

#[test]
fn diagnostics_add_diag_fields_to_every_log_line_and_change_no_number() {
    for (task, extra, layers) in [
        (
            "adding",
            &["--set", "t=15", "--model", "lstm", "--layers", "2"][..],
            2.0,
        ),
        ("parity", &["--model", "gru", "--bidirectional"][..], 2.0),
        (
            "sines",
            &["--model", "srn", "--dropout", "0.2", "--layers", "2"][..],
            2.0,
        ),
    ] {
        let plain = logged(task, extra, false);
        let diag = logged(task, extra, true);
        assert_eq!(plain.len(), 2, "{task}: a line per validation");
        assert_eq!(diag.len(), 2, "{task}");
        for (p, d) in plain.iter().zip(&diag) {
            assert!(!p.keys().any(|k| k.starts_with("diag_")), "{task}: {p:?}");
            for name in [
                "diag_layers",
                "diag_grad_h_first",
                "diag_grad_h_last",
                "diag_grad_h_ratio",
                "diag_saturated",
                "diag_hidden_norm",
                "diag_l0_grad_h_ratio",
            ] {
                assert!(d[name].is_number(), "{task}: {name} in {d:?}");
            }
            assert_eq!(d["diag_layers"].as_f64(), Some(layers), "{task}");
            let (first, last) = (
                d["diag_grad_h_first"].as_f64(),
                d["diag_grad_h_last"].as_f64(),
            );
            assert!(first.unwrap() > 0.0 && last.unwrap() > 0.0, "{task}: {d:?}");
            // Every other field but the clock is the same, bit for bit.
            let rest = |m: &Map<String, Value>| -> Vec<(String, Value)> {
                m.iter()
                    .filter(|(k, _)| !k.starts_with("diag_") && *k != "seconds")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            assert_eq!(rest(p), rest(d), "{task}");
            assert!(rest(p).iter().any(|(k, _)| k == "train_loss"));
        }
    }
}
