//! The fused recurrent kernels against the same cells composed from primitive ops, and the one-step
//! path against the whole-sequence path.

use autograd::{Activation, CellKind, RecurrentSpec, RecurrentWeights, Rng, Tape, Tensor, Var};

fn uniform(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = Rng::new(seed);
    Tensor::from_f64(
        shape,
        &(0..shape.iter().product())
            .map(|_| rng.uniform_in(-1.0, 1.0))
            .collect::<Vec<_>>(),
    )
}

/// One step of `cell` on the input `x` `[B, I]` built from primitive ops, PyTorch's equations:
/// returns (h, c).
fn composed_step<'t>(
    cell: CellKind,
    x: Var<'t, f64>,
    w: RecurrentWeights<'t, f64>,
    h: Var<'t, f64>,
    c: Option<Var<'t, f64>>,
) -> (Var<'t, f64>, Option<Var<'t, f64>>) {
    let hsz = h.dim(1);
    let gx = x.matmul_nt(w.w_ih) + w.b_ih;
    let gh = h.matmul_nt(w.w_hh) + w.b_hh;
    let part = |v: Var<'t, f64>, k: usize| v.narrow(1, k * hsz, hsz);
    match cell {
        CellKind::Elman(Activation::Tanh) => ((gx + gh).tanh(), None),
        CellKind::Elman(Activation::Relu) => ((gx + gh).relu(), None),
        CellKind::Lstm => {
            let pre = gx + gh;
            let (i, f) = (part(pre, 0).sigmoid(), part(pre, 1).sigmoid());
            let (g, o) = (part(pre, 2).tanh(), part(pre, 3).sigmoid());
            let c_new = f * c.expect("lstm needs c") + i * g;
            (o * c_new.tanh(), Some(c_new))
        }
        CellKind::Gru => {
            let r = (part(gx, 0) + part(gh, 0)).sigmoid();
            let z = (part(gx, 1) + part(gh, 1)).sigmoid();
            let n = (part(gx, 2) + r * part(gh, 2)).tanh();
            ((1.0 - z) * n + z * h, None)
        }
    }
}

const CELLS: [CellKind; 4] = [
    CellKind::Elman(Activation::Tanh),
    CellKind::Elman(Activation::Relu),
    CellKind::Lstm,
    CellKind::Gru,
];

/// Input features of the test sequences.
const I: usize = 3;

/// x `[B, T, I]`, w_ih, b_ih, w_hh, b_hh, h0 and c0 (the last used by the LSTM only).
fn inputs(cell: CellKind, b: usize, t: usize, h: usize, seed: u64) -> Vec<Tensor<f64>> {
    let g = cell.gates();
    vec![
        uniform(&[b, t, I], seed),
        uniform(&[g * h, I], seed + 5),
        uniform(&[g * h], seed + 6),
        uniform(&[g * h, h], seed + 1),
        uniform(&[g * h], seed + 2),
        uniform(&[b, h], seed + 3),
        uniform(&[b, h], seed + 4),
    ]
}

/// The weights among the variables made from [`inputs`].
fn weights<'t>(v: &[Var<'t, f64>]) -> RecurrentWeights<'t, f64> {
    RecurrentWeights {
        w_ih: v[1],
        b_ih: v[2],
        w_hh: v[3],
        b_hh: v[4],
        w_hr: None,
        norm: None,
    }
}

fn max_diff(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    a.max_abs_diff(b)
}

#[test]
fn fused_kernel_matches_composed_cells_with_lengths_and_reverse() {
    let (b, t, h) = (3, 5, 4);
    for cell in CELLS {
        for reverse in [false, true] {
            let lengths = vec![5, 2, 3];
            let x = inputs(cell, b, t, h, 10);
            let probe = uniform(&[b, t, cell.states() * h], 99);
            let lstm = cell == CellKind::Lstm;

            let fused_tape = Tape::new();
            let fv: Vec<_> = x.iter().map(|v| fused_tape.var(v.clone())).collect();
            let spec = RecurrentSpec {
                cell,
                reverse,
                lengths: Some(lengths.clone()),
            };
            let states = fv[0].recurrent(weights(&fv), fv[5], lstm.then_some(fv[6]), &spec);
            let fused_grads = (states * fused_tape.constant(probe.clone()))
                .sum()
                .backward();

            // The same computation from primitive ops: padded steps keep the state via a mask.
            let tape = Tape::new();
            let v: Vec<_> = x.iter().map(|v| tape.var(v.clone())).collect();
            let (mut hs, mut cs) = (v[5], lstm.then_some(v[6]));
            let mut per_step = vec![None; t];
            let order: Vec<usize> = if reverse {
                (0..t).rev().collect()
            } else {
                (0..t).collect()
            };
            for &time in &order {
                let mask = Tensor::from_fn(&[b, 1], |r| if time < lengths[r] { 1.0 } else { 0.0 });
                let (m, keep) = (
                    tape.constant(mask.clone()),
                    tape.constant(mask.map(|x| 1.0 - x)),
                );
                let x_t = v[0].narrow(1, time, 1).reshape(&[b, I]);
                let (hn, cn) = composed_step(cell, x_t, weights(&v), hs, cs);
                hs = hn * m + hs * keep;
                cs = cn.map(|cn| cn * m + cs.expect("c") * keep);
                per_step[time] = Some(match cs {
                    Some(c) => Var::concat(&[hs, c], 1),
                    None => hs,
                });
            }
            let steps: Vec<_> = per_step
                .into_iter()
                .map(|s| s.expect("every step ran"))
                .collect();
            let composed = Var::stack(&steps, 1);
            let grads = (composed * tape.constant(probe)).sum().backward();

            let what = format!("{cell:?} reverse={reverse}");
            assert!(
                max_diff(&states.value(), &composed.value()) < 1e-12,
                "{what}: states differ"
            );
            let count = if lstm { 7 } else { 6 };
            for i in 0..count {
                let d = max_diff(&fused_grads.wrt(fv[i]), &grads.wrt(v[i]));
                assert!(d < 1e-12, "{what}: gradient of input {i} differs by {d}");
            }
        }
    }
}

