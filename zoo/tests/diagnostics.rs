//! Gradient-flow diagnostics (`Tape::diagnosing`, `zoo::diagnostics`) against the same recurrence
//! built of primitive ops in f64, with an explicit zero `δ_t` added to each step's hidden state
//! (`∂L/∂δ_t = ∂L/∂h_t`), and against central differences.

use autograd::{
    Activation, CellKind, Directions, RecurrentRecord, RecurrentSpec, RecurrentWeights, Rng, Tape,
    Tensor, Var,
};
use zoo::diagnostics::{self, flat_metrics, layers, GradientFlow};
use zoo::{Ctx, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer};

const CELLS: [CellKind; 4] = [
    CellKind::Elman(Activation::Tanh),
    CellKind::Elman(Activation::Relu),
    CellKind::Lstm,
    CellKind::Gru,
];

/// Sizes of a test problem.
#[derive(Clone, Copy)]
struct Size {
    b: usize,
    t: usize,
    i: usize,
    h: usize,
}

/// The values of one kernel's inputs: x, w_ih, b_ih, w_hh, b_hh, h0, c0.
#[derive(Clone)]
struct Values {
    x: Vec<f64>,
    w: [Vec<f64>; 4],
    h0: Vec<f64>,
    c0: Vec<f64>,
}

fn uniform(n: usize, scale: f64, rng: &mut Rng) -> Vec<f64> {
    (0..n).map(|_| rng.uniform_in(-scale, scale)).collect()
}

/// Weights large enough that some gates saturate, small enough that gradients stay moderate.
fn values(cell: CellKind, sz: Size, seed: u64) -> Values {
    let mut rng = Rng::new(seed);
    let gh = cell.gates() * sz.h;
    Values {
        x: uniform(sz.b * sz.t * sz.i, 1.5, &mut rng),
        w: [
            uniform(gh * sz.i, 1.2, &mut rng),
            uniform(gh, 0.5, &mut rng),
            uniform(gh * sz.h, 0.9, &mut rng),
            uniform(gh, 0.5, &mut rng),
        ],
        h0: uniform(sz.b * sz.h, 0.5, &mut rng),
        c0: uniform(sz.b * sz.h, 0.5, &mut rng),
    }
}

/// The kernel's inputs as leaves on `tape`: x, the weights, h0, c0 (LSTM).
struct Leaves<'t> {
    x: Var<'t, f64>,
    w: RecurrentWeights<'t, f64>,
    h0: Var<'t, f64>,
    c0: Option<Var<'t, f64>>,
}

fn leaves<'t>(tape: &'t Tape<f64>, cell: CellKind, sz: Size, v: &Values) -> Leaves<'t> {
    let gh = cell.gates() * sz.h;
    let var = |shape: &[usize], data: &[f64]| tape.var(Tensor::from_f64(shape, data));
    Leaves {
        x: var(&[sz.b, sz.t, sz.i], &v.x),
        w: RecurrentWeights {
            w_ih: var(&[gh, sz.i], &v.w[0]),
            b_ih: var(&[gh], &v.w[1]),
            w_hh: var(&[gh, sz.h], &v.w[2]),
            b_hh: var(&[gh], &v.w[3]),
            w_hr: None,
            norm: None,
        },
        h0: var(&[sz.b, sz.h], &v.h0),
        c0: (cell == CellKind::Lstm).then(|| var(&[sz.b, sz.h], &v.c0)),
    }
}

/// A seed for the states `[B, T, S·H]`, zero at padded steps.
fn seed(cell: CellKind, sz: Size, lengths: Option<&[usize]>, k: u64) -> Vec<f64> {
    let w = cell.states() * sz.h;
    let mut rng = Rng::new(1000 + k);
    (0..sz.b * sz.t * w)
        .map(|n| {
            let (row, time) = (n / (sz.t * w), n / w % sz.t);
            let on = lengths.is_none_or(|l| time < l[row]);
            if on {
                rng.uniform_in(-1.0, 1.0)
            } else {
                0.0
            }
        })
        .collect()
}

/// The kernel on a diagnosing tape, loss `Σ seed ⊙ states`: its single record and the loss.
fn kernel_record(
    cell: CellKind,
    sz: Size,
    v: &Values,
    spec: &RecurrentSpec,
    seed: &[f64],
) -> (RecurrentRecord, f64) {
    let tape = Tape::<f64>::diagnosing();
    let l = leaves(&tape, cell, sz, v);
    let states = l.x.recurrent(l.w, l.h0, l.c0, spec);
    let loss = (states * tape.constant(Tensor::from_f64(&states.shape(), seed))).sum();
    let value = loss.item();
    drop(loss.backward());
    let mut records = tape.recurrent_diagnostics().expect("a diagnosing tape");
    assert_eq!(records.len(), 1);
    (records.remove(0), value)
}

