//! Fused recurrent kernels: a cell run over a whole sequence (or one step) as a single op with a
//! hand-written backward, input projection included. The gate math lives in `cell.rs`, the time
//! loop in `scan.rs`.

mod cell;
mod masks;
mod norm;
mod projection;
mod scan;
mod units;

pub use cell::{Activation, CellKind};
pub use masks::RecurrentMasks;

use crate::diagnostics::{RecordDims, RecurrentRecord};
use crate::element::Element;
use crate::op::Op;
use crate::ops::matmul::{linear_input_grad, linear_weight_grad};
use crate::ops::same_tape;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::Tensor;
use scan::{Dims, ScanSaved};

impl<'t, E: Element> NormWeights<'t, E> {
    /// The gains as a list: gain_ih, gain_hh, then gain_c and bias_c for an LSTM.
    fn vars(&self) -> Vec<Var<'t, E>> {
        [self.gain_ih, self.gain_hh]
            .into_iter()
            .chain(self.cell.into_iter().flatten())
            .collect()
    }
}

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

/// The weights of one recurrent kernel, named and shaped as PyTorch's: `w_ih` `[G·H, I]`, `b_ih`
/// `[G·H]`, `w_hh` `[G·H, P]`, `b_hh` `[G·H]`, gates in PyTorch's order; for an LSTM with
/// projections (`nn.LSTM(proj_size=P)`) also `w_hr` `[P, H]`, else P = H.
#[derive(Clone, Copy)]
pub struct RecurrentWeights<'t, E: Element> {
    /// Input-to-hidden weight `[G·H, I]`.
    pub w_ih: Var<'t, E>,
    /// Input-to-hidden bias `[G·H]`.
    pub b_ih: Var<'t, E>,
    /// Hidden-to-hidden weight `[G·H, P]`.
    pub w_hh: Var<'t, E>,
    /// Hidden-to-hidden bias `[G·H]`.
    pub b_hh: Var<'t, E>,
    /// Projection of the hidden state `[P, H]` with 0 < P < H (LSTM only; PyTorch's `weight_hr`):
    /// h_t = W_hr·(o_t ⊙ tanh c_t). `None` for no projection.
    pub w_hr: Option<Var<'t, E>>,
    /// The gains of a layer-normalized cell, whose biases become the shifts of its normalized
    /// projections; `None` for PyTorch's plain cells.
    pub norm: Option<NormWeights<'t, E>>,
}

/// The gains of a layer-normalized cell (Ba, Kiros & Hinton 2016): each gate block of the input and
/// recurrent projections is normalized on its own, then scaled by its gain and shifted by `b_ih`
/// or `b_hh`; an LSTM also normalizes its cell state before the output tanh.
#[derive(Clone, Copy)]
pub struct NormWeights<'t, E: Element> {
    /// Gain of the normalized input projection `[G·H]`.
    pub gain_ih: Var<'t, E>,
    /// Gain of the normalized recurrent projection `[G·H]`.
    pub gain_hh: Var<'t, E>,
    /// Gain and shift of the normalized cell state `[H]` each (LSTM only).
    pub cell: Option<[Var<'t, E>; 2]>,
}

