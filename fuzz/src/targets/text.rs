//! The text reader and vocabulary: `decode_utf8`, `Vocab::build` (characters and words),
//! encode/decode (a character vocabulary round-trips its own text exactly), `Vocab::to_json` /
//! `from_json` (round-trip, and the input itself read as a vocabulary file), and a `text:` task
//! prepared from the text (`TextFileTask::prepare_text`) with a `window` setting, sometimes with
//! a fitted vocabulary of the first half (as a checkpoint's).
//!
//! Input bytes: a settings byte (window choice, word-vocabulary bounds), then the text.

use super::{Outcome, Target};
use crate::corpus::Corpus;
use crate::mutate::numbers::odd_text;
use crate::mutate::safetensors::mutate_json;
use crate::mutate::{bytes, Gen};
use datasets::params::Params;
use datasets::task::Fitted;
use datasets::text::file::decode_utf8;
use datasets::text::task::TextFileTask;
use datasets::text::{Granularity, Vocab};
use rand::Rng;
use std::path::Path;

/// The target.
pub const TARGET: Target = Target {
    name: "text",
    about: "decode_utf8, Vocab::build/encode/decode/to_json/from_json, TextFileTask::prepare_text",
    needs_corpus: false,
    generate,
    run,
};

/// The `window` settings the settings byte picks from.
const WINDOWS: [&str; 8] = ["2", "3", "8", "64", "0", "1", "100000", "100001"];

/// Words and fragments text is made of.
const WORDS: [&str; 16] = [
    "the",
    "cat",
    "sat",
    ".",
    ",",
    "don't",
    "re-enter",
    "über",
    "日本語",
    "🦀",
    "\t",
    "\r\n",
    "\n",
    "  ",
    "<unk>",
    "<pad>",
];

/// A text, a vocabulary file (often broken), or bytes that are not UTF-8.
fn generate(rng: &mut Gen, _corpus: &Corpus) -> Vec<u8> {
    let mut text = match rng.random_range(0..5) {
        0 => vocab_json(rng).into_bytes(),
        1 => odd_text(rng).into_bytes(),
        _ => {
            let mut s = String::new();
            if rng.random_bool(0.05) {
                s.push('\u{feff}');
            }
            for _ in 0..rng.random_range(0..400) {
                s += WORDS[rng.random_range(0..WORDS.len())];
                s.push(' ');
            }
            s.into_bytes()
        }
    };
    if rng.random_bool(0.3) {
        bytes::mutate(rng, &mut text, 6, 1 << 16);
    }
    if rng.random_bool(0.05) {
        // An invalid sequence: a lone continuation byte, an overlong form or a cut character.
        let bad: &[u8] = [
            &[0x80][..],
            &[0xc0, 0xaf],
            &[0xe6, 0x97],
            &[0xff],
            &[0xed, 0xa0, 0x80],
        ][rng.random_range(0..5)];
        let at = rng.random_range(0..=text.len());
        text.splice(at..at, bad.iter().copied());
    }
    let mut out = vec![rng.random::<u8>()];
    out.extend_from_slice(&text);
    out
}

/// A vocabulary file's JSON, sometimes with one part made hostile.
fn vocab_json(rng: &mut Gen) -> String {
    let tokens: Vec<String> = (0..rng.random_range(0..8))
        .map(|_| WORDS[rng.random_range(0..WORDS.len())].to_string())
        .collect();
    let vocab = Vocab::from_tokens(Granularity::Word, tokens);
    let json = vocab.to_json();
    if rng.random_bool(0.5) {
        return json;
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&json) else {
        return json;
    };
    let token = mutate_json(rng, &mut value);
    value.to_string().replace("\"__HOSTILE__\"", &token)
}

/// Decodes the text and runs the vocabulary and the task on it.
fn run(input: &[u8]) -> Outcome {
    let Some((&settings, rest)) = input.split_first() else {
        return "error: empty input".into();
    };
    let path = Path::new("fuzz.txt");
    let text = match decode_utf8(rest.to_vec(), path) {
        Ok(t) => t,
        Err(e) => return format!("error: {e}"),
    };
    let chars = Vocab::build(Granularity::Char, [text.as_str()], 1, None);
    assert_eq!(
        chars.decode(&chars.encode(&text)),
        text,
        "a character vocabulary round-trips its own text"
    );
    let max_size = (settings & 0x10 != 0).then_some(usize::from(settings >> 5));
    let words = Vocab::build(
        Granularity::Word,
        [text.as_str()],
        usize::from(settings >> 6),
        max_size,
    );
    let _ = words.decode(&words.encode(&text));
    for vocab in [&chars, &words] {
        let back = Vocab::from_json(&vocab.to_json(), path).expect("a vocabulary's JSON reads");
        assert_eq!(&back, vocab, "a vocabulary round-trips through JSON");
    }
    let as_vocab = Vocab::from_json(&text, path).map(|v| v.len());
    let window = WINDOWS[usize::from(settings & 7)];
    let params = Params::parse(&[format!("window={window}")]).expect("a well-formed setting");
    // Now and then read with a checkpoint's vocabulary: one built from the first half only.
    let fitted = Fitted {
        vocab: (settings & 0x08 != 0).then(|| {
            let half = text.char_indices().nth(text.chars().count() / 2);
            let first = half.map_or(text.as_str(), |(i, _)| &text[..i]);
            Vocab::build(Granularity::Char, [first], 1, None)
        }),
        normalizer: None,
    };
    let task = TextFileTask::new(path).prepare_text(&text, &params, &fitted);
    let task = task.map(|d| (d.train.len(), d.val.len()));
    format!(
        "ok: {} chars, {} words, as vocab {as_vocab:?}, task {task:?}",
        chars.len(),
        words.len()
    )
}