/// What the primitive graph gives: per `[row, time]` the grad of δ (∂L/∂h_t, `H` values) and of
/// x, the hidden states, and every gate activation per gate.
struct Primitive {
    loss: f64,
    dh: Vec<Vec<f64>>,
    dx: Vec<Vec<f64>>,
    h: Vec<Vec<f64>>,
    gates: Vec<Vec<f64>>,
}

/// The recurrence of `cell` over full sequences built of primitive ops (linear, tanh, sigmoid,
/// mul, add per step), with `delta[time]` `[B, H]` added to each step's hidden state.
fn primitive(
    cell: CellKind,
    sz: Size,
    v: &Values,
    reverse: bool,
    seed: &[f64],
    delta: &[f64],
) -> Primitive {
    let Size { b, t, h, .. } = sz;
    let tape = Tape::<f64>::new();
    let l = leaves(&tape, cell, sz, v);
    let deltas: Vec<Var<'_, f64>> = (0..t)
        .map(|time| {
            tape.var(Tensor::from_f64(
                &[b, h],
                &delta[time * b * h..(time + 1) * b * h],
            ))
        })
        .collect();
    let (mut hs, mut c) = (l.h0, l.c0);
    let mut out: Vec<Option<Var<'_, f64>>> = vec![None; t];
    let mut gate_vars: Vec<Vec<Var<'_, f64>>> = vec![Vec::new(); cell.gates()];
    let mut h_vars = vec![None; t];
    for step in 0..t {
        let time = if reverse { t - 1 - step } else { step };
        let x_t = l.x.narrow(1, time, 1).reshape(&[b, sz.i]);
        let gx = x_t.linear(l.w.w_ih, Some(l.w.b_ih));
        let gh = hs.linear(l.w.w_hh, Some(l.w.b_hh));
        let h_new = match cell {
            CellKind::Elman(act) => {
                let pre = gx + gh;
                let a = match act {
                    Activation::Tanh => pre.tanh(),
                    Activation::Relu => pre.relu(),
                };
                gate_vars[0].push(a);
                a
            }
            CellKind::Lstm => {
                let gate = |k: usize| part(gx, k, h) + part(gh, k, h);
                let (i, f, g, o) = (
                    gate(0).sigmoid(),
                    gate(1).sigmoid(),
                    gate(2).tanh(),
                    gate(3).sigmoid(),
                );
                for (k, g) in [i, f, g, o].into_iter().enumerate() {
                    gate_vars[k].push(g);
                }
                let c_new = f * c.expect("c0") + i * g;
                c = Some(c_new);
                o * c_new.tanh()
            }
            CellKind::Gru => {
                let r = (part(gx, 0, h) + part(gh, 0, h)).sigmoid();
                let z = (part(gx, 1, h) + part(gh, 1, h)).sigmoid();
                let n = (part(gx, 2, h) + r * part(gh, 2, h)).tanh();
                for (k, g) in [r, z, n].into_iter().enumerate() {
                    gate_vars[k].push(g);
                }
                // (1 - z)·n + z·h
                n + z * (hs - n)
            }
        };
        let h_new = h_new + deltas[time];
        h_vars[time] = Some(h_new);
        out[time] = Some(match c {
            Some(c) => Var::concat(&[h_new, c], 1),
            None => h_new,
        });
        hs = h_new;
    }
    let states = Var::stack(&out.into_iter().map(Option::unwrap).collect::<Vec<_>>(), 1);
    let loss = (states * tape.constant(Tensor::from_f64(&states.shape(), seed))).sum();
    let grads = loss.backward();
    let rows = |m: &Tensor<f64>, width: usize| -> Vec<Vec<f64>> {
        m.to_f64_vec().chunks(width).map(<[f64]>::to_vec).collect()
    };
    // [row, time] order: δ_t's gradient is [B, H] per time.
    let mut dh = vec![Vec::new(); b * t];
    let mut hv = vec![Vec::new(); b * t];
    for time in 0..t {
        let g = rows(&grads.wrt(deltas[time]), h);
        let hh = rows(&h_vars[time].unwrap().value(), h);
        for row in 0..b {
            dh[row * t + time] = g[row].clone();
            hv[row * t + time] = hh[row].clone();
        }
    }
    Primitive {
        loss: loss.item(),
        dh,
        dx: rows(&grads.wrt(l.x), sz.i),
        h: hv,
        gates: gate_vars
            .iter()
            .map(|vars| vars.iter().flat_map(|v| v.value().to_f64_vec()).collect())
            .collect(),
    }
}

/// Gate `k` of a `[B, G·H]` pre-activation.
fn part<'t>(v: Var<'t, f64>, k: usize, h: usize) -> Var<'t, f64> {
    v.narrow(1, k * h, h)
}

fn sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * (1.0 + want.abs()),
        "{what}: got {got}, want {want}"
    );
}

fn spec(cell: CellKind, reverse: bool, lengths: Option<Vec<usize>>) -> RecurrentSpec {
    RecurrentSpec {
        cell,
        reverse,
        lengths,
    }
}

