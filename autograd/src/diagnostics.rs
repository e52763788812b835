//! Gradient-flow diagnostics of the fused recurrent kernels (opt-in, see
//! [`Tape::diagnosing`](crate::Tape::diagnosing)).
//!
//! On a diagnosing tape every recurrent kernel ([`Var::recurrent`](crate::Var::recurrent), both
//! directions of [`Var::recurrent_pair`](crate::Var::recurrent_pair)) adds one
//! [`RecurrentRecord`], in the order the kernels run (op order on the tape; a pair adds its
//! forward direction, then its reverse one). The forward fills the hidden-state norms and the gate
//! statistics from the gates it saves for backward; a backward through the kernel fills the
//! per-step norms of `∂L/∂h_t` and `∂L/∂x_t`. A tape made with [`Tape::new`](crate::Tape::new)
//! records nothing and does no extra work.
//!
//! Everything is indexed `[row, time]` (row-major, `time` the position in the sequence, whatever
//! the direction) and holds squared L2 norms, so that norms over any set of rows can be formed
//! from them. A padded step (`time ≥ lengths[row]`) carries its state through unchanged: it is
//! not a step of that row, and its entries are 0 and left out of the gate statistics.

use crate::element::Element;
use crate::ops::recurrent::{Activation, CellKind};
use crate::tape::NodeId;

/// The raw diagnostics of one recurrent kernel run on a diagnosing tape.
#[derive(Clone, Debug, PartialEq)]
pub struct RecurrentRecord {
    /// The node of the kernel's output on the tape (both directions of a pair share one).
    pub node: NodeId,
    /// The cell the kernel ran.
    pub cell: CellKind,
    /// Whether it ran from the last step to the first.
    pub reverse: bool,
    /// The true length of each sequence, if given.
    pub lengths: Option<Vec<usize>>,
    /// Batch rows B.
    pub batch: usize,
    /// Steps T.
    pub steps: usize,
    /// Input size I.
    pub input: usize,
    /// Hidden size H.
    pub hidden: usize,
    /// `‖h_t‖²` of each row after each step, `[B, T]` (0 at padded steps).
    pub h_sq: Vec<f64>,
    /// Per gate (PyTorch's order, [`gate_names`]), the sum of its activations over the active
    /// (row, step, unit) entries.
    pub gate_sums: Vec<f64>,
    /// Per gate, how many active entries are saturated (see [`saturated`]).
    pub gate_saturated: Vec<u64>,
    /// Active (row, step, unit) entries per gate.
    pub gate_count: u64,
    /// `‖∂L/∂h_t‖²` of each row at each step, `[B, T]`, from the latest backward through the
    /// kernel (`None` before one): the whole gradient reaching the hidden state of step t, from
    /// the output at t and from step t+1 (the `dh` of the backward scan). For an LSTM, the h part
    /// only (not the cell state's).
    pub dh_sq: Option<Vec<f64>>,
    /// `‖∂L/∂x_t‖²` of each row at each step, `[B, T]`: the part of the gradient of the kernel's
    /// input that goes through this kernel, from the same backward.
    pub dx_sq: Option<Vec<f64>>,
}

/// The names of a cell's gates in PyTorch's order: LSTM i, f, g, o; GRU r, z, n; Elman h.
pub fn gate_names(cell: CellKind) -> &'static [&'static str] {
    match cell {
        CellKind::Lstm => &["i", "f", "g", "o"],
        CellKind::Gru => &["r", "z", "n"],
        CellKind::Elman(_) => &["h"],
    }
}

/// Whether activation `v` of gate `gate` of `cell` is saturated: a sigmoid gate below 0.05 or
/// above 0.95, a tanh one (LSTM g, GRU n, Elman tanh) beyond ±0.95, a ReLU unit at 0 (dead).
pub fn saturated(cell: CellKind, gate: usize, v: f64) -> bool {
    let tanh = |v: f64| v.abs() > 0.95;
    let sigmoid = |v: f64| !(0.05..=0.95).contains(&v);
    match (cell, gate) {
        (CellKind::Lstm, 2) | (CellKind::Gru, 2) | (CellKind::Elman(Activation::Tanh), _) => {
            tanh(v)
        }
        (CellKind::Elman(Activation::Relu), _) => v == 0.0,
        _ => sigmoid(v),
    }
}

/// The sizes of one kernel a record is made for.
pub(crate) struct RecordDims {
    pub node: NodeId,
    pub cell: CellKind,
    pub reverse: bool,
    pub lengths: Option<Vec<usize>>,
    pub b: usize,
    pub t: usize,
    pub i: usize,
    pub h: usize,
    /// The width of the hidden state: P with a projection, else H.
    pub p: usize,
}

impl RecurrentRecord {
    /// Whether step `time` of row `row` is a step of that sequence (not padding).
    pub fn active(&self, row: usize, time: usize) -> bool {
        self.lengths.as_ref().is_none_or(|l| time < l[row])
    }

    /// The forward part of a record, from the kernel's states `[B, T, S·H]` and saved gates
    /// `[B, T, G·H]`.
    pub(crate) fn forward<E: Element>(d: RecordDims, states: &[E], gates: &[E]) -> Self {
        let RecordDims {
            b, t, h, p, cell, ..
        } = d;
        let g = cell.gates();
        // Each state row: h (P wide), then c (H wide) for an LSTM.
        let width = p + (cell.states() - 1) * h;
        let mut rec = RecurrentRecord {
            node: d.node,
            cell,
            reverse: d.reverse,
            lengths: d.lengths,
            batch: b,
            steps: t,
            input: d.i,
            hidden: h,
            h_sq: vec![0.0; b * t],
            gate_sums: vec![0.0; g],
            gate_saturated: vec![0; g],
            gate_count: 0,
            dh_sq: None,
            dx_sq: None,
        };
        for row in 0..b {
            for time in 0..t {
                if !rec.active(row, time) {
                    continue;
                }
                let at = row * t + time;
                rec.h_sq[at] = squared_norm(&states[at * width..at * width + p]);
                rec.gate_count += h as u64;
                let row_gates = &gates[at * g * h..(at + 1) * g * h];
                for (gate, values) in row_gates.chunks_exact(h).enumerate() {
                    for v in values.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)) {
                        rec.gate_sums[gate] += v;
                        rec.gate_saturated[gate] += u64::from(saturated(cell, gate, v));
                    }
                }
            }
        }
        rec
    }

    /// Sets the backward part from the scan's `dh` norms `[B, T]` and the input gradient
    /// `[B, T, I]`.
    pub(crate) fn backward<E: Element>(&mut self, dh_sq: Vec<f64>, dx: &[E]) {
        let i = self.input;
        self.dh_sq = Some(dh_sq);
        self.dx_sq = Some(if i == 0 {
            vec![0.0; self.batch * self.steps]
        } else {
            dx.chunks_exact(i).map(squared_norm).collect()
        });
    }
}

/// `Σ v²` of `values`, in f64.
pub(crate) fn squared_norm<E: Element>(values: &[E]) -> f64 {
    values
        .iter()
        .map(|v| {
            let v = v.to_f64().unwrap_or(f64::NAN);
            v * v
        })
        .sum()
}
