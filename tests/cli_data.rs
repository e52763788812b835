//! `seqzoo data` run as a real binary: output snapshots for fixed seeds, exit codes, errors.

mod common;

use common::cli::{seqzoo, stdout};

#[test]
fn snapshots_of_every_task() {
    for task in datasets::registry::names() {
        let text = stdout(&["data", task, "--n", "3", "--seed", "7"]);
        insta::assert_snapshot!(format!("data_{task}"), text);
    }
}

#[test]
fn same_seed_same_output_other_seed_other_output() {
    for task in ["adding", "dates", "mackey-glass", "corpus"] {
        let a = stdout(&["data", task, "--seed", "1"]);
        assert_eq!(a, stdout(&["data", task, "--seed", "1"]));
        if task != "mackey-glass" {
            // Mackey-Glass has no randomness: its series is the same for every seed.
            assert_ne!(a, stdout(&["data", task, "--seed", "2"]), "{task}");
        }
    }
}

#[test]
fn n_controls_the_number_of_examples() {
    let text = stdout(&["data", "sentiment", "--n", "4"]);
    assert_eq!(text.lines().filter(|l| l.starts_with('#')).count(), 4);
    let dates = stdout(&["data", "dates", "--n", "12"]);
    assert!(dates.lines().filter(|l| l.contains(" → ")).count() == 12);
}

#[test]
fn unknown_task_lists_known_ones_and_exits_2() {
    let out = seqzoo(&["data", "no-such-task"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-task") && err.contains("adding") && err.contains("dates"));
}

#[test]
fn bad_arguments_are_usage_errors() {
    assert_eq!(
        seqzoo(&["data", "adding", "--n", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(seqzoo(&["data", "--set", "t=3"]).status.code(), Some(2));
}

#[test]
fn data_without_a_task_lists_every_task_with_its_recipe() {
    let text = stdout(&["data"]);
    assert_eq!(text, stdout(&["data", "list"]));
    for task in datasets::registry::TASKS {
        let line = text
            .lines()
            .position(|l| l.starts_with(&format!("{:<18} ", task.name())))
            .unwrap_or_else(|| panic!("{} not listed:\n{text}", task.name()));
        let recipe = text.lines().nth(line + 1).unwrap();
        assert!(
            recipe.ends_with(&format!("recipe: {}", task.recipe())),
            "{recipe}"
        );
    }
}

fn temp_file(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("seqzoo-cli-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn failure(args: &[&str]) -> (Option<i32>, String) {
    let out = seqzoo(args);
    assert!(out.stdout.is_empty(), "{args:?}");
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn a_csv_column_is_shown_as_values_with_range_and_sparkline() {
    let path = temp_file("fish.csv", b"year,fish\n2020,10\n2021,\n2022,30\n2023,20\n");
    let arg = format!("csv:{path}");
    let text = stdout(&[
        "data",
        &arg,
        "--column",
        "fish",
        "--skip-missing",
        "--n",
        "2",
    ]);
    assert!(
        text.contains("3 values, 1 missing skipped (lines 3)"),
        "{text}"
    );
    assert!(
        text.contains("min 10.0000, max 30.0000, mean 20.0000"),
        "{text}"
    );
    // 10 is the lowest bar, 30 the highest, 20 halfway: level 3.5 of 0..=7 rounds to the fifth.
    assert!(text.contains("first 80: ▁█▅\n"), "{text}");
    let table: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("t="))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(table, [["t=0", "10.0000"], ["t=1", "30.0000"]]);
    assert!(!text.contains("t=2"), "--n limits the table: {text}");
}

#[test]
fn csv_errors_name_file_and_line_and_exit_1() {
    let path = temp_file("gap.csv", b"t,x\n1,1.5\n2,\n");
    let arg = format!("csv:{path}");
    let (code, err) = failure(&["data", &arg, "--column", "x"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("gap.csv") && err.contains("line 3"), "{err}");
    let (code, err) = failure(&["data", &arg, "--column", "y"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("no column named 'y'") && err.contains("t, x"),
        "{err}"
    );
    let (code, err) = failure(&["data", "csv:/no/such/file.csv", "--column", "x"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("/no/such/file.csv"), "{err}");
    assert_eq!(failure(&["data", &arg]).0, Some(2), "--column is required");
}

#[test]
fn a_text_file_is_shown_as_decoded_lines_with_vocabulary_sizes() {
    let path = temp_file(
        "poem.txt",
        "the cat sat.\n\nthe dog ran!\nnaïve\n".as_bytes(),
    );
    let arg = format!("text:{path}");
    let text = stdout(&["data", &arg, "--n", "2"]);
    // 13 + 1 + 13 + 6 characters. Character vocabulary: t h e ' ' c a s . '\n' d o g r n ! ï v
    // (17) + 4 specials; words: the cat sat . dog ran ! naïve (8) + 4 specials.
    assert!(
        text.contains("33 characters, 4 lines; vocabulary 21 characters, 12 words"),
        "{text}"
    );
    assert!(
        text.contains("#0   the cat sat.\n#1   the dog ran!\n"),
        "{text}"
    );
    assert!(!text.contains("naïve"), "--n limits the lines: {text}");
}

#[test]
fn invalid_utf8_text_names_file_and_byte_offset_and_exits_1() {
    let path = temp_file("latin1.txt", b"ok\nna\xefve\n");
    let (code, err) = failure(&["data", &format!("text:{path}")]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("latin1.txt") && err.contains("byte offset 5") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn settings_override_task_defaults_and_bad_ones_are_usage_errors() {
    let text = stdout(&["data", "copy", "--set", "t=3", "--n", "1"]);
    assert!(
        text.lines().next().unwrap().ends_with("; settings t=3"),
        "{text}"
    );
    // 10 symbols, T−1 = 2 blanks, the delimiter, 10 blanks.
    assert!(text.contains(" _×2 : _×10\n"), "{text}");
    let (code, err) = failure(&["data", "copy", "--set", "steps=3"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("'steps'") && err.contains("its settings: t"),
        "{err}"
    );
    assert_eq!(failure(&["data", "copy", "--set", "t=0"]).0, Some(2));
    assert_eq!(failure(&["data", "corpus", "--set", "t=3"]).0, Some(2));
    assert_eq!(failure(&["data", "list", "--set", "t=3"]).0, Some(2));
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // `seqzoo data adding --n 1000 | head -1`: the pipe closes after one line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_seqzoo"))
        .args(["data", "adding", "--n", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("adding"), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.is_empty(),
        "{:?}: {err}",
        out.status
    );
}