const SZ: Size = Size {
    b: 3,
    t: 6,
    i: 2,
    h: 4,
};

#[test]
fn recorded_step_norms_match_the_primitive_graph_for_every_cell_and_direction() {
    for (c, &cell) in CELLS.iter().enumerate() {
        for reverse in [false, true] {
            let v = values(cell, SZ, 10 + c as u64);
            let s = seed(cell, SZ, None, c as u64);
            let (rec, loss) = kernel_record(cell, SZ, &v, &spec(cell, reverse, None), &s);
            let zero = vec![0.0; SZ.t * SZ.b * SZ.h];
            let p = primitive(cell, SZ, &v, reverse, &s, &zero);
            let what = format!("{cell:?} reverse {reverse}");
            assert_close(loss, p.loss, 1e-12, &format!("{what}: loss"));
            let (dh, dx) = (rec.dh_sq.as_ref().unwrap(), rec.dx_sq.as_ref().unwrap());
            for k in 0..SZ.b * SZ.t {
                assert_close(dh[k], sq(&p.dh[k]), 1e-9, &format!("{what}: ‖dh‖² at {k}"));
                assert_close(dx[k], sq(&p.dx[k]), 1e-9, &format!("{what}: ‖dx‖² at {k}"));
                assert_close(
                    rec.h_sq[k],
                    sq(&p.h[k]),
                    1e-12,
                    &format!("{what}: ‖h‖² at {k}"),
                );
            }
            // The summary: L2 over rows per step, in sequence order.
            let layer = &diagnostics::summarize(&[rec])[0];
            let flow = layer.flow.as_ref().unwrap();
            for time in 0..SZ.t {
                let want = (0..SZ.b)
                    .map(|row| sq(&p.dh[row * SZ.t + time]))
                    .sum::<f64>()
                    .sqrt();
                assert_close(flow.dh[time], want, 1e-9, &format!("{what}: ‖dh_{time}‖"));
                let want = (0..SZ.b)
                    .map(|row| sq(&p.dx[row * SZ.t + time]))
                    .sum::<f64>()
                    .sqrt();
                assert_close(flow.dx[time], want, 1e-9, &format!("{what}: ‖dx_{time}‖"));
                let want = (0..SZ.b)
                    .map(|row| sq(&p.h[row * SZ.t + time]).sqrt())
                    .sum::<f64>()
                    / SZ.b as f64;
                assert_close(
                    layer.hidden_norms[time],
                    want,
                    1e-12,
                    &format!("{what}: mean ‖h_{time}‖"),
                );
            }
            // The first step the scan ran is step 0 forward, the last step in reverse.
            let first = if reverse { SZ.t - 1 } else { 0 };
            assert_eq!(flow.first(), flow.dh[first], "{what}");
            assert_eq!(
                flow.ratio(),
                flow.dh[first] / flow.dh[SZ.t - 1 - first],
                "{what}"
            );
        }
    }
}

#[test]
fn recorded_step_norms_match_central_differences_of_the_primitive_graph() {
    let eps = 1e-6;
    for (c, &cell) in CELLS.iter().enumerate() {
        if cell == CellKind::Elman(Activation::Relu) {
            continue; // a kink of relu may lie within eps
        }
        let v = values(cell, SZ, 20 + c as u64);
        let s = seed(cell, SZ, None, 20 + c as u64);
        let (rec, _) = kernel_record(cell, SZ, &v, &spec(cell, false, None), &s);
        let dh = rec.dh_sq.unwrap();
        for (row, time) in [(0, 0), (1, 2), (2, SZ.t - 1)] {
            // ‖∂L/∂δ_t‖² of this row from central differences, one unit at a time.
            let numeric: f64 = (0..SZ.h)
                .map(|unit| {
                    let at = time * SZ.b * SZ.h + row * SZ.h + unit;
                    let mut delta = vec![0.0; SZ.t * SZ.b * SZ.h];
                    delta[at] = eps;
                    let up = primitive(cell, SZ, &v, false, &s, &delta).loss;
                    delta[at] = -eps;
                    let down = primitive(cell, SZ, &v, false, &s, &delta).loss;
                    let d = (up - down) / (2.0 * eps);
                    d * d
                })
                .sum();
            assert_close(
                dh[row * SZ.t + time],
                numeric,
                1e-6,
                &format!("{cell:?} row {row} step {time}"),
            );
        }
    }
}

