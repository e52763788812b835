//! Sequence to sequence: translate dates written in a dozen human formats into ISO 8601 with an
//! encoder-decoder (bidirectional encoder, attention), decoding greedily and with beam search.
//!
//! Run it with `cargo run --release --example seq2seq`.

use std::io::Write;

use autograd::optim::OptimConfig;
use datasets::text::{BOS, EOS};
use datasets::{Input, Target};
use seqzoo::problem::{Model, ModelSpec, RunSpec, Session};
use zoo::train::TrainConfig;

/// Trains the translator and decodes a few validation dates.
pub fn run(out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let model = ModelSpec {
        model: "lstm".into(),
        hidden: 64,
        bidirectional: true,
        attention: true,
        ..ModelSpec::default()
    };
    let spec = RunSpec {
        val_size: 500,
        ..RunSpec::new("dates", model)
    };
    let train = TrainConfig {
        steps: 1200,
        optimizer: OptimConfig::from_name("adam")?.with_lr(5e-3),
        clip: Some(1.0),
        val_every: 400,
        ..TrainConfig::default()
    };
    let mut session = Session::new(spec, train)?;
    writeln!(
        out,
        "model {} with {} parameters",
        session.config.describe(),
        session.num_weights()
    )?;
    let summary = session.run(&mut ())?;
    let exact = summary.last_val.get("val_exact_match").unwrap_or(0.0);
    writeln!(
        out,
        "validation exact match {exact:.3}; above 90%: {}",
        exact > 0.9
    )?;

    let vocab = session.task.vocab.clone().expect("dates have a vocabulary");
    let Model::Seq2Seq(model) = &session.model else {
        unreachable!("a seq2seq model")
    };
    let store = session.trainer.store();
    for i in 0..4 {
        let example = session.task.val.example(i);
        let (Input::Tokens(src), Target::Tokens(want)) = (&example.input, &example.target) else {
            unreachable!("dates are tokens to tokens")
        };
        let greedy = model.greedy(store, src, &[src.len()], BOS, EOS, 12);
        let beam = model.beam_search(store, src, &[src.len()], BOS, EOS, 3, 12);
        writeln!(
            out,
            "{:<20} → greedy {}  beam {}  (want {})",
            vocab.decode(src),
            vocab.decode(&greedy[0]),
            vocab.decode(&beam[0]),
            vocab.decode(want)
        )?;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&mut std::io::stdout())
}
