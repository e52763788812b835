//! Text: vocabularies with special tokens, UTF-8 file loading, a built-in grammar-generated corpus,
//! and language-model batching.

pub mod corpus;
pub mod file;
pub mod lm;
pub mod task;
pub mod vocab;

pub use vocab::{Granularity, Vocab, BOS, EOS, UNK};
