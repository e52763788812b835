//! Character and word vocabularies with the special tokens PAD, BOS, EOS and UNK at ids 0..4.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use autograd::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::dataset::PAD;

/// Begin-of-sequence id.
pub const BOS: usize = 1;
/// End-of-sequence id.
pub const EOS: usize = 2;
/// Unknown-token id (anything not in the vocabulary).
pub const UNK: usize = 3;
/// The special tokens' spellings at ids 0..4.
pub const SPECIALS: [&str; 4] = ["<pad>", "<bos>", "<eos>", "<unk>"];

/// Whether tokens are characters or words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One token per Unicode scalar value.
    Char,
    /// Words and single punctuation marks.
    Word,
}

/// A token ↔ id mapping whose first four ids are [`SPECIALS`].
#[derive(Clone, Debug, PartialEq)]
pub struct Vocab {
    granularity: Granularity,
    tokens: Vec<String>,
    index: HashMap<String, usize>,
}

#[derive(Serialize, Deserialize)]
struct VocabFile {
    format: String,
    granularity: Granularity,
    tokens: Vec<String>,
}

const FORMAT: &str = "seqzoo-vocab-1";

/// Splits text into tokens: characters, or words (runs of letters, digits, `'` and `-`) and single
/// punctuation marks, whitespace dropped.
pub fn tokenize(granularity: Granularity, text: &str) -> Vec<&str> {
    match granularity {
        Granularity::Char => text
            .char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect(),
        Granularity::Word => {
            let mut out = Vec::new();
            let mut start: Option<usize> = None;
            let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '-';
            for (i, c) in text.char_indices() {
                if is_word(c) {
                    start.get_or_insert(i);
                    continue;
                }
                if let Some(s) = start.take() {
                    out.push(&text[s..i]);
                }
                if !c.is_whitespace() {
                    out.push(&text[i..i + c.len_utf8()]);
                }
            }
            if let Some(s) = start {
                out.push(&text[s..]);
            }
            out
        }
    }
}

impl Vocab {
    /// A vocabulary of the specials followed by `tokens` in the given order (duplicates and
    /// specials skipped).
    pub fn from_tokens<S: AsRef<str>>(
        granularity: Granularity,
        tokens: impl IntoIterator<Item = S>,
    ) -> Self {
        let mut v = Vocab {
            granularity,
            tokens: Vec::new(),
            index: HashMap::new(),
        };
        for t in SPECIALS.iter().map(|s| s.to_string()) {
            v.push(t);
        }
        for t in tokens {
            let t = t.as_ref();
            if !v.index.contains_key(t) {
                v.push(t.to_string());
            }
        }
        v
    }

    fn push(&mut self, token: String) {
        self.index.insert(token.clone(), self.tokens.len());
        self.tokens.push(token);
    }

    /// Builds from `texts`: tokens seen at least `min_freq` times, most frequent first (ties in
    /// lexicographic order), at most `max_size` ids in all including the 4 specials.
    pub fn build<'a>(
        granularity: Granularity,
        texts: impl IntoIterator<Item = &'a str>,
        min_freq: usize,
        max_size: Option<usize>,
    ) -> Self {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for text in texts {
            for t in tokenize(granularity, text) {
                *counts.entry(t).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = counts
            .into_iter()
            .filter(|&(t, c)| c >= min_freq.max(1) && !SPECIALS.contains(&t))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let room = max_size.map_or(usize::MAX, |m| m.saturating_sub(SPECIALS.len()));
        Vocab::from_tokens(granularity, ranked.into_iter().take(room).map(|(t, _)| t))
    }

    /// Characters or words.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// The number of ids, specials included.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true: the specials are always there.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The id of `token`, or [`UNK`].
    pub fn id(&self, token: &str) -> usize {
        self.index.get(token).copied().unwrap_or(UNK)
    }

    /// The id of `token`, if the vocabulary has it.
    pub fn get(&self, token: &str) -> Option<usize> {
        self.index.get(token).copied()
    }

    /// The spelling of `id` (`<unk>` for an id out of range).
    pub fn token(&self, id: usize) -> &str {
        self.tokens.get(id).map_or(SPECIALS[UNK], String::as_str)
    }

    /// The ids of `text`'s tokens (no BOS/EOS added).
    pub fn encode(&self, text: &str) -> Vec<usize> {
        tokenize(self.granularity, text)
            .into_iter()
            .map(|t| self.id(t))
            .collect()
    }

    /// The text of `ids`, leaving out PAD, BOS and EOS: characters concatenated; words joined by
    /// spaces with no space before punctuation.
    pub fn decode(&self, ids: &[usize]) -> String {
        let mut out = String::new();
        for &id in ids.iter().filter(|&&i| i != PAD && i != BOS && i != EOS) {
            let t = self.token(id);
            let punct = t.chars().all(|c| c.is_ascii_punctuation()) && id != UNK;
            if self.granularity == Granularity::Word && !out.is_empty() && !punct {
                out.push(' ');
            }
            out.push_str(t);
        }
        out
    }

    /// The vocabulary as JSON (what [`Vocab::save`] writes and checkpoints embed).
    pub fn to_json(&self) -> String {
        let file = VocabFile {
            format: FORMAT.into(),
            granularity: self.granularity,
            tokens: self.tokens.clone(),
        };
        serde_json::to_string_pretty(&file).expect("a vocabulary serializes")
    }

    /// Reads JSON written by [`Vocab::to_json`], checking the specials and duplicates; errors name
    /// `origin` (the file it came from).
    pub fn from_json(json: &str, origin: &Path) -> Result<Self> {
        let file: VocabFile = serde_json::from_str(json).map_err(|e| {
            Error::format(origin, format!("line {}: not a vocabulary: {e}", e.line()))
        })?;
        if file.format != FORMAT {
            return Err(Error::format(
                origin,
                format!("expected format '{FORMAT}', found '{}'", file.format),
            ));
        }
        if file.tokens.len() < SPECIALS.len() || file.tokens[..4] != SPECIALS {
            return Err(Error::format(
                origin,
                format!("the first tokens must be {SPECIALS:?}"),
            ));
        }
        let vocab = Vocab::from_tokens(file.granularity, &file.tokens[4..]);
        if vocab.len() != file.tokens.len() {
            return Err(Error::format(origin, "a token appears more than once"));
        }
        Ok(vocab)
    }

    /// Writes the vocabulary as JSON to `path`, atomically (a temp file renamed over it).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), self.to_json().as_bytes())
    }

    /// Reads a vocabulary written by [`Vocab::save`], checking the specials and duplicates.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::format(path, "line 1: not a vocabulary: not UTF-8"))?;
        Vocab::from_json(&text, path)
    }
}

/// Writes `bytes` to a temp file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
