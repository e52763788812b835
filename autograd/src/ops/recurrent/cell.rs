//! The gate math of one time step for one batch row, per cell kind: forward and backward side by side.
//!
//! `gx` is the input projection `W_ih·x + b_ih` and `gh` the recurrent one `W_hh·h + b_hh`, both in
//! PyTorch's gate order (LSTM i,f,g,o; GRU r,z,n; Elman one gate).

use crate::element::Element;

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
    /// Gradient w.r.t. the recurrent projection `[G·H]` (GRU only: for the other cells it equals
    /// `dgx`, and this is empty).
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

    /// Whether the gradient of the recurrent projection differs from that of the input projection
    /// (only the GRU's, whose reset gate scales the n part of `gh`).
    pub(crate) fn separate_dgh(self) -> bool {
        self == CellKind::Gru
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
    #[inline(always)]
    pub(crate) fn forward_row<E: Element>(self, r: RowForward<'_, E>) {
        let n = r.h.len();
        let one = E::one();
        let (h_prev, h) = (&r.h_prev[..n], &mut r.h[..n]);
        match self {
            CellKind::Elman(act) => {
                let (gx, gh, keep) = (&r.gx[..n], &r.gh[..n], &mut r.gates[..n]);
                for j in 0..n {
                    let pre = gx[j] + gh[j];
                    h[j] = match act {
                        Activation::Tanh => pre.fast_tanh(),
                        Activation::Relu => pre.max(E::zero()),
                    };
                    keep[j] = h[j];
                }
            }
            CellKind::Lstm => {
                let [xi, xf, xg, xo] = split(r.gx, n);
                let [hi, hf, hg, ho] = split(r.gh, n);
                let [gi, gf, gg, go] = split_mut(r.gates, n);
                let (c_prev, c) = (&r.c_prev[..n], &mut r.c[..n]);
                for j in 0..n {
                    gi[j] = (xi[j] + hi[j]).fast_sigmoid();
                    gf[j] = (xf[j] + hf[j]).fast_sigmoid();
                    gg[j] = (xg[j] + hg[j]).fast_tanh();
                    go[j] = (xo[j] + ho[j]).fast_sigmoid();
                    c[j] = gf[j] * c_prev[j] + gi[j] * gg[j];
                    h[j] = go[j] * c[j].fast_tanh();
                }
            }
            CellKind::Gru => {
                let [xr, xz, xn] = split(r.gx, n);
                let [hr, hz, hn] = split(r.gh, n);
                let [gr, gz, gn] = split_mut(r.gates, n);
                for j in 0..n {
                    gr[j] = (xr[j] + hr[j]).fast_sigmoid();
                    gz[j] = (xz[j] + hz[j]).fast_sigmoid();
                    gn[j] = (xn[j] + gr[j] * hn[j]).fast_tanh();
                    h[j] = (one - gz[j]) * gn[j] + gz[j] * h_prev[j];
                }
            }
        }
    }

    /// Backward of one step for one row: gate gradients, and the direct (non-GEMM) part of the
    /// gradients of the previous states.
    #[inline(always)]
    pub(crate) fn backward_row<E: Element>(self, r: RowBackward<'_, E>) {
        let n = r.dh.len();
        let one = E::one();
        let dh = &mut r.dh[..n];
        match self {
            CellKind::Elman(act) => {
                let (h, dgx) = (&r.h[..n], &mut r.dgx[..n]);
                for j in 0..n {
                    dgx[j] = match act {
                        Activation::Tanh => dh[j] * (one - h[j] * h[j]),
                        Activation::Relu if h[j] > E::zero() => dh[j],
                        Activation::Relu => E::zero(),
                    };
                    dh[j] = E::zero();
                }
            }
            CellKind::Lstm => {
                let [i, f, g, o] = split(r.gates, n);
                let [di, df, dg, d_o] = split_mut(r.dgx, n);
                let (c_prev, c, dc) = (&r.c_prev[..n], &r.c[..n], &mut r.dc[..n]);
                for j in 0..n {
                    let tc = c[j].fast_tanh();
                    let dct = dc[j] + dh[j] * o[j] * (one - tc * tc);
                    di[j] = dct * g[j] * i[j] * (one - i[j]);
                    df[j] = dct * c_prev[j] * f[j] * (one - f[j]);
                    dg[j] = dct * i[j] * (one - g[j] * g[j]);
                    d_o[j] = dh[j] * tc * o[j] * (one - o[j]);
                    dc[j] = dct * f[j];
                    dh[j] = E::zero();
                }
            }
            CellKind::Gru => {
                let [rg, z, nn] = split(r.gates, n);
                let hn = &r.gh[2 * n..3 * n];
                let [dxr, dxz, dxn] = split_mut(r.dgx, n);
                let [dhr, dhz, dhn] = split_mut(r.dgh, n);
                let h_prev = &r.h_prev[..n];
                for j in 0..n {
                    let dn = dh[j] * (one - z[j]) * (one - nn[j] * nn[j]);
                    let dz = dh[j] * (h_prev[j] - nn[j]) * z[j] * (one - z[j]);
                    let dr = dn * hn[j] * rg[j] * (one - rg[j]);
                    dxr[j] = dr;
                    dhr[j] = dr;
                    dxz[j] = dz;
                    dhz[j] = dz;
                    dxn[j] = dn;
                    dhn[j] = dn * rg[j];
                    dh[j] *= z[j];
                }
            }
        }
    }
}

/// The G gate blocks of a row, each exactly `n` long (so loops over `0..n` need no bounds checks).
#[inline(always)]
fn split<E, const G: usize>(row: &[E], n: usize) -> [&[E]; G] {
    std::array::from_fn(|k| &row[k * n..(k + 1) * n])
}

/// The G gate blocks of a row, mutably.
#[inline(always)]
fn split_mut<E, const G: usize>(row: &mut [E], n: usize) -> [&mut [E]; G] {
    let mut rest = &mut row[..G * n];
    std::array::from_fn(|_| {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
        rest = tail;
        head
    })
}
