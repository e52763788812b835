//! `Metrics` (an ordered name → value map) and the metric helpers the objectives compute them with.

use autograd::{Element, Error, Result, IGNORE_INDEX};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Named metric values in insertion order; serialized as a JSON object, with `null` for NaN.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics(Vec<(String, f64)>);

impl Metrics {
    /// The name of the validation loss every objective reports.
    pub const VAL_LOSS: &'static str = "val_loss";

    /// No metrics.
    pub fn new() -> Self {
        Metrics(Vec::new())
    }

    /// These metrics plus `name = value` (replacing an earlier value of `name`).
    pub fn with(mut self, name: &str, value: f64) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets `name` to `value`, keeping its position if it was already present.
    pub fn insert(&mut self, name: &str, value: f64) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// The validation loss (`val_loss`), if present.
    pub fn val_loss(&self) -> Option<f64> {
        self.get(Self::VAL_LOSS)
    }

    /// The metrics in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// The number of metrics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, f64)> for Metrics {
    fn from_iter<I: IntoIterator<Item = (String, f64)>>(iter: I) -> Self {
        let mut m = Metrics::new();
        for (n, v) in iter {
            m.insert(&n, v);
        }
        m
    }
}

impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (n, v) in &self.0 {
            map.serialize_entry(n, &finite_or_none(*v))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metrics;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of metric names to numbers or null")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Metrics, A::Error> {
                let mut m = Metrics::new();
                while let Some((n, v)) = a.next_entry::<String, Option<f64>>()? {
                    m.insert(&n, v.unwrap_or(f64::NAN));
                }
                Ok(m)
            }
        }
        d.deserialize_map(V)
    }
}

/// `Some(x)` for a finite `x` (JSON has no NaN or infinity), else `None` (written as `null`).
pub(crate) fn finite_or_none(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// An `Error::Data` unless the two lengths agree and are non-zero.
fn check_lengths(what: &str, a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(Error::Data(format!(
            "{what}: {a} predictions for {b} targets"
        )));
    }
    if a == 0 {
        return Err(Error::Data(format!("{what}: nothing to score")));
    }
    Ok(())
}

/// Mean squared error between predictions and targets of the same length.
pub fn mse<E: Element>(pred: &[E], target: &[E]) -> Result<f64> {
    check_lengths("mse", pred.len(), target.len())?;
    let sum: f64 = pred
        .iter()
        .zip(target)
        .map(|(&p, &t)| {
            let d = p.to_f64().unwrap_or(f64::NAN) - t.to_f64().unwrap_or(f64::NAN);
            d * d
        })
        .sum();
    Ok(sum / pred.len() as f64)
}

/// Root mean squared error.
pub fn rmse<E: Element>(pred: &[E], target: &[E]) -> Result<f64> {
    mse(pred, target).map(f64::sqrt)
}

/// The index of the largest value of each row of `classes` logits (the first one on ties).
pub fn argmax<E: Element>(logits: &[E], classes: usize) -> Result<Vec<usize>> {
    if classes == 0 || !logits.len().is_multiple_of(classes) {
        return Err(Error::Data(format!(
            "argmax: {} logits do not split into rows of {classes} classes",
            logits.len()
        )));
    }
    Ok(logits
        .chunks_exact(classes)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold(
                    (0, row[0]),
                    |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
                )
                .0
        })
        .collect())
}

/// The fraction of rows of `logits` (`[N, classes]`, row-major) whose argmax is the target class;
/// targets equal to `autograd::IGNORE_INDEX` (-100) are masked out.
pub fn accuracy<E: Element>(logits: &[E], classes: usize, targets: &[i64]) -> Result<f64> {
    let predicted = argmax(logits, classes)?;
    check_lengths("accuracy", predicted.len(), targets.len())?;
    let (mut right, mut counted) = (0usize, 0usize);
    for (&p, &t) in predicted.iter().zip(targets) {
        if t == IGNORE_INDEX {
            continue;
        }
        if t < 0 || t as usize >= classes {
            return Err(Error::Data(format!(
                "accuracy: target class {t} outside 0..{classes}"
            )));
        }
        counted += 1;
        right += usize::from(p == t as usize);
    }
    if counted == 0 {
        return Err(Error::Data(
            "accuracy: every target is masked; nothing to score".to_string(),
        ));
    }
    Ok(right as f64 / counted as f64)
}

/// The fraction of predicted sequences exactly equal to their target sequence.
pub fn exact_match<T: PartialEq>(pred: &[Vec<T>], target: &[Vec<T>]) -> Result<f64> {
    check_lengths("exact match", pred.len(), target.len())?;
    let hits = pred.iter().zip(target).filter(|(p, t)| p == t).count();
    Ok(hits as f64 / pred.len() as f64)
}

/// The fraction of target tokens matched by the prediction at the same position (a prediction
/// too short misses the rest; extra predicted tokens are ignored).
pub fn token_accuracy<T: PartialEq>(pred: &[Vec<T>], target: &[Vec<T>]) -> Result<f64> {
    check_lengths("token accuracy", pred.len(), target.len())?;
    let total: usize = target.iter().map(Vec::len).sum();
    if total == 0 {
        return Err(Error::Data(
            "token accuracy: the targets hold no tokens".to_string(),
        ));
    }
    let hits: usize = pred
        .iter()
        .zip(target)
        .map(|(p, t)| p.iter().zip(t).filter(|(a, b)| a == b).count())
        .sum();
    Ok(hits as f64 / total as f64)
}

/// Mean negative log-likelihood in nats per symbol from a total over `count` symbols.
pub fn nats_per_symbol(total_nats: f64, count: usize) -> Result<f64> {
    if count == 0 {
        return Err(Error::Data("nats: no symbols to average over".to_string()));
    }
    Ok(total_nats / count as f64)
}

/// Bits per character (or token) from nats per character: `nats / ln 2`.
pub fn bits_per_char(nats: f64) -> f64 {
    nats / std::f64::consts::LN_2
}
