//! `gru-vs-lstm`: the GRU does about as well as the LSTM with fewer weights and less work per
//! step. Both cells at the same width and budget on three tasks.

use autograd::Result;
use serde_json::json;

use super::budget::{curves_chart, Budget};
use super::step_time::median_step_ms;
use super::{Cell, Experiment, Options, Plot, Report, Table, Verdict};
use crate::plot::LineChart;

/// The GRU against the LSTM on adding, copy and the built-in corpus.
pub struct GruVsLstm;

/// The cells compared, by `--model` name: the reference first.
const MODELS: [&str; 2] = ["lstm", "gru"];

/// A task both cells train on, and the validation metric (lower is better) that scores them.
struct Case {
    task: &'static str,
    settings: &'static [&'static str],
    metric: &'static str,
    unit: &'static str,
    /// The y axis of its chart.
    label: &'static str,
    /// The GRU does about as well when its result is at most `RELATIVE` × the LSTM's plus this.
    slack: f64,
}

/// The tasks, each scored by its own metric.
const CASES: [Case; 3] = [
    Case {
        task: "adding",
        settings: &["t=50"],
        metric: "val_mse",
        unit: "MSE",
        label: "validation MSE (squared units of the sum)",
        slack: 0.01,
    },
    Case {
        task: "copy",
        settings: &["t=20"],
        metric: "val_nats",
        unit: "nats per step",
        label: "validation cross-entropy (nats per step)",
        slack: 0.02,
    },
    Case {
        task: "corpus",
        settings: &[],
        metric: "val_nats",
        unit: "nats per character",
        label: "validation cross-entropy (nats per character)",
        slack: 0.02,
    },
];

/// The relative tolerance of "about as well".
const RELATIVE: f64 = 1.1;
/// The GRU is lighter when it has at most this share of the LSTM's weights on every task.
const LIGHTER: f64 = 0.8;
/// The GRU is not slower on a task when its time per step is at most this share of the LSTM's.
const NOT_SLOWER: f64 = 1.1;

/// Timing runs per cell and task, alternating between the cells; the fastest counts.
const TIMINGS: usize = 3;
/// Steps timed in each timing run.
const TIMED_STEPS: usize = 20;

/// What one (task, cell) run found.
struct CellRun {
    weights: usize,
    ms_per_step: f64,
    result: f64,
    curve: Vec<(f64, f64)>,
}

impl Case {
    /// Whether the GRU's `gru` result is about as good as the LSTM's `lstm`, or better.
    fn about_as_well(&self, lstm: f64, gru: f64) -> bool {
        gru <= RELATIVE * lstm + self.slack
    }
}