#[test]
fn gate_statistics_match_the_gates_of_the_primitive_graph() {
    for (c, &cell) in CELLS.iter().enumerate() {
        let v = values(cell, SZ, 30 + c as u64);
        let s = seed(cell, SZ, None, 30 + c as u64);
        let (rec, _) = kernel_record(cell, SZ, &v, &spec(cell, false, None), &s);
        let zero = vec![0.0; SZ.t * SZ.b * SZ.h];
        let p = primitive(cell, SZ, &v, false, &s, &zero);
        let stats = &diagnostics::summarize(&[rec])[0].gates;
        assert_eq!(stats.names, autograd::diagnostics::gate_names(cell));
        let mut any_saturated = false;
        for (k, gate) in p.gates.iter().enumerate() {
            let n = gate.len() as f64;
            assert_eq!(stats.count as usize, gate.len());
            let mean = gate.iter().sum::<f64>() / n;
            let is_sigmoid = matches!(
                (cell, k),
                (CellKind::Lstm, 0 | 1 | 3) | (CellKind::Gru, 0 | 1)
            );
            let saturated = gate
                .iter()
                .filter(|&&v| match cell {
                    CellKind::Elman(Activation::Relu) => v == 0.0,
                    _ if is_sigmoid => !(0.05..=0.95).contains(&v),
                    _ => v.abs() > 0.95,
                })
                .count() as f64
                / n;
            any_saturated |= saturated > 0.0;
            assert_close(
                stats.means[k],
                mean,
                1e-12,
                &format!("{cell:?} gate {k} mean"),
            );
            assert_eq!(stats.saturated[k], saturated, "{cell:?} gate {k} saturated");
        }
        assert!(
            any_saturated,
            "{cell:?}: the test's weights saturate some gate"
        );
    }
}

/// The record of row `row` alone over its first `len` steps, unpadded.
fn row_alone(
    cell: CellKind,
    v: &Values,
    row: usize,
    len: usize,
    reverse: bool,
    s: &[f64],
) -> RecurrentRecord {
    let (t, i, h) = (SZ.t, SZ.i, SZ.h);
    let w = cell.states() * h;
    let one = Values {
        x: v.x[row * t * i..(row * t + len) * i].to_vec(),
        w: v.w.clone(),
        h0: v.h0[row * h..(row + 1) * h].to_vec(),
        c0: v.c0[row * h..(row + 1) * h].to_vec(),
    };
    let sz = Size { b: 1, t: len, i, h };
    kernel_record(
        cell,
        sz,
        &one,
        &spec(cell, reverse, None),
        &s[row * t * w..(row * t + len) * w],
    )
    .0
}

#[test]
fn padded_steps_add_nothing_and_each_row_matches_its_unpadded_run() {
    let lengths = vec![6, 3, 1];
    for (c, &cell) in CELLS.iter().enumerate() {
        for reverse in [false, true] {
            let v = values(cell, SZ, 40 + c as u64);
            let s = seed(cell, SZ, Some(&lengths), 40 + c as u64);
            let (rec, _) = kernel_record(
                cell,
                SZ,
                &v,
                &spec(cell, reverse, Some(lengths.clone())),
                &s,
            );
            let what = format!("{cell:?} reverse {reverse}");
            let (dh, dx) = (rec.dh_sq.as_ref().unwrap(), rec.dx_sq.as_ref().unwrap());
            let mut alone = Vec::new();
            for (row, &len) in lengths.iter().enumerate() {
                let one = row_alone(cell, &v, row, len, reverse, &s);
                for time in 0..SZ.t {
                    let k = row * SZ.t + time;
                    if time < len {
                        assert_close(
                            dh[k],
                            one.dh_sq.as_ref().unwrap()[time],
                            1e-10,
                            &format!("{what}: dh row {row} step {time}"),
                        );
                        assert_close(
                            dx[k],
                            one.dx_sq.as_ref().unwrap()[time],
                            1e-10,
                            &format!("{what}: dx row {row} step {time}"),
                        );
                        assert_close(
                            rec.h_sq[k],
                            one.h_sq[time],
                            1e-12,
                            &format!("{what}: h row {row} step {time}"),
                        );
                    } else {
                        assert_eq!(
                            (dh[k], dx[k], rec.h_sq[k]),
                            (0.0, 0.0, 0.0),
                            "{what}: padded row {row} step {time}"
                        );
                    }
                }
                alone.push(one);
            }
            // Gate statistics over the active steps only: the rows' own statistics pooled.
            let count: u64 = alone.iter().map(|r| r.gate_count).sum();
            assert_eq!(rec.gate_count, count, "{what}");
            assert_eq!(count as usize, lengths.iter().sum::<usize>() * SZ.h);
            for k in 0..cell.gates() {
                let sum: f64 = alone.iter().map(|r| r.gate_sums[k]).sum();
                let sat: u64 = alone.iter().map(|r| r.gate_saturated[k]).sum();
                assert_close(rec.gate_sums[k], sum, 1e-12, &format!("{what}: gate {k}"));
                assert_eq!(rec.gate_saturated[k], sat, "{what}: gate {k}");
            }
            // Mean ‖h_t‖ over the rows still running at t.
            let layer = &diagnostics::summarize(&[rec])[0];
            let active_at = |time: usize| (0..3).filter(|&r| time < lengths[r]).collect::<Vec<_>>();
            for time in 0..SZ.t {
                let rows = active_at(time);
                let want = rows
                    .iter()
                    .map(|&r| alone[r].h_sq[time].sqrt())
                    .sum::<f64>()
                    / rows.len() as f64;
                assert_close(
                    layer.hidden_norms[time],
                    want,
                    1e-12,
                    &format!("{what}: hidden norm {time}"),
                );
            }
        }
    }
}

