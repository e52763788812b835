//! `copy`: gated cells hold ten symbols through a long wait; the simple recurrent network falls
//! back to the memoryless guess. Copy-task cross-entropy against its memoryless baseline.

use autograd::Result;
use serde_json::json;

use super::budget::{curves_chart, Budget};
use super::{Cell, Experiment, Goal, Options, Plot, Report, Table, Verdict};
use crate::plot::{LineChart, Series};

/// The copy task at growing delays for the SRN, the LSTM and the GRU.
pub struct Copy;

/// The models compared, by `--model` name.
const MODELS: [&str; 3] = ["srn", "lstm", "gru"];

/// A run beats the baseline clearly when its loss is below this share of it.
const CLEAR: f64 = 0.5;

/// The symbols written back and the size of their alphabet (the task's spec).
const SYMBOLS: usize = datasets::synthetic::copy::SYMBOLS;
const ALPHABET: usize = datasets::synthetic::copy::ALPHABET;

/// The memoryless predictor's cross-entropy per step at delay `t`: certain blanks until the
/// delimiter, then a uniform guess over the alphabet for each symbol, 10·ln 8 / (T + 20).
pub fn baseline_nats(t: usize) -> f64 {
    SYMBOLS as f64 * (ALPHABET as f64).ln() / (t + 2 * SYMBOLS) as f64
}

/// What one (delay, model) run found.
struct DelayRun {
    t: usize,
    model: &'static str,
    baseline: f64,
    clear_at: Option<usize>,
    val_nats: f64,
    curve: Vec<(f64, f64)>,
}

impl DelayRun {
    /// The final loss as a share of the baseline.
    fn ratio(&self) -> f64 {
        self.val_nats / self.baseline
    }
}

impl Experiment for Copy {
    fn name(&self) -> &'static str {
        "copy"
    }

    fn claim(&self) -> &'static str {
        "gated networks keep ten symbols in memory across a long wait on the copy task"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let delays: &[usize] = options.pick(&[10, 20], &[10, 50, 100]);
        let budget = Budget {
            hidden: 128,
            batch: 32,
            lr: 0.01,
            steps: options.pick(400, 1000),
            val_every: 100,
            val_size: 500,
        };
        let mut runs = Vec::new();
        for &t in delays {
            let baseline = baseline_nats(t);
            for model in MODELS {
                let goal = Goal::below("val_nats", CLEAR * baseline);
                let settings = [format!("t={t}")];
                let trial = budget.train("copy", &settings, model, false, Some(goal), options)?;
                runs.push(DelayRun {
                    t,
                    model,
                    baseline,
                    clear_at: trial.reached_at,
                    val_nats: trial.last("val_nats"),
                    curve: trial.curve("val_nats"),
                });
            }
        }
        let mut table = Table::new(
            format!(
                "Validation cross-entropy (nats per step) when the run stopped: once below \
                 {CLEAR} × the memoryless baseline 10·ln 8/(T+20), checked every {} steps, or \
                 after {} steps.",
                budget.val_every, budget.steps
            ),
            &[
                "T",
                "model",
                "baseline",
                "val loss",
                "loss / baseline",
                "clearly below",
                "steps to clear",
            ],
        );
        for r in &runs {
            table.push(vec![
                Cell::int(r.t as i64),
                Cell::text(r.model.to_uppercase()),
                Cell::num(r.baseline, 4),
                Cell::measured(r.val_nats, 4),
                Cell::measured(r.ratio(), 2),
                Cell::measured_text(if r.clear_at.is_some() { "yes" } else { "no" }),
                Cell::steps(r.clear_at, budget.steps),
            ]);
        }
        let t_max = *delays.last().unwrap_or(&0);
        let at_longest = |m: &str| runs.iter().find(|r| r.t == t_max && r.model == m);
        let clear = |m: &str| at_longest(m).is_some_and(|r| r.clear_at.is_some());
        let ratio = |m: &str| at_longest(m).map_or(f64::NAN, DelayRun::ratio);
        let holds = clear("lstm") && clear("gru") && !clear("srn");
        let verdict = Verdict {
            holds,
            because: format!(
                "at T = {t_max} the loss ends at {:.2} × the baseline for the SRN, {:.2} × for \
                 the LSTM and {:.2} × for the GRU (the rule: both gated cells below {CLEAR} ×, \
                 the SRN not)",
                ratio("srn"),
                ratio("lstm"),
                ratio("gru")
            ),
        };
        let curves: Vec<(String, Vec<(f64, f64)>)> = runs
            .iter()
            .filter(|r| r.t == t_max)
            .map(|r| (r.model.to_uppercase(), r.curve.clone()))
            .collect();
        let longest = curves_chart(
            LineChart::new(
                format!("Copy task, T = {t_max}: validation loss during training"),
                "training step",
                "validation cross-entropy (nats per step)",
            ),
            &curves,
            Some(("memoryless baseline", baseline_nats(t_max))),
            budget.steps,
        )
        .fit_y();
        let mut by_delay = LineChart::new(
            "Copy task: final loss relative to the memoryless baseline",
            "delay T (steps)",
            "validation loss / baseline (ratio)",
        );
        for m in MODELS {
            let points = runs
                .iter()
                .filter(|r| r.model == m)
                .map(|r| (r.t as f64, r.ratio()))
                .collect();
            by_delay = by_delay.with(Series::points(m.to_uppercase(), points));
        }
        let (t0, t1) = (delays[0] as f64, t_max as f64);
        by_delay = by_delay
            .with(Series::level("baseline", 1.0, t0, t1))
            .with(Series::level(format!("clear ({CLEAR} ×)"), CLEAR, t0, t1));
        let data = json!({
            "delays": delays, "budget": budget, "clear": CLEAR,
            "runs": runs.iter().map(|r| json!({
                "t": r.t, "model": r.model, "baseline": r.baseline, "clear_at": r.clear_at,
                "val_nats": super::finite(r.val_nats), "curve": r.curve,
            })).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "The copy task asks a network to read ten symbols, sit through a long \
                    stretch of blanks, and then write the ten symbols back. A network that \
                    remembers nothing can still be sure of the blanks but must guess each \
                    symbol among eight, which fixes a baseline loss. Getting clearly under it \
                    means carrying the symbols across the whole wait, which gated cells (LSTM, \
                    GRU) should manage where the simple recurrent network does not."
                .into(),
            setup: format!(
                "The copy task (ten symbols from an alphabet of eight, a delay of T blanks, a \
                 delimiter, then the symbols written back; a target at every step) at \
                 T ∈ {delays:?}. Each cell gets {}; a run stops once its validation loss is \
                 below {CLEAR} × the baseline. Seed {}.",
                budget.describe(),
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots: vec![
                Plot {
                    slug: "curves".into(),
                    chart: longest,
                },
                Plot {
                    slug: "delays".into(),
                    chart: by_delay,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{ModelSpec, RunSpec};

    #[test]
    fn the_closed_form_baseline_is_the_one_the_task_measures() {
        for t in [1, 30] {
            let spec = RunSpec {
                settings: vec![format!("t={t}")],
                train_size: 10,
                val_size: 10,
                ..RunSpec::new("copy", ModelSpec::default())
            };
            let measured = spec.prepare_task().unwrap().baseline.unwrap().value;
            assert!((measured - baseline_nats(t)).abs() < 1e-12, "T = {t}");
        }
    }
}
