//! Gradient-flow diagnostics of any model built of the zoo's recurrent layers: per-step
//! `‖∂L/∂h_t‖` and `‖∂L/∂x_t‖`, gate means and saturation, and hidden-state norms over time.
//!
//! Record the forward and backward on a [`Tape::diagnosing`] tape, then read the summaries:
//!
//! ```
//! use autograd::{CellKind, RecurrentSpec, RecurrentWeights, Rng, Tape, Tensor};
//! let tape = Tape::<f64>::diagnosing();
//! let mut rng = Rng::new(0);
//! let mut var = |shape: &[usize]| {
//!     let n = shape.iter().product::<usize>();
//!     let v: Vec<f64> = (0..n).map(|_| rng.uniform_in(-0.5, 0.5)).collect();
//!     tape.var(Tensor::from_f64(shape, &v))
//! };
//! let (x, h0) = (var(&[2, 5, 3]), var(&[2, 4]));
//! let w = RecurrentWeights { w_ih: var(&[16, 3]), b_ih: var(&[16]), w_hh: var(&[16, 4]), b_hh: var(&[16]), w_hr: None, norm: None };
//! let spec = RecurrentSpec { cell: CellKind::Lstm, reverse: false, lengths: None };
//! let c0 = var(&[2, 4]);
//! x.recurrent(w, h0, Some(c0), &spec).sum().backward();
//! let layers = zoo::diagnostics::layers(&tape);
//! assert_eq!(layers.len(), 1);
//! let flow = layers[0].flow.as_ref().unwrap();
//! assert_eq!(flow.dh.len(), 5);
//! assert!(flow.ratio().is_finite()); // ‖∂L/∂h_0‖ / ‖∂L/∂h_4‖
//! assert_eq!(layers[0].gates.names, ["i", "f", "g", "o"]);
//! ```
//!
//! Norms: at step t, `‖∂L/∂h_t‖` is the L2 norm over every batch row and hidden unit of the
//! gradient reaching the hidden state of step t (from the output at t and from step t+1), and
//! `‖∂L/∂x_t‖` that of the gradient of the layer's input at t through the layer. Steps are indexed
//! by position in the sequence; the scan of a reverse direction starts at the last one
//! ([`GradientFlow::in_scan_order`]). A padded step of a row (at or past its length) is not a step
//! of that row: it adds nothing to the norms, the hidden norms or the gate statistics (a step no
//! row reaches has norms 0).

use crate::train::Metrics;
use autograd::diagnostics::gate_names;
use autograd::{CellKind, Element, RecurrentRecord, Tape};

/// How many layers get their own fields in [`flat_metrics`] (the others count in the totals).
pub const FLAT_LAYERS: usize = 8;

/// The diagnostics of one recurrent kernel: one layer in one direction.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerDiagnostics {
    /// The kernel's position among the recurrent kernels of the tape (op order; a bidirectional
    /// layer gives its forward direction, then its reverse one).
    pub index: usize,
    /// The cell.
    pub cell: CellKind,
    /// Whether this direction runs from the last step to the first.
    pub reverse: bool,
    /// The gradient flow, once a backward ran through the kernel.
    pub flow: Option<GradientFlow>,
    /// Gate means and saturation.
    pub gates: GateStats,
    /// The mean `‖h_t‖` over the batch rows at each step (rows past their length left out).
    pub hidden_norms: Vec<f64>,
}

/// The gradient norms of one kernel per step, indexed by position in the sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientFlow {
    /// `‖∂L/∂h_t‖` at each step t (L2 over batch rows and hidden units).
    pub dh: Vec<f64>,
    /// `‖∂L/∂x_t‖` at each step t (L2 over batch rows and input features).
    pub dx: Vec<f64>,
    /// Whether the scan ran from the last step to the first.
    pub reverse: bool,
}

/// Per gate (PyTorch's order: LSTM i, f, g, o; GRU r, z, n; Elman h), its mean activation and
/// the fraction of saturated activations ([`autograd::diagnostics::saturated`]: a sigmoid below
/// 0.05 or above 0.95, a tanh beyond ±0.95, a ReLU at 0), over every active (row, step, unit).
#[derive(Clone, Debug, PartialEq)]
pub struct GateStats {
    /// The gates' names.
    pub names: Vec<&'static str>,
    /// Each gate's mean activation.
    pub means: Vec<f64>,
    /// Each gate's fraction of saturated activations.
    pub saturated: Vec<f64>,
    /// Activations per gate the statistics are over.
    pub count: u64,
}

