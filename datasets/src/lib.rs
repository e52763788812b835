//! Datasets for seqzoo (filled by the datasets issue).
pub use autograd;
