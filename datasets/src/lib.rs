//! Datasets for seqzoo: synthetic sequence tasks, time series and text.
//!
//! Every dataset yields examples as a pure function of `(seed, index)` (see
//! [`dataset::example_rng`]), a [`Batcher`] shuffles with its own seed, pads and masks, and hands out
//! batch-first tensors (`[B, T, F]`) with per-sequence lengths. Token ids reserve `0` for padding
//! ([`PAD`]) in every task and vocabulary.

#![warn(missing_docs)]

pub mod batch;
pub mod dataset;
pub mod split;

pub use autograd;
pub use autograd::{Error, Result};
pub use batch::{collate, Batch, BatchInput, BatchTarget, Batcher, Padded};
pub use dataset::{example_rng, Baseline, Dataset, Example, Input, Target, PAD};
pub use recipe::Recipe;
pub use split::{chronological_ranges, random_indices, Split, Subset};
pub use task::{Problem, Task};
pub mod params;
pub mod recipe;
pub mod registry;
pub mod series;
pub mod show;
pub mod synthetic;
pub mod task;
pub mod text;
