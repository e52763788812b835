//! `seqzoo forward` and `seqzoo inspect` run as the real binary on files PyTorch wrote.

/// Fixture loading and comparison shared with the parity tests.
mod common;

use common::fixture::{check_within, Fixture, Results};
use seqzoo::autograd::params::read_tensors;
use seqzoo::autograd::Tensor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn seqzoo(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seqzoo"))
        .args(args)
        .output()
        .expect("run seqzoo")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn forward_reproduces_torch_outputs_and_gradients() {
    let dir = tempfile::tempdir().expect("tempdir");
    for case in [
        "lstm_l2_bi_len_h0",
        "gru_l1_bi_h0",
        "rnn_relu_l2_uni_len",
        "rnn_tanh_l1_uni",
        "lstmp_l2_bi_len_h0",
        "ln_lstm_l2_bi_len_h0",
        "ln_gru_l1_uni_len_h0",
    ] {
        let out = dir.path().join(format!("{case}.out.safetensors"));
        let o = seqzoo(&[
            "forward".as_ref(),
            fixture(&format!("rnn/{case}.weights.safetensors")).as_os_str(),
            fixture(&format!("rnn/{case}.io.safetensors")).as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--grad-probe".as_ref(),
        ]);
        assert!(o.status.success(), "{case}: {}", stderr(&o));
        let written = read_tensors(&out).expect("output file");
        let expected = Fixture::load("rnn", &format!("{case}.io"));
        let results: Results<f32> = written
            .names()
            .map(|n| {
                let name: &'static str = Box::leak(n.to_string().into_boxed_str());
                (name, written.tensor::<f32>(n).expect("tensor"))
            })
            .collect();
        assert!(
            results.iter().any(|(n, _)| *n == "grad.weight_hh_l0"),
            "{case}: parameter gradients written"
        );
        if case.starts_with("lstmp") {
            assert!(
                results
                    .iter()
                    .any(|(n, _)| *n == "grad.weight_hr_l1_reverse"),
                "{case}: the projections' gradients written"
            );
        }
        let mut failures = Vec::new();
        // float32 rounding in a layer-normalized cell's gradients: see `torch_parity_rnn.rs`.
        let scale = if case.starts_with("ln_") { 100.0 } else { 1.0 };
        check_within(&expected, case, results, &mut failures, scale);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

#[test]
fn forward_keeps_f64_inputs_in_f64() {
    let dir = tempfile::tempdir().expect("tempdir");
    let io = read_tensors(fixture("rnn/gru_l1_uni.io.safetensors")).expect("io");
    let x: Tensor<f64> = io.tensor("input").expect("input");
    let input = dir.path().join("in64.safetensors");
    seqzoo::autograd::params::write_tensors(&input, &[("input", &x)], &Default::default())
        .expect("write");
    let out = dir.path().join("out64.safetensors");
    let o = seqzoo(&[
        "forward".as_ref(),
        fixture("rnn/gru_l1_uni.weights.safetensors").as_os_str(),
        input.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = read_tensors(&out).expect("output");
    assert_eq!(written.entry("output").expect("output").dtype.name(), "F64");
    let want: Tensor<f64> = io.tensor("output").expect("expected output");
    let got: Tensor<f64> = written.tensor("output").expect("output");
    assert!(got.max_abs_diff(&want) < 1e-5);
}

#[test]
fn broken_files_and_arguments_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let weights = fixture("rnn/lstm_l1_uni.weights.safetensors");
    let io = fixture("rnn/lstm_l1_uni.io.safetensors");
    let truncated = dir.path().join("truncated.safetensors");
    let bytes = std::fs::read(&weights).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let wrong_features = dir.path().join("wrong.safetensors");
    let x = Tensor::<f32>::zeros(&[2, 3, 7]);
    seqzoo::autograd::params::write_tensors(&wrong_features, &[("input", &x)], &Default::default())
        .expect("write");
    let out = dir.path().join("o.safetensors");
    let missing = dir.path().join("missing.safetensors");
    let cargo_toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let not_rnn = fixture("autograd/mlp.safetensors");
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            vec![missing.as_os_str(), io.as_os_str()],
            "missing.safetensors",
        ),
        (
            vec![cargo_toml.as_os_str(), io.as_os_str()],
            "not a safetensors file",
        ),
        (
            vec![truncated.as_os_str(), io.as_os_str()],
            "truncated.safetensors",
        ),
        (
            vec![not_rnn.as_os_str(), io.as_os_str()],
            "is not a parameter of nn.RNN",
        ),
        (
            vec![weights.as_os_str(), wrong_features.as_os_str()],
            "the weights expect [B, T, 3]",
        ),
        (
            vec![
                weights.as_os_str(),
                wrong_features.as_os_str(),
                "--grad-probe".as_ref(),
            ],
            "wrong.safetensors",
        ),
    ];
    for (args, expected) in cases {
        let mut all: Vec<&std::ffi::OsStr> = vec!["forward".as_ref()];
        all.extend(args);
        all.extend(["-o".as_ref(), out.as_os_str()]);
        let o = seqzoo(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{expected}: {err}");
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    }
    assert!(!out.exists(), "no output written on failure");
    let usage = seqzoo(&["forward".as_ref(), weights.as_os_str()]);
    assert_eq!(
        usage.status.code(),
        Some(2),
        "missing arguments are a usage error"
    );
}

#[test]
fn inspect_shows_tensors_metadata_and_architecture() {
    let o = seqzoo(&[
        "inspect".as_ref(),
        fixture("rnn/rnn_relu_l2_bi.weights.safetensors").as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).replace(env!("CARGO_MANIFEST_DIR"), "");
    insta::assert_snapshot!(text);
    let other = seqzoo(&[
        "inspect".as_ref(),
        fixture("autograd/mlp.safetensors").as_os_str(),
    ]);
    assert!(other.status.success());
    assert!(String::from_utf8_lossy(&other.stdout).contains("architecture: not a recurrent layer"));
}

#[test]
fn forward_rejects_empty_batches_and_sequences_naming_the_input_tensor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let weights = fixture("rnn/lstm_l1_uni.weights.safetensors");
    let out = dir.path().join("o.safetensors");
    for shape in [[2, 0, 3], [0, 4, 3]] {
        let input = dir.path().join("empty.safetensors");
        let x = Tensor::<f32>::zeros(&shape);
        seqzoo::autograd::params::write_tensors(&input, &[("input", &x)], &Default::default())
            .expect("write");
        let o = seqzoo(&[
            "forward".as_ref(),
            weights.as_os_str(),
            input.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{shape:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
        assert!(
            err.contains("`input`") && err.contains(&format!("{shape:?}")) && err.contains(">= 1"),
            "{err}"
        );
    }
    assert!(!out.exists(), "no output written on failure");
}

#[test]
fn forward_refuses_a_nonlinearity_it_does_not_know() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = read_tensors(fixture("rnn/lstm_l1_uni.weights.safetensors")).expect("read");
    let tensors: Vec<(String, Tensor<f32>)> = source
        .entries()
        .iter()
        .map(|e| (e.name.clone(), source.tensor(&e.name).expect("tensor")))
        .collect();
    let refs: Vec<(&str, &Tensor<f32>)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let weights = dir.path().join("w.safetensors");
    let metadata = [("nonlinearity".to_string(), "tanh".to_string())].into();
    seqzoo::autograd::params::write_tensors(&weights, &refs, &metadata).expect("write");
    let o = seqzoo(&[
        "forward".as_ref(),
        weights.as_os_str(),
        fixture("rnn/lstm_l1_uni.io.safetensors").as_os_str(),
        "-o".as_ref(),
        dir.path().join("o.safetensors").as_os_str(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(
        err.contains("nonlinearity") && err.contains("lstm"),
        "{err}"
    );
}

#[test]
fn inspect_shows_an_lstm_projection() {
    let o = seqzoo(&[
        "inspect".as_ref(),
        fixture("rnn/lstmp_l2_bi.weights.safetensors").as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(
            "architecture: LSTM (lstm), input_size 3, hidden_size 4, proj_size 2, 2 layer(s), \
             bidirectional"
        ),
        "{text}"
    );
    assert!(
        text.contains("weight_hr_l1_reverse  F32    [2, 4]"),
        "{text}"
    );
}