impl GradientFlow {
    /// `‖∂L/∂h‖` in the order the forward scan ran (the backward runs the other way).
    pub fn in_scan_order(&self) -> Vec<f64> {
        scan_order(&self.dh, self.reverse)
    }

    /// `‖∂L/∂h‖` at the first step the forward scan ran (step 0, or the last one in reverse):
    /// what reaches the start after backpropagating through every step.
    pub fn first(&self) -> f64 {
        self.in_scan_order().first().copied().unwrap_or(f64::NAN)
    }

    /// `‖∂L/∂h‖` at the last step the forward scan ran.
    pub fn last(&self) -> f64 {
        self.in_scan_order().last().copied().unwrap_or(f64::NAN)
    }

    /// [`GradientFlow::first`] / [`GradientFlow::last`]: far below 1, gradients vanish on their way
    /// back; far above, they explode (or add up over many outputs). NaN when the last is 0 (no
    /// gradient reaches the last step, e.g. a reverse direction read only at its first step).
    pub fn ratio(&self) -> f64 {
        let ratio = self.first() / self.last();
        if ratio.is_finite() {
            ratio
        } else {
            f64::NAN
        }
    }

    /// The least-squares slope of `ln ‖∂L/∂h‖` per step, backwards in scan order (from the last
    /// step to the first): the mean log-growth of the gradient per step of BPTT; negative when it
    /// vanishes. Over the steps with a positive finite norm; NaN with fewer than two.
    pub fn log_slope(&self) -> f64 {
        let mut order = self.in_scan_order();
        order.reverse();
        let points: Vec<(f64, f64)> = order
            .iter()
            .enumerate()
            .filter(|(_, &v)| v > 0.0 && v.is_finite())
            .map(|(k, &v)| (k as f64, v.ln()))
            .collect();
        least_squares_slope(&points)
    }

