//! Prediction: forecast the next value of the Mackey-Glass series from the last 16 with an LSTM,
//! and compare it with the baselines every forecaster must beat (repeat the last value, predict
//! the mean) and with a fixed-window feed-forward network.
//!
//! Run it with `cargo run --release --example prediction`.

use std::io::Write;

use autograd::optim::OptimConfig;
use autograd::{ParamStore, Rng};
use datasets::params::Params;
use datasets::registry::prepare;
use datasets::task::TaskSizes;
use seqzoo::problem::{Model, TaskObjective};
use zoo::models::{SequenceModel, SequenceModelConfig, WindowMlp, WindowMlpConfig};
use zoo::train::{TrainConfig, Trainer};
use zoo::{RecurrentConfig, RecurrentKind};

/// Trains both models and writes what they reached.
pub fn run(out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    // 1000 values of the delay equation, split 70/15/15 in time, windows of 16 → the next value.
    let task = prepare(
        "mackey-glass",
        0,
        &Params::default(),
        TaskSizes::default(),
        None,
    )?;
    let f = task
        .forecast
        .expect("a forecasting task has forecast baselines");
    writeln!(
        out,
        "task: {} ({} training windows)",
        task.name,
        task.train.len()
    )?;
    writeln!(
        out,
        "persistence rmse {:.4}, mean rmse {:.4}",
        f.persistence_rmse, f.mean_rmse
    )?;

    // The recurrent model reads the window one value per step; the MLP sees it all at once.
    let lstm = RecurrentConfig::new(RecurrentKind::Lstm, 1, 32);
    let mut rng = Rng::new(0);
    let mut lstm_store = ParamStore::new();
    let regressor = SequenceModelConfig {
        rnn: lstm,
        vocab: None,
        outputs: 1,
        per_step: false,
    };
    let lstm_model = Model::Sequence(SequenceModel::new(
        &mut lstm_store.root(),
        regressor,
        &mut rng,
    )?);
    let mut mlp_store = ParamStore::new();
    let window = WindowMlpConfig {
        window: 16,
        hidden: 32,
        outputs: 1,
    };
    let mlp_model = Model::WindowMlp(WindowMlp::new(&mut mlp_store.root(), window, &mut rng)?);

    for (name, model, store) in [
        ("lstm", &lstm_model, lstm_store),
        ("window mlp", &mlp_model, mlp_store),
    ] {
        let objective = TaskObjective::new(&task, model, 32, 0, 1.0)?;
        let config = TrainConfig {
            steps: 1500,
            optimizer: OptimConfig::from_name("adam")?.with_lr(3e-3),
            val_every: 500,
            ..TrainConfig::default()
        };
        let params = store.num_weights();
        let mut trainer = Trainer::new(store, config)?;
        let summary = trainer.run(&objective, &mut ())?;
        let rmse = summary.last_val.get("val_rmse").unwrap_or(f64::NAN);
        let verdict = if rmse < f.persistence_rmse {
            "beats"
        } else {
            "does not beat"
        };
        writeln!(
            out,
            "{name}: {params} parameters, val rmse {rmse:.4}: {verdict} persistence"
        )?;
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&mut std::io::stdout())
}
