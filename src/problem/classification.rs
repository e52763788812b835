//! Classification: one class per sequence, read off the last state (anomaly, sentiment, parity).

use autograd::{Error, Result, Var};
use datasets::task::{OutputKind, TaskData};
use datasets::{Batch, BatchTarget};
use zoo::train::Metrics;
use zoo::Ctx;

use super::loss::{classify, sequence_output, Tally};
use super::model::{Model, ModelConfig, ModelSpec};
use super::ProblemType;

/// Sequence classification (`val_accuracy`).
pub struct Classification;

impl ProblemType for Classification {
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig> {
        let OutputKind::Classes { count } = task.output else {
            return Err(Error::Data(format!(
                "{}: the targets are not classes",
                task.name
            )));
        };
        spec.sequence(task, count, false)
    }

    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        _teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        let BatchTarget::Classes(classes) = &batch.target else {
            return Err(Error::Data(
                "a classification batch has class targets".into(),
            ));
        };
        let logits = sequence_output(cx, model, batch)?;
        let targets: Vec<i64> = classes.iter().map(|&c| c as i64).collect();
        Ok(classify(logits, &targets, tally))
    }

    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics> {
        Ok(tally.metrics(task, &[("val_accuracy", tally.accuracy())]))
    }
}