    /// `‖∂L/∂x‖` at the first step the forward scan ran.
    pub fn dx_first(&self) -> f64 {
        scan_order(&self.dx, self.reverse)
            .first()
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// `‖∂L/∂x‖` at the last step the forward scan ran.
    pub fn dx_last(&self) -> f64 {
        scan_order(&self.dx, self.reverse)
            .last()
            .copied()
            .unwrap_or(f64::NAN)
    }
}

impl GateStats {
    /// The fraction of saturated activations over all gates.
    pub fn saturated_overall(&self) -> f64 {
        mean(&self.saturated)
    }
}

/// The diagnostics of every recurrent kernel recorded on `tape` (empty unless it is a
/// [`Tape::diagnosing`] tape).
pub fn layers<E: Element>(tape: &Tape<E>) -> Vec<LayerDiagnostics> {
    summarize(&tape.recurrent_diagnostics().unwrap_or_default())
}

/// The typed summary of raw records, in their order.
pub fn summarize(records: &[RecurrentRecord]) -> Vec<LayerDiagnostics> {
    records
        .iter()
        .enumerate()
        .map(|(index, r)| LayerDiagnostics {
            index,
            cell: r.cell,
            reverse: r.reverse,
            flow: r
                .dh_sq
                .as_ref()
                .zip(r.dx_sq.as_ref())
                .map(|(dh, dx)| GradientFlow {
                    dh: per_step_l2(dh, r.steps),
                    dx: per_step_l2(dx, r.steps),
                    reverse: r.reverse,
                }),
            gates: gate_stats(r),
            hidden_norms: hidden_norms(r),
        })
        .collect()
}

/// The diagnostics as flat `diag_*` metrics (for a log line):
///
/// - `diag_layers`: the number of recurrent kernels;
/// - `diag_grad_h_first`, `diag_grad_h_last`, `diag_grad_h_ratio`, `diag_grad_h_log_slope`,
///   `diag_grad_x_first`, `diag_grad_x_last`: the gradient flow of the first kernel (the bottom
///   layer's forward direction), see [`GradientFlow`];
/// - `diag_saturated`: the fraction of saturated gate activations over every kernel;
/// - `diag_hidden_norm`: the mean `‖h_t‖` over every kernel and step;
/// - per kernel `k` of the first [`FLAT_LAYERS`]: `diag_l{k}_grad_h_first`, `_grad_h_last`,
///   `_grad_h_ratio`, `_saturated`, `_hidden_norm`.
pub fn flat_metrics(layers: &[LayerDiagnostics]) -> Metrics {
    let mut m = Metrics::new().with("diag_layers", layers.len() as f64);
    let flow = layers.first().and_then(|l| l.flow.as_ref());
    let of = |f: fn(&GradientFlow) -> f64| flow.map_or(f64::NAN, f);
    m.insert("diag_grad_h_first", of(GradientFlow::first));
    m.insert("diag_grad_h_last", of(GradientFlow::last));
    m.insert("diag_grad_h_ratio", of(GradientFlow::ratio));
    m.insert("diag_grad_h_log_slope", of(GradientFlow::log_slope));
    m.insert("diag_grad_x_first", of(GradientFlow::dx_first));
    m.insert("diag_grad_x_last", of(GradientFlow::dx_last));
    let (saturated, count) = layers.iter().fold((0.0, 0.0), |(s, n), l| {
        let c = l.gates.count as f64 * l.gates.names.len() as f64;
        (s + l.gates.saturated_overall() * c, n + c)
    });
    m.insert("diag_saturated", saturated / count);
    let norms: Vec<f64> = layers
        .iter()
        .flat_map(|l| l.hidden_norms.iter().copied())
        .collect();
    m.insert("diag_hidden_norm", mean(&norms));
    for l in layers.iter().take(FLAT_LAYERS) {
        let k = l.index;
        let flow = l.flow.as_ref();
        let of = |f: fn(&GradientFlow) -> f64| flow.map_or(f64::NAN, f);
        m.insert(&format!("diag_l{k}_grad_h_first"), of(GradientFlow::first));
        m.insert(&format!("diag_l{k}_grad_h_last"), of(GradientFlow::last));
        m.insert(&format!("diag_l{k}_grad_h_ratio"), of(GradientFlow::ratio));
        m.insert(&format!("diag_l{k}_saturated"), l.gates.saturated_overall());
        m.insert(&format!("diag_l{k}_hidden_norm"), mean(&l.hidden_norms));
    }
    m
}

/// Per step, the L2 norm over rows from squared norms `[B, T]`.
fn per_step_l2(sq: &[f64], t: usize) -> Vec<f64> {
    (0..t)
        .map(|time| sq.iter().skip(time).step_by(t).sum::<f64>().sqrt())
        .collect()
}

/// Per step, the mean `‖h_t‖` over the rows active at that step (0 when none is).
fn hidden_norms(r: &RecurrentRecord) -> Vec<f64> {
    (0..r.steps)
        .map(|time| {
            let rows: Vec<f64> = (0..r.batch)
                .filter(|&row| r.active(row, time))
                .map(|row| r.h_sq[row * r.steps + time].sqrt())
                .collect();
            if rows.is_empty() {
                0.0
            } else {
                mean(&rows)
            }
        })
        .collect()
}

/// The gate statistics of a record.
fn gate_stats(r: &RecurrentRecord) -> GateStats {
    let n = r.gate_count as f64;
    GateStats {
        names: gate_names(r.cell).to_vec(),
        means: r.gate_sums.iter().map(|s| s / n).collect(),
        saturated: r.gate_saturated.iter().map(|&s| s as f64 / n).collect(),
        count: r.gate_count,
    }
}

/// `values` in scan order: reversed for a reverse direction.
fn scan_order(values: &[f64], reverse: bool) -> Vec<f64> {
    let mut v = values.to_vec();
    if reverse {
        v.reverse();
    }
    v
}

/// The mean, NaN when empty.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The least-squares slope of `y` against `x`; NaN with fewer than two points.
fn least_squares_slope(points: &[(f64, f64)]) -> f64 {
    if points.len() < 2 {
        return f64::NAN;
    }
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    sxy / sxx
}
