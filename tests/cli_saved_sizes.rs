//! Sizes read from a checkpoint are checked before anything is built from them: the model config
//! against the file's tensors (on a meta store, allocating nothing), the run spec and train config
//! against the run's bounds, the generator state against its stream. Each is one line on stderr
//! naming the file, exit 1.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

mod common;

use common::cli::{seqzoo, stdout};
use common::edit::{edit_metadata, edit_metadata_text};

/// A 2-step adding checkpoint with an LSTM of 8 units, in `dir`.
fn checkpoint(dir: &Path) -> PathBuf {
    checkpoint_of(dir, "adding")
}

/// A 2-step checkpoint of `task` with an LSTM of 8 units, in `dir`.
fn checkpoint_of(dir: &Path, task: &str) -> PathBuf {
    let ckpt = dir.join(format!("{task}.ckpt"));
    stdout(&[
        "train",
        "--task",
        task,
        "--hidden",
        "8",
        "--steps",
        "2",
        "--train-size",
        "64",
        "--val-size",
        "8",
        "--save",
        ckpt.to_str().unwrap(),
    ]);
    ckpt
}

/// The exit code and one stderr line of `seqzoo ARGS CKPT`, which must fail.
fn refused(args: &[&str], ckpt: &Path) -> (i32, String) {
    let mut all = args.to_vec();
    all.push(ckpt.to_str().unwrap());
    let out = seqzoo(&all);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success(), "{all:?} succeeded");
    assert_eq!(err.lines().count(), 1, "{all:?}: one stderr line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code().unwrap(), err)
}

/// Every command that builds a model from the checkpoint refuses it naming the file and `what`.
fn all_refuse(ckpt: &Path, what: &str) {
    for args in [&["eval"][..], &["generate"], &["train", "--resume"]] {
        let (code, err) = refused(args, ckpt);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(ckpt.to_str().unwrap()), "{args:?}: {err}");
        assert!(err.contains(what), "{args:?}: expected {what:?} in {err}");
    }
}

/// The recurrent part of the saved model config.
fn rnn(config: &mut Value) -> &mut Value {
    &mut config["rnn"]
}

#[test]
fn a_model_config_larger_than_the_files_tensors_is_refused_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    // 2^30 hidden units would be 16 EiB of LSTM weights: the config is refused by its bound.
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "config", |c| {
        rnn(c)["hidden_size"] = json!(1u64 << 30)
    });
    all_refuse(&ckpt, "hidden_size 1073741824 must be at most 16777216");
    // Within the bounds but not what the file holds: 2^20 units (4 TiB of weights) are compared
    // with the file's tensors by shape alone, so the refusal allocates nothing of that size.
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "config", |c| {
        rnn(c)["hidden_size"] = json!(1u64 << 20)
    });
    all_refuse(
        &ckpt,
        "key `rnn.weight_hh_l0`: shape mismatch: expected [4194304, 1048576]",
    );
    // Fifty million layers.
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "config", |c| {
        rnn(c)["num_layers"] = json!(50_000_000)
    });
    all_refuse(&ckpt, "num_layers 50000000 must be between 1 and 64");
    // A read-out for 2^40 outputs.
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "config", |c| c["outputs"] = json!(1u64 << 40));
    all_refuse(
        &ckpt,
        "key `head.weight`: shape mismatch: expected [1099511627776, 8]",
    );
}

#[test]
fn run_spec_and_train_config_sizes_are_checked_against_their_bounds() {
    let dir = tempfile::tempdir().unwrap();
    for (field, value, bound) in [
        ("train_size", json!(1u64 << 40), "0..=10000000"),
        ("val_size", json!(0), "1..=1000000"),
        ("batch", json!(1u64 << 40), "1..=65536"),
    ] {
        let ckpt = checkpoint(dir.path());
        edit_metadata(&ckpt, "run", |spec| spec[field] = value.clone());
        all_refuse(
            &ckpt,
            &format!("checkpoint {field} {value} is out of range: it must be {bound}"),
        );
    }
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "run", |spec| {
        spec["model"]["hidden"] = json!(1u64 << 30)
    });
    all_refuse(&ckpt, "checkpoint hidden 1073741824 is out of range");
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "seqzoo.train_config", |t| {
        t["val_every"] = json!(1u64 << 40)
    });
    let (code, err) = refused(&["train", "--resume"], &ckpt);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("checkpoint val_every 1099511627776 is out of range"),
        "{err}"
    );
    let ckpt = checkpoint(dir.path());
    edit_metadata_text(&ckpt, "seqzoo.step", |_| u64::MAX.to_string());
    let (code, err) = refused(&["train", "--resume"], &ckpt);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("checkpoint step 18446744073709551615 is out of range"),
        "{err}"
    );
}