#[test]
fn one_step_path_agrees_with_the_sequence_path() {
    let (b, t, h) = (2, 6, 3);
    for cell in CELLS {
        let x = inputs(cell, b, t, h, 20);
        let lstm = cell == CellKind::Lstm;
        let tape = Tape::new();
        let v: Vec<_> = x.iter().map(|v| tape.var(v.clone())).collect();
        let spec = RecurrentSpec {
            cell,
            reverse: false,
            lengths: None,
        };
        let seq = v[0].recurrent(weights(&v), v[5], lstm.then_some(v[6]), &spec);
        let (mut hs, mut cs) = (v[5], lstm.then_some(v[6]));
        let mut outs = Vec::new();
        for time in 0..t {
            let x_t = v[0].narrow(1, time, 1).reshape(&[b, I]);
            let state = x_t.recurrent_step(weights(&v), hs, cs, cell);
            hs = state.narrow(1, 0, h);
            cs = lstm.then(|| state.narrow(1, h, h));
            outs.push(state);
        }
        let stepped = Var::stack(&outs, 1);
        assert!(
            max_diff(&seq.value(), &stepped.value()) < 1e-9,
            "{cell:?}: values"
        );
        let probe = tape.constant(uniform(&seq.shape(), 7));
        let g_seq = (seq * probe).sum().backward();
        let g_step = (stepped * probe).sum().backward();
        for (i, var) in v.iter().enumerate().take(if lstm { 7 } else { 6 }) {
            let d = max_diff(&g_seq.wrt(*var), &g_step.wrt(*var));
            assert!(d < 1e-9, "{cell:?}: gradient of input {i} differs by {d}");
        }
    }
}

/// Runs a GRU of hidden size 3 with a `w_hh` of shape `hh` on an input `[1, 2, features]`
/// (`w_ih` is `[9, 5]`).
fn gru_with(hh: [usize; 2], features: usize) {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[1, 2, features]));
    let w = RecurrentWeights {
        w_ih: tape.var(Tensor::zeros(&[9, 5])),
        b_ih: tape.var(Tensor::zeros(&[9])),
        w_hh: tape.var(Tensor::zeros(&hh)),
        b_hh: tape.var(Tensor::zeros(&[9])),
        w_hr: None,
        norm: None,
    };
    let h = tape.var(Tensor::zeros(&[1, 3]));
    let spec = RecurrentSpec {
        cell: CellKind::Gru,
        reverse: false,
        lengths: None,
    };
    x.recurrent(w, h, None, &spec);
}

#[test]
#[should_panic(expected = "recurrent: weight_hh of shape [8, 3] does not fit a GRU cell")]
fn misshaped_weights_name_the_cell() {
    gru_with([8, 3], 5);
}

#[test]
#[should_panic(expected = "recurrent: input of shape [1, 2, 4] for weight_ih [9, 5]")]
fn an_input_of_the_wrong_width_is_named() {
    gru_with([9, 3], 4);
}

#[test]
fn parallel_rows_give_the_same_bits_as_one_thread() {
    // B·T·4H·H = 8·3·2048·512 multiply-adds: the scan splits its batch into one block per thread.
    let (b, t, h) = (8, 3, 512);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let x = inputs(CellKind::Lstm, b, t, h, 30);
            let tape = Tape::new();
            let v: Vec<_> = x.iter().map(|v| tape.var(v.clone())).collect();
            let spec = RecurrentSpec {
                cell: CellKind::Lstm,
                reverse: true,
                lengths: Some(vec![3, 1, 2, 3, 3, 2, 1, 3]),
            };
            let states = v[0].recurrent(weights(&v), v[5], Some(v[6]), &spec);
            let grads = (states * tape.constant(uniform(&states.shape(), 31)))
                .sum()
                .backward();
            let mut all = vec![states.value()];
            all.extend(v.iter().map(|&var| grads.wrt(var)));
            all
        })
    };
    let (one, two) = (run(1), run(2));
    for (i, (a, b)) in one.iter().zip(&two).enumerate() {
        assert_eq!(a, b, "tensor {i} differs between 1 and 2 threads");
    }
}