impl Experiment for GruVsLstm {
    fn name(&self) -> &'static str {
        "gru-vs-lstm"
    }

    fn claim(&self) -> &'static str {
        "the GRU is a lighter alternative to the LSTM that does about as well"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let budget = Budget {
            hidden: 64,
            batch: 32,
            lr: 0.01,
            steps: options.pick(400, 1500),
            val_every: options.pick(100, 250),
            val_size: options.pick(300, 1000),
        };
        let mut runs: Vec<[CellRun; 2]> = Vec::new();
        for case in &CASES {
            let settings: Vec<String> = case.settings.iter().map(|s| s.to_string()).collect();
            let mut pair = Vec::new();
            for model in MODELS {
                let trial = budget.train(case.task, &settings, model, false, None, options)?;
                pair.push(CellRun {
                    weights: trial.session.num_weights(),
                    ms_per_step: f64::INFINITY,
                    result: trial.last(case.metric),
                    curve: trial.curve(case.metric),
                });
            }
            for _ in 0..TIMINGS {
                for (model, run) in MODELS.iter().zip(&mut pair) {
                    let spec = budget.spec(case.task, &settings, model, false, options);
                    let ms = median_step_ms(spec, budget.config(options)?, TIMED_STEPS)?;
                    run.ms_per_step = run.ms_per_step.min(ms);
                }
            }
            let [lstm, gru]: [CellRun; 2] = pair.try_into().map_err(|_| {
                autograd::Error::Config("gru-vs-lstm trains two cells per task".into())
            })?;
            runs.push([lstm, gru]);
        }
        let mut table = Table::new(
            format!(
                "Both cells with {} units after {} steps on each task: all trainable weights \
                 (embedding and read-out included), time per training step (the median over \
                 {TIMED_STEPS} steps of a separate run without validation, the fastest of \
                 {TIMINGS} such runs taken in turn by the two cells), and the final validation result (lower is better).",
                budget.hidden, budget.steps
            ),
            &[
                "task",
                "metric",
                "LSTM weights",
                "GRU weights",
                "GRU / LSTM weights",
                "LSTM ms/step",
                "GRU ms/step",
                "GRU / LSTM time",
                "LSTM result",
                "GRU result",
                "GRU about as well",
            ],
        );
        let mut as_well = 0;
        for (case, [lstm, gru]) in CASES.iter().zip(&runs) {
            let ok = case.about_as_well(lstm.result, gru.result);
            as_well += usize::from(ok);
            table.push(vec![
                Cell::text(case.task),
                Cell::text(format!("{} ({})", case.metric, case.unit)),
                Cell::int(lstm.weights as i64),
                Cell::int(gru.weights as i64),
                Cell::num(gru.weights as f64 / lstm.weights as f64, 3),
                Cell::time(lstm.ms_per_step, 2),
                Cell::time(gru.ms_per_step, 2),
                Cell::time(gru.ms_per_step / lstm.ms_per_step, 2),
                Cell::measured(lstm.result, 4),
                Cell::measured(gru.result, 4),
                Cell::measured_text(if ok { "yes" } else { "no" }),
            ]);
        }
        let max_weights = runs
            .iter()
            .map(|[l, g]| g.weights as f64 / l.weights as f64)
            .fold(0.0, f64::max);
        let not_slower = runs
            .iter()
            .filter(|[l, g]| g.ms_per_step <= NOT_SLOWER * l.ms_per_step)
            .count();
        let time_ratios: Vec<String> = runs
            .iter()
            .map(|[l, g]| format!("{:.2}", g.ms_per_step / l.ms_per_step))
            .collect();
        let holds = max_weights <= LIGHTER && not_slower >= 2 && as_well >= 2;
        let verdict = Verdict {
            holds,
            because: format!(
                "the GRU has at most {max_weights:.3} × the LSTM's weights, takes {} × its time \
                 per step on the three tasks, and does about as well on {as_well} of 3 (the \
                 rule: weights ≤ {LIGHTER} × on every task, time ≤ {NOT_SLOWER} × on at least \
                 2, and a result ≤ {RELATIVE} × the LSTM's plus the task's slack on at least 2)",
                time_ratios.join(", ")
            ),
        };
        let plots = CASES
            .iter()
            .zip(&runs)
            .map(|(case, pair)| {
                let curves: Vec<(String, Vec<(f64, f64)>)> = MODELS
                    .iter()
                    .zip(pair)
                    .map(|(m, r)| (m.to_uppercase(), r.curve.clone()))
                    .collect();
                let chart = curves_chart(
                    LineChart::new(
                        format!("{}: LSTM and GRU with {} units", case.task, budget.hidden),
                        "training step",
                        case.label,
                    ),
                    &curves,
                    None,
                    budget.steps,
                )
                .fit_y();
                Plot {
                    slug: case.task.into(),
                    chart,
                }
            })
            .collect();
        let data = json!({
            "budget": budget, "relative": RELATIVE, "lighter": LIGHTER,
            "not_slower": NOT_SLOWER,
            "runs": CASES.iter().zip(&runs).map(|(c, [l, g])| json!({
                "task": c.task, "settings": c.settings, "metric": c.metric, "slack": c.slack,
                "lstm": {"weights": l.weights, "ms_per_step": super::finite(l.ms_per_step),
                         "result": super::finite(l.result)},
                "gru": {"weights": g.weights, "ms_per_step": super::finite(g.ms_per_step),
                        "result": super::finite(g.result)},
            })).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "The GRU merges the LSTM's forget and input gates into one update gate and \
                    drops the separate cell state, so a layer has three blocks of weights \
                    instead of four. It should therefore be smaller and quicker per step, and in \
                    practice learn roughly as well as the LSTM on ordinary sequence tasks."
                .into(),
            setup: format!(
                "Three tasks: the adding problem at T = 50 (validation MSE), the copy task at \
                 T = 20 (cross-entropy per step) and the built-in grammar corpus as a \
                 character language model (nats per character). Each cell gets {}; token inputs \
                 go through a 32-dimensional embedding. Seed {}.",
                budget.describe(),
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots,
            verdict,
            data,
            seconds: 0.0,
        })
    }
}