/// The weights and initial states of both directions of a bidirectional layer: index 0 the
/// forward direction's, index 1 the reverse one's (`c0` for an LSTM only).
#[derive(Clone, Copy)]
pub struct Directions<'t, E: Element> {
    /// Each direction's weights.
    pub w: [RecurrentWeights<'t, E>; 2],
    /// Each direction's initial hidden state `[B, P]` (P = H without projection).
    pub h0: [Var<'t, E>; 2],
    /// Each direction's initial cell state `[B, H]`.
    pub c0: [Option<Var<'t, E>>; 2],
}

/// The inputs and saved state of one recurrent kernel on the tape.
pub struct Recurrent<E: Element> {
    spec: RecurrentSpec,
    dims: Dims,
    x: NodeId,
    w_ih: NodeId,
    b_ih: NodeId,
    w_hh: NodeId,
    b_hh: NodeId,
    w_hr: Option<NodeId>,
    h0: NodeId,
    c0: Option<NodeId>,
    /// A layer-normalized cell's gain_ih, gain_hh, and (LSTM) gain_c, bias_c.
    norm: Vec<NodeId>,
    saved: ScanSaved<E>,
    /// The regularizer masks the forward applied (none when not regularized).
    masks: RecurrentMasks<E>,
    /// The index of this kernel's record on a diagnosing tape.
    diag: Option<usize>,
}

impl<E: Element> Recurrent<E> {
    /// The input node ids (x, w_ih, b_ih, w_hh, b_hh, h0, then c0 and w_hr if any).
    pub(crate) fn inputs(&self) -> Vec<NodeId> {
        [self.x, self.w_ih, self.b_ih, self.w_hh, self.b_hh, self.h0]
            .into_iter()
            .chain(self.c0)
            .chain(self.w_hr)
            .chain(self.norm.iter().copied())
            .collect()
    }

    /// The cell this kernel runs.
    pub fn cell(&self) -> CellKind {
        self.spec.cell
    }
}

/// One recurrent kernel's inputs, checked: its sizes, whether backward will need what the forward
/// saves, the input values (x, w_ih, b_ih, w_hh, b_hh, h0; c0; w_hr; a layer-normalized cell's
/// gains) and the regularizer masks.
struct Checked<E: Element> {
    dims: Dims,
    save: bool,
    values: [Tensor<E>; 6],
    c0: Option<Tensor<E>>,
    w_hr: Option<Tensor<E>>,
    norm: Vec<Tensor<E>>,
    masks: RecurrentMasks<E>,
}

impl<E: Element> Checked<E> {
    /// The scan's view of the values.
    fn scan_in<'a>(&'a self, spec: &'a RecurrentSpec) -> scan::ScanIn<'a, E> {
        let [x, w_ih, b_ih, w_hh, b_hh, h0] = &self.values;
        scan::ScanIn {
            x: x.data(),
            w_ih: w_ih.data(),
            b_ih: b_ih.data(),
            w_hh: w_hh.data(),
            b_hh: b_hh.data(),
            h0: h0.data(),
            c0: self.c0.as_ref().map(|c| c.data()),
            w_hr: self.w_hr.as_ref().map(|w| w.data()),
            lengths: spec.lengths.as_deref(),
            reverse: spec.reverse,
            norm: norm_in(
                b_ih.data(),
                b_hh.data(),
                &self.norm.iter().collect::<Vec<_>>(),
            ),
            masks: self.masks.view(),
        }
    }
}

/// The scan's view of a layer-normalized cell's gains (`[gain_ih, gain_hh]`, then `[gain_c,
/// bias_c]` for an LSTM) and shifts `b_ih`, `b_hh`; `None` without gains.
fn norm_in<'a, E: Element>(
    b_ih: &'a [E],
    b_hh: &'a [E],
    gains: &[&'a Tensor<E>],
) -> Option<norm::NormIn<'a, E>> {
    let value = |k: usize| gains.get(k).map_or(&[][..], |t| t.data());
    (!gains.is_empty()).then(|| norm::NormIn {
        gain_ih: value(0),
        bias_ih: b_ih,
        gain_hh: value(1),
        bias_hh: b_hh,
        gain_c: value(2),
        bias_c: value(3),
    })
}

impl<'t, E: Element> Var<'t, E> {
    /// Runs a recurrent cell over every step of `self`, the input sequence `[B, T, I]`, from `h0`
    /// `[B, P]` (and `c0` `[B, H]` for an LSTM), with the weights `w` in PyTorch's layout and gate
    /// order (P = H unless `w.w_hr` projects the hidden state).
    ///
    /// Each step projects its input (`W_ih·x + b_ih`) and the previous state (`W_hh·h + b_hh`),
    /// then applies the gates; the projection of the inputs is made step by step inside the scan,
    /// never stored for the whole sequence.
    ///
    /// Returns the state after every step, `[B, T, S·H]`: h, then c for an LSTM (`[B, T, P + H]`
    /// with a projection). Steps at or past a sequence's length carry the state unchanged, so the
    /// last processed step holds `h_n`.
    pub fn recurrent(
        self,
        w: RecurrentWeights<'t, E>,
        h0: Var<'t, E>,
        c0: Option<Var<'t, E>>,
        spec: &RecurrentSpec,
    ) -> Var<'t, E> {
        self.recurrent_masked(w, h0, c0, spec, RecurrentMasks::default())
    }

    /// [`Var::recurrent`] with regularizer masks applied inside the time loop: recurrent dropout
    /// of the state where it enters `W_hh`, and zoneout of each step's new state (see
    /// [`RecurrentMasks`]). The masks are constants: no gradient flows to them. Without masks, the
    /// bits of [`Var::recurrent`]. Not with a projection (`w.w_hr`).
    pub fn recurrent_masked(
        self,
        w: RecurrentWeights<'t, E>,
        h0: Var<'t, E>,
        c0: Option<Var<'t, E>>,
        spec: &RecurrentSpec,
        masks: RecurrentMasks<E>,
    ) -> Var<'t, E> {
        let mut dir = self.checked(w, h0, c0, spec, masks);
        let Dims { b, t, .. } = dir.dims;
        let (states, saved) = scan::forward(spec.cell, dir.dims, &dir.scan_in(spec), dir.save);
        let diag = self.record(spec, dir.dims, &states, &saved);
        let masks = std::mem::take(&mut dir.masks);
        let node = self.node(w, h0, c0, spec, dir.dims, saved, diag, masks);
        self.push(
            Tensor::new(&[b, t, dir.dims.width()], states),
            Op::Recurrent(Box::new(node)),
        )
    }

    /// Both directions of a bidirectional layer over `self` `[B, T, I]`: the states `[B, T, S·H]` of the forward and of the reverse
    /// direction.
    ///
    /// When training on fewer batch rows than two register tiles, one direction alone cannot keep
    /// two cores busy (its backward splits the batch), so the two run at the same time, one per
    /// core ([`Var::recurrent_pair`]). Otherwise they run one after the other, each on every
    /// thread: a large batch splits well, and without gradients a small one splits by hidden
    /// units; both beat a direction per core, and skip the pair's copies. The bits are the same
    /// either way.
    pub fn recurrent_bidirectional(
        self,
        dirs: Directions<'t, E>,
        cell: CellKind,
        lengths: Option<&[usize]>,
    ) -> [Var<'t, E>; 2] {
        let training = self.tape().grad_enabled();
        if training && self.dim(0) < 2 * crate::tensor::MR {
            let both = self.recurrent_pair(dirs, cell, lengths);
            let (b, t, width) = (both.dim(1), both.dim(2), both.dim(3));
            [0, 1].map(|dir| both.narrow(0, dir, 1).reshape(&[b, t, width]))
        } else {
            [false, true].map(|reverse| {
                let k = usize::from(reverse);
                let spec = RecurrentSpec {
                    cell,
                    reverse,
                    lengths: lengths.map(<[usize]>::to_vec),
                };
                self.recurrent(dirs.w[k], dirs.h0[k], dirs.c0[k], &spec)
            })
        }
    }

    /// Both directions of a bidirectional layer over `self` `[B, T, I]`, as one op that runs them
    /// at the same time (one per core). Returns `[2, B, T, S·H]`: each
    /// direction's states as [`Var::recurrent`] returns them, with the same bits.
    /// [`Var::recurrent_bidirectional`] chooses between this and two [`Var::recurrent`]s.
    pub fn recurrent_pair(
        self,
        dirs: Directions<'t, E>,
        cell: CellKind,
        lengths: Option<&[usize]>,
    ) -> Var<'t, E> {
        let specs = [false, true].map(|reverse| RecurrentSpec {
            cell,
            reverse,
            lengths: lengths.map(<[usize]>::to_vec),
        });
        let Directions { w, h0, c0 } = dirs;
        let dirs =
            [0, 1].map(|k| self.checked(w[k], h0[k], c0[k], &specs[k], RecurrentMasks::default()));
        let run = |k: usize| {
            scan::forward(
                cell,
                dirs[k].dims,
                &dirs[k].scan_in(&specs[k]),
                dirs[k].save,
            )
        };
        assert_eq!(
            dirs[0].dims.width(),
            dirs[1].dims.width(),
            "recurrent: the two directions' states differ in width"
        );
        let ((mut states, saved0), (states1, saved1)) = rayon::join(|| run(0), || run(1));
        let [spec0, spec1] = &specs;
        let diag0 = self.record(spec0, dirs[0].dims, &states, &saved0);
        let diag1 = self.record(spec1, dirs[1].dims, &states1, &saved1);
        states.extend_from_slice(&states1);
        let Dims { b, t, .. } = dirs[0].dims;
        let pair = [
            self.node(
                w[0],
                h0[0],
                c0[0],
                spec0,
                dirs[0].dims,
                saved0,
                diag0,
                Default::default(),
            ),
            self.node(
                w[1],
                h0[1],
                c0[1],
                spec1,
                dirs[1].dims,
                saved1,
                diag1,
                Default::default(),
            ),
        ];
        self.push(
            Tensor::new(&[2, b, t, dirs[0].dims.width()], states),
            Op::RecurrentPair(Box::new(pair)),
        )
    }

    /// Checks the shapes of one recurrent kernel's inputs and masks (panicking with what does not
    /// fit) and takes their values.
    fn checked(
        self,
        w: RecurrentWeights<'t, E>,
        h0: Var<'t, E>,
        c0: Option<Var<'t, E>>,
        spec: &RecurrentSpec,
        masks: RecurrentMasks<E>,
    ) -> Checked<E> {
        let RecurrentWeights {
            w_ih,
            b_ih,
            w_hh,
            b_hh,
            w_hr,
            norm,
        } = w;
        same_tape("recurrent", &[self, w_ih, b_ih, w_hh, b_hh, h0]);
        let (x, wi, bi) = (self.value(), w_ih.value(), b_ih.value());
        let (wh, bh, h_init) = (w_hh.value(), b_hh.value(), h0.value());
        let cell = spec.cell;
        let (g, s) = (cell.gates(), cell.states());
        let w_proj = w_hr.map(|w| {
            same_tape("recurrent", &[self, w]);
            w.value()
        });
        // The hidden size H and the width P of the hidden state: W_hr's `[P, H]`, else W_hh's.
        let (h, p) = match &w_proj {
            Some(wr) => {
                assert!(
                    cell == CellKind::Lstm
                        && wr.rank() == 2
                        && 0 < wr.dim(0)
                        && wr.dim(0) < wr.dim(1),
                    "recurrent: weight_hr of shape {:?} for a {} cell (an LSTM's [P, H], 0 < P < H)",
                    wr.shape(),
                    cell.torch_name()
                );
                (wr.dim(1), wr.dim(0))
            }
            None => (wh.dim(1), wh.dim(1)),
        };
        assert!(
            wh.rank() == 2 && wh.dim(0) == g * h && wh.dim(1) == p,
            "recurrent: weight_hh of shape {:?} does not fit a {} cell ({}·H rows, {} columns)",
            wh.shape(),
            cell.torch_name(),
            g,
            if w_proj.is_some() { "P" } else { "H" }
        );
        assert!(
            h > 0,
            "recurrent: weight_hh of shape {:?} has hidden size 0",
            wh.shape()
        );
        assert!(
            wi.rank() == 2 && wi.dim(0) == g * h,
            "recurrent: weight_ih of shape {:?} for weight_hh {:?} (expected [{}, I])",
            wi.shape(),
            wh.shape(),
            g * h
        );
        let i = wi.dim(1);
        assert!(
            x.rank() == 3 && x.dim(2) == i,
            "recurrent: input of shape {:?} for weight_ih {:?} (expected [B, T, {i}])",
            x.shape(),
            wi.shape()
        );
        let (b, t) = (x.dim(0), x.dim(1));
        for (name, bias) in [("bias_ih", &bi), ("bias_hh", &bh)] {
            assert!(
                bias.shape() == [g * h],
                "recurrent: {name} {:?} for G·H = {}",
                bias.shape(),
                g * h
            );
        }
        assert!(
            h_init.shape() == [b, p],
            "recurrent: h0 {:?} for [B, P] = [{b}, {p}]",
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
        assert!(
            w_proj.is_none() || masks.state.is_none() && masks.zoneout.is_none(),
            "recurrent: regularizer masks do not run with a projection (weight_hr)"
        );
        assert!(
            w_proj.is_none() || norm.is_none(),
            "recurrent: a layer-normalized cell takes no projection (weight_hr)"
        );
        for (name, mask, shape) in [
            ("state", &masks.state, vec![b, h]),
            ("zoneout", &masks.zoneout, vec![b, t, s * h]),
        ] {
            if let Some(m) = mask {
                assert!(
                    m.shape() == shape,
                    "recurrent: {name} mask {:?} for {shape:?} ([B, H] state, [B, T, S·H] zoneout)",
                    m.shape()
                );
            }
        }
        let gains = norm.map_or_else(Vec::new, |n| n.vars());
        same_tape("recurrent", &[&[self][..], &gains].concat());
        let norm = gains.iter().map(|v| v.value()).collect::<Vec<_>>();
        if !gains.is_empty() {
            let want = |k: usize| if k < 2 { g * h } else { h };
            assert!(
                gains.len() == 2 + 2 * usize::from(s == 2)
                    && norm.iter().enumerate().all(|(k, v)| v.shape() == [want(k)]),
                "recurrent: layer-norm gains of shapes {:?} do not fit a {} cell of hidden size {h} \
                 ([G·H], [G·H], and [H], [H] for an LSTM's cell state)",
                norm.iter().map(|v| v.shape().to_vec()).collect::<Vec<_>>(),
                cell.torch_name()
            );
        }
        let inputs = [&[self, w_ih, b_ih, w_hh, b_hh, h0][..], &gains].concat();
        let tape = self.tape();
        // A diagnosing tape keeps the gates for its gate statistics, with or without backward.
        let save = tape.is_diagnosing()
            || tape.grad_enabled()
                && inputs
                    .iter()
                    .chain(&c0)
                    .chain(&w_hr)
                    .any(|v| v.requires_grad());
        Checked {
            dims: Dims {
                b,
                t,
                i,
                h,
                g,
                s,
                p,
            },
            save,
            values: [x, wi, bi, wh, bh, h_init],
            c0: c_init,
            w_hr: w_proj,
            norm,
            masks,
        }
    }

    /// On a diagnosing tape, the forward part of the diagnostics of a kernel about to be pushed,
    /// from its states and saved gates; its index among the tape's records.
    fn record(
        self,
        spec: &RecurrentSpec,
        d: Dims,
        states: &[E],
        saved: &ScanSaved<E>,
    ) -> Option<usize> {
        let tape = self.tape();
        tape.add_record(|| {
            let dims = RecordDims {
                node: tape.len(),
                cell: spec.cell,
                reverse: spec.reverse,
                lengths: spec.lengths.clone(),
                b: d.b,
                t: d.t,
                i: d.i,
                h: d.h,
                p: d.p,
            };
            RecurrentRecord::forward(dims, states, &saved.gates)
        })
    }

    /// The tape's record of one recurrent kernel run over `self`.
    #[allow(clippy::too_many_arguments)]
    fn node(
        self,
        w: RecurrentWeights<'t, E>,
        h0: Var<'t, E>,
        c0: Option<Var<'t, E>>,
        spec: &RecurrentSpec,
        dims: Dims,
        saved: ScanSaved<E>,
        diag: Option<usize>,
        masks: RecurrentMasks<E>,
    ) -> Recurrent<E> {
        Recurrent {
            spec: spec.clone(),
            dims,
            x: self.id(),
            w_ih: w.w_ih.id(),
            b_ih: w.b_ih.id(),
            w_hh: w.w_hh.id(),
            b_hh: w.b_hh.id(),
            w_hr: w.w_hr.map(|w| w.id()),
            h0: h0.id(),
            c0: c0.map(|c| c.id()),
            norm: w
                .norm
                .map_or_else(Vec::new, |n| n.vars().iter().map(|v| v.id()).collect()),
            saved,
            masks,
            diag,
        }
    }

    /// One step of a recurrent cell: `self` is the input `[B, I]`; returns `[B, S·H]` (h, then c
    /// for an LSTM; `[B, P + H]` with a projection). The same kernel as [`Var::recurrent`] with one
    /// step.
    pub fn recurrent_step(
        self,
        w: RecurrentWeights<'t, E>,
        h: Var<'t, E>,
        c: Option<Var<'t, E>>,
        cell: CellKind,
    ) -> Var<'t, E> {
        let (b, i) = (self.dim(0), self.dim(1));
        let spec = RecurrentSpec {
            cell,
            reverse: false,
            lengths: None,
        };
        let states = self.reshape(&[b, 1, i]).recurrent(w, h, c, &spec);
        let width = states.dim(2);
        states.reshape(&[b, width])
    }
}

