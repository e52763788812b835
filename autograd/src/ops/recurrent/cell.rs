//! The gate math of one time step for one batch row, per cell kind: forward and backward side by side.
//!
//! `gx` is the input projection `W_ih·x + b_ih` and `gh` the recurrent one `W_hh·h + b_hh`, both in
//! PyTorch's gate order (LSTM i,f,g,o; GRU r,z,n; Elman one gate).

use crate::element::Element;
use crate::ops::unary::sigmoid;

/// The nonlinearity of an Elman cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `tanh`, PyTorch's default.
    Tanh,
    /// `max(0, x)`.
    Relu,
}

/// Which recurrent cell a kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Elman's simple recurrent cell `h = act(gx + gh)`, as `torch.nn.RNNCell`.
    Elman(Activation),
    /// Long short-term memory, as `torch.nn.LSTMCell`.
    Lstm,
    /// Gated recurrent unit in PyTorch's reset-after form, as `torch.nn.GRUCell`.
    Gru,
}

/// One row's buffers for the forward of a step.
pub(crate) struct RowForward<'a, E> {
    /// Input projection `[G·H]`.
    pub gx: &'a [E],
    /// Recurrent projection including `b_hh` `[G·H]`.
    pub gh: &'a [E],
    /// Previous hidden state `[H]`.
    pub h_prev: &'a [E],
    /// Previous cell state `[H]` (LSTM only, else empty).
    pub c_prev: &'a [E],
    /// New hidden state `[H]`.
    pub h: &'a mut [E],
    /// New cell state `[H]` (LSTM only, else empty).
    pub c: &'a mut [E],
    /// Activated gates saved for backward `[G·H]`.
    pub gates: &'a mut [E],
}

/// One row's buffers for the backward of a step.
pub(crate) struct RowBackward<'a, E> {
    /// Saved activated gates `[G·H]`.
    pub gates: &'a [E],
    /// The recurrent projection saved by the forward `[G·H]` (GRU reads its n part).
    pub gh: &'a [E],
    /// Previous hidden state `[H]`.
    pub h_prev: &'a [E],
    /// Previous cell state `[H]` (LSTM only).
    pub c_prev: &'a [E],
    /// This step's hidden state `[H]`.
    pub h: &'a [E],
    /// This step's cell state `[H]` (LSTM only).
    pub c: &'a [E],
    /// Gradient of the loss w.r.t. this step's h; replaced by the direct part of dh_prev.
    pub dh: &'a mut [E],
    /// Gradient w.r.t. this step's c (LSTM); replaced by dc_prev.
    pub dc: &'a mut [E],
    /// Gradient w.r.t. the input projection `[G·H]`.
    pub dgx: &'a mut [E],
    /// Gradient w.r.t. the recurrent projection `[G·H]`.
    pub dgh: &'a mut [E],
}

impl CellKind {
    /// The number of gates G (rows of `weight_hh` = G·H).
    pub fn gates(self) -> usize {
        match self {
            CellKind::Elman(_) => 1,
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }

    /// How many H-wide states the cell carries: 2 for the LSTM (h and c), else 1.
    pub fn states(self) -> usize {
        match self {
            CellKind::Lstm => 2,
            _ => 1,
        }
    }

    /// The PyTorch module this kind mirrors (`RNN`, `LSTM`, `GRU`).
    pub fn torch_name(self) -> &'static str {
        match self {
            CellKind::Elman(_) => "RNN",
            CellKind::Lstm => "LSTM",
            CellKind::Gru => "GRU",
        }
    }

