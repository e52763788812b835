//! The CSV reader: `datasets::series::csv::read_column` on generated CSV text (headers, quoted
//! fields, numbers such as 1e400, NaN and -0, missing cells, ragged rows, BOMs, CRLF, long lines,
//! invalid UTF-8). A column that reads holds finite numbers only.
//!
//! Input bytes: a mode byte (odd = skip missing values), the column name, `\n`, then the CSV.

use super::{outcome, Outcome, Target};
use crate::corpus::Corpus;
use crate::mutate::numbers::odd_text;
use crate::mutate::{bytes, Gen};
use datasets::series::csv::{read_column, Missing};
use rand::Rng;
use std::path::Path;

/// The target.
pub const TARGET: Target = Target {
    name: "csv",
    about: "datasets::series::csv::read_column",
    needs_corpus: false,
    generate,
    run,
};

/// Cells as they appear in real and broken files.
const CELLS: [&str; 24] = [
    "1",
    "-2.5",
    "0",
    "-0",
    "1e400",
    "-1e400",
    "1e-400",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "NA",
    "n/a",
    "null",
    "",
    " ",
    "\"3\"",
    "\"1,5\"",
    "\"a\"\"b\"",
    "1_000",
    "0x10",
    "+7",
    "1.",
    ".5",
];

/// A header name.
fn header_name(rng: &mut Gen) -> String {
    match rng.random_range(0..6) {
        0 => odd_text(rng),
        1 => "\"value, quoted\"".into(),
        _ => ["value", "x", "y", " value ", "date"][rng.random_range(0..5)].into(),
    }
}

/// A cell.
fn cell(rng: &mut Gen) -> String {
    match rng.random_range(0..40) {
        0..=33 => format!("{}", rng.random_range(-1e6..1e6f64)),
        34 => odd_text(rng),
        _ => CELLS[rng.random_range(0..CELLS.len())].into(),
    }
}

/// Structured CSV with a column name, then byte mutations now and then.
fn generate(rng: &mut Gen, _corpus: &Corpus) -> Vec<u8> {
    let width = rng.random_range(1..5);
    let headers: Vec<String> = (0..width).map(|_| header_name(rng)).collect();
    let column = if rng.random_bool(0.85) {
        headers[rng.random_range(0..width)]
            .trim_matches('"')
            .trim()
            .to_string()
    } else {
        header_name(rng)
    };
    let newline = if rng.random_bool(0.2) { "\r\n" } else { "\n" };
    let mut csv = String::new();
    if rng.random_bool(0.05) {
        csv.push('\u{feff}');
    }
    if rng.random_bool(0.95) {
        csv += &headers.join(",");
        csv += newline;
    }
    for _ in 0..rng.random_range(0..40) {
        let n = if rng.random_bool(0.98) {
            width
        } else {
            rng.random_range(0..width + 2)
        };
        let row: Vec<String> = (0..n).map(|_| cell(rng)).collect();
        csv += &row.join(",");
        csv += newline;
    }
    let mut out = vec![rng.random::<u8>()];
    out.extend_from_slice(column.as_bytes());
    out.push(b'\n');
    let mut body = csv.into_bytes();
    if rng.random_bool(0.2) {
        bytes::mutate(rng, &mut body, 6, 1 << 16);
    }
    out.extend_from_slice(&body);
    out
}

/// Reads the column.
fn run(input: &[u8]) -> Outcome {
    let Some((&mode, rest)) = input.split_first() else {
        return "error: empty input".into();
    };
    let cut = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let column = String::from_utf8_lossy(&rest[..cut]);
    let csv = rest.get(cut + 1..).unwrap_or(&[]);
    let missing = if mode % 2 == 1 {
        Missing::Skip
    } else {
        Missing::Error
    };
    let result = read_column(csv, Path::new("fuzz.csv"), &column, missing);
    if let Ok(col) = &result {
        assert!(
            col.values.iter().all(|v| v.is_finite()),
            "a column that reads holds finite numbers"
        );
    }
    outcome(result, |c| c.report())
}
