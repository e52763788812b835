//! `gradient-flow`: how far back the loss's gradient reaches through an SRN, an LSTM and a GRU,
//! at initialization and after training on the adding problem, and through SRNs whose recurrent
//! weights have a chosen spectral radius.

use autograd::{init, Error, Result, Rng};
use serde_json::json;
use zoo::diagnostics::GradientFlow;

use super::budget::Budget;
use super::{finite, Cell, Experiment, Goal, Options, Plot, Report, Table, Trial, Verdict};
use crate::demo::SOLVED_MSE;
use crate::plot::{LineChart, Series};
use crate::problem::Session;

/// Gradient norms against the distance they travelled back in time.
pub struct GradientFlowExperiment;

/// The models compared, by `--model` name.
const MODELS: [&str; 3] = ["srn", "lstm", "gru"];

/// The spectral radii of the SRN sweep.
const RADII: [f64; 5] = [0.5, 0.9, 1.0, 1.1, 1.5];

/// Length of the adding problem.
const T: usize = 100;

/// Hidden units of every model.
const HIDDEN: usize = 32;

/// What one diagnosis found: the gradient norm per lag, its ratio and slope.
struct Flow {
    /// `‖∂L/∂h_t‖ / ‖∂L/∂h_T‖` against the lag `T − t` (0 at the last step).
    by_lag: Vec<(f64, f64)>,
    /// `‖∂L/∂h_T‖`: what the loss puts on the last state.
    last: f64,
    /// `‖∂L/∂h_1‖ / ‖∂L/∂h_T‖`.
    ratio: f64,
    /// Mean change of `ln ‖∂L/∂h‖` per step back.
    slope: f64,
}

impl Flow {
    /// The flow of the bottom layer of `session`'s model on its next training batch.
    fn of(session: &Session) -> Result<Flow> {
        let layers = session.diagnose()?;
        let flow: &GradientFlow = layers
            .first()
            .and_then(|l| l.flow.as_ref())
            .ok_or_else(|| Error::Data("the model recorded no gradient flow".into()))?;
        let order = flow.in_scan_order();
        let last = flow.last();
        let by_lag = order
            .iter()
            .rev()
            .enumerate()
            .map(|(lag, v)| (lag as f64, v / last))
            .collect();
        Ok(Flow {
            by_lag,
            last,
            ratio: flow.ratio(),
            slope: flow.log_slope(),
        })
    }
}

/// The session of `model` on the adding problem of length [`T`] trained for `steps` steps.
fn session(model: &str, steps: usize, options: &Options) -> Result<Session> {
    let budget = Budget {
        hidden: HIDDEN,
        batch: 32,
        lr: 0.01,
        steps: steps.max(1),
        val_every: 100,
        val_size: 500,
    };
    let spec = budget.spec("adding", &[format!("t={T}")], model, false, options);
    Session::new(spec, budget.config(options)?)
}

/// Sets the SRN's recurrent weight to an orthogonal matrix times `radius`, so every eigenvalue
/// has modulus `radius`.
fn set_radius(session: &mut Session, radius: f64, seed: u64) -> Result<()> {
    let store = session.trainer.store_mut();
    let id = store
        .id("rnn.weight_hh_l0")
        .ok_or_else(|| Error::Data("the SRN has no rnn.weight_hh_l0".into()))?;
    let w = init::orthogonal(&[HIDDEN, HIDDEN], radius, &mut Rng::new(seed).fork(7));
    store.set_value(id, w);
    Ok(())
}