/// Backward of the whole scan in one pass, then each input takes its part: the input projection's
/// gradients are a linear layer's, from the gradient of the input pre-activations.
pub(crate) fn backward<E: Element>(ctx: &mut Backward<'_, E>, r: &Recurrent<E>) {
    if !r.inputs().iter().any(|&i| ctx.needs(i)) {
        return;
    }
    let w_hr = r.w_hr.map(|w| ctx.value(w));
    let grads = r.scan_backward(&r.values(ctx), w_hr, ctx.out.data(), ctx.grad.data());
    r.give(ctx, grads);
}

/// Backward of both directions of [`Var::recurrent_pair`], at the same time.
pub(crate) fn backward_pair<E: Element>(ctx: &mut Backward<'_, E>, pair: &[Recurrent<E>; 2]) {
    if !pair
        .iter()
        .flat_map(Recurrent::inputs)
        .any(|i| ctx.needs(i))
    {
        return;
    }
    let [fwd, rev] = pair;
    let (g_fwd, g_rev) = {
        let half = ctx.out.data().len() / 2;
        let (out, grad) = (
            ctx.out.data().split_at(half),
            ctx.grad.data().split_at(half),
        );
        let (v_fwd, v_rev) = (fwd.values(ctx), rev.values(ctx));
        let proj = |r: &Recurrent<E>| r.w_hr.map(|w| ctx.value(w));
        let (proj_fwd, proj_rev) = (proj(fwd), proj(rev));
        rayon::join(
            || fwd.scan_backward(&v_fwd, proj_fwd, out.0, grad.0),
            || rev.scan_backward(&v_rev, proj_rev, out.1, grad.1),
        )
    };
    fwd.give(ctx, g_fwd);
    rev.give(ctx, g_rev);
}

