//! A fuzz harness on stable Rust for seqzoo's readers of untrusted input: the safetensors reader,
//! PyTorch state_dict exchange, checkpoints, the CSV reader, the text reader and vocabulary, and
//! the `--set` parser with every task's bounds.
//!
//! Each [target](targets) makes inputs from a seeded random source — structure-aware mutations of
//! valid files plus plain byte mutations — and calls the real entry points, which must return
//! (an error is fine) without panicking, aborting, hanging or holding more memory than the
//! [counting allocator](alloc)'s cap. The [driver] runs the inputs over threads and reports.

#![warn(missing_docs)]

pub mod alloc;
pub mod corpus;
pub mod cputime;
pub mod driver;
pub mod layer_file;
pub mod mutate;
pub mod targets;

pub use alloc::CountingAlloc;
pub use corpus::Corpus;
pub use driver::{run_target, RunConfig, TargetReport};
pub use targets::{Target, TARGETS};
