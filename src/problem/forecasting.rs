//! Forecasting: the next values of a series from a window of past ones, by a recurrent network or
//! the fixed-window MLP, judged in the series' own units against persistence and the mean.

use autograd::{Error, ParamStore, Result, Tape, Tensor, Var};
use datasets::task::{InputKind, TaskData};
use datasets::{Batch, BatchTarget};
use zoo::models::SequenceInput;
use zoo::models::WindowMlpConfig;
use zoo::train::Metrics;
use zoo::Ctx;

use super::loss::{squared_error, steps, Tally};
use super::model::{config_error, Model, ModelConfig, ModelSpec};
use super::regression::{outputs, sequence_loss};
use super::{baseline_line, ProblemType};

/// Forecasting (`val_mse`, `val_rmse` in the series' units, `persistence_rmse`, `mean_rmse`).
pub struct Forecasting;

impl ProblemType for Forecasting {
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig> {
        let outputs = outputs(task)?;
        if spec.model != "mlp" {
            return spec.sequence(task, outputs, false);
        }
        spec.unregularized(task, "the mlp baseline")?;
        if task.input != (InputKind::Steps { width: 1 }) {
            return Err(config_error(format!(
                "the mlp baseline reads windows of one value per step; {} gives {:?}",
                task.name, task.input
            )));
        }
        Ok(ModelConfig::WindowMlp(WindowMlpConfig {
            window: task.train.example(0).input.steps(),
            hidden: spec.hidden,
            outputs,
        }))
    }

    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        _teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        match (model, &batch.target) {
            (Model::WindowMlp(m), BatchTarget::Values(y)) => {
                let x = steps(batch)?;
                let x = cx.constant(x.reshape(&[batch.size(), x.numel() / batch.size()]));
                Ok(squared_error(cx, m.forward(cx, x), y, tally))
            }
            _ => sequence_loss(cx, model, batch, tally),
        }
    }

    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics> {
        let mse = tally.mean_loss();
        let scale = task.forecast.map_or(1.0, |f| f.scale);
        let mut own = vec![
            ("val_mse", mse * scale * scale),
            ("val_rmse", mse.sqrt() * scale),
        ];
        if let Some(f) = task.forecast {
            own.push(("persistence_rmse", f.persistence_rmse));
            own.push(("mean_rmse", f.mean_rmse));
        }
        Ok(tally.metrics(task, &own))
    }

    /// The validation RMSE beside persistence and the training mean, then the baseline line.
    fn report(&self, task: &TaskData, metrics: &Metrics) -> String {
        let mut s = String::new();
        if let (Some(f), Some(rmse)) = (task.forecast, metrics.get("val_rmse")) {
            s += &format!(
                "val_rmse {rmse:.4} in the series' units; persistence {:.4}, training mean {:.4}\n",
                f.persistence_rmse, f.mean_rmse
            );
        }
        s + &baseline_line(task, metrics)
    }
}

/// The first forecast value of `model` (weights in `store`) for each window of `windows`, all of
/// one length and in the model's normalized units; an error for a model that is not a
/// forecaster.
pub fn predict_next(
    model: &Model,
    store: &ParamStore<f32>,
    windows: &[Vec<f64>],
) -> Result<Vec<f64>> {
    let b = windows.len();
    let k = windows.first().map_or(0, Vec::len);
    if b == 0 || k == 0 || windows.iter().any(|w| w.len() != k) {
        return Err(Error::Data(format!(
            "forecasting needs windows of one non-zero length; got {b} windows of {k}"
        )));
    }
    let data: Vec<f32> = windows.iter().flatten().map(|&v| v as f32).collect();
    let tape = Tape::new();
    let _no_grad = tape.no_grad();
    let cx = Ctx::eval(&tape, store);
    let out = match model {
        Model::WindowMlp(m) => m.forward(&cx, cx.constant(Tensor::new(&[b, k], data))),
        Model::Sequence(m) => {
            let x = SequenceInput::Steps(cx.constant(Tensor::new(&[b, k, 1], data)));
            m.forward(&cx, x, None)
        }
        _ => {
            return Err(Error::Data(
                "only the window MLP and sequence models forecast a series".into(),
            ))
        }
    }
    .value();
    let per = out.numel() / b;
    Ok(out.data().iter().step_by(per).map(|&v| v as f64).collect())
}
