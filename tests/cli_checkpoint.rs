//! Runs that survive: `seqzoo train --save` killed at any moment leaves a checkpoint that loads and
//! resumes to the weights and optimizer state of a run never stopped; SIGINT and SIGTERM save and
//! exit 130 and 143; an unwritable `--save` path fails before training; stale temp files go.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use autograd::params::read_tensors;
use autograd::Rng;
use seqzoo::problem::Trained;
use serde_json::Value;
use zoo::train::{Checkpoint, OPTIMIZER_KEY, RNG_KEY, STATE_KEY, STEP_KEY};

mod common;

use common::cli::seqzoo;

/// The run every test trains (a second or so): small, with many checkpoints.
const RUN: [&str; 13] = [
    "--set",
    "t=10",
    "--val-every",
    "50",
    "--hidden",
    "8",
    "--train-size",
    "2000",
    "--val-size",
    "200",
    "--task",
    "adding",
    "--seed",
];

/// `seqzoo train` with the small run's flags, `steps` steps, saving to `save`, plus `extra`.
fn fresh_args(steps: usize, save: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["train"]
        .iter()
        .chain(&RUN)
        .map(|s| s.to_string())
        .collect();
    args.push("3".into());
    args.extend(["--steps".into(), steps.to_string()]);
    args.extend(["--save".into(), path_arg(save)]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// `seqzoo train --resume CKPT --steps N --save CKPT` plus `extra`.
fn resume_args(steps: usize, ckpt: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["train".into(), "--resume".into(), path_arg(ckpt)];
    args.extend(["--steps".into(), steps.to_string()]);
    args.extend(["--save".into(), path_arg(ckpt)]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn path_arg(path: &Path) -> String {
    path.to_str().expect("UTF-8 temp path").to_string()
}

/// Starts `seqzoo ARGS` with its output piped.
fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_seqzoo"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the seqzoo binary starts")
}

/// Runs `seqzoo ARGS`, which must succeed.
fn succeed(args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = seqzoo(&refs);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Everything a checkpoint holds that a continuation depends on, as bits: every tensor (weights,
/// optimizer buffers, best weights), the step, generator and optimizer counters, and the run
/// state without its wall-clock seconds.
fn training_state(path: &Path) -> Vec<(String, String)> {
    let file = read_tensors(path).unwrap_or_else(|e| panic!("{e}"));
    let mut out: Vec<(String, String)> = file
        .names()
        .map(|n| {
            let t = file.tensor::<f32>(n).expect("f32 tensor");
            let bits: Vec<u32> = t.data().iter().map(|x| x.to_bits()).collect();
            (n.to_string(), format!("{bits:?}"))
        })
        .collect();
    for key in [STEP_KEY, RNG_KEY, OPTIMIZER_KEY] {
        out.push((key.into(), file.metadata()[key].clone()));
    }
    let mut state: Value = serde_json::from_str(&file.metadata()[STATE_KEY]).expect("state");
    state["seconds"] = Value::Null;
    for record in state["history"].as_array_mut().expect("history") {
        record["seconds"] = Value::Null;
    }
    out.push((STATE_KEY.into(), state.to_string()));
    out.sort();
    out
}

/// The names of the temp files of an atomic write of `name` in `dir`.
fn temp_files(dir: &Path, name: &str) -> Vec<String> {
    let prefix = format!(".{name}.");
    fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".tmp"))
        .collect()
}

/// Checks that the checkpoint at `path` opens and its model loads; its step.
fn loads(path: &Path) -> usize {
    let step = Checkpoint::open(path)
        .and_then(|c| c.step())
        .unwrap_or_else(|e| panic!("the checkpoint on disk does not open: {e}"));
    Trained::load(path).unwrap_or_else(|e| panic!("the checkpoint's model does not load: {e}"));
    step
}

/// Waits (at most a minute) until `ready` holds.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        sleep(Duration::from_millis(2));
    }
}