#[test]
fn a_bidirectional_pair_records_both_directions_as_two_kernels_do() {
    let sz = Size { b: 2, ..SZ };
    let lengths = vec![6, 4];
    for (c, &cell) in CELLS.iter().enumerate() {
        let (vf, vr) = (
            values(cell, sz, 50 + c as u64),
            values(cell, sz, 60 + c as u64),
        );
        let w = cell.states() * sz.h;
        let s: Vec<f64> = [
            seed(cell, sz, Some(&lengths), 1),
            seed(cell, sz, Some(&lengths), 2),
        ]
        .concat();
        let run = |pair: bool| {
            let tape = Tape::<f64>::diagnosing();
            let (lf, lr) = (leaves(&tape, cell, sz, &vf), leaves(&tape, cell, sz, &vr));
            let x = lf.x;
            let out = if pair {
                let dirs = Directions {
                    w: [lf.w, lr.w],
                    h0: [lf.h0, lr.h0],
                    c0: [lf.c0, lr.c0],
                };
                x.recurrent_pair(dirs, cell, Some(&lengths))
            } else {
                let f = x.recurrent(
                    lf.w,
                    lf.h0,
                    lf.c0,
                    &spec(cell, false, Some(lengths.clone())),
                );
                let r = x.recurrent(lr.w, lr.h0, lr.c0, &spec(cell, true, Some(lengths.clone())));
                Var::stack(&[f, r], 0)
            };
            assert_eq!(out.shape(), [2, sz.b, sz.t, w]);
            drop(
                (out * tape.constant(Tensor::from_f64(&out.shape(), &s)))
                    .sum()
                    .backward(),
            );
            tape.recurrent_diagnostics().unwrap()
        };
        let (pair, two) = (run(true), run(false));
        assert_eq!(pair.len(), 2);
        assert_eq!((pair[0].reverse, pair[1].reverse), (false, true));
        for (p, t) in pair.iter().zip(&two) {
            // Same numbers; only the node differs (one op against two).
            assert_eq!(
                RecurrentRecord {
                    node: 0,
                    ..p.clone()
                },
                RecurrentRecord {
                    node: 0,
                    ..t.clone()
                },
                "{cell:?}"
            );
            assert!(p.dh_sq.is_some() && p.dx_sq.is_some());
        }
        // Each direction's record is the one of its kernel run alone (on the pair's input x).
        let vr_on_x = Values {
            x: vf.x.clone(),
            ..vr.clone()
        };
        for (k, (v, reverse)) in [(&vf, false), (&vr_on_x, true)].into_iter().enumerate() {
            let half = &s[k * s.len() / 2..(k + 1) * s.len() / 2];
            let sp = spec(cell, reverse, Some(lengths.clone()));
            let (alone, _) = kernel_record(cell, sz, v, &sp, half);
            let node = pair[k].node;
            assert_eq!(
                pair[k],
                RecurrentRecord { node, ..alone },
                "{cell:?} direction {k}"
            );
        }
    }
}

#[test]
fn a_stacked_bidirectional_layer_records_every_layer_and_direction_in_order() {
    for batch in [2, 20] {
        // 2 rows run each layer as one pair op, 20 as two kernels: the records are the same list.
        let mut store = autograd::ParamStore::<f64>::new();
        let mut rng = Rng::new(7);
        let config = RecurrentConfig {
            num_layers: 2,
            bidirectional: true,
            ..RecurrentConfig::new(RecurrentKind::Gru, 3, 5)
        };
        let layer = RecurrentLayer::new(&mut store.root(), config, &mut rng).unwrap();
        let tape = Tape::<f64>::diagnosing();
        let cx = Ctx::eval(&tape, &store);
        let x = tape.constant(Tensor::from_f64(
            &[batch, 7, 3],
            &uniform(batch * 21, 1.0, &mut rng),
        ));
        let lengths: Vec<usize> = (0..batch).map(|r| 7 - r % 3).collect();
        let out = layer.forward(
            &cx,
            x,
            RecurrentInput {
                lengths: Some(&lengths),
                ..Default::default()
            },
        );
        drop(out.output.square().sum().backward());
        let got = layers(&tape);
        assert_eq!(got.len(), 4, "batch {batch}");
        for (k, l) in got.iter().enumerate() {
            assert_eq!((l.index, l.reverse, l.cell), (k, k % 2 == 1, CellKind::Gru));
            let flow = l.flow.as_ref().expect("a backward ran");
            assert_eq!(flow.dh.len(), 7);
            assert!(
                flow.dh.iter().all(|v| v.is_finite() && *v > 0.0),
                "{flow:?}"
            );
            // The first layer's input is a constant: its gradient is still recorded.
            assert!(flow.dx.iter().all(|v| *v > 0.0), "{flow:?}");
        }
        let m = flat_metrics(&got);
        assert_eq!(m.get("diag_layers"), Some(4.0));
        let first = got[0].flow.as_ref().unwrap();
        assert_eq!(m.get("diag_grad_h_ratio"), Some(first.ratio()));
        assert_eq!(
            m.get("diag_l3_grad_h_first"),
            got[3].flow.as_ref().map(GradientFlow::first)
        );
        assert!(m.get("diag_saturated").unwrap() >= 0.0);
    }
}

