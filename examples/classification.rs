//! Classification: decide whether a generated review is positive or negative. The sentences
//! negate ("was not cruel") and turn ("…, but every garden was terrible"), so word counts alone
//! do not decide: the model has to read in order.
//!
//! Run it with `cargo run --release --example classification`.

use std::io::Write;

use autograd::optim::OptimConfig;
use autograd::Tape;
use seqzoo::problem::{Model, ModelSpec, RunSpec, Session};
use zoo::models::SequenceInput;
use zoo::train::TrainConfig;
use zoo::Ctx;

/// Trains a GRU classifier and reads some sentences of our own.
pub fn run(out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let model = ModelSpec {
        model: "gru".into(),
        hidden: 32,
        ..ModelSpec::default()
    };
    let spec = RunSpec::new("sentiment", model);
    let train = TrainConfig {
        steps: 300,
        optimizer: OptimConfig::from_name("adam")?.with_lr(3e-3),
        val_every: 100,
        ..TrainConfig::default()
    };
    let mut session = Session::new(spec, train)?;
    writeln!(
        out,
        "model: {} with {} parameters",
        session.config.describe(),
        session.num_weights()
    )?;
    let summary = session.run(&mut ())?;
    let accuracy = summary.last_val.get("val_accuracy").unwrap_or(0.0);
    let baseline = session.task.baseline.as_ref().map_or(0.0, |b| b.value);
    writeln!(
        out,
        "validation accuracy {accuracy:.3} (majority class {baseline:.3})"
    )?;
    writeln!(out, "above 95%: {}", accuracy > 0.95)?;

    // Our own sentences, encoded with the task's vocabulary, one batch of one.
    let vocab = session
        .task
        .vocab
        .as_ref()
        .expect("sentiment has a vocabulary");
    let Model::Sequence(classifier) = &session.model else {
        unreachable!("a classifier")
    };
    for sentence in [
        "That old garden was not terrible.",
        "Every market was cruel, but that dog was wonderful.",
    ] {
        let ids = vocab.encode(sentence);
        let tape = Tape::new();
        let _inference = tape.no_grad();
        let input = SequenceInput::Tokens {
            ids: &ids,
            batch: 1,
            steps: ids.len(),
        };
        let logits = classifier
            .forward(&Ctx::eval(&tape, session.trainer.store()), input, None)
            .value();
        let label = &session.task.labels[zoo::models::argmax(logits.data())];
        writeln!(out, "{sentence:<55} → {label}")?;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&mut std::io::stdout())
}
