//! `window`: a feed-forward net that sees a fixed window of the past cannot use a cue further back
//! than its window; a recurrent net reading a longer stretch step by step can.

use autograd::Result;
use datasets::series::echo::Echo;
use serde_json::json;

use super::forecast::ForecastRun;
use super::{Cell, Experiment, Options, Plot, Report, Table, Verdict};
use crate::plot::{LineChart, Series};

/// The echo series at growing lags for the window MLP, the SRN and the LSTM.
pub struct Window;

/// The MLP's window k.
const FFN_WINDOW: usize = 8;
/// The models compared: label, `--model` name, and its own window (else the recurrent window).
const MODELS: [(&str, &str, Option<usize>); 3] = [
    ("FFN", "mlp", Some(FFN_WINDOW)),
    ("SRN", "srn", None),
    ("LSTM", "lstm", None),
];
/// The echo's strength φ.
const PHI: f64 = 0.9;
/// Values in the series (70% of them train).
const LEN: usize = 4000;

/// What one (lag, model) run found.
struct LagRun {
    d: usize,
    model: &'static str,
    val_mse: f64,
    mean_mse: f64,
    persistence_mse: f64,
    curve: Vec<(f64, f64)>,
}

impl Experiment for Window {
    fn name(&self) -> &'static str {
        "window"
    }

    fn claim(&self) -> &'static str {
        "a fixed-window feed-forward net cannot use a cue older than its window; a recurrent net can"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let lags: &[usize] = options.pick(&[4, 16], &[2, 4, 8, 12, 16, 24, 32]);
        let rnn_window = options.pick(24, 40);
        let steps = options.pick(1500, 3000);
        let val_every = options.pick(250, 250);
        let (hidden, lr) = (32, 3e-3);
        let best = Echo { lag: 1, phi: PHI }.best_mse();
        let mut runs = Vec::new();
        for &d in lags {
            for (label, model, window) in MODELS {
                let k = window.unwrap_or(rnn_window);
                let trial = ForecastRun {
                    task: "echo",
                    settings: vec![
                        format!("d={d}"),
                        format!("phi={PHI}"),
                        format!("len={LEN}"),
                        format!("k={k}"),
                    ],
                    model,
                    hidden,
                    steps,
                    val_every,
                    optimizer: "adam",
                    lr,
                    clip: Some(1.0),
                }
                .train(options)?;
                runs.push(LagRun {
                    d,
                    model: label,
                    val_mse: trial.last("val_mse"),
                    mean_mse: trial.last("mean_rmse").powi(2),
                    persistence_mse: trial.last("persistence_rmse").powi(2),
                    curve: trial.curve("val_mse"),
                });
            }
        }
        let find = |d: usize, m: &str| runs.iter().find(|r| r.d == d && r.model == m);
        let mse = |d: usize, m: &str| find(d, m).map_or(f64::NAN, |r| r.val_mse);
        // A run uses the cue when its error is nearer the best possible than the mean's.
        let uses_cue = |r: &LagRun| r.val_mse < (best + r.mean_mse) / 2.0;
        let mut table = Table::new(
            format!(
                "Validation MSE of the one-step forecast of the echo series (φ = {PHI}) by lag d. \
                 The FFN sees the last {FFN_WINDOW} values, the recurrent nets the last \
                 {rnn_window}; the best possible MSE is 1 − φ² = {best:.2}, predicting the \
                 training mean scores about 1 and persistence about 2. ✓: the run uses the cue \
                 (its MSE is nearer the best possible than the mean's)."
            ),
            &[
                "d",
                "FFN MSE",
                "SRN MSE",
                "LSTM MSE",
                "uses the cue",
                "mean MSE",
                "persistence MSE",
            ],
        );
        for &d in lags {
            let mut row = vec![Cell::int(d as i64)];
            for (label, _, _) in MODELS {
                row.push(Cell::measured(mse(d, label), 3));
            }
            let marks: Vec<String> = MODELS
                .iter()
                .map(|(label, _, _)| {
                    let ok = find(d, label).is_some_and(uses_cue);
                    format!("{label} {}", if ok { "✓" } else { "✗" })
                })
                .collect();
            row.push(Cell::measured_text(marks.join(", ")));
            let first = find(d, "FFN");
            row.push(Cell::measured(first.map_or(f64::NAN, |r| r.mean_mse), 3));
            row.push(Cell::measured(
                first.map_or(f64::NAN, |r| r.persistence_mse),
                3,
            ));
            table.push(row);
        }
        let lags_using = |m: &str| -> Vec<usize> {
            runs.iter()
                .filter(|r| r.model == m && uses_cue(r))
                .map(|r| r.d)
                .collect()
        };
        let within: Vec<usize> = lags.iter().copied().filter(|&d| d <= FFN_WINDOW).collect();
        let ffn_ok = lags_using("FFN") == within;
        let rnn_all = MODELS[1..]
            .iter()
            .filter(|(label, _, _)| lags_using(label).len() == lags.len())
            .map(|(label, _, _)| *label)
            .collect::<Vec<_>>();
        let holds = ffn_ok && !rnn_all.is_empty();
        let show = |v: Vec<usize>| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let d_max = *lags.last().unwrap_or(&0);
        let verdict = Verdict {
            holds,
            because: format!(
                "rule: the FFN (window {FFN_WINDOW}) uses the cue exactly at the lags d ≤ \
                 {FFN_WINDOW} and some recurrent net uses it at every lag. The FFN uses it at d = \
                 {}, the SRN at d = {}, the LSTM at d = {}; at d = {d_max} the MSEs are FFN \
                 {:.3}, SRN {:.3}, LSTM {:.3} (best possible {best:.2})",
                show(lags_using("FFN")),
                show(lags_using("SRN")),
                show(lags_using("LSTM")),
                mse(d_max, "FFN"),
                mse(d_max, "SRN"),
                mse(d_max, "LSTM"),
            ),
        };
        let (x0, x1) = (0.0, d_max as f64 + 2.0);
        let mut by_lag = LineChart::new(
            "Echo series: one-step validation MSE against the cue's lag",
            "lag d of the echo (steps)",
            "validation MSE (squared series units)",
        )
        .log_y();
        for (label, _, _) in MODELS {
            let points = lags.iter().map(|&d| (d as f64, mse(d, label))).collect();
            by_lag = by_lag.with(Series::line(label, points));
        }
        let mean_level = find(d_max, "FFN").map_or(1.0, |r| r.mean_mse);
        by_lag = by_lag
            .with(Series::level(
                format!("best possible 1 − φ² = {best:.2}"),
                best,
                x0,
                x1,
            ))
            .with(Series::level("training mean", mean_level, x0, x1))
            .with(Series::dashed(
                format!("FFN window k = {FFN_WINDOW}"),
                vec![(FFN_WINDOW as f64, best), (FFN_WINDOW as f64, 2.0)],
            ));
        let mut curves = LineChart::new(
            format!("Echo series, d = {d_max}: validation MSE during training"),
            "training step",
            "validation MSE (squared series units)",
        )
        .log_y();
        for (label, _, _) in MODELS {
            if let Some(r) = find(d_max, label) {
                curves = curves.with(Series::line(label, r.curve.clone()));
            }
        }
        curves = curves.with(Series::level(
            format!("best possible {best:.2}"),
            best,
            0.0,
            steps as f64,
        ));
        let data = json!({
            "lags": lags, "phi": PHI, "ffn_window": FFN_WINDOW, "rnn_window": rnn_window,
            "len": LEN, "steps": steps, "hidden": hidden, "lr": lr, "best_mse": best,
            "runs": runs.iter().map(|r| json!({
                "d": r.d, "model": r.model, "val_mse": super::finite(r.val_mse),
                "mean_mse": super::finite(r.mean_mse),
                "persistence_mse": super::finite(r.persistence_mse),
                "uses_cue": uses_cue(r),
            })).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "A feed-forward forecaster is given a fixed number of past values as its \
                    input, so anything older than that window is invisible to it, however \
                    predictive. A recurrent network folds the past into a state step by step, \
                    with the same weights whatever the length it reads, so it can pick up a cue \
                    from further back than a small fixed window reaches."
                .into(),
            setup: format!(
                "The echo series x_t = φ·x_(t−d) + √(1−φ²)·ε_t with φ = {PHI} and Gaussian noise: \
                 unit variance, and only the value d steps back helps to predict the next one \
                 (best MSE 1 − φ² = {best:.2}; without it, about 1). {LEN} values, 70% for \
                 training, 15% for validation, normalized with training statistics. Models: the \
                 window MLP over the last {FFN_WINDOW} values, and an SRN (tanh) and an LSTM \
                 reading the last {rnn_window} values one at a time; {hidden} hidden units each, \
                 Adam at {lr}, clipping at 1, batches of 32, {steps} steps. A run uses the cue \
                 when its validation MSE is below the midpoint of the best possible and the \
                 training mean's MSE. Seed {}.",
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots: vec![
                Plot {
                    slug: "lags".into(),
                    chart: by_lag,
                },
                Plot {
                    slug: "curves".into(),
                    chart: curves,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}
