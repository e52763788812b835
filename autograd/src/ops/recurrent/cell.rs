//! The gate math of one time step for one batch row, per cell kind: forward and backward side by side.
//!
//! `gx` is the input projection `W_ih·x + b_ih` and `gh` the recurrent one `W_hh·h + b_hh`, both in
//! PyTorch's gate order (LSTM i,f,g,o; GRU r,z,n; Elman one gate).

use crate::element::Element;
use std::mem::MaybeUninit;

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

/// An output element the kernels write without reading: buffers of them need not be zeroed first.
pub(crate) type Out<E> = MaybeUninit<E>;

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
    /// New hidden state `[H]` (written, not read: it may start uninitialized).
    pub h: &'a mut [Out<E>],
    /// New cell state `[H]` (LSTM only, else empty).
    pub c: &'a mut [Out<E>],
    /// Activated gates saved for backward `[G·H]`.
    pub gates: &'a mut [Out<E>],
    /// A layer-normalized LSTM: its h comes from the normalized cell state, written after this
    /// step's gate math (by `norm.rs`), so the gate math leaves `h` unwritten.
    pub normed: bool,
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
    /// Gradient w.r.t. the input projection `[G·H]` (written, not read).
    pub dgx: &'a mut [Out<E>],
    /// Gradient w.r.t. the recurrent projection `[G·H]` (GRU only: for the other cells it equals
    /// `dgx`, and this is empty).
    pub dgh: &'a mut [Out<E>],
    /// A layer-normalized LSTM: the path through its output (the gradient of the output gate, and
    /// dh's part of dc) was already taken (by `norm.rs`), so the gate math starts from dc alone.
    pub normed: bool,
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
        match self {
            CellKind::Elman(act) => {
                elman_forward(act, [r.gx, r.gh], r.h, &mut r.gates[..n]);
            }
            CellKind::Lstm => {
                let [gi, gf, gg, go] = blocks4_mut(r.gates, n);
                let (x, hh) = (blocks(r.gx, n), blocks(r.gh, n));
                if r.normed {
                    lstm_forward::<E, false>(x, hh, r.c_prev, gi, gf, gg, go, r.c, r.h);
                } else {
                    lstm_forward::<E, true>(x, hh, r.c_prev, gi, gf, gg, go, r.c, r.h);
                }
            }
            CellKind::Gru => {
                let [gr, gz, gn] = blocks3_mut(r.gates, n);
                let (x, hh) = (blocks(r.gx, n), blocks(r.gh, n));
                gru_forward(x, hh, r.h_prev, gr, gz, gn, r.h);
            }
        }
    }

    /// Backward of one step for one row: gate gradients, and the direct (non-GEMM) part of the
    /// gradients of the previous states.
    #[inline(always)]
    pub(crate) fn backward_row<E: Element>(self, r: RowBackward<'_, E>) {
        let n = r.dh.len();
        match self {
            CellKind::Elman(act) => elman_backward(act, r.h, r.dh, r.dgx),
            CellKind::Lstm => {
                let [di, df, dg, d_o] = blocks4_mut(r.dgx, n);
                let gates = blocks(r.gates, n);
                if r.normed {
                    lstm_backward::<E, false>(gates, [r.c_prev, r.c], r.dh, r.dc, di, df, dg, d_o);
                } else {
                    lstm_backward::<E, true>(gates, [r.c_prev, r.c], r.dh, r.dc, di, df, dg, d_o);
                }
            }
            CellKind::Gru => {
                let [dxr, dxz, dxn] = blocks3_mut(r.dgx, n);
                let [dhr, dhz, dhn] = blocks3_mut(r.dgh, n);
                let gates = blocks(r.gates, n);
                let (hn, h_prev) = (&r.gh[2 * n..], r.h_prev);
                gru_backward(gates, [hn, h_prev], r.dh, dxr, dxz, dxn, dhr, dhz, dhn);
            }
        }
    }
}

// The gate math of each cell over one row of `n` units. Every slice written is its own parameter
// (an array of `&mut` is destructured into them first): the compiler then knows that no two
// overlap, and vectorizes each loop without checking for overlaps at run time (a few hundred
// instructions per call, as much as the math itself for small H).