#[test]
fn a_generator_state_past_the_end_of_its_stream_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = checkpoint(dir.path());
    edit_metadata_text(&ckpt, "seqzoo.rng", |rng| {
        let at = rng.find("\"word_pos\":").expect("word_pos") + "\"word_pos\":".len();
        let end = at + rng[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
        format!("{}{}{}", &rng[..at], 1u128 << 100, &rng[end..])
    });
    let (code, err) = refused(&["train", "--resume"], &ckpt);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("past the end of the generator's stream"),
        "{err}"
    );
    assert!(err.contains(ckpt.to_str().unwrap()), "{err}");
}

#[test]
fn a_stored_normalization_that_cannot_normalize_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 1e309 parses as infinity; a std of 0 or below cannot divide.
    for (mean, std) in [("0.5", "0.0"), ("0.5", "-1.0"), ("1e309", "1.0")] {
        let ckpt = checkpoint_of(dir.path(), "sines");
        edit_metadata_text(&ckpt, "normalizer", |_| {
            format!("{{\"mean\":{mean},\"std\":{std}}}")
        });
        all_refuse(&ckpt, "metadata 'normalizer'");
    }
}

#[test]
fn a_run_spec_whose_task_no_longer_fits_the_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The corpus draws its vocabulary from the seed: another seed numbers the words otherwise.
    let ckpt = checkpoint_of(dir.path(), "corpus");
    edit_metadata(&ckpt, "run", |spec| spec["seed"] = json!(7));
    for args in [&["eval"][..], &["train", "--resume"]] {
        let (code, err) = refused(args, &ckpt);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("does not fit task corpus"), "{args:?}: {err}");
    }
}

#[test]
fn a_saved_teacher_forcing_schedule_or_conditioning_out_of_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "run", |spec| {
        spec["teacher_forcing_schedule"] = json!({"kind": "linear", "steps": 0})
    });
    all_refuse(&ckpt, "teacher forcing decay steps 0 is out of range");
    // One past u64::MAX wraps nothing: it does not parse as a step count.
    let ckpt = checkpoint(dir.path());
    edit_metadata_text(&ckpt, "run", |text| {
        text.replace(
            "\"teacher_forcing_schedule\":{\"kind\":\"constant\"}",
            "\"teacher_forcing_schedule\":{\"kind\":\"linear\",\"steps\":18446744073709551616}",
        )
    });
    all_refuse(&ckpt, "metadata 'run'");
    // The largest count is a schedule that never gets far from its start: it loads.
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "run", |spec| {
        spec["teacher_forcing_schedule"] = json!({"kind": "linear", "steps": u64::MAX})
    });
    stdout(&["eval", ckpt.to_str().unwrap()]);
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "run", |spec| {
        spec["model"]["conditioning"] = json!("sideways")
    });
    all_refuse(&ckpt, "metadata 'run'");
}

#[test]
fn a_saved_proj_size_out_of_range_or_not_in_the_tensors_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The model config's projection: at most H - 1 = 7, and only with the file's weight_hr.
    for (p, what) in [
        (json!(8), "proj_size 8 must be less than hidden_size 8"),
        (
            json!(u64::MAX),
            "proj_size 18446744073709551615 must be less than hidden_size 8",
        ),
        (json!(4), "rnn.weight_hh_l0"),
    ] {
        let ckpt = checkpoint(dir.path());
        edit_metadata(&ckpt, "config", |c| rnn(c)["proj_size"] = p.clone());
        all_refuse(&ckpt, what);
    }
    // The run spec's, against the bound of --proj-size.
    let ckpt = checkpoint(dir.path());
    edit_metadata(&ckpt, "run", |spec| {
        spec["model"]["proj_size"] = json!(u64::MAX)
    });
    all_refuse(
        &ckpt,
        "checkpoint proj_size 18446744073709551615 is out of range: it must be 0..=8191",
    );
}
