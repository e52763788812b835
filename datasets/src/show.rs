//! Human-readable examples of any task, as `seqzoo data TASK` prints them. Numbers are rounded so
//! the text is stable.

use std::fmt::Write;
use std::path::Path;

use autograd::Result;

use crate::dataset::{example_rng, Baseline, Dataset, Example, Input, Target};
use crate::params::Params;
use crate::registry::{self, find, unknown};
use crate::series::csv::{load_column, Missing};
use crate::series::task::{ForecastConfig, Forecasting};
use crate::split::Split;
use crate::synthetic::adding::marked_positions;
use crate::synthetic::addition::Addition;
use crate::synthetic::anomaly::{Anomaly, KINDS};
use crate::synthetic::captioning::Captioning;
use crate::synthetic::copy::{BLANK, DELIMITER};
use crate::synthetic::dates::Dates;
use crate::synthetic::digits::digit_vocab;
use crate::synthetic::sentiment::Sentiment;
use crate::synthetic::tagging::{Tagging, O, TAG_NAMES};
use crate::text::file::read_text;
use crate::text::lm::ngram_baselines;
use crate::text::{Granularity, Vocab};

/// Examples over which `show` computes a task's baseline.
pub const BASELINE_EXAMPLES: usize = 1000;

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

fn baseline_line(b: &Baseline, n: usize) -> String {
    format!(
        "baseline: {} {:.4} ({}; {n} training examples)\n",
        b.metric, b.value, b.predictor
    )
}

/// `n` examples of task `name` drawn with `seed` and default settings, with the task's baseline.
pub fn show(name: &str, n: usize, seed: u64) -> Result<String> {
    show_with(name, n, seed, &Params::default())
}

/// `n` examples of task `name` drawn with `seed` and the settings `params` (see
/// [`registry::dataset_with`]), with the task's baseline, as text.
pub fn show_with(name: &str, n: usize, seed: u64, params: &Params) -> Result<String> {
    let info = find(name).ok_or_else(|| unknown(name))?;
    let mut out = format!(
        "{} ({}): {}, seed {seed}",
        info.name, info.kind, info.summary
    );
    if !params.is_empty() {
        out += &format!("; settings {}", params.describe());
    }
    out.push('\n');
    match info.kind {
        "forecasting" => return show_series(name, n, seed, params, out),
        "lm" => {
            params.check_all_used(name)?;
            return show_corpus(n, seed, out);
        }
        _ => {}
    }
    let data = registry::dataset_with(name, seed, BASELINE_EXAMPLES.max(n), params)?;
    if let Some(b) = data.baseline() {
        out += &baseline_line(&b, data.len());
    }
    for i in 0..n {
        let e = data.example(i);
        let line = match name {
            "adding" | "adding-1997" => adding(&e),
            "copy" => copy(&e),
            "reversal" | "sorting" => seq2seq(&e, &digit_vocab()),
            "addition" | "addition-reversed" => seq2seq(&e, Addition::new(3, false)?.vocab()),
            "dates" => seq2seq(&e, Dates::default().vocab()),
            "tagging" => tagging(&e, &Tagging::new(12, 5)?),
            "captioning" => captioning(&e, Captioning::default().vocab()),
            "anomaly" => anomaly(&Anomaly::new(e.input.steps())?, seed, i),
            "sentiment" => sentiment(&e, Sentiment::default().vocab()),
            "parity" => parity(&e),
            other => return Err(unknown(other)),
        };
        let _ = writeln!(out, "#{i:<3} {line}");
    }
    Ok(out)
}

fn adding(e: &Example) -> String {
    let (Input::Steps { values, .. }, Target::Values(y)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    let v: Vec<f64> = values.chunks(2).map(|s| s[0] as f64).collect();
    let marks = marked_positions(values);
    let terms: Vec<String> = marks
        .iter()
        .map(|&t| format!("x[{t}]={:.3}", v[t]))
        .collect();
    let mut marker_line: Vec<char> = vec![' '; v.len()];
    for &t in &marks {
        marker_line[t] = '^';
    }
    format!(
        "target {:.4} = {}\n     {}\n     {}",
        y[0],
        terms.join(" + "),
        sparkline(&v),
        marker_line.into_iter().collect::<String>().trim_end()
    )
}

fn copy_symbols(ids: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let id = ids[i];
        let run = ids[i..].iter().take_while(|&&x| x == id).count();
        match id {
            BLANK => parts.push(format!("_×{run}")),
            DELIMITER => parts.push(":".repeat(run)),
            _ => {
                parts.push((id - 1).to_string());
                i += 1;
                continue;
            }
        }
        i += run;
    }
    parts.join(" ")
}