#[test]
fn a_normal_tape_records_nothing_and_diagnosing_changes_no_number() {
    for &cell in &CELLS {
        let v = values(cell, SZ, 70);
        let s = seed(cell, SZ, None, 70);
        let run = |tape: &Tape<f64>| {
            let l = leaves(tape, cell, SZ, &v);
            let states =
                l.x.recurrent(l.w, l.h0, l.c0, &spec(cell, true, Some(vec![6, 2, 5])));
            let g = (states * tape.constant(Tensor::from_f64(&states.shape(), &s)))
                .sum()
                .backward();
            let mut all = vec![
                states.value().to_f64_vec(),
                g.wrt(l.x).to_f64_vec(),
                g.wrt(l.h0).to_f64_vec(),
            ];
            for w in [l.w.w_ih, l.w.b_ih, l.w.w_hh, l.w.b_hh] {
                all.push(g.wrt(w).to_f64_vec());
            }
            all
        };
        let plain = Tape::<f64>::new();
        let want = run(&plain);
        assert!(!plain.is_diagnosing());
        assert_eq!(plain.recurrent_diagnostics(), None);
        assert!(layers(&plain).is_empty());
        let diag = Tape::<f64>::diagnosing();
        assert_eq!(run(&diag), want, "{cell:?}: the same bits");
        assert_eq!(diag.recurrent_diagnostics().unwrap().len(), 1);
    }
}

#[test]
fn without_backward_a_record_has_its_forward_part_only() {
    let cell = CellKind::Lstm;
    let v = values(cell, SZ, 80);
    let tape = Tape::<f64>::diagnosing();
    let l = leaves(&tape, cell, SZ, &v);
    let _guard = tape.no_grad();
    let states = l.x.recurrent(l.w, l.h0, l.c0, &spec(cell, false, None));
    let recs = tape.recurrent_diagnostics().unwrap();
    assert_eq!(recs.len(), 1);
    assert!(recs[0].dh_sq.is_none() && recs[0].dx_sq.is_none());
    assert_eq!(recs[0].gate_count as usize, SZ.b * SZ.t * SZ.h);
    let h = states.value().to_f64_vec();
    let w = 2 * SZ.h;
    let want: Vec<f64> = h.chunks(w).map(|r| sq(&r[..SZ.h])).collect();
    assert_eq!(recs[0].h_sq, want);
    assert!(layers(&tape)[0].flow.is_none());
}

#[test]
fn log_slope_and_ratio_of_a_geometric_flow() {
    // ‖dh‖ halving at every step back from the end: slope ln ½ per step, ratio 2^-(T-1).
    let dh: Vec<f64> = (0..5).map(|t| 0.5f64.powi(4 - t)).collect();
    let flow = GradientFlow {
        dh: dh.clone(),
        dx: vec![1.0; 5],
        reverse: false,
    };
    assert_close(flow.log_slope(), 0.5f64.ln(), 1e-12, "slope");
    assert_close(flow.ratio(), 0.5f64.powi(4), 1e-12, "ratio");
    let rev = GradientFlow {
        dh: dh.into_iter().rev().collect(),
        dx: vec![1.0; 5],
        reverse: true,
    };
    assert_close(rev.log_slope(), 0.5f64.ln(), 1e-12, "reverse slope");
    assert_eq!(rev.in_scan_order(), flow.in_scan_order());
}

#[test]
fn records_do_not_depend_on_how_the_scan_splits_across_threads() {
    // H = 72 with 3 rows runs the forward split by units on two threads (from outside the pool);
    // 5 rows of 52 LSTM steps split the batch, forward and backward. One thread splits nothing.
    for (cell, sz) in [
        (
            CellKind::Gru,
            Size {
                b: 3,
                t: 9,
                i: 5,
                h: 72,
            },
        ),
        (
            CellKind::Lstm,
            Size {
                b: 5,
                t: 52,
                i: 2,
                h: 16,
            },
        ),
    ] {
        let lengths = (0..sz.b).map(|r| sz.t - r % 3).collect::<Vec<_>>();
        let v = values(cell, sz, 90);
        let s = seed(cell, sz, Some(&lengths), 90);
        let sp = spec(cell, true, Some(lengths.clone()));
        let both = kernel_record(cell, sz, &v, &sp, &s).0;
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a rayon pool")
            .install(|| kernel_record(cell, sz, &v, &sp, &s).0);
        assert_eq!(both, one, "{cell:?}");
    }
}

