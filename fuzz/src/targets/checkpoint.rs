//! Checkpoint loading: `Checkpoint::from_bytes`, its step, train config, history and metadata,
//! what its task fitted (vocabulary, normalization), its data source and model,
//! `Trained::from_checkpoint` (which rebuilds the model and loads its weights), then a resume of
//! one more training step as `seqzoo train --resume` does it. Inputs start from real checkpoints
//! trained at harness start.

use super::{outcome, Outcome, Target};
use crate::corpus::Corpus;
use crate::mutate::safetensors::{mutate, FileModel};
use crate::mutate::{bytes, Gen};
use rand::Rng;
use seqzoo::problem::{saved_fitted, saved_model, saved_source, TaskObjective, Trained};
use zoo::train::Checkpoint;
use zoo::Trainer;

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
    let _ = saved_fitted(&ckpt);
    let _ = saved_source(&ckpt);
    let _ = saved_model(&ckpt);
    let trained = match Trained::from_checkpoint(&ckpt) {
        Ok(t) => t,
        Err(e) => return format!("error: {e}"),
    };
    let weights = trained.store.num_weights();
    outcome(resume_one_step(&ckpt, trained), |steps| {
        format!("{weights} weights, resumed to step {steps}")
    })
}

/// What `seqzoo train --resume` does with the checkpoint, on at most 16 training and 4
/// validation examples in batches of at most 4: prepares its task, restores the trainer (weights,
/// optimizer, generator, run state) and trains one step more.
fn resume_one_step(ckpt: &Checkpoint, trained: Trained) -> autograd::Result<usize> {
    let mut spec = trained.spec.clone();
    spec.train_size = spec.train_size.min(16);
    spec.val_size = spec.val_size.min(4);
    spec.batch = spec.batch.min(4);
    let task = spec.prepare_task_fitted(&trained.fitted)?;
    trained.fits(&task)?;
    let Trained {
        model,
        store,
        steps,
        ..
    } = trained;
    let mut train = ckpt.train_config()?;
    train.steps = steps.saturating_add(1);
    let mut trainer = Trainer::resume_from(ckpt, store, train)?;
    let objective = TaskObjective::new(&task, &model, spec.batch, spec.seed, spec.teacher_forcing)?;
    trainer.run(&objective, &mut ())?;
    Ok(trainer.step())
}
