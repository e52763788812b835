//! Generation: a character-level LSTM language model on the built-in corpus of generated English
//! sentences, compared with a trigram model, then sampled from: greedily, with a temperature and
//! with top-k.
//!
//! Run it with `cargo run --release --example generation`.

use std::io::Write;

use autograd::optim::OptimConfig;
use autograd::Rng;
use datasets::text::{BOS, EOS};
use seqzoo::problem::{Model, ModelSpec, RunSpec, Session};
use zoo::models::Sampling;
use zoo::train::TrainConfig;

/// Trains the language model and samples three sentences.
pub fn run(out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let model = ModelSpec {
        model: "lstm".into(),
        hidden: 64,
        ..ModelSpec::default()
    };
    let spec = RunSpec {
        train_size: 5_000,
        val_size: 500,
        ..RunSpec::new("corpus", model)
    };
    let train = TrainConfig {
        steps: 400,
        optimizer: OptimConfig::from_name("adam")?.with_lr(5e-3),
        clip: Some(5.0),
        val_every: 200,
        ..TrainConfig::default()
    };
    let mut session = Session::new(spec, train)?;
    let vocab = session
        .task
        .vocab
        .clone()
        .expect("the corpus has a vocabulary");
    writeln!(
        out,
        "{} characters in the vocabulary; model {}",
        vocab.len(),
        session.config.describe()
    )?;
    let summary = session.run(&mut ())?;
    let nats = summary.last_val.get("val_nats").unwrap_or(f64::NAN);
    let trigram = session.task.baseline.as_ref().map_or(f64::NAN, |b| b.value);
    writeln!(
        out,
        "validation {nats:.3} nats/char, trigram {trigram:.3}: beats the trigram: {}",
        nats < trigram
    )?;

    let Model::LanguageModel(lm) = &session.model else {
        unreachable!("a language model")
    };
    let mut rng = Rng::new(7);
    for (name, sampling) in [
        ("greedy", Sampling::Greedy),
        ("temperature 0.8", Sampling::Temperature(0.8)),
        (
            "top-5",
            Sampling::TopK {
                k: 5,
                temperature: 1.0,
            },
        ),
    ] {
        let ids = lm.generate(
            session.trainer.store(),
            &[BOS],
            80,
            sampling,
            None,
            Some(EOS),
            &mut rng,
        );
        writeln!(out, "{name:>16}: {}", vocab.decode(&ids))?;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&mut std::io::stdout())
}
