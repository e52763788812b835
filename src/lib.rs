//! seqzoo: recurrent sequence models on a tape-based autodiff engine.
//!
//! The workspace's three crates, re-exported: [`autograd`] (tensors, tape, ops, optimizers),
//! [`zoo`] (recurrent models) and [`datasets`] (tasks, series, text).

#![warn(missing_docs)]

pub use autograd;
pub use datasets;
pub use zoo;
pub mod demo;
pub mod experiment;
pub mod plot;
pub mod problem;
pub mod recipes;
