//! A built-in English-like corpus generated from a small grammar, so every demo runs without files.
//!
//! Sentence `i` of the corpus with seed `s` is drawn from `example_rng(s, i)` alone. The grammar:
//!
//! ```text
//! S      → Clause "." | Clause "," Conj Clause "." | "when" Clause "," Clause "."
//! Clause → NP VP
//! NP     → Det [Adj] Noun | Name
//! VP     → Verb_i [Adv] | Verb_t NP [PP]
//! PP     → Prep NP
//! ```

use autograd::Rng;

use crate::dataset::example_rng;

/// Determiners.
pub const DETERMINERS: [&str; 5] = ["the", "a", "every", "that", "one"];
/// Neutral adjectives.
pub const ADJECTIVES: [&str; 10] = [
    "old", "young", "small", "large", "quiet", "green", "silver", "tired", "clever", "distant",
];
/// Common nouns.
pub const NOUNS: [&str; 16] = [
    "fisherman",
    "boat",
    "river",
    "fish",
    "net",
    "village",
    "teacher",
    "child",
    "dog",
    "harbour",
    "storm",
    "market",
    "bird",
    "garden",
    "lamp",
    "letter",
];
/// Proper names.
pub const NAMES: [&str; 6] = ["Anna", "Tom", "Maria", "Oskar", "Lena", "Paul"];
/// Intransitive verbs (third person singular, past tense).
pub const VERBS_INTRANSITIVE: [&str; 8] = [
    "slept", "waited", "laughed", "arrived", "vanished", "sang", "rested", "wandered",
];
/// Transitive verbs.
pub const VERBS_TRANSITIVE: [&str; 9] = [
    "saw",
    "followed",
    "found",
    "painted",
    "carried",
    "watched",
    "fed",
    "counted",
    "remembered",
];
/// Adverbs.
pub const ADVERBS: [&str; 6] = ["slowly", "again", "quietly", "early", "today", "outside"];
/// Prepositions.
pub const PREPOSITIONS: [&str; 6] = ["near", "behind", "under", "beside", "across", "past"];
/// Conjunctions joining two clauses.
pub const CONJUNCTIONS: [&str; 3] = ["and", "but", "so"];

fn pick<'a>(rng: &mut Rng, words: &[&'a str]) -> &'a str {
    words[rng.below(words.len())]
}

fn noun_phrase(rng: &mut Rng, out: &mut Vec<&'static str>) {
    if rng.bernoulli(0.2) {
        out.push(pick(rng, &NAMES));
        return;
    }
    out.push(pick(rng, &DETERMINERS));
    if rng.bernoulli(0.5) {
        out.push(pick(rng, &ADJECTIVES));
    }
    out.push(pick(rng, &NOUNS));
}

fn clause(rng: &mut Rng, out: &mut Vec<&'static str>) {
    noun_phrase(rng, out);
    if rng.bernoulli(0.4) {
        out.push(pick(rng, &VERBS_INTRANSITIVE));
        if rng.bernoulli(0.5) {
            out.push(pick(rng, &ADVERBS));
        }
    } else {
        out.push(pick(rng, &VERBS_TRANSITIVE));
        noun_phrase(rng, out);
        if rng.bernoulli(0.3) {
            out.push(pick(rng, &PREPOSITIONS));
            noun_phrase(rng, out);
        }
    }
}

/// Joins words into a sentence: first letter capitalized, no space before punctuation.
pub fn render(words: &[&str]) -> String {
    let mut s = String::new();
    for w in words {
        if !s.is_empty() && !matches!(*w, "." | "," | "!" | "?") {
            s.push(' ');
        }
        s.push_str(w);
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

/// One sentence drawn from `rng`.
pub fn sentence(rng: &mut Rng) -> String {
    let mut w = Vec::new();
    match rng.below(5) {
        0 => {
            clause(rng, &mut w);
            w.push(",");
            w.push(pick(rng, &CONJUNCTIONS));
            clause(rng, &mut w);
        }
        1 => {
            w.push("when");
            clause(rng, &mut w);
            w.push(",");
            clause(rng, &mut w);
        }
        _ => clause(rng, &mut w),
    }
    w.push(".");
    render(&w)
}

/// Sentences `0..n` of the corpus with `seed`.
pub fn sentences(seed: u64, n: usize) -> Vec<String> {
    (0..n as u64)
        .map(|i| sentence(&mut example_rng(seed, i)))
        .collect()
}

/// Sentences `0..n` as one text, separated by single spaces (for character language models).
pub fn text(seed: u64, n: usize) -> String {
    sentences(seed, n).join(" ")
}