fn copy(e: &Example) -> String {
    let (Input::Tokens(x), Target::Tags(y)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    format!("in  {}\n     out {}", copy_symbols(x), copy_symbols(y))
}

fn seq2seq(e: &Example, vocab: &Vocab) -> String {
    let (Input::Tokens(x), Target::Tokens(y)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    format!("{} → {}", vocab.decode(x), vocab.decode(y))
}

fn tagging(e: &Example, task: &Tagging) -> String {
    let (Input::Tokens(x), Target::Tags(y)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    x.iter()
        .zip(y)
        .map(|(&w, &t)| {
            let word = task.vocab().token(w);
            if t == O {
                word.to_string()
            } else {
                format!("{word}/{}", TAG_NAMES[t])
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn captioning(e: &Example, vocab: &Vocab) -> String {
    let (Input::Vector(f), Target::Tokens(y)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    let bits: String = f.iter().map(|&v| if v > 0.5 { '1' } else { '0' }).collect();
    format!(
        "{} {} {} → {}",
        &bits[..11],
        &bits[11..22],
        &bits[22..],
        vocab.decode(y)
    )
}

fn anomaly(task: &Anomaly, seed: u64, index: usize) -> String {
    // The training split's example `index` is drawn from example_rng(seed, index).
    let (x, _, info) = task.draw(&mut example_rng(seed, index as u64));
    let x: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let label = match info {
        Some((kind, t)) => format!("anomalous: {} at t={t}", KINDS[kind]),
        None => "normal".to_string(),
    };
    format!("{label}\n     {}", sparkline(&x))
}

fn sentiment(e: &Example, vocab: &Vocab) -> String {
    let (Input::Tokens(x), Target::Class(c)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    let label = if *c == 1 { "positive" } else { "negative" };
    format!("{label:<8}  {}", vocab.decode(x))
}

fn parity(e: &Example) -> String {
    let (Input::Steps { values, .. }, Target::Class(c)) = (&e.input, &e.target) else {
        return format!("{e:?}");
    };
    let bits: String = values
        .iter()
        .map(|&b| if b > 0.5 { '1' } else { '0' })
        .collect();
    format!("{bits:<20} → {}", if *c == 1 { "odd" } else { "even" })
}

fn show_series(
    name: &str,
    n: usize,
    seed: u64,
    params: &Params,
    mut out: String,
) -> Result<String> {
    let values = registry::series_with(name, seed, params)?;
    let config = ForecastConfig {
        season: if name == "sines" { 12 } else { 1 },
        ..ForecastConfig::default()
    };
    let task = Forecasting::new(values.clone(), config)?;
    let [tr, va, te] = Split::ALL.map(|s| task.range(s));
    let _ = writeln!(
        out,
        "{} values; splits train {}..{}, val {}..{}, test {}..{}; normalized with train mean {:.4}, std {:.4}",
        values.len(),
        tr.start,
        tr.end,
        va.start,
        va.end,
        te.start,
        te.end,
        task.normalizer().mean,
        task.normalizer().std
    );
    let errors: Vec<String> = task
        .baselines(Split::Val)
        .iter()
        .map(|e| format!("{} {:.4}", e.name, e.rmse))
        .collect();
    let _ = writeln!(out, "baselines (val rmse): {}", errors.join(", "));
    let _ = writeln!(
        out,
        "first 80: {}",
        sparkline(&values[..80.min(values.len())])
    );
    for (t, v) in values.iter().enumerate().take(n) {
        let _ = writeln!(out, "t={t:<4} {v:>12.4}");
    }
    Ok(out)
}

fn show_corpus(n: usize, seed: u64, mut out: String) -> Result<String> {
    let (vocab, encoded) = registry::corpus_sentences(seed, 2000);
    let (train, eval) = encoded.split_at(1800);
    let flat = |s: &[Vec<usize>]| s.concat();
    let b = ngram_baselines(&flat(train), &flat(eval), vocab.len());
    let parts: Vec<String> = b.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
    let _ = writeln!(
        out,
        "{} characters in the vocabulary (4 specials); baselines (nats/char, 1800/200 sentences): {}",
        vocab.len(),
        parts.join(", ")
    );
    for (i, s) in encoded.iter().take(n).enumerate() {
        let _ = writeln!(out, "#{i:<3} {}", vocab.decode(s));
    }
    Ok(out)
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