impl<E: Element> Recurrent<E> {
    /// The values of the weights the scan's backward reads: `w_hh`, `b_ih`, `b_hh`, then a
    /// layer-normalized cell's gains.
    fn values<'a>(&self, ctx: &'a Backward<'_, E>) -> Vec<&'a Tensor<E>> {
        [self.w_hh, self.b_ih, self.b_hh]
            .iter()
            .chain(&self.norm)
            .map(|&id| ctx.value(id))
            .collect()
    }

    /// The scan's backward, from this kernel's output `states` and their gradient `d_states`, with
    /// the weights' `values` ([`Recurrent::values`]) and an LSTMP's `w_hr`.
    fn scan_backward(
        &self,
        values: &[&Tensor<E>],
        w_hr: Option<&Tensor<E>>,
        states: &[E],
        d_states: &[E],
    ) -> scan::ScanGrads<E> {
        let (w_hh, b_ih, b_hh) = (values[0], values[1], values[2]);
        scan::backward(
            self.spec.cell,
            self.dims,
            states,
            &self.saved,
            d_states,
            w_hh.data(),
            w_hr.map(|w| w.data()),
            self.spec.lengths.as_deref(),
            self.spec.reverse,
            self.diag.is_some(),
            norm_in(b_ih.data(), b_hh.data(), &values[3..]),
            self.masks.view(),
        )
    }

