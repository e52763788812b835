//! `population`: logistic growth is predictable far ahead; the logistic map at r = 4 is chaotic,
//! nearby starts separate like e^(λt) with λ = ln 2, so even a good one-step forecaster loses the
//! trajectory within a few steps when it runs on its own predictions.

use autograd::Result;
use datasets::params::Params;
use datasets::series::forecast_task::SeriesTask;
use datasets::series::logistic_growth::{LogisticGrowth, LogisticGrowthSeries};
use datasets::series::logistic_map::{
    divergence, lyapunov, lyapunov_from_divergence, LogisticMapSeries,
};
use serde_json::json;

use super::forecast::ForecastRun;
use super::rollout::Rollout;
use super::{Cell, Experiment, Options, Plot, Report, Table, Verdict};
use crate::plot::{LineChart, Series};

/// Sensitivity to initial conditions of the logistic map, against logistic growth.
pub struct Population;

/// The map's parameter (fully chaotic).
const R: f64 = 4.0;
/// The starting gap of the two orbits.
const EPS: f64 = 1e-10;
/// The error at which a rollout has lost the trajectory (the map's values lie in [0, 1]; for
/// growth, as a share of the capacity).
const LOST: f64 = 0.1;
/// The last steps of a rollout whose mean error tells whether errors grew or died out.
const LATE: usize = 20;
/// The relative error allowed of a Lyapunov estimate against ln 2.
const TOLERANCE: f64 = 0.05;

