//! Fused recurrent kernels: a cell run over a whole sequence (or one step) as a single op with a
//! hand-written backward. The gate math lives in `cell.rs`, the time loop in `scan.rs`.

mod cell;
mod scan;

pub use cell::{Activation, CellKind};

use crate::element::Element;
use crate::op::Op;
use crate::ops::same_tape;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::Tensor;
use scan::{Dims, ScanSaved};

/// How a recurrent kernel runs: which cell, in which direction, over which true lengths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecurrentSpec {
    /// The cell.
    pub cell: CellKind,
    /// Run from the last step to the first (the backward direction of a bidirectional layer).
    pub reverse: bool,
    /// True length of each sequence; steps at or past it leave the state unchanged.
    pub lengths: Option<Vec<usize>>,
}

/// The inputs and saved state of one recurrent kernel on the tape.
pub struct Recurrent<E: Element> {
    spec: RecurrentSpec,
    dims: Dims,
    gx: NodeId,
    w_hh: NodeId,
    b_hh: NodeId,
    h0: NodeId,
    c0: Option<NodeId>,
    saved: ScanSaved<E>,
}

impl<E: Element> Recurrent<E> {
    /// The input node ids (gx, w_hh, b_hh, h0, then c0 if any).
    pub(crate) fn inputs(&self) -> Vec<NodeId> {
        [self.gx, self.w_hh, self.b_hh, self.h0]
            .into_iter()
            .chain(self.c0)
            .collect()
    }

    /// The cell this kernel runs.
    pub fn cell(&self) -> CellKind {
        self.spec.cell
    }
}

impl<'t, E: Element> Var<'t, E> {
    /// Runs a recurrent cell over every step of `self`, the input projection `W_ih·x + b_ih` of
    /// shape `[B, T, G·H]`, from `h0` (and `c0` for an LSTM) `[B, H]`, with `w_hh` `[G·H, H]` and
    /// `b_hh` `[G·H]` in PyTorch's gate order.
    ///
    /// Returns the state after every step, `[B, T, S·H]`: h, then c for an LSTM. Steps at or past a
    /// sequence's length carry the state unchanged, so the last processed step holds `h_n`.
    pub fn recurrent(
        self,
        w_hh: Var<'t, E>,
        b_hh: Var<'t, E>,
        h0: Var<'t, E>,
        c0: Option<Var<'t, E>>,
        spec: &RecurrentSpec,
    ) -> Var<'t, E> {
        same_tape("recurrent", &[self, w_hh, b_hh, h0]);
        let (gx, w, bias, h_init) = (self.value(), w_hh.value(), b_hh.value(), h0.value());
        let cell = spec.cell;
        let (g, s) = (cell.gates(), cell.states());
        assert!(
            w.rank() == 2 && w.dim(0) == g * w.dim(1),
            "recurrent: weight_hh of shape {:?} does not fit a {} cell ({}·H rows, H columns)",
            w.shape(),
            cell.torch_name(),
            g
        );
        let h = w.dim(1);
        assert!(
            h > 0,
            "recurrent: weight_hh of shape {:?} has hidden size 0",
            w.shape()
        );
        assert!(
            gx.rank() == 3 && gx.dim(2) == g * h,
            "recurrent: input projection of shape {:?} for weight_hh {:?} (expected [B, T, {}])",
            gx.shape(),
            w.shape(),
            g * h
        );
        let (b, t) = (gx.dim(0), gx.dim(1));
        assert!(
            bias.shape() == [g * h],
            "recurrent: bias_hh {:?} for G·H = {}",
            bias.shape(),
            g * h
        );
        assert!(
            h_init.shape() == [b, h],
            "recurrent: h0 {:?} for [B, H] = [{b}, {h}]",
            h_init.shape()
        );
        let c_init = c0.map(|c| {
            same_tape("recurrent", &[self, c]);
            c.value()
        });
        assert_eq!(
            c_init.is_some(),
            s == 2,
            "recurrent: c0 must be given for an LSTM and only for an LSTM"
        );
        if let Some(c) = &c_init {
            assert!(
                c.shape() == [b, h],
                "recurrent: c0 {:?} for [B, H] = [{b}, {h}]",
                c.shape()
            );
        }
        if let Some(l) = &spec.lengths {
            assert!(
                l.len() == b && l.iter().all(|&n| n <= t),
                "recurrent: lengths {l:?} for a batch of {b} sequences of {t} steps"
            );
        }
        let dims = Dims { b, t, h, g, s };
        let (states, saved) = scan::forward(
            cell,
            dims,
            gx.data(),
            w.data(),
            bias.data(),
            h_init.data(),
            c_init.as_ref().map(|c| c.data()),
            spec.lengths.as_deref(),
            spec.reverse,
            self.tape().grad_enabled()
                && [self, w_hh, b_hh, h0]
                    .iter()
                    .chain(&c0)
                    .any(|v| v.requires_grad()),
        );
        self.push(
            Tensor::new(&[b, t, s * h], states),
            Op::Recurrent(Box::new(Recurrent {
                spec: spec.clone(),
                dims,
                gx: self.id(),
                w_hh: w_hh.id(),
                b_hh: b_hh.id(),
                h0: h0.id(),
                c0: c0.map(|c| c.id()),
                saved,
            })),
        )
    }

    /// One step of a recurrent cell: `self` is the input projection `[B, G·H]`; returns `[B, S·H]`
    /// (h, then c for an LSTM). The same kernel as [`Var::recurrent`] with one step.
    pub fn recurrent_step(
        self,
        w_hh: Var<'t, E>,
        b_hh: Var<'t, E>,
        h: Var<'t, E>,
        c: Option<Var<'t, E>>,
        cell: CellKind,
    ) -> Var<'t, E> {
        let (b, gh) = (self.dim(0), self.dim(1));
        let spec = RecurrentSpec {
            cell,
            reverse: false,
            lengths: None,
        };
        let states = self.reshape(&[b, 1, gh]).recurrent(w_hh, b_hh, h, c, &spec);
        let width = states.dim(2);
        states.reshape(&[b, width])
    }
}

/// Backward of the whole scan in one pass, then each input takes its part.
pub(crate) fn backward<E: Element>(ctx: &mut Backward<'_, E>, r: &Recurrent<E>) {
    if !r.inputs().iter().any(|&i| ctx.needs(i)) {
        return;
    }
    let grads = scan::backward(
        r.spec.cell,
        r.dims,
        ctx.out.data(),
        &r.saved,
        ctx.grad.data(),
        ctx.value(r.w_hh).data(),
        r.spec.lengths.as_deref(),
        r.spec.reverse,
    );
    ctx.give(r.gx, |_| grads.gx);
    ctx.give(r.w_hh, |_| grads.w_hh);
    ctx.give(r.b_hh, |_| grads.b_hh);
    ctx.give(r.h0, |_| grads.h0);
    if let (Some(c0), Some(g)) = (r.c0, grads.c0) {
        ctx.give(c0, |_| g);
    }
}
