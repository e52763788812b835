//! `train --layer-norm`: layer-normalized LSTM and GRU cells from the command line, kept by
//! checkpoints and weight files, refused where there is no such cell.

mod common;

use common::cli::seqzoo;

/// The training and validation losses of a short adding-problem run with `extra` flags, saving its
/// checkpoint to `out`.
fn train(extra: &[&str], out: &std::path::Path) -> [f64; 2] {
    let mut args = vec![
        "train",
        "--task",
        "adding",
        "--set",
        "t=20",
        "--steps",
        "20",
        "--hidden",
        "16",
        "--train-size",
        "256",
        "--val-size",
        "64",
        "--json",
        "--save",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend(extra);
    let o = seqzoo(&args);
    assert!(
        o.status.success(),
        "{extra:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let json: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a JSON line")).expect("JSON");
    ["train_loss", "val_loss"].map(|k| json[k].as_f64().expect(k))
}

#[test]
fn layer_norm_trains_lstm_and_gru_and_is_kept_by_the_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    for model in ["lstm", "gru"] {
        let plain = train(&["--model", model], &dir.path().join("plain.ckpt"));
        let ckpt = dir.path().join(format!("{model}.ckpt"));
        let normed = train(&["--model", model, "--layer-norm"], &ckpt);
        assert_ne!(plain, normed, "{model}: --layer-norm changes training");
        let again = train(
            &["--model", model, "--layer-norm"],
            &dir.path().join("again.ckpt"),
        );
        assert_eq!(normed, again, "{model}: the same seed gives the same run");
        // The checkpoint rebuilds the layer-normalized model and evaluates it.
        let o = seqzoo(&["eval", ckpt.to_str().expect("utf-8"), "--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = seqzoo(&["inspect", ckpt.to_str().expect("utf-8")]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("ln_hh_weight_l0"), "{model}: {text}");
    }
}

#[test]
fn layer_norm_without_a_gated_cell_is_an_error_naming_it() {
    let o = seqzoo(&[
        "train",
        "--task",
        "adding",
        "--model",
        "srn",
        "--layer-norm",
        "--steps",
        "2",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("layer_norm is for lstm and gru"), "{err}");
}