#[test]
fn killed_at_any_moment_a_run_resumes_to_the_same_weights_and_optimizer_state() {
    const STEPS: usize = 300;
    const KILLS: usize = 14;
    let dir = tempfile::tempdir().unwrap();
    let straight = dir.path().join("straight.st");
    succeed(&fresh_args(STEPS, &straight, &["--save-every", "7"]));

    let ckpt = dir.path().join("ckpt.st");
    let mut rng = Rng::new(2024);
    let clock = Instant::now();
    // The next run of the chain: resumed from the checkpoint on disk, or fresh if there is none.
    let next_link = || {
        if ckpt.exists() {
            resume_args(STEPS, &ckpt, &["--save-every", "7"])
        } else {
            fresh_args(STEPS, &ckpt, &["--save-every", "7"])
        }
    };
    let (mut kills, mut mid_write, mut steps_seen) = (0, 0, Vec::new());
    for attempt in 0.. {
        assert!(
            attempt < 20 * KILLS,
            "the runs finish before they are killed"
        );
        if kills == KILLS {
            break;
        }
        let before = temp_files(dir.path(), "ckpt.st");
        let new_temp = || {
            let now = temp_files(dir.path(), "ckpt.st");
            now.iter().any(|t| !before.contains(t))
        };
        let mut child = spawn(&next_link());
        // At a random moment (often mid-step, sometimes mid-write); every other time earlier, as
        // soon as a write is seen under way (its temp file exists).
        let deadline = Instant::now() + Duration::from_millis(rng.uniform_in(5.0, 400.0) as u64);
        let watch = kills % 2 == 1;
        while Instant::now() < deadline && !(watch && new_temp()) {
            std::hint::spin_loop();
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        if status.success() {
            // It finished before the kill: start the chain over.
            fs::remove_file(&ckpt).expect("remove the finished checkpoint");
            continue;
        }
        kills += 1;
        mid_write += usize::from(new_temp());
        if ckpt.exists() {
            let step = loads(&ckpt);
            assert!(
                step.is_multiple_of(7) || step == STEPS,
                "saved at step {step}"
            );
            steps_seen.push(step);
        }
    }
    // Uninterrupted at last, from the latest checkpoint to the end.
    succeed(&next_link());
    println!(
        "{KILLS} kills in {:.1} s, {mid_write} of them with a write under way; \
         checkpoints at steps {steps_seen:?}",
        clock.elapsed().as_secs_f64()
    );
    assert_eq!(loads(&ckpt), STEPS);
    assert!(training_state(&straight) == training_state(&ckpt));
    // The killed writes' temp files were cleared by the runs that followed.
    assert_eq!(temp_files(dir.path(), "ckpt.st"), Vec::<String>::new());
}

#[test]
fn sigint_and_sigterm_save_a_last_checkpoint_and_exit_130_and_143() {
    const STEPS: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let straight = dir.path().join("straight.st");
    succeed(&fresh_args(STEPS, &straight, &[]));

    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let ckpt = dir.path().join(format!("{signal}.st"));
        let child = spawn(&fresh_args(STEPS, &ckpt, &[]));
        // The first validation (step 50) writes the checkpoint: training is under way.
        wait_for("the first checkpoint", || ckpt.exists());
        let pid = child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(sent.expect("kill runs").success());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {err}");
        assert_eq!(err.lines().count(), 1, "one line on stderr: {err}");
        let step = loads(&ckpt);
        assert!(step < STEPS, "SIG{signal} came after the run");
        for part in [
            format!("SIG{signal}"),
            format!("after step {step}"),
            path_arg(&ckpt),
        ] {
            assert!(err.contains(&part), "{err:?} names {part:?}");
        }
        // The checkpoint of the interrupted step resumes bit for bit.
        succeed(&resume_args(STEPS, &ckpt, &[]));
        assert!(training_state(&straight) == training_state(&ckpt));
    }

    // Without --save, the signal just stops the run.
    let log = dir.path().join("log.jsonl");
    let mut args = fresh_args(1_000_000, &log, &[]);
    let save = args.iter().position(|a| a == "--save").expect("--save");
    args.drain(save..save + 2);
    args.extend(["--log".into(), path_arg(&log)]);
    let child = spawn(&args);
    wait_for("the first validation", || {
        fs::metadata(&log).is_ok_and(|m| m.len() > 0)
    });
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(sent.expect("kill runs").success());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(
        err.contains("SIGTERM") && err.contains("nothing saved"),
        "{err}"
    );
}