    /// Forward of one step for one row.
    #[inline]
    pub(crate) fn forward_row<E: Element>(self, r: RowForward<'_, E>) {
        let hsz = r.h.len();
        let one = E::one();
        match self {
            CellKind::Elman(act) => {
                for j in 0..hsz {
                    let pre = r.gx[j] + r.gh[j];
                    let h = match act {
                        Activation::Tanh => pre.fast_tanh(),
                        Activation::Relu => pre.max(E::zero()),
                    };
                    r.h[j] = h;
                    r.gates[j] = h;
                }
            }
            CellKind::Lstm => {
                for j in 0..hsz {
                    let i = sigmoid(r.gx[j] + r.gh[j]);
                    let f = sigmoid(r.gx[hsz + j] + r.gh[hsz + j]);
                    let g = (r.gx[2 * hsz + j] + r.gh[2 * hsz + j]).fast_tanh();
                    let o = sigmoid(r.gx[3 * hsz + j] + r.gh[3 * hsz + j]);
                    let c = f * r.c_prev[j] + i * g;
                    r.c[j] = c;
                    r.h[j] = o * c.fast_tanh();
                    r.gates[j] = i;
                    r.gates[hsz + j] = f;
                    r.gates[2 * hsz + j] = g;
                    r.gates[3 * hsz + j] = o;
                }
            }
            CellKind::Gru => {
                for j in 0..hsz {
                    let rg = sigmoid(r.gx[j] + r.gh[j]);
                    let z = sigmoid(r.gx[hsz + j] + r.gh[hsz + j]);
                    let n = (r.gx[2 * hsz + j] + rg * r.gh[2 * hsz + j]).fast_tanh();
                    r.h[j] = (one - z) * n + z * r.h_prev[j];
                    r.gates[j] = rg;
                    r.gates[hsz + j] = z;
                    r.gates[2 * hsz + j] = n;
                }
            }
        }
    }

    /// Backward of one step for one row: gate gradients, and the direct (non-GEMM) part of the
    /// gradients of the previous states.
    #[inline]
    pub(crate) fn backward_row<E: Element>(self, r: RowBackward<'_, E>) {
        let hsz = r.dh.len();
        let one = E::one();
        match self {
            CellKind::Elman(act) => {
                for j in 0..hsz {
                    let h = r.h[j];
                    let d = match act {
                        Activation::Tanh => r.dh[j] * (one - h * h),
                        Activation::Relu if h > E::zero() => r.dh[j],
                        Activation::Relu => E::zero(),
                    };
                    r.dgx[j] = d;
                    r.dgh[j] = d;
                    r.dh[j] = E::zero();
                }
            }
            CellKind::Lstm => {
                for j in 0..hsz {
                    let (i, f) = (r.gates[j], r.gates[hsz + j]);
                    let (g, o) = (r.gates[2 * hsz + j], r.gates[3 * hsz + j]);
                    let tc = r.c[j].fast_tanh();
                    let dh = r.dh[j];
                    let dc = r.dc[j] + dh * o * (one - tc * tc);
                    let di = dc * g * i * (one - i);
                    let df = dc * r.c_prev[j] * f * (one - f);
                    let dg = dc * i * (one - g * g);
                    let d_o = dh * tc * o * (one - o);
                    for (k, d) in [di, df, dg, d_o].into_iter().enumerate() {
                        r.dgx[k * hsz + j] = d;
                        r.dgh[k * hsz + j] = d;
                    }
                    r.dc[j] = dc * f;
                    r.dh[j] = E::zero();
                }
            }
            CellKind::Gru => {
                for j in 0..hsz {
                    let (rg, z, n) = (r.gates[j], r.gates[hsz + j], r.gates[2 * hsz + j]);
                    let dh = r.dh[j];
                    let dn = dh * (one - z) * (one - n * n);
                    let dz = dh * (r.h_prev[j] - n) * z * (one - z);
                    let dr = dn * r.gh[2 * hsz + j] * rg * (one - rg);
                    r.dgx[j] = dr;
                    r.dgh[j] = dr;
                    r.dgx[hsz + j] = dz;
                    r.dgh[hsz + j] = dz;
                    r.dgx[2 * hsz + j] = dn;
                    r.dgh[2 * hsz + j] = dn * rg;
                    r.dh[j] = dh * z;
                }
            }
        }
    }
}
