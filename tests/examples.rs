//! The examples, run in-process, snapshot-tested on their stable output: numbers are rounded to
//! `#` (they move with the CPU's floating-point kernels), verdicts, sizes and decoded outputs stay.

#[allow(dead_code)]
#[path = "../examples/classification.rs"]
mod classification;
#[allow(dead_code)]
#[path = "../examples/generation.rs"]
mod generation;
#[allow(dead_code)]
#[path = "../examples/prediction.rs"]
mod prediction;
#[allow(dead_code)]
#[path = "../examples/seq2seq.rs"]
mod seq2seq;

type Run = fn(&mut dyn std::io::Write) -> Result<(), Box<dyn std::error::Error>>;

/// The example's output with every decimal number replaced by `#`.
fn output(run: Run) -> String {
    let mut out = Vec::new();
    run(&mut out).expect("the example runs");
    let text = String::from_utf8(out).expect("UTF-8 output");
    let mut redacted = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut number = c.to_string();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || d == '.' {
                    number.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            redacted.push_str(if number.contains('.') { "#" } else { &number });
        } else {
            redacted.push(c);
        }
    }
    redacted
}

#[test]
fn prediction_beats_persistence() {
    insta::assert_snapshot!(output(prediction::run));
}

#[test]
fn classification_reads_negation_and_but() {
    insta::assert_snapshot!(output(classification::run));
}

#[test]
fn generation_beats_the_trigram_and_samples_sentences() {
    let text = output(generation::run);
    // Samples are random text: pin that each is a sentence, not which one.
    let stable: Vec<String> = text
        .lines()
        .map(|line| match line.split_once(": ") {
            Some((label, sample)) if !label.contains("validation") => {
                let first = sample.chars().next();
                assert!(
                    first.is_some_and(char::is_uppercase),
                    "a sampled sentence starts with a capital: {sample:?}"
                );
                format!("{label}: <a sentence>")
            }
            _ => line.to_string(),
        })
        .collect();
    insta::assert_snapshot!(stable.join("\n"));
}

#[test]
fn seq2seq_translates_dates() {
    insta::assert_snapshot!(output(seq2seq::run));
}
