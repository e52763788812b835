//! What `train` and `eval` print: the run's header, one line per validation, the verdict against
//! the task's baseline, and the `--json` summary line.

use autograd::Result;
use seqzoo::problem::{problem_type, Session};
use serde_json::{Map, Value};
use zoo::train::{Metrics, Observer, StepProfile, TrainSummary, ValRecord};

use super::emit;

/// Metrics that describe the task rather than the model: not repeated on every line.
const FIXED: [&str; 3] = ["baseline", "persistence_rmse", "mean_rmse"];

/// Prints the header when training starts and a row per validation, to stdout as they happen.
pub struct LinePrinter {
    header: String,
    printed_columns: bool,
}

impl LinePrinter {
    /// A printer for `session`'s run.
    pub fn new(session: &Session) -> Self {
        LinePrinter {
            header: header(session),
            printed_columns: false,
        }
    }
}

/// Two lines: the task with its data and baseline, the model with its size and training setup.
pub fn header(session: &Session) -> String {
    let task = &session.task;
    let mut s = format!(
        "task {} ({}): {} training / {} validation examples",
        task.name,
        task.problem.name(),
        task.train.len(),
        task.val.len()
    );
    if let Some(streams) = &task.streams {
        s += &format!(
            "; read statefully as {} streams in windows of {}",
            session.spec.batch,
            streams.window()
        );
    }
    if let Some(b) = &task.baseline {
        s += &format!("; baseline {} {:.4} ({})", b.metric, b.value, b.predictor);
    }
    let c = session.trainer.config();
    s += &format!(
        "\nmodel {}: {} parameters; {} lr {}, batch {}, {} steps\n",
        session.config.describe(),
        session.num_weights(),
        session.trainer.optimizer().name(),
        c.optimizer.lr(),
        session.spec.batch,
        c.steps
    );
    s
}

/// The numbers of a line, rounded for reading (small ones in scientific notation).
fn cell(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

impl Observer for LinePrinter {
    fn start(&mut self, step: usize, _total: usize) {
        let resuming = if step > 0 {
            format!("resuming at step {step}\n")
        } else {
            String::new()
        };
        // A failed write of a progress line does not stop training; the final output reports it.
        let _ = emit(&format!("{}{resuming}", self.header));
    }

    fn validation(&mut self, r: &ValRecord) -> Result<()> {
        let shown: Vec<(&str, f64)> = r
            .metrics
            .iter()
            .filter(|(n, _)| !FIXED.contains(n))
            .collect();
        let width = |name: &str| name.len().max(10) + 2;
        if !self.printed_columns {
            let names: Vec<String> = shown
                .iter()
                .map(|(n, _)| format!("{n:>w$}", w = width(n)))
                .collect();
            let _ = emit(&format!(
                "{:>7} {:>12}{} {:>8}\n",
                "step",
                "train_loss",
                names.join(""),
                "seconds"
            ));
            self.printed_columns = true;
        }
        let values: Vec<String> = shown
            .iter()
            .map(|(n, v)| format!("{:>w$}", cell(*v), w = width(n)))
            .collect();
        let _ = emit(&format!(
            "{:>7} {:>12}{} {:>8.1}\n",
            r.step,
            cell(r.train_loss),
            values.join(""),
            r.seconds
        ));
        Ok(())
    }
}

/// The metrics a run is judged by: the best validation's when the best weights were put back.
pub fn final_metrics(summary: &TrainSummary) -> &Metrics {
    if summary.restored_best {
        &summary.best_val
    } else {
        &summary.last_val
    }
}

/// The closing lines: steps and time, the judged metric against the baseline.
pub fn summary_lines(session: &Session, summary: &TrainSummary) -> String {
    let mut s = format!("done: {} steps in {:.1} s", summary.steps, summary.seconds);
    if summary.stopped_early {
        s += " (stopped early: validation loss stopped improving)";
    }
    if summary.restored_best {
        s += &format!("; kept the weights of step {}", summary.best_step);
    }
    s.push('\n');
    let metrics = final_metrics(summary);
    s += &problem_type(session.task.problem).report(&session.task, metrics);
    s
}

/// `--json`: one object with the run's identity, size, time and every final metric.
pub fn json_line(session: &Session, summary: &TrainSummary) -> String {
    let mut map = Map::new();
    let number = |v: f64| serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number);
    map.insert("task".into(), Value::String(session.task.name.clone()));
    map.insert(
        "model".into(),
        Value::String(session.spec.model.model.clone()),
    );
    map.insert("steps".into(), Value::from(summary.steps));
    map.insert("train_loss".into(), number(summary.train_loss));
    map.insert("params".into(), Value::from(session.num_weights()));
    map.insert("seconds".into(), number(summary.seconds));
    for (name, v) in final_metrics(summary).iter() {
        map.insert(name.to_string(), number(v));
    }
    Value::Object(map).to_string()
}

/// The `--profile` table: each op's forward and backward, the gradients' way into the store,
/// clipping and the update, in ms per training step and as a share of the step, slowest first;
/// then the validations.
pub fn profile_table(p: &StepProfile) -> String {
    let steps = p.steps.max(1) as f64;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3 / steps;
    let step_total = ms(p.ops.total()) + ms(p.accumulate) + ms(p.clip) + ms(p.update);
    let share = |v: f64| 100.0 * v / step_total.max(f64::MIN_POSITIVE);
    let mut rows: Vec<(String, f64, f64)> = p
        .ops
        .ops
        .iter()
        .map(|(name, t)| {
            let name = if *name == "Leaf" {
                "Leaf (inputs, parameters, batches)".to_string()
            } else {
                format!("{name} (×{:.0})", t.count as f64 / steps)
            };
            (name, ms(t.forward), ms(t.backward))
        })
        .collect();
    rows.sort_by(|a, b| (b.1 + b.2).total_cmp(&(a.1 + a.2)));
    let mut out = format!(
        "profile of {} training steps, ms per step\n\n| part | forward | backward | share |\n|---|--:|--:|--:|\n",
        p.steps
    );
    for (name, f, b) in rows {
        out.push_str(&format!(
            "| {name} | {f:.3} | {b:.3} | {:.1}% |\n",
            share(f + b)
        ));
    }
    for (name, v) in [
        ("gradients into the store".to_string(), ms(p.accumulate)),
        ("clipping".to_string(), ms(p.clip)),
        (format!("update ({})", p.optimizer), ms(p.update)),
    ] {
        out.push_str(&format!("| {name} | | {v:.3} | {:.1}% |\n", share(v)));
    }
    out.push_str(&format!("| step | | {step_total:.3} | 100% |\n"));
    if p.validations > 0 {
        let each = p.validation.as_secs_f64() * 1e3 / p.validations as f64;
        out.push_str(&format!(
            "\nvalidation: {} passes, {each:.1} ms each ({:.1}% of the time in steps and validations)\n",
            p.validations,
            100.0 * p.validation.as_secs_f64()
                / (p.validation.as_secs_f64() + step_total * steps / 1e3).max(f64::MIN_POSITIVE)
        ));
    }
    out
}
