//! The `--set` parser and every task's bounds: `Params::parse`, then `registry::prepare` with tiny
//! train and validation sizes and `registry::show_with`, for a task name and settings made of
//! known keys, bounds, junk values and malformed items. A prepared task's examples are drawn.
//!
//! Input bytes: text lines — `TRAIN VAL [show]`, the task name, then one `key=value` item per line.

use super::{Outcome, Target};
use crate::corpus::Corpus;
use crate::mutate::numbers::{odd_text, setting_value};
use crate::mutate::{bytes, Gen};
use datasets::params::Params;
use datasets::registry;
use datasets::task::TaskSizes;
use datasets::{Example, Input, Target as ExampleTarget};
use rand::Rng;

/// The target.
pub const TARGET: Target = Target {
    name: "settings",
    about: "Params::parse, registry::prepare (train <= 4, val <= 2), registry::show_with",
    needs_corpus: false,
    generate,
    run,
};

/// Every key a task reads, and some none does.
const KEYS: [&str; 16] = [
    "t", "len", "gap", "min", "max", "digits", "k", "noise", "r", "p0", "horizon", "tau", "window",
    "T", "", "len ",
];

/// Structured settings for a task (usually a known one), then byte mutations now and then.
fn generate(rng: &mut Gen, _corpus: &Corpus) -> Vec<u8> {
    let names = registry::names();
    let task = match rng.random_range(0..20) {
        0 => "nonexistent".to_string(),
        1 => "csv:/nonexistent/fuzz.csv".to_string(),
        2 => "text:/nonexistent/fuzz.txt".to_string(),
        3 => odd_text(rng),
        _ => names[rng.random_range(0..names.len())].to_string(),
    };
    let mut lines = vec![
        format!(
            "{} {}{}",
            rng.random_range(0..5),
            rng.random_range(0..3),
            if rng.random_bool(0.25) { " show" } else { "" }
        ),
        task,
    ];
    for _ in 0..rng.random_range(0..4) {
        let key = KEYS[rng.random_range(0..KEYS.len())];
        lines.push(match rng.random_range(0..12) {
            0 => key.to_string(),
            1 => format!("{key}=={}", setting_value(rng)),
            2 => format!(" {key} = {} ", setting_value(rng)),
            _ => format!("{key}={}", setting_value(rng)),
        });
    }
    let mut out = lines.join("\n").into_bytes();
    if rng.random_bool(0.1) {
        bytes::mutate(rng, &mut out, 3, 4096);
    }
    out
}

/// Parses the settings and prepares and shows the task with them.
fn run(input: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(input);
    let mut lines = text.split('\n');
    let mut sizes = lines.next().unwrap_or("").split(' ');
    let mut size = |max: usize| {
        sizes
            .next()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(1)
            .min(max)
    };
    let sizes = TaskSizes {
        train: size(4),
        val: size(2),
    };
    let show = sizes_line_says_show(&text);
    let task = lines.next().unwrap_or("");
    let items: Vec<&str> = lines.collect();
    let params = match Params::parse(&items) {
        Ok(p) => p,
        Err(e) => return format!("error: {e}"),
    };
    let prepared = registry::prepare(task, 0, &params, sizes, Some("value")).map(|data| {
        let vocab = data.vocab.as_ref().map(|v| v.len());
        for split in [&data.train, &data.val] {
            for i in 0..split.len().min(2) {
                check_example(&split.example(i), vocab, task, &items);
            }
        }
        (data.train.len(), data.val.len())
    });
    // The corpus shows 2000 fixed sentences whatever the settings: costly and not input-driven.
    let shown = (show && !(task == "corpus" && params.is_empty())).then(|| {
        Params::parse(&items)
            .and_then(|p| registry::show_with(task, 2, 0, &p))
            .map(|s| s.len())
    });
    match prepared {
        Ok((train, val)) => format!("ok: {train} train, {val} val examples, shown {shown:?}"),
        Err(e) => format!("error: {e} (shown {shown:?})"),
    }
}

/// Whether the first line asks for `show_with` too (a third word `show`).
fn sizes_line_says_show(text: &str) -> bool {
    text.split('\n').next().unwrap_or("").split(' ').nth(2) == Some("show")
}

/// A prepared task's example holds finite numbers, whole steps and token ids in its vocabulary.
fn check_example(example: &Example, vocab: Option<usize>, task: &str, items: &[&str]) {
    let finite = |values: &[f32], what: &str| {
        assert!(
            values.iter().all(|v| v.is_finite()),
            "task {task} with {items:?}: {what} holds a value that is not finite"
        );
    };
    let in_vocab = |ids: &[usize], what: &str| {
        if let Some(n) = vocab {
            assert!(
                ids.iter().all(|&id| id < n),
                "task {task} with {items:?}: {what} has a token id outside the {n}-token vocabulary"
            );
        }
    };
    match &example.input {
        Input::Steps { width, values } => {
            assert!(
                *width > 0 && values.len() % width == 0,
                "task {task} with {items:?}: {} input values are not whole steps of {width}",
                values.len()
            );
            finite(values, "the input");
        }
        Input::Vector(values) => finite(values, "the input"),
        Input::Tokens(ids) => in_vocab(ids, "the input"),
    }
    match &example.target {
        ExampleTarget::Values(values) => finite(values, "the target"),
        ExampleTarget::Tokens(ids) => in_vocab(ids, "the target"),
        ExampleTarget::Class(_) | ExampleTarget::Tags(_) => {}
    }
}
