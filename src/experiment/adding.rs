//! `adding`: gated networks carry two numbers across a long gap; the simple recurrent network
//! does not. Steps to solve the adding problem at growing lengths, as in the papers' tables.

use autograd::Result;
use serde_json::json;

use super::budget::Budget;
use super::{Cell, Experiment, Goal, Options, Plot, Report, Table, Verdict};
use crate::demo::SOLVED_MSE;
use crate::plot::{LineChart, Series};

/// The adding problem at growing lengths for the SRN, the LSTM and the GRU.
pub struct Adding;

/// The models compared, by `--model` name.
const MODELS: [&str; 3] = ["srn", "lstm", "gru"];

/// What one (length, model) run found.
struct LengthRun {
    t: usize,
    model: &'static str,
    solved_at: Option<usize>,
    val_mse: f64,
    curve: Vec<(f64, f64)>,
}

impl Experiment for Adding {
    fn name(&self) -> &'static str {
        "adding"
    }

    fn claim(&self) -> &'static str {
        "LSTM and GRU bridge long gaps on the adding problem; the simple recurrent network does not"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let lengths: &[usize] = options.pick(&[10, 50], &[10, 25, 50, 100, 200, 400]);
        let steps = options.pick(1500, 5000);
        let val_every = options.pick(50, 100);
        let (hidden, batch, lr) = (32, 32, 0.01);
        let budget = Budget {
            hidden,
            batch,
            lr,
            steps,
            val_every,
            val_size: options.pick(500, 1000),
        };
        let mut runs = Vec::new();
        for &t in lengths {
            for model in MODELS {
                let goal = Goal::below("val_mse", SOLVED_MSE);
                let settings = [format!("t={t}")];
                let trial = budget.train("adding", &settings, model, false, Some(goal), options)?;
                runs.push(LengthRun {
                    t,
                    model,
                    solved_at: trial.reached_at,
                    val_mse: trial.last("val_mse"),
                    curve: trial.curve("val_mse"),
                });
            }
        }
        let find = |t: usize, m: &str| runs.iter().find(|r| r.t == t && r.model == m);
        let mut table = Table::new(
            format!(
                "Steps (batches of {batch}) until the validation MSE is below {SOLVED_MSE}, \
                 checked every {val_every} steps, at most {steps}; and the final validation MSE \
                 (the baseline, always predicting 1, scores 1/6 ≈ 0.167)."
            ),
            &[
                "T",
                "SRN steps",
                "LSTM steps",
                "GRU steps",
                "SRN MSE",
                "LSTM MSE",
                "GRU MSE",
            ],
        );
        for &t in lengths {
            let mut row = vec![Cell::int(t as i64)];
            for m in MODELS {
                row.push(Cell::steps(find(t, m).and_then(|r| r.solved_at), steps));
            }
            for m in MODELS {
                row.push(Cell::measured(
                    find(t, m).map_or(f64::NAN, |r| r.val_mse),
                    3,
                ));
            }
            table.push(row);
        }
        let longest = |m: &str| {
            runs.iter()
                .filter(|r| r.model == m && r.solved_at.is_some())
                .map(|r| r.t)
                .max()
        };
        let (srn, lstm, gru) = (longest("srn"), longest("lstm"), longest("gru"));
        let show = |l: Option<usize>| l.map_or("none".to_string(), |t| format!("T = {t}"));
        let holds = lstm > srn && gru > srn;
        let verdict = Verdict {
            holds,
            because: format!(
                "the longest length solved is {} for the SRN, {} for the LSTM and {} for the GRU",
                show(srn),
                show(lstm),
                show(gru)
            ),
        };
        let t_max = *lengths.last().unwrap_or(&0);
        let mut curves = LineChart::new(
            format!("Adding problem, T = {t_max}: validation MSE during training"),
            "training step",
            "validation MSE (squared units of the sum)",
        )
        .log_y();
        for m in MODELS {
            if let Some(r) = find(t_max, m) {
                curves = curves.with(Series::line(m.to_uppercase(), r.curve.clone()));
            }
        }
        let x1 = steps as f64;
        curves = curves
            .with(Series::level("baseline 1/6", 1.0 / 6.0, 0.0, x1))
            .with(Series::level("solved (0.01)", SOLVED_MSE, 0.0, x1));
        let mut by_length = LineChart::new(
            "Steps to solve the adding problem against its length",
            "sequence length T (steps)",
            "training steps to validation MSE < 0.01",
        )
        .log_x();
        for m in MODELS {
            let points = lengths
                .iter()
                .map(|&t| {
                    let solved = find(t, m).and_then(|r| r.solved_at);
                    (t as f64, solved.map_or(f64::NAN, |s| s as f64))
                })
                .collect();
            by_length = by_length.with(Series::points(m.to_uppercase(), points));
        }
        let data = json!({
            "lengths": lengths, "steps": steps, "val_every": val_every, "hidden": hidden,
            "batch": batch, "lr": lr, "solved_mse": SOLVED_MSE,
            "runs": runs.iter().map(|r| json!({
                "t": r.t, "model": r.model, "solved_at": r.solved_at,
                "val_mse": super::finite(r.val_mse),
            })).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "A simple recurrent network has to carry information through a repeated \
                    multiplication by its recurrent weights and a squashing function, so the \
                    signal from an early input fades (or blows up) with distance. LSTM and GRU \
                    cells add to a memory through gates instead, and should learn the adding \
                    problem at lengths where the simple network cannot."
                .into(),
            setup: format!(
                "The adding problem (two channels per step: a value in [0, 1) and a marker; \
                 the target is the sum of the two marked values, one marker in each half). \
                 For each length T and each cell: one layer of {hidden} units, a linear read-out \
                 of the last state, Adam at {lr}, gradient-norm clipping at 1, batches of \
                 {batch} fresh sequences, at most {steps} steps, stopped once solved. Seed {}.",
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots: vec![
                Plot {
                    slug: "curves".into(),
                    chart: curves,
                },
                Plot {
                    slug: "lengths".into(),
                    chart: by_length,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}
