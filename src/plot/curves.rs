//! Training curves from JSON-lines metrics logs (`train --log`) or a trainer's history.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use autograd::{Error, Result};
use zoo::train::ValRecord;

use super::{LineChart, Series};

/// The largest log `seqzoo plot` reads (a metrics log has one short line per validation).
pub const MAX_LOG_BYTES: u64 = 1 << 30;

/// One run's validations: a name for the legend and, per validation, its step and numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct LogCurves {
    /// The run's name in the legend.
    pub name: String,
    /// Each validation's step and its numeric fields (`train_loss`, `val_loss`, metrics).
    pub records: Vec<(f64, BTreeMap<String, f64>)>,
}

impl LogCurves {
    /// Reads a metrics log written by `train --log`, named by its file stem; an error names the
    /// file and line of anything that is not such a log.
    pub fn read(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len > MAX_LOG_BYTES {
            return Err(Error::format(
                path,
                format!("{len} bytes is larger than a metrics log can be ({MAX_LOG_BYTES})"),
            ));
        }
        let mut records = Vec::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| Error::io(path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let at = |what: String| Error::format(path, format!("line {}: {what}", i + 1));
            let value: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| at(format!("not JSON: {e}")))?;
            let object = value
                .as_object()
                .ok_or_else(|| at("not a JSON object".into()))?;
            let step = object
                .get("step")
                .and_then(serde_json::Value::as_f64)
                .ok_or_else(|| at("no numeric \"step\" (is this a `train --log` file?)".into()))?;
            let numbers = object
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                .collect();
            records.push((step, numbers));
        }
        if records.is_empty() {
            return Err(Error::format(path, "no validation lines in the log"));
        }
        let name = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        Ok(LogCurves { name, records })
    }

    /// The curves of a trainer's validation history, named `name`.
    pub fn from_history(name: impl Into<String>, history: &[ValRecord]) -> Self {
        let records = history
            .iter()
            .map(|r| {
                let mut numbers: BTreeMap<String, f64> =
                    r.metrics.iter().map(|(k, v)| (k.to_string(), v)).collect();
                numbers.insert("train_loss".into(), r.train_loss);
                (r.step as f64, numbers)
            })
            .collect();
        LogCurves {
            name: name.into(),
            records,
        }
    }

    /// `(step, value)` of `field` at every validation that has it.
    pub fn series(&self, field: &str) -> Vec<(f64, f64)> {
        self.records
            .iter()
            .filter_map(|(step, numbers)| Some((*step, *numbers.get(field)?)))
            .collect()
    }

    /// Whether any validation has `field`.
    fn has(&self, field: &str) -> bool {
        self.records.iter().any(|(_, n)| n.contains_key(field))
    }

    /// What the run's loss measures: squared error for value targets, else cross-entropy.
    fn loss_unit(&self) -> &'static str {
        if self.has("val_mse") {
            "mean squared error"
        } else {
            "cross-entropy (nats per prediction)"
        }
    }
}

/// The training and validation loss of every run on one chart (or `metric` of each, when
/// given), y log-scaled when the values span decades.
pub fn training_curves(runs: &[LogCurves], metric: Option<&str>) -> Result<LineChart> {
    let y_label = match metric {
        Some(m) => m.to_string(),
        None => {
            let units: Vec<&str> = runs.iter().map(LogCurves::loss_unit).collect();
            if units.windows(2).all(|w| w[0] == w[1]) {
                format!("loss: {}", units.first().copied().unwrap_or("nats"))
            } else {
                "loss (each run's own: squared error or nats)".into()
            }
        }
    };
    let title = match metric {
        Some(m) => format!("{m} during training"),
        None => "Training and validation loss".into(),
    };
    let mut chart = LineChart::new(title, "training step", y_label);
    for run in runs {
        let fields: Vec<(&str, String)> = match metric {
            Some(m) => vec![(m, format!("{} {m}", run.name))],
            None => vec![
                ("train_loss", format!("{} train", run.name)),
                ("val_loss", format!("{} validation", run.name)),
            ],
        };
        for (field, name) in fields {
            let points = run.series(field);
            if !points.is_empty() {
                chart = chart.with(Series::line(name, points));
            }
        }
    }
    if chart.series.is_empty() {
        return Err(Error::Data(format!(
            "no run's log has {}",
            metric.unwrap_or("train_loss or val_loss")
        )));
    }
    Ok(chart.fit_y())
}