/// A stacked bidirectional LSTM with dropout and a linear head regressing twice the mean of a
/// sequence: dropout draws from the trainer's generator, so a diagnostic batch that drew from
/// it would change the run.
struct SeqMean {
    rnn: RecurrentLayer,
    head: zoo::Linear,
    val: (Tensor<f32>, Tensor<f32>),
}

fn mean_batch(seed: u64, n: usize) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = Rng::new(seed);
    let x = uniform(n * 6, 1.0, &mut rng);
    let y: Vec<f64> = x.chunks(6).map(|c| c.iter().sum::<f64>() / 3.0).collect();
    (
        Tensor::from_f64(&[n, 6, 1], &x),
        Tensor::from_f64(&[n, 1], &y),
    )
}

fn seq_mean() -> (SeqMean, autograd::ParamStore<f32>) {
    let mut store = autograd::ParamStore::new();
    let mut rng = Rng::new(3);
    let config = RecurrentConfig {
        bidirectional: true,
        ..RecurrentConfig::new(RecurrentKind::Lstm, 1, 8)
            .layers(2)
            .dropout(0.3)
    };
    let rnn = RecurrentLayer::new(&mut store.path("rnn"), config, &mut rng).expect("config");
    let head = zoo::Linear::new(&mut store.path("head"), 16, 1, true, &mut rng);
    let val = mean_batch(99, 16);
    (SeqMean { rnn, head, val }, store)
}

impl SeqMean {
    fn predict<'t>(&self, cx: &Ctx<'_, 't, f32>, x: &Tensor<f32>) -> Var<'t, f32> {
        let n = x.dim(0);
        let out = self
            .rnn
            .forward(cx, cx.constant(x.clone()), RecurrentInput::default());
        let last = out.output.narrow(1, 5, 1).reshape(&[n, 16]);
        self.head.forward(cx, cx.dropout(last, 0.1))
    }
}

impl zoo::Objective<f32> for SeqMean {
    fn loss<'t>(
        &self,
        tape: &'t Tape<f32>,
        store: &autograd::ParamStore<f32>,
        step: usize,
        rng: &mut Rng,
    ) -> autograd::Result<Var<'t, f32>> {
        let (x, y) = mean_batch(step as u64, 4);
        Ok(self
            .predict(&Ctx::train(tape, store, rng), &x)
            .mse(tape.constant(y)))
    }

    fn validate(&self, store: &autograd::ParamStore<f32>) -> autograd::Result<zoo::Metrics> {
        let tape = Tape::new();
        let pred = self.predict(&Ctx::eval(&tape, store), &self.val.0).value();
        let m = zoo::train::mse(pred.data(), self.val.1.data())?;
        Ok(zoo::Metrics::new().with("val_loss", m))
    }
}

fn train_config() -> zoo::TrainConfig {
    zoo::TrainConfig::new(12, "adam", 0.02)
        .expect("adam")
        .clip(Some(1.0))
        .val_every(4)
        .seed(5)
}

/// Every weight's bits.
fn weight_bits(store: &autograd::ParamStore<f32>) -> Vec<Vec<u32>> {
    store
        .iter()
        .map(|(_, p)| p.value.data().iter().map(|v| v.to_bits()).collect())
        .collect()
}

/// Each validation's step, train loss and val loss, as bits.
fn loss_bits(t: &zoo::Trainer<f32>) -> Vec<(usize, u64, u64)> {
    t.history()
        .iter()
        .map(|r| {
            (
                r.step,
                r.train_loss.to_bits(),
                r.metrics.val_loss().unwrap().to_bits(),
            )
        })
        .collect()
}

#[test]
fn diagnosing_validations_add_diag_fields_and_change_no_training_number() {
    let run = |diagnose: bool, until: usize| {
        let (model, store) = seq_mean();
        let mut trainer = zoo::Trainer::new(store, train_config()).expect("trainer");
        trainer.set_diagnostics(diagnose);
        trainer.train_until(&model, &mut (), until).expect("train");
        (model, trainer)
    };
    let (_, plain) = run(false, 12);
    let (model, diag) = run(true, 12);
    assert!(diag.diagnostics() && !plain.diagnostics());
    assert_eq!(weight_bits(plain.store()), weight_bits(diag.store()));
    assert_eq!(loss_bits(&plain), loss_bits(&diag));
    assert_eq!(diag.history().len(), 3);
    for (p, d) in plain.history().iter().zip(diag.history()) {
        assert!(p.diagnostics.is_empty());
        assert!(!p.to_json_line().contains("diag_"));
        // Two layers, two directions each.
        assert_eq!(d.diagnostics.get("diag_layers"), Some(4.0));
        for name in [
            "diag_grad_h_first",
            "diag_grad_h_last",
            "diag_grad_h_ratio",
            "diag_saturated",
        ] {
            let v = d.diagnostics.get(name).unwrap_or_else(|| panic!("{name}"));
            assert!(v.is_finite(), "{name} = {v}");
        }
        let line: serde_json::Value = serde_json::from_str(&d.to_json_line()).expect("json");
        assert_eq!(
            line["diag_l3_saturated"].as_f64(),
            d.diagnostics.get("diag_l3_saturated")
        );
        assert_eq!(line["val_loss"].as_f64(), d.metrics.val_loss());
    }
    // The fields are those of the batch of the step just done, on the current weights.
    let direct = diag.diagnose(&model).expect("diagnose");
    let json = |m: &zoo::Metrics| serde_json::to_string(m).unwrap();
    assert_eq!(json(&direct), json(&diag.history()[2].diagnostics));
}