impl Experiment for GradientFlowExperiment {
    fn name(&self) -> &'static str {
        "gradient-flow"
    }

    fn claim(&self) -> &'static str {
        "SRN gradients vanish (or explode) over time; the gates of LSTM and GRU carry them"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let steps = options.pick(1500, 5000);
        let mut flows = Vec::new();
        let mut table = Table::new(
            format!(
                "The loss's gradient on each step's hidden state, on a batch of 32 adding \
                 sequences of T = {T}: its norm at the last step, the ratio of the first step's \
                 to the last's (how much survives {} steps back) and the mean change of its \
                 logarithm per step back; at initialization and after training (at most {steps} \
                 steps, stopped once the validation MSE is below {SOLVED_MSE}).",
                T - 1
            ),
            &[
                "model",
                "when",
                "‖∂L/∂h_T‖",
                "‖∂L/∂h_1‖ / ‖∂L/∂h_T‖",
                "ln-change per step",
                "val MSE",
            ],
        );
        for model in MODELS {
            let mut s = session(model, steps, options)?;
            let before = Flow::of(&s)?;
            let goal = Goal::below("val_mse", SOLVED_MSE);
            let trial = Trial::resume(s, Some(goal), options, &mut ())?;
            s = trial.session;
            let after = Flow::of(&s)?;
            let mse = trial.summary.last_val.get("val_mse").unwrap_or(f64::NAN);
            let trained = match trial.reached_at {
                Some(at) => format!("trained ({at} steps)"),
                None => format!("trained ({steps} steps)"),
            };
            for (when, flow, mse) in [("init", &before, f64::NAN), (trained.as_str(), &after, mse)]
            {
                let when_cell = if when == "init" {
                    Cell::text(when)
                } else {
                    Cell::measured_text(when)
                };
                table.push(vec![
                    Cell::text(model.to_uppercase()),
                    when_cell,
                    Cell::measured(flow.last, 4),
                    Cell::measured_sci(flow.ratio, 1),
                    Cell::measured(flow.slope, 3),
                    Cell::measured(mse, 4),
                ]);
            }
            flows.push((model, before, after, mse));
        }
        let mut sweep = Table::new(
            "Untrained SRNs (tanh) whose recurrent weight is an orthogonal matrix times ρ \
                 (every eigenvalue of modulus ρ), same batch. A linear network would change the \
                 gradient's logarithm by at most ln ρ per step; tanh's slope (≤ 1) only takes \
                 away."
                .to_string(),
            &["ρ", "ln ρ", "‖∂L/∂h_1‖ / ‖∂L/∂h_T‖", "ln-change per step"],
        );
        let mut radius_flows = Vec::new();
        for rho in RADII {
            let mut s = session("srn", 1, options)?;
            set_radius(&mut s, rho, options.seed)?;
            let flow = Flow::of(&s)?;
            sweep.push(vec![
                Cell::num(rho, 1),
                Cell::num(rho.ln(), 3),
                Cell::measured_sci(flow.ratio, 1),
                Cell::measured(flow.slope, 3),
            ]);
            radius_flows.push((rho, flow));
        }
        let ratio = |m: &str, trained: bool| {
            flows.iter().find(|f| f.0 == m).map_or(f64::NAN, |f| {
                if trained {
                    f.2.ratio
                } else {
                    f.1.ratio
                }
            })
        };
        let srn_after = ratio("srn", true);
        let gated_after = ratio("lstm", true).min(ratio("gru", true));
        let slopes: Vec<f64> = radius_flows.iter().map(|(_, f)| f.slope).collect();
        let rising = slopes.windows(2).all(|w| w[1] > w[0]);
        let vanishes = ratio("srn", false) < 1e-3;
        let carried = gated_after > 100.0 * srn_after.max(f64::MIN_POSITIVE);
        let verdict = Verdict {
            holds: vanishes && carried && rising,
            because: format!(
                "at initialization {:.1e} of the SRN's last-step gradient reaches the first \
                 step; after training {:.1e} of the SRN's does, against {:.1e} (LSTM) and {:.1e} \
                 (GRU); in the sweep the ln-change per step {} with ρ (from {:.3} at ρ = 0.5 to \
                 {:.3} at ρ = 1.5)",
                ratio("srn", false),
                srn_after,
                ratio("lstm", true),
                ratio("gru", true),
                if rising {
                    "rises"
                } else {
                    "does not rise steadily"
                },
                slopes.first().copied().unwrap_or(f64::NAN),
                slopes.last().copied().unwrap_or(f64::NAN),
            ),
        };
        let mut lags = LineChart::new(
            format!("Gradient reaching each step, adding problem T = {T}"),
            "steps back from the last step (lag)",
            "‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ (ratio)",
        )
        .log_y();
        for (model, before, after, _) in &flows {
            let name = model.to_uppercase();
            lags = lags
                .with(Series::dashed(
                    format!("{name} at init"),
                    before.by_lag.clone(),
                ))
                .with(Series::line(
                    format!("{name} trained"),
                    after.by_lag.clone(),
                ));
        }
        let mut radii = LineChart::new(
            "Untrained SRN: gradient reaching each step, by spectral radius ρ",
            "steps back from the last step (lag)",
            "‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ (ratio)",
        )
        .log_y();
        for (rho, flow) in &radius_flows {
            radii = radii.with(Series::line(format!("ρ = {rho}"), flow.by_lag.clone()));
        }
        let data = json!({
            "t": T, "hidden": HIDDEN, "steps": steps,
            "models": flows.iter().map(|(m, b, a, mse)| json!({
                "model": m, "init": {"last": finite(b.last), "ratio": finite(b.ratio), "slope": finite(b.slope)},
                "trained": {"last": finite(a.last), "ratio": finite(a.ratio), "slope": finite(a.slope),
                            "val_mse": finite(*mse)},
            })).collect::<Vec<_>>(),
            "radii": radius_flows.iter().map(|(r, f)| json!({
                "rho": r, "ratio": finite(f.ratio), "slope": finite(f.slope),
            })).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "Backpropagation through time multiplies the gradient, once per step, by the \
                    recurrent weights and the slope of the squashing function. In a simple \
                    recurrent network that product shrinks (or grows) geometrically, so the \
                    error signal of a late output hardly reaches early steps, and how fast it \
                    fades follows the recurrent matrix's spectral radius. LSTM and GRU cells \
                    pass the gradient along an additive path whose factor is a gate the network \
                    learns to hold open."
                .into(),
            setup: format!(
                "The diagnostics record ‖∂L/∂h_t‖ inside the recurrent kernel's backward pass. \
                 Each model (one layer of {HIDDEN} units, PyTorch's default initialization) is \
                 diagnosed on a batch of 32 adding sequences of length {T} (loss at the last \
                 step only), then trained with Adam (lr 0.01, clipping at 1) for at most {steps} \
                 steps and diagnosed again. The sweep replaces an untrained SRN's recurrent \
                 weight by ρ times a random orthogonal matrix. Seed {}.",
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table, sweep],
            plots: vec![
                Plot {
                    slug: "lags".into(),
                    chart: lags,
                },
                Plot {
                    slug: "radius".into(),
                    chart: radii,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}
