//! Checkpoint loading: `Checkpoint::from_bytes`, its step, train config, history and metadata,
//! the saved vocabulary, data source and model, and `Trained::from_checkpoint` (which rebuilds the
//! model and loads its weights). Inputs start from real checkpoints trained at harness start.

use super::{outcome, Outcome, Target};
use crate::corpus::Corpus;
use crate::mutate::safetensors::{mutate, FileModel};
use crate::mutate::{bytes, Gen};
use rand::Rng;
use seqzoo::problem::{saved_model, saved_source, saved_vocab, Trained};
use zoo::train::Checkpoint;

/// The target.
pub const TARGET: Target = Target {
    name: "checkpoint",
    about: "Checkpoint::from_bytes, step/train_config/history, saved_vocab/source/model, Trained::from_checkpoint",
    needs_corpus: true,
    generate,
    run,
};

/// A corpus checkpoint, mutated in structure and/or bytes.
fn generate(rng: &mut Gen, corpus: &Corpus) -> Vec<u8> {
    let Some(seed) = corpus
        .checkpoints
        .get(rng.random_range(0..corpus.checkpoints.len().max(1)))
    else {
        return Vec::new();
    };
    let mut out = match FileModel::parse(seed) {
        Some(mut model) if rng.random_bool(0.85) => {
            mutate(rng, &mut model);
            model.to_bytes()
        }
        _ => seed.clone(),
    };
    if rng.random_bool(0.25) {
        bytes::mutate(rng, &mut out, 6, 1 << 18);
    }
    out
}

/// Opens the checkpoint and everything read from it.
fn run(input: &[u8]) -> Outcome {
    let ckpt = match Checkpoint::from_bytes("fuzz.ckpt", input.to_vec()) {
        Ok(c) => c,
        Err(e) => return format!("error: {e}"),
    };
    let _ = ckpt.step();
    let _ = ckpt.train_config();
    let _ = ckpt.history();
    let _ = ckpt.extra();
    let _ = saved_vocab(&ckpt);
    let _ = saved_source(&ckpt);
    let _ = saved_model(&ckpt);
    outcome(Trained::from_checkpoint(&ckpt), |t| {
        format!("{} weights, step {}", t.store.num_weights(), t.steps)
    })
}