#[test]
fn a_diagnosing_run_resumes_bit_identically_and_old_records_still_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ckpt = dir.path().join("half.safetensors");
    let (model, store) = seq_mean();
    let mut straight = zoo::Trainer::new(store, train_config()).expect("trainer");
    straight.set_diagnostics(true);
    straight.train_until(&model, &mut (), 12).expect("straight");

    let (model1, store) = seq_mean();
    let mut first = zoo::Trainer::new(store, train_config()).expect("trainer");
    first.set_diagnostics(true);
    first.train_until(&model1, &mut (), 6).expect("first part");
    first
        .save_checkpoint(&ckpt, &Default::default())
        .expect("save");
    let (model2, store) = seq_mean();
    let mut resumed = zoo::Trainer::resume(&ckpt, store, train_config()).expect("resume");
    resumed.set_diagnostics(true);
    resumed
        .train_until(&model2, &mut (), 12)
        .expect("second part");
    assert_eq!(weight_bits(straight.store()), weight_bits(resumed.store()));
    assert_eq!(loss_bits(&straight), loss_bits(&resumed));
    // As logged (a ratio over a zero gradient is NaN, which is not equal to itself).
    let diags = |t: &zoo::Trainer<f32>| -> Vec<String> {
        t.history()
            .iter()
            .map(|r| serde_json::to_string(&r.diagnostics).unwrap())
            .collect()
    };
    assert_eq!(diags(&straight), diags(&resumed));

    // A record written before diagnostics existed reads back with none.
    let old = r#"{"step":4,"lr":0.01,"train_loss":0.5,"metrics":{"val_loss":0.25},"seconds":1.0}"#;
    let record: zoo::train::ValRecord = serde_json::from_str(old).expect("an old record");
    assert!(record.diagnostics.is_empty());
    assert!(!serde_json::to_string(&record)
        .unwrap()
        .contains("diagnostics"));
}

#[test]
fn an_lstm_with_projections_records_the_norms_of_its_p_wide_hidden_state() {
    // One LSTMP layer (H = 5, P = 2): h_t is the P-wide projection, the layer's output.
    let mut store = autograd::ParamStore::<f64>::new();
    let mut rng = Rng::new(11);
    let config = RecurrentConfig::new(RecurrentKind::Lstm, 3, 5).proj_size(2);
    let layer = RecurrentLayer::new(&mut store.root(), config, &mut rng).unwrap();
    let tape = Tape::<f64>::diagnosing();
    let cx = Ctx::eval(&tape, &store);
    let (b, t) = (3, 4);
    let x = tape.constant(Tensor::from_f64(
        &[b, t, 3],
        &uniform(b * t * 3, 1.0, &mut rng),
    ));
    let lengths = [4, 2, 3];
    let input = RecurrentInput {
        lengths: Some(&lengths),
        ..Default::default()
    };
    let out = layer.forward(&cx, x, input);
    let probe = uniform(b * t * 2, 1.0, &mut rng);
    let loss = (out.output * tape.constant(Tensor::from_f64(&[b, t, 2], &probe))).sum();
    drop(loss.backward());
    let recs = tape.recurrent_diagnostics().unwrap();
    assert_eq!((recs.len(), recs[0].hidden), (1, 5));
    let (output, dh) = (
        out.output.value().to_f64_vec(),
        recs[0].dh_sq.clone().unwrap(),
    );
    let sq = |v: &[f64]| v.iter().map(|v| v * v).sum::<f64>();
    for (row, &n) in lengths.iter().enumerate() {
        for time in 0..t {
            let k = row * t + time;
            let (h_sq, want) = if time < n {
                (recs[0].h_sq[k], sq(&output[k * 2..k * 2 + 2]))
            } else {
                (recs[0].h_sq[k], 0.0)
            };
            assert!((h_sq - want).abs() < 1e-12, "h_sq at {row}, {time}");
        }
        // At a sequence's last step only the output reaches h: ∂L/∂h is that step's probe.
        let k = row * t + n - 1;
        let want = sq(&probe[k * 2..k * 2 + 2]);
        assert!((dh[k] - want).abs() < 1e-12, "dh_sq at row {row}");
    }
}
