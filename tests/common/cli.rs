//! Running the real `seqzoo` binary from an integration test.

use std::process::{Command, Output};

/// Runs `seqzoo ARGS` and collects its output.
pub fn seqzoo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seqzoo"))
        .args(args)
        .output()
        .expect("the seqzoo binary runs")
}

/// The stdout of a run that must succeed (its stderr in the failure message).
pub fn stdout(args: &[&str]) -> String {
    let out = seqzoo(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}
