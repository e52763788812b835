//! Regression on the last step: a number (or a few) read off a whole sequence, trained and judged
//! by squared error (the adding problem).

use autograd::{Error, Result, Var};
use datasets::task::{OutputKind, TaskData};
use datasets::{Batch, BatchTarget};
use zoo::train::Metrics;
use zoo::Ctx;

use super::loss::{sequence_output, squared_error, Tally};
use super::model::{Model, ModelConfig, ModelSpec};
use super::ProblemType;

/// Regression on the last step (`val_mse`, `val_rmse`).
pub struct Regression;

/// The number of values each example's target holds.
pub(super) fn outputs(task: &TaskData) -> Result<usize> {
    match task.output {
        OutputKind::Values { count } => Ok(count),
        other => Err(Error::Data(format!(
            "{}: a regression target is values, not {other:?}",
            task.name
        ))),
    }
}

/// Squared error of a sequence model's last-step prediction on a batch of values.
pub(super) fn sequence_loss<'t>(
    cx: &Ctx<'_, 't, f32>,
    model: &Model,
    batch: &Batch,
    tally: Option<&mut Tally>,
) -> Result<Var<'t, f32>> {
    let BatchTarget::Values(y) = &batch.target else {
        return Err(Error::Data("a regression batch has value targets".into()));
    };
    let pred = sequence_output(cx, model, batch)?;
    Ok(squared_error(cx, pred, y, tally))
}

impl ProblemType for Regression {
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig> {
        spec.sequence(task, outputs(task)?, false)
    }

    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        _teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        sequence_loss(cx, model, batch, tally)
    }

    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics> {
        let mse = tally.mean_loss();
        Ok(tally.metrics(task, &[("val_mse", mse), ("val_rmse", mse.sqrt())]))
    }
}
