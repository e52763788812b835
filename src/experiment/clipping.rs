//! `clipping`: rescaling the gradient to a maximum global norm keeps an unstable recurrent run
//! training where the same run without it blows up.

use autograd::Result;
use serde_json::json;
use zoo::train::Observer;

use super::forecast::ForecastRun;
use super::{Cell, Experiment, Options, Plot, Report, Table, Verdict};
use crate::plot::{LineChart, Series};

/// The same unstable SRN-ReLU run with and without global-norm clipping.
pub struct Clipping;

/// Every step's training loss and pre-clip gradient norm.
#[derive(Default)]
struct GradientLog {
    losses: Vec<(f64, f64)>,
    norms: Vec<(f64, f64)>,
}

impl Observer for GradientLog {
    fn step(&mut self, step: usize, loss: f64, _lr: f64) {
        self.losses.push((step as f64, loss));
    }

    fn wants_gradient_norm(&self) -> bool {
        true
    }

    fn gradient(&mut self, step: usize, norm: f64) {
        self.norms.push((step as f64, norm));
    }
}

/// What one run found: its clip, its steps, and its final validation MSE or the error that
/// stopped it.
struct ClipRun {
    clip: Option<f64>,
    log: GradientLog,
    val_mse: f64,
    persistence_mse: f64,
    stopped: Option<String>,
}

impl ClipRun {
    /// `none` or the threshold.
    fn label(&self) -> String {
        self.clip
            .map_or("no clipping".into(), |c| format!("clipped at {c}"))
    }

    /// Whether it finished with a finite validation MSE.
    fn trained(&self) -> bool {
        self.stopped.is_none() && self.val_mse.is_finite()
    }

    /// The largest gradient norm seen.
    fn max_norm(&self) -> f64 {
        self.log.norms.iter().map(|p| p.1).fold(0.0, f64::max)
    }
}

