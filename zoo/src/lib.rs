//! Recurrent models for seqzoo (filled by the recurrent-layers issue).
pub use autograd;
