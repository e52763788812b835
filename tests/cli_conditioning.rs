//! `train --conditioning`: how a caption generator reads the scene, checked against the task and
//! kept by checkpoints.

mod common;

use common::cli::seqzoo;

#[test]
fn every_conditioning_trains_a_caption_generator() {
    for name in ["initial-state", "every-step", "none"] {
        let out = seqzoo(&[
            "train",
            "--task",
            "captioning",
            "--conditioning",
            name,
            "--steps",
            "5",
            "--val-size",
            "20",
            "--train-size",
            "200",
        ]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn conditioning_elsewhere_or_unknown_is_an_error_naming_it() {
    let cases = [
        (
            ["--task", "dates", "--conditioning", "none"],
            "--conditioning none",
        ),
        (
            ["--task", "captioning", "--conditioning", "sideways"],
            "every-step",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["train", "--steps", "2"];
        all.extend(args);
        let out = seqzoo(&all);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
