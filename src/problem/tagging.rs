//! Tagging: one tag per step, read off every step's output (the copy task, tags decided by a later
//! cue).

use autograd::{Error, Result, Var};
use datasets::task::{OutputKind, TaskData};
use datasets::{Batch, BatchTarget};
use zoo::train::Metrics;
use zoo::Ctx;

use super::loss::{classify, flatten, sequence_output, Tally};
use super::model::{Model, ModelConfig, ModelSpec};
use super::ProblemType;

/// Tagging every step (`val_accuracy` over the true steps, `val_nats`).
pub struct Tagging;

impl ProblemType for Tagging {
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig> {
        let OutputKind::Tags { count } = task.output else {
            return Err(Error::Data(format!(
                "{}: the targets are not tags",
                task.name
            )));
        };
        spec.sequence(task, count, true)
    }

    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        _teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        let BatchTarget::Tags(tags) = &batch.target else {
            return Err(Error::Data("a tagging batch has tag targets".into()));
        };
        let logits = sequence_output(cx, model, batch)?;
        Ok(classify(
            flatten(logits),
            &tags.targets_ignoring_pad(),
            tally,
        ))
    }

    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics> {
        Ok(tally.metrics(
            task,
            &[
                ("val_accuracy", tally.accuracy()),
                ("val_nats", tally.mean_loss()),
            ],
        ))
    }
}