impl Experiment for Clipping {
    fn name(&self) -> &'static str {
        "clipping"
    }

    fn claim(&self) -> &'static str {
        "clipping the global gradient norm tames exploding gradients"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let clips: &[Option<f64>] = options.pick(
            &[None, Some(1.0)],
            &[None, Some(100.0), Some(10.0), Some(1.0), Some(0.1)],
        );
        let steps = options.pick(600, 2000);
        let val_every = options.pick(100, 200);
        let (hidden, lr, k) = (64, 0.5, 50);
        let mut runs = Vec::new();
        for &clip in clips {
            let mut log = GradientLog::default();
            let run = ForecastRun {
                task: "mackey-glass",
                settings: vec![format!("k={k}")],
                model: "srn-relu",
                hidden,
                steps,
                val_every,
                optimizer: "sgd",
                lr,
                clip,
            };
            // A run that blows up ends with an error; that is an outcome here, not a failure.
            let (val_mse, persistence_mse, stopped) = match run.train_observed(options, &mut log) {
                Ok(trial) => (
                    trial.last("val_mse"),
                    trial.last("persistence_rmse").powi(2),
                    None,
                ),
                Err(e) => (f64::NAN, f64::NAN, Some(e.to_string())),
            };
            runs.push(ClipRun {
                clip,
                log,
                val_mse,
                persistence_mse,
                stopped,
            });
        }
        let mut table = Table::new(
            format!(
                "SRN-ReLU ({hidden} units) forecasting Mackey-Glass from {k} past values, plain \
                 SGD at learning rate {lr}, {steps} steps: how each run ended, its largest \
                 gradient norm (before clipping) and its final validation MSE."
            ),
            &[
                "clip",
                "steps done",
                "largest gradient norm",
                "final training loss",
                "validation MSE",
                "ended",
            ],
        );
        let sci = |v: f64| {
            Cell::measured_text(if v.is_finite() {
                format!("{v:.2e}")
            } else {
                "–".into()
            })
        };
        for r in &runs {
            table.push(vec![
                Cell::text(r.clip.map_or("none".into(), |c| c.to_string())),
                Cell::measured(r.log.losses.len() as f64, 0),
                sci(r.max_norm()),
                sci(r.log.losses.last().map_or(f64::NAN, |p| p.1)),
                sci(r.val_mse),
                Cell::measured_text(if r.trained() {
                    "trained".to_string()
                } else {
                    "blew up".to_string()
                }),
            ]);
        }
        let unclipped = runs.iter().find(|r| r.clip.is_none());
        let clipped = runs.iter().find(|r| r.clip == Some(1.0));
        let persistence = clipped.map_or(f64::NAN, |r| r.persistence_mse);
        // Far above: ten times the clipped run's MSE (or no finite MSE at all).
        let blew_up = unclipped
            .is_some_and(|u| !u.trained() || clipped.is_some_and(|c| u.val_mse > 10.0 * c.val_mse));
        let tamed = clipped.is_some_and(|c| c.trained() && c.val_mse < persistence);
        let describe = |r: Option<&ClipRun>| match r {
            Some(r) if r.trained() => format!(
                "trained for {} steps to a validation MSE of {:.2e} (largest gradient norm \
                 {:.3e})",
                r.log.losses.len(),
                r.val_mse,
                r.max_norm()
            ),
            Some(r) => format!(
                "blew up after {} steps (largest gradient norm {:.3e})",
                r.log.losses.len(),
                r.max_norm()
            ),
            None => "did not run".into(),
        };
        let verdict = Verdict {
            holds: blew_up && tamed,
            because: format!(
                "rule: without clipping the run stops with a non-finite loss or ends at ten times \
                 the MSE of the run clipped at 1, which beats persistence (MSE {persistence:.2e}). \
                 Without clipping it {}; clipped at 1 it {}",
                describe(unclipped),
                describe(clipped)
            ),
        };
        let x1 = steps as f64;
        let mut losses = LineChart::new(
            "SRN-ReLU on Mackey-Glass: training loss per step",
            "training step (log scale)",
            "training loss (MSE of the normalized series)",
        )
        .log_x()
        .log_y();
        let mut norms = LineChart::new(
            "SRN-ReLU on Mackey-Glass: global gradient norm per step, before clipping",
            "training step (log scale)",
            "gradient L2 norm (loss units per weight unit)",
        )
        .log_x()
        .log_y();
        for r in &runs {
            losses = losses.with(Series::line(r.label(), r.log.losses.clone()));
            norms = norms.with(Series::line(r.label(), r.log.norms.clone()));
        }
        if let Some(c) = clipped.and_then(|c| c.clip) {
            norms = norms.with(Series::level(format!("clip threshold {c}"), c, 1.0, x1));
        }
        let data = json!({
            "task": "mackey-glass", "k": k, "model": "srn-relu", "hidden": hidden,
            "optimizer": "sgd", "lr": lr, "steps": steps, "val_every": val_every,
            "runs": runs.iter().map(|r| json!({
                "clip": r.clip, "steps_done": r.log.losses.len(),
                "max_grad_norm": super::finite(r.max_norm()),
                "val_mse": super::finite(r.val_mse),
                "persistence_mse": super::finite(r.persistence_mse),
                "stopped": r.stopped,
            })).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "Backpropagation through time multiplies the gradient by the recurrent \
                    weights once per step, so with large weights or a large step size it can grow \
                    geometrically, and one huge update wrecks the network. Rescaling the whole \
                    gradient whenever its norm exceeds a threshold keeps each update bounded \
                    while leaving its direction alone, so the same run keeps training."
                .into(),
            setup: format!(
                "One deliberately unstable set-up, run once per clipping threshold: an SRN with \
                 ReLU units ({hidden} of them, default initialization) forecasting the next value \
                 of the Mackey-Glass series from the last {k}, plain SGD at learning rate {lr}, \
                 batches of 32, {steps} steps, validation every {val_every}. The trainer reports \
                 each step's loss and the gradient's global L2 norm before clipping. A run whose \
                 loss stops being finite ends there (the trainer refuses to continue). Seed {}.",
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots: vec![
                Plot {
                    slug: "loss".into(),
                    chart: losses,
                },
                Plot {
                    slug: "norm".into(),
                    chart: norms,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}
