//! What `seqzoo data` prints besides a task's own examples: sparklines, baseline lines, and a
//! user's CSV column or text file. Numbers are rounded so the text is stable; each task says how
//! its own examples read ([`crate::task::Task::show`]).

use std::fmt::Write;
use std::path::Path;

use autograd::Result;

use crate::dataset::Baseline;
use crate::series::csv::{load_column, Missing};
use crate::text::file::read_text;
use crate::text::{Granularity, Vocab};

/// Examples over which `show` computes a task's baseline.
pub const BASELINE_EXAMPLES: usize = 1000;
/// Input steps, over all examples, that `show` reads at most for a baseline: examples at the
/// bounds (100,000 steps each) get a baseline over fewer examples (the line says how many)
/// rather than seconds of work.
pub const BASELINE_STEPS: usize = 4_000_000;

/// How many examples a baseline is computed on when one example has `steps` input steps and
/// `n` are shown: [`BASELINE_EXAMPLES`], or fewer that fit in [`BASELINE_STEPS`], at least `n`.
pub fn baseline_examples(steps: usize, n: usize) -> usize {
    (BASELINE_STEPS / steps.max(1))
        .min(BASELINE_EXAMPLES)
        .max(n)
        .max(1)
}
/// A bar per value, scaled between the values' minimum and maximum.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&v| {
            let level = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
            BARS[((level * 7.0).round() as usize).min(7)]
        })
        .collect()
}

/// The line naming a baseline and how many examples it was computed on.
pub(crate) fn baseline_line(b: &Baseline, n: usize) -> String {
    format!(
        "baseline: {} {:.4} ({}; {n} training examples)\n",
        b.metric, b.value, b.predictor
    )
}

/// Column `column` of the CSV file at `path`: how many values (and missing ones skipped), their
/// range, a sparkline of the first 80 and the first `n` values as a table.
pub fn csv_file(path: &Path, column: &str, missing: Missing, n: usize) -> Result<String> {
    let col = load_column(path, column, missing)?;
    let v = &col.values;
    let mut out = format!("{} column '{column}': {}\n", path.display(), col.report());
    if v.is_empty() {
        return Ok(out);
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let _ = writeln!(out, "min {lo:.4}, max {hi:.4}, mean {mean:.4}");
    let _ = writeln!(out, "first 80: {}", sparkline(&v[..80.min(v.len())]));
    for (t, x) in v.iter().enumerate().take(n) {
        let _ = writeln!(out, "t={t:<4} {x:>12.4}");
    }
    Ok(out)
}

/// The UTF-8 text file at `path`: its size, character and word vocabulary sizes (specials
/// included), and its first `n` non-empty lines decoded from their character ids.
pub fn text_file(path: &Path, n: usize) -> Result<String> {
    let text = read_text(path)?;
    let chars = Vocab::build(Granularity::Char, [text.as_str()], 1, None);
    let words = Vocab::build(Granularity::Word, [text.as_str()], 1, None);
    let mut out = format!(
        "{}: {} characters, {} lines; vocabulary {} characters, {} words (4 specials each)\n",
        path.display(),
        text.chars().count(),
        text.lines().count(),
        chars.len(),
        words.len()
    );
    let lines = text.lines().filter(|l| !l.trim().is_empty());
    for (i, line) in lines.take(n).enumerate() {
        let _ = writeln!(out, "#{i:<3} {}", chars.decode(&chars.encode(line)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_examples_get_a_baseline_over_fewer_of_them() {
        assert_eq!(baseline_examples(100, 5), BASELINE_EXAMPLES);
        assert_eq!(baseline_examples(4000, 5), BASELINE_EXAMPLES);
        assert_eq!(baseline_examples(100_000, 5), 40);
        assert_eq!(baseline_examples(100_000, 60), 60);
        assert_eq!(baseline_examples(usize::MAX, 0), 1);
        assert_eq!(baseline_examples(0, 0), BASELINE_EXAMPLES);
    }
}
