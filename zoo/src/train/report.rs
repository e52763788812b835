//! What a run reports: one record per validation and the summary at the end.

use super::metrics::finite_or_none;
use super::Metrics;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One validation: where, at which rate, the mean training loss since the previous one, the metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValRecord {
    /// Steps done when validating.
    pub step: usize,
    /// The learning rate of the last step.
    #[serde(serialize_with = "null_if_nan", deserialize_with = "nan_if_null")]
    pub lr: f64,
    /// Mean training loss over the steps since the previous validation (NaN if there were none).
    #[serde(serialize_with = "null_if_nan", deserialize_with = "nan_if_null")]
    pub train_loss: f64,
    /// What [`Objective::validate`](super::Objective::validate) returned.
    pub metrics: Metrics,
    /// The gradient-flow diagnostics of one training batch ([`Trainer::set_diagnostics`](
    /// super::Trainer::set_diagnostics), [`crate::diagnostics::flat_metrics`]); empty without.
    #[serde(default, skip_serializing_if = "Metrics::is_empty")]
    pub diagnostics: Metrics,
    /// Seconds of training so far, over every resumed part of the run.
    pub seconds: f64,
}

impl ValRecord {
    /// The record as one flat JSON object, `{"step", "lr", "train_loss", <each metric>, <each
    /// diagnostic>, "seconds"}` (the line the metrics log writes; NaN as `null`).
    pub fn to_json_line(&self) -> String {
        struct Flat<'a>(&'a ValRecord);
        impl Serialize for Flat<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let r = self.0;
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("step", &r.step)?;
                map.serialize_entry("lr", &finite_or_none(r.lr))?;
                map.serialize_entry("train_loss", &finite_or_none(r.train_loss))?;
                for (name, v) in r.metrics.iter().chain(r.diagnostics.iter()) {
                    map.serialize_entry(name, &finite_or_none(v))?;
                }
                map.serialize_entry("seconds", &finite_or_none(r.seconds))?;
                map.end()
            }
        }
        // A map of strings and optional numbers always serializes.
        serde_json::to_string(&Flat(self)).unwrap_or_default()
    }
}

/// The outcome of [`Trainer::run`](super::Trainer::run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSummary {
    /// Steps done in total (including those before a resume).
    pub steps: usize,
    /// Mean training loss over the last validation interval.
    #[serde(serialize_with = "null_if_nan", deserialize_with = "nan_if_null")]
    pub train_loss: f64,
    /// Metrics of the last validation.
    pub last_val: Metrics,
    /// Metrics of the validation with the lowest `val_loss`.
    pub best_val: Metrics,
    /// The step of that best validation.
    pub best_step: usize,
    /// Seconds of training, over every resumed part of the run.
    pub seconds: f64,
    /// Whether early stopping ended the run before `steps`.
    pub stopped_early: bool,
    /// Whether the best weights were put back at the end (`restore_best`).
    pub restored_best: bool,
}

/// NaN and infinities as JSON `null`.
pub(crate) fn null_if_nan<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    finite_or_none(*x).serialize(s)
}

/// A JSON `null` (how NaN is written) read back as NaN.
pub(crate) fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