    /// Gives each input its part of the scan's gradients.
    fn give(&self, ctx: &mut Backward<'_, E>, grads: scan::ScanGrads<E>) {
        let r = self;
        let Dims { b, t, i, h, g, .. } = r.dims;
        let dgx = grads.gx.reshape(&[b * t, g * h]);
        let dx = |c: &Backward<'_, E>| linear_input_grad(&dgx, c.value(r.w_ih)).reshape(&[b, t, i]);
        match r.diag {
            None => ctx.give(r.x, dx),
            Some(index) => {
                // Diagnosing: the input gradient is wanted even when x takes none.
                let dx = dx(ctx);
                ctx.record(index, |rec| rec.backward(grads.dh_sq, dx.data()));
                ctx.give(r.x, |_| dx);
            }
        }
        ctx.give(r.w_ih, |c| {
            linear_weight_grad(&dgx, &c.value(r.x).reshape(&[b * t, i]))
        });
        // The two biases share their gradient, except in the GRU (its reset gate scales gh's n
        // part) and in a layer-normalized cell (each shifts its own normalized projection).
        ctx.give(r.b_ih, |_| {
            grads.b_ih.clone().unwrap_or_else(|| grads.b_hh.clone())
        });
        ctx.give(r.w_hh, |_| grads.w_hh);
        ctx.give(r.b_hh, |_| grads.b_hh);
        ctx.give(r.h0, |_| grads.h0);
        if let (Some(c0), Some(g)) = (r.c0, grads.c0) {
            ctx.give(c0, |_| g);
        }
        if let (Some(w_hr), Some(g)) = (r.w_hr, grads.w_hr) {
            ctx.give(w_hr, |_| g);
        }
        for (&id, g) in r.norm.iter().zip(grads.norm.into_iter().flatten()) {
            ctx.give(id, |_| g);
        }
    }
}