/// Elman forward: `h = act(gx + gh)`, also kept as the saved gate.
#[inline(always)]
fn elman_forward<E: Element>(
    act: Activation,
    [gx, gh]: [&[E]; 2],
    h: &mut [Out<E>],
    keep: &mut [Out<E>],
) {
    let n = h.len();
    let (gx, gh, keep) = (&gx[..n], &gh[..n], &mut keep[..n]);
    for j in 0..n {
        let pre = gx[j] + gh[j];
        let v = match act {
            Activation::Tanh => pre.fast_tanh(),
            Activation::Relu => pre.max(E::zero()),
        };
        h[j].write(v);
        keep[j].write(v);
    }
}

/// LSTM forward from the input and recurrent pre-activations `x`, `hh` of gates i, f, g, o; with
/// `OUTPUT`, also `h = o ⊙ tanh(c)` (a layer-normalized cell writes its h afterwards).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn lstm_forward<E: Element, const OUTPUT: bool>(
    x: [&[E]; 4],
    hh: [&[E]; 4],
    c_prev: &[E],
    gi: &mut [Out<E>],
    gf: &mut [Out<E>],
    gg: &mut [Out<E>],
    go: &mut [Out<E>],
    c: &mut [Out<E>],
    h: &mut [Out<E>],
) {
    let n = h.len();
    let ([xi, xf, xg, xo], [hi, hf, hg, ho]) = (x, hh);
    let (gi, gf, gg, go) = (&mut gi[..n], &mut gf[..n], &mut gg[..n], &mut go[..n]);
    let (c_prev, c) = (&c_prev[..n], &mut c[..n]);
    for j in 0..n {
        let i = (xi[j] + hi[j]).fast_sigmoid();
        let f = (xf[j] + hf[j]).fast_sigmoid();
        let g = (xg[j] + hg[j]).fast_tanh();
        let o = (xo[j] + ho[j]).fast_sigmoid();
        let c_new = f * c_prev[j] + i * g;
        gi[j].write(i);
        gf[j].write(f);
        gg[j].write(g);
        go[j].write(o);
        c[j].write(c_new);
        if OUTPUT {
            h[j].write(o * c_new.fast_tanh());
        }
    }
}
/// GRU forward (reset after the recurrent product) from the pre-activations `x`, `hh` of gates
/// r, z, n.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn gru_forward<E: Element>(
    x: [&[E]; 3],
    hh: [&[E]; 3],
    h_prev: &[E],
    gr: &mut [Out<E>],
    gz: &mut [Out<E>],
    gn: &mut [Out<E>],
    h: &mut [Out<E>],
) {
    let (n, one) = (h.len(), E::one());
    let ([xr, xz, xn], [hr, hz, hn]) = (x, hh);
    let (gr, gz, gn, h_prev) = (&mut gr[..n], &mut gz[..n], &mut gn[..n], &h_prev[..n]);
    for j in 0..n {
        let r = (xr[j] + hr[j]).fast_sigmoid();
        let z = (xz[j] + hz[j]).fast_sigmoid();
        let g = (xn[j] + r * hn[j]).fast_tanh();
        gr[j].write(r);
        gz[j].write(z);
        gn[j].write(g);
        h[j].write((one - z) * g + z * h_prev[j]);
    }
}

/// Elman backward: the gate gradient from dh through the activation; dh is then cleared (the
/// recurrent GEMM adds the rest of dh_prev).
#[inline(always)]
fn elman_backward<E: Element>(act: Activation, h: &[E], dh: &mut [E], dgx: &mut [Out<E>]) {
    let (n, one) = (dh.len(), E::one());
    let (h, dgx) = (&h[..n], &mut dgx[..n]);
    for j in 0..n {
        dgx[j].write(match act {
            Activation::Tanh => dh[j] * (one - h[j] * h[j]),
            Activation::Relu if h[j] > E::zero() => dh[j],
            Activation::Relu => E::zero(),
        });
        dh[j] = E::zero();
    }
}