impl Experiment for Population {
    fn name(&self) -> &'static str {
        "population"
    }

    fn claim(&self) -> &'static str {
        "logistic growth is predictable; the chaotic logistic map forgets its initial conditions"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let ln2 = std::f64::consts::LN_2;
        let starts = options.pick(200, 1000);
        let lambda_slope = lyapunov_from_divergence(R, EPS, 20, starts)?;
        let lambda_mean = lyapunov(R, 0.3, 100, options.pick(10_000, 100_000))?;
        let gap = divergence(R, 0.3, EPS, 50)?;
        let steps = options.pick(1000, 3000);
        let horizon = 40;
        let (hidden, k) = (32, 8);
        let train = |task: &'static str, settings: Vec<String>| {
            ForecastRun {
                task,
                settings,
                model: "lstm",
                hidden,
                steps,
                val_every: 250,
                optimizer: "adam",
                lr: 3e-3,
                clip: Some(1.0),
            }
            .train(options)
        };
        // The map: trained on the first 70% of an orbit, rolled out from the validation split.
        let map_trial = train("logistic-map", vec![format!("k={k}")])?;
        let map_series = SeriesTask(LogisticMapSeries).series(options.seed, &Params::default())?;
        let map_start = map_series.len() * 7 / 10;
        let map = Rollout::run(&map_trial, &map_series, k, map_start, horizon)?;
        // Growth: 200 noisy observations, rolled out from the first window through the rise.
        let growth_len = "len=200".to_string();
        let growth_trial = train(
            "logistic-growth",
            vec![format!("k={k}"), growth_len.clone()],
        )?;
        let growth_series = SeriesTask(LogisticGrowthSeries)
            .series(options.seed, &Params::parse(&[growth_len])?)?;
        let growth = Rollout::run(&growth_trial, &growth_series, k, k, 60)?;
        let capacity = LogisticGrowth::default().k;
        let first_lost = |errors: &[f64], scale: f64| errors.iter().position(|e| e / scale > LOST);
        let map_lost = first_lost(&map.free_error(), 1.0);
        let growth_lost = first_lost(&growth.free_error(), capacity);
        let growth_worst = growth.free_error().iter().fold(0.0, |m: f64, e| m.max(*e)) / capacity;
        let late = |errors: Vec<f64>, scale: f64| {
            let tail = &errors[errors.len().saturating_sub(LATE)..];
            tail.iter().sum::<f64>() / tail.len().max(1) as f64 / scale
        };
        let map_late = late(map.free_error(), 1.0);
        let growth_late = late(growth.free_error(), capacity);
        let map_e1 = map.one_step_rmse();
        // An error e grows like e·2^t, so it passes LOST after ln(LOST/e)/λ steps.
        let expected = (LOST / map_e1).ln() / ln2;
        let near = |l: f64| ((l - ln2) / ln2).abs() <= TOLERANCE;
        let holds = near(lambda_slope)
            && near(lambda_mean)
            && map_lost.is_some_and(|t| t < 30)
            && map_late > LOST
            && growth_late < LOST;
        let show_lost =
            |t: Option<usize>| t.map_or("never".to_string(), |t| format!("step {}", t + 1));
        let verdict = Verdict {
            holds,
            because: format!(
                "rule: both Lyapunov estimates within {:.0}% of ln 2 = {ln2:.4}, the map's \
                 free-running forecast off by more than {LOST} within 30 steps, and over the last \
                 {LATE} steps of each free-running forecast a mean error above {LOST} for the map \
                 (errors grew) and below {LOST} of the capacity for growth (errors died out). \
                 λ = {lambda_slope:.4} from the divergence slope and {lambda_mean:.4} from the \
                 mean of ln|r(1 − 2x)|; the map's forecast (one-step RMSE {map_e1:.4}) is lost at \
                 {} (about {expected:.1} steps expected) and its late mean error is \
                 {map_late:.3}; the growth forecast's late mean error is {:.1}% of the capacity \
                 (largest {:.1}%, during the rise)",
                TOLERANCE * 100.0,
                show_lost(map_lost),
                growth_late * 100.0,
                growth_worst * 100.0
            ),
        };
        let mut lyap = Table::new(
            format!(
                "The Lyapunov exponent of the logistic map at r = {R}, two ways, against ln 2: \
                 the slope of the mean log-separation of {starts} orbit pairs started {EPS:e} \
                 apart (steps 0 to 20), and the mean of ln|r(1 − 2x)| along one orbit."
            ),
            &["estimate", "λ (per step)", "relative to ln 2"],
        );
        for (name, value) in [
            ("divergence slope", lambda_slope),
            ("mean of ln abs(r(1 − 2x))", lambda_mean),
            ("ln 2", ln2),
        ] {
            lyap.push(vec![
                Cell::text(name),
                Cell::num(value, 4),
                Cell::num(value / ln2, 4),
            ]);
        }
        let mut forecasts = Table::new(
            format!(
                "An LSTM ({hidden} units, window {k}) forecasting each series one step ahead and \
                 free-running on its own forecasts: the one-step RMSE over the stretch, and the \
                 first step at which the free-running error exceeds {LOST} (of the capacity, for \
                 growth), and the mean free-running error over its last {LATE} steps as a share \
                 of the scale (1 for the map, the capacity for growth)."
            ),
            &[
                "system",
                "one-step RMSE",
                "validation MSE",
                "free-running lost at",
                "largest free-running error",
                "late mean error (share of scale)",
            ],
        );
        let worst = |r: &Rollout| r.free_error().iter().fold(0.0, |m: f64, e| m.max(*e));
        forecasts.push(vec![
            Cell::text(format!("logistic map r = {R}")),
            Cell::measured(map_e1, 4),
            Cell::measured(map_trial.last("val_mse"), 6),
            Cell::measured_text(show_lost(map_lost)),
            Cell::measured(worst(&map), 3),
            Cell::measured(map_late, 3),
        ]);
        forecasts.push(vec![
            Cell::text("logistic growth"),
            Cell::measured(growth.one_step_rmse(), 2),
            Cell::measured(growth_trial.last("val_mse"), 2),
            Cell::measured_text(show_lost(growth_lost)),
            Cell::measured(worst(&growth), 2),
            Cell::measured(growth_late, 3),
        ]);
        let gap_points: Vec<(f64, f64)> = gap
            .iter()
            .enumerate()
            .map(|(t, d)| (t as f64, d.max(1e-300)))
            .collect();
        let reference: Vec<(f64, f64)> = (0..=36)
            .map(|t| (t as f64, EPS * (t as f64 * ln2).exp()))
            .collect();
        let separation = LineChart::new(
            format!("Logistic map, r = {R}: separation of two orbits started {EPS:e} apart"),
            "step t (since the start)",
            "|x_t − x'_t| (state units)",
        )
        .log_y()
        .with(Series::line("separation from x0 = 0.3", gap_points))
        .with(Series::dashed("ε·e^(t ln 2)", reference))
        .with(Series::line(
            "LSTM free-running error",
            series_of(&map.free_error()),
        ));
        let map_chart = LineChart::new(
            "Logistic map: the LSTM's forecasts against the true orbit",
            "steps after the forecast starts",
            "x (state units, in [0, 1])",
        )
        .with(Series::line("true orbit", series_of(&map.truth)))
        .with(Series::points(
            "one-step forecast",
            series_of(&map.one_step),
        ))
        .with(Series::dashed(
            "free-running forecast",
            series_of(&map.free),
        ));
        let growth_chart = LineChart::new(
            "Logistic growth: the LSTM's forecasts against the observed stock",
            "steps after the first window",
            "population (fish)",
        )
        .with(Series::line("observed stock", series_of(&growth.truth)))
        .with(Series::points(
            "one-step forecast",
            series_of(&growth.one_step),
        ))
        .with(Series::dashed(
            "free-running forecast",
            series_of(&growth.free),
        ));
        let data = json!({
            "r": R, "eps": EPS, "starts": starts, "lambda_slope": lambda_slope,
            "lambda_mean": lambda_mean, "ln2": ln2, "steps": steps, "hidden": hidden, "k": k,
            "lost_threshold": LOST, "map": {
                "start": map_start, "one_step_rmse": super::finite(map_e1),
                "val_mse": super::finite(map_trial.last("val_mse")),
                "lost_at": map_lost.map(|t| t + 1), "expected_lost_at": super::finite(expected),
                "late_error": super::finite(map_late),
                "free_error": map.free_error().iter().map(|&e| super::finite(e)).collect::<Vec<_>>(),
            },
            "growth": {
                "one_step_rmse": super::finite(growth.one_step_rmse()),
                "val_mse": super::finite(growth_trial.last("val_mse")),
                "lost_at": growth_lost.map(|t| t + 1),
                "largest_relative_error": super::finite(growth_worst),
                "late_relative_error": super::finite(growth_late),
            },
            "separation": gap.iter().map(|&d| super::finite(d)).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "Simple deterministic rules can behave very differently. Logistic growth of a \
                    population settles smoothly onto its carrying capacity, so small errors die \
                    out and the future is predictable. The logistic map at r = 4 is chaotic: two \
                    states that start almost together drift apart exponentially, at the rate of \
                    its Lyapunov exponent ln 2 (the gap doubles each step), so any forecaster, \
                    however accurate one step ahead, loses the trajectory after a few steps."
                .into(),
            setup: format!(
                "(a) Two logistic-map orbits at r = {R} started {EPS:e} apart; λ from the slope of \
                 their mean log-separation over {starts} pairs and from the mean of ln|r(1 − 2x)|. \
                 (b) An LSTM of {hidden} units reading the last {k} values, trained {steps} steps \
                 (Adam 3e-3, clipping 1, batches of 32) on each task's training split: the \
                 logistic map (1000 values, rolled out for {horizon} steps from the start of the \
                 validation split, unseen in training) and the noisy fish stock (logistic-growth, \
                 200 values, 2% noise, rolled out for 60 steps from the first window through the \
                 rise). One-step: each forecast from the true past; free-running: each forecast \
                 fed back as input. Seed {}.",
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![lyap, forecasts],
            plots: vec![
                Plot {
                    slug: "separation".into(),
                    chart: separation,
                },
                Plot {
                    slug: "map".into(),
                    chart: map_chart,
                },
                Plot {
                    slug: "growth".into(),
                    chart: growth_chart,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}

/// `(step, value)` points of `values`, steps counted from 1.
fn series_of(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(t, &v)| ((t + 1) as f64, v))
        .collect()
}