#[test]
fn an_unwritable_save_path_fails_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    fs::write(&file, b"not a directory").unwrap();
    for bad in [
        file.join("ckpt.st"),
        dir.path().join("missing").join("ckpt.st"),
        dir.path().to_path_buf(),
    ] {
        let args = fresh_args(1_000_000, &bad, &[]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let start = Instant::now();
        let out = seqzoo(&refs);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&path_arg(&bad)), "{err:?} names {bad:?}");
        assert!(out.stdout.is_empty(), "nothing trained");
        assert!(start.elapsed() < Duration::from_secs(10));
    }
    // --save-every needs --save: a usage error.
    let out = seqzoo(&["train", "--task", "adding", "--save-every", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--save"));
}

#[test]
fn stale_temp_files_of_the_checkpoint_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt.st");
    let stale = [".ckpt.st.4000000.0.tmp", ".ckpt.st.1.17.tmp"];
    let others = [".other.st.4000000.0.tmp", ".ckpt.st.notes"];
    for name in stale.iter().chain(&others) {
        fs::write(dir.path().join(name), b"half a checkpoint").unwrap();
    }
    succeed(&fresh_args(60, &ckpt, &[]));
    assert_eq!(loads(&ckpt), 60);
    for name in stale {
        assert!(!dir.path().join(name).exists(), "{name} is left");
    }
    for name in others {
        assert!(dir.path().join(name).exists(), "{name} was removed");
    }
}

/// `seqzoo train` of a small stateful character model of `text` (`--set stateful=true`),
/// `steps` steps, saving to `save`, plus `extra`.
fn stateful_args(text: &Path, steps: usize, save: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "train",
        "--set",
        "stateful=true",
        "--set",
        "window=8",
        "--hidden",
        "8",
        "--embedding",
        "4",
        "--batch",
        "4",
        "--val-every",
        "10",
        "--schedule",
        "constant",
        "--task",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("text:{}", path_arg(text)));
    args.extend(["--steps".into(), steps.to_string()]);
    args.extend(["--save".into(), path_arg(save)]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn a_stateful_run_resumed_mid_stream_equals_one_never_stopped_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("t.txt");
    // 1,200 characters: 1,080 for training, 4 streams of 270, 33 windows of 8 per pass.
    let lines: String = (0..60).map(|i| format!("psalm {i:>5}: selah.\n")).collect();
    fs::write(&text, lines).unwrap();
    const STEPS: usize = 80;
    let straight = dir.path().join("straight.st");
    succeed(&stateful_args(&text, STEPS, &straight, &[]));

    // Stopped at step 40 (window 7 of the second pass), resumed to the end.
    let ckpt = dir.path().join("ckpt.st");
    succeed(&stateful_args(&text, 40, &ckpt, &["--save-every", "15"]));
    assert_eq!(loads(&ckpt), 40);
    let carried = Checkpoint::open(&ckpt).unwrap();
    for name in ["h", "c"] {
        let t = carried
            .carry::<f32>(name)
            .unwrap()
            .expect("the carried state is saved");
        assert_eq!(t.shape(), [1, 4, 8]);
    }
    succeed(&resume_args(STEPS, &ckpt, &[]));
    assert_eq!(loads(&ckpt), STEPS);
    assert!(training_state(&straight) == training_state(&ckpt));

    // Resumed without the carried state (as if it were lost), the run cannot continue the
    // streams: an error naming the file, not a silent restart from zeros.
    let ckpt = dir.path().join("lost.st");
    succeed(&stateful_args(&text, 40, &ckpt, &[]));
    let file = read_tensors(&ckpt).unwrap();
    let kept: Vec<(String, autograd::Tensor<f32>)> = file
        .names()
        .filter(|n| !n.starts_with(zoo::train::CARRY_PREFIX))
        .map(|n| (n.to_string(), file.tensor::<f32>(n).unwrap()))
        .collect();
    let refs: Vec<(&str, &autograd::Tensor<f32>)> =
        kept.iter().map(|(n, t)| (n.as_str(), t)).collect();
    autograd::params::write_tensors(&ckpt, &refs, file.metadata()).unwrap();
    let args = resume_args(STEPS, &ckpt, &[]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = seqzoo(&refs);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&path_arg(&ckpt)) && err.contains("carries no state into batch 40"),
        "{err}"
    );
}