/// LSTM backward from the saved gates i, f, g, o and the cell states before and after the step:
/// the gate gradients, dc replaced by dc_prev, dh cleared. With `OUTPUT`, the path through
/// `h = o ⊙ tanh(c)` is taken here; without, it was taken before (a layer-normalized cell's,
/// which also wrote the output gate's gradient).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn lstm_backward<E: Element, const OUTPUT: bool>(
    gates: [&[E]; 4],
    [c_prev, c]: [&[E]; 2],
    dh: &mut [E],
    dc: &mut [E],
    di: &mut [Out<E>],
    df: &mut [Out<E>],
    dg: &mut [Out<E>],
    d_o: &mut [Out<E>],
) {
    let (n, one) = (dh.len(), E::one());
    let [i, f, g, o] = gates;
    let (c_prev, c, dc) = (&c_prev[..n], &c[..n], &mut dc[..n]);
    let (di, df, dg, d_o) = (&mut di[..n], &mut df[..n], &mut dg[..n], &mut d_o[..n]);
    for j in 0..n {
        let dct = if OUTPUT {
            let tc = c[j].fast_tanh();
            d_o[j].write(dh[j] * tc * o[j] * (one - o[j]));
            dc[j] + dh[j] * o[j] * (one - tc * tc)
        } else {
            dc[j]
        };
        di[j].write(dct * g[j] * i[j] * (one - i[j]));
        df[j].write(dct * c_prev[j] * f[j] * (one - f[j]));
        dg[j].write(dct * i[j] * (one - g[j] * g[j]));
        dc[j] = dct * f[j];
        dh[j] = E::zero();
    }
}

/// GRU backward from the saved gates r, z, n, the recurrent n pre-activation and h_prev: the
/// gradients of both projections (they differ in the n part), dh replaced by its direct part.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn gru_backward<E: Element>(
    gates: [&[E]; 3],
    [hn, h_prev]: [&[E]; 2],
    dh: &mut [E],
    dxr: &mut [Out<E>],
    dxz: &mut [Out<E>],
    dxn: &mut [Out<E>],
    dhr: &mut [Out<E>],
    dhz: &mut [Out<E>],
    dhn: &mut [Out<E>],
) {
    let (n, one) = (dh.len(), E::one());
    let [rg, z, nn] = gates;
    let (hn, h_prev) = (&hn[..n], &h_prev[..n]);
    let (dxr, dxz, dxn) = (&mut dxr[..n], &mut dxz[..n], &mut dxn[..n]);
    let (dhr, dhz, dhn) = (&mut dhr[..n], &mut dhz[..n], &mut dhn[..n]);
    for j in 0..n {
        let dn = dh[j] * (one - z[j]) * (one - nn[j] * nn[j]);
        let dz = dh[j] * (h_prev[j] - nn[j]) * z[j] * (one - z[j]);
        let dr = dn * hn[j] * rg[j] * (one - rg[j]);
        dxr[j].write(dr);
        dhr[j].write(dr);
        dxz[j].write(dz);
        dhz[j].write(dz);
        dxn[j].write(dn);
        dhn[j].write(dn * rg[j]);
        dh[j] *= z[j];
    }
}

/// The G gate blocks of a row, each `n` long. (Built by a loop: `std::array::from_fn` and `map`
/// are not always inlined into the kernels, and cost a call per row.)
#[inline(always)]
fn blocks<E, const G: usize>(row: &[E], n: usize) -> [&[E]; G] {
    let row = &row[..G * n];
    let mut out = [&row[..0]; G];
    for (k, block) in out.iter_mut().enumerate() {
        *block = &row[k * n..(k + 1) * n];
    }
    out
}

/// The 3 gate blocks of a row (GRU), mutably, each `n` long.
#[inline(always)]
fn blocks3_mut<E>(row: &mut [E], n: usize) -> [&mut [E]; 3] {
    let (a, rest) = row.split_at_mut(n);
    let (b, rest) = rest.split_at_mut(n);
    [a, b, &mut rest[..n]]
}

/// The 4 gate blocks of a row (LSTM), mutably, each `n` long.
#[inline(always)]
fn blocks4_mut<E>(row: &mut [E], n: usize) -> [&mut [E]; 4] {
    let (a, rest) = row.split_at_mut(n);
    let [b, c, d] = blocks3_mut(rest, n);
    [a, b, c, d]
}
