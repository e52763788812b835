//! Text: vocabularies with special tokens, UTF-8 file loading, a built-in grammar-generated corpus,
//! and language-model batching (windows, sentences, and whole streams for stateful training).

pub mod corpus;
pub mod file;
pub mod lm;
pub mod streams;
pub mod task;
pub mod vocab;

pub use vocab::{Granularity, Vocab, BOS, EOS, UNK};
