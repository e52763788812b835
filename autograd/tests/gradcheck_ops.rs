//! Every `Op` (and every `Unary` function) is gradchecked in f64, with broadcasting and fan-out.

use autograd::{
    gradcheck, Activation, CellKind, CrossEntropyOptions, Directions, GradcheckOptions,
    RecurrentSpec, RecurrentWeights, Rng, Tape, Tensor, Unary, Var,
};
use std::collections::BTreeSet;

type CaseFn = Box<dyn for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>>;

struct Case {
    name: &'static str,
    inputs: Vec<Tensor<f64>>,
    f: CaseFn,
}

fn case<F>(name: &'static str, inputs: Vec<Tensor<f64>>, f: F) -> Case
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64> + 'static,
{
    Case {
        name,
        inputs,
        f: Box::new(f),
    }
}

/// Uniform values in [-1, 1), seeded.
fn uniform(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = Rng::new(seed);
    Tensor::from_fn(shape, |_| rng.uniform_in(-1.0, 1.0))
}

/// Values in [lo, lo+1), seeded: for functions defined on positives.
fn positive(shape: &[usize], seed: u64, lo: f64) -> Tensor<f64> {
    uniform(shape, seed).map(|x| lo + 0.5 * (x + 1.0))
}

/// Values kept at least 0.1 away from 0 (for kinks at 0).
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor<f64> {
    uniform(shape, seed).map(|x| x.signum() * (0.1 + x.abs()))
}

fn unary_case(name: &'static str, u: Unary, input: Tensor<f64>) -> Case {
    case(name, vec![input], move |_, v| v[0].unary(u))
}

/// A fused recurrent kernel over B = 3, T = 4, H = 2, from random states.
fn recurrent_case(
    name: &'static str,
    cell: CellKind,
    reverse: bool,
    lengths: Option<Vec<usize>>,
) -> Case {
    let (b, t, i, h, g) = (3, 4, 3, 2, cell.gates());
    let mut inputs = vec![
        uniform(&[b, t, i], 130),
        uniform(&[g * h, i], 135),
        uniform(&[g * h], 136),
        uniform(&[g * h, h], 131),
        uniform(&[g * h], 132),
        uniform(&[b, h], 133),
    ];
    if cell == CellKind::Lstm {
        inputs.push(uniform(&[b, h], 134));
    }
    let spec = RecurrentSpec {
        cell,
        reverse,
        lengths,
    };
    case(name, inputs, move |_, v| {
        let w = RecurrentWeights {
            w_ih: v[1],
            b_ih: v[2],
            w_hh: v[3],
            b_hh: v[4],
            w_hr: None,
            norm: None,
        };
        v[0].recurrent(w, v[5], v.get(6).copied(), &spec)
    })
}

/// Both directions of a bidirectional layer as one kernel over B = 3, T = 4, H = 2.
fn recurrent_pair_case(name: &'static str, cell: CellKind, lengths: Option<Vec<usize>>) -> Case {
    let (b, t, i, h, g) = (3, 4, 3, 2, cell.gates());
    let per_direction = if cell == CellKind::Lstm { 6 } else { 5 };
    let mut inputs = vec![uniform(&[b, t, i], 140)];
    for dir in 0..2u64 {
        let seed = 141 + 10 * dir;
        inputs.extend([
            uniform(&[g * h, i], seed),
            uniform(&[g * h], seed + 1),
            uniform(&[g * h, h], seed + 2),
            uniform(&[g * h], seed + 3),
            uniform(&[b, h], seed + 4),
        ]);
        if cell == CellKind::Lstm {
            inputs.push(uniform(&[b, h], seed + 5));
        }
    }
    case(name, inputs, move |_, v| {
        let dir = |k: usize| &v[1 + k * per_direction..1 + (k + 1) * per_direction];
        let w = |k: usize| RecurrentWeights {
            w_ih: dir(k)[0],
            b_ih: dir(k)[1],
            w_hh: dir(k)[2],
            b_hh: dir(k)[3],
            w_hr: None,
            norm: None,
        };
        let c = |k: usize| dir(k).get(5).copied();
        v[0].recurrent_pair(
            Directions {
                w: [w(0), w(1)],
                h0: [dir(0)[4], dir(1)[4]],
                c0: [c(0), c(1)],
            },
            cell,
            lengths.as_deref(),
        )
    })
}

fn cases() -> Vec<Case> {
    vec![
        // fused recurrent kernels: every cell, both directions, with and without lengths
        recurrent_case("recurrent lstm", CellKind::Lstm, false, None),
        recurrent_case(
            "recurrent lstm reverse lengths",
            CellKind::Lstm,
            true,
            Some(vec![4, 2, 0]),
        ),
        recurrent_case("recurrent gru", CellKind::Gru, false, Some(vec![1, 4, 3])),
        recurrent_case("recurrent gru reverse", CellKind::Gru, true, None),
        recurrent_case(
            "recurrent elman tanh",
            CellKind::Elman(Activation::Tanh),
            false,
            Some(vec![3, 4, 2]),
        ),
        recurrent_case(
            "recurrent elman relu reverse",
            CellKind::Elman(Activation::Relu),
            true,
            Some(vec![2, 4, 1]),
        ),
        recurrent_pair_case(
            "recurrent pair lstm lengths",
            CellKind::Lstm,
            Some(vec![4, 1, 0]),
        ),
        recurrent_pair_case("recurrent pair gru", CellKind::Gru, None),
        // arithmetic with broadcasting and fan-out
        case(
            "add broadcast [2,3]+[3]",
            vec![uniform(&[2, 3], 1), uniform(&[3], 2)],
            |_, v| v[0] + v[1],
        ),
        case(
            "add broadcast [2,1,3]+[4,1]",
            vec![uniform(&[2, 1, 3], 3), uniform(&[4, 1], 4)],
            |_, v| v[0] + v[1],
        ),
        case(
            "sub broadcast [2,3]-[2,1]",
            vec![uniform(&[2, 3], 5), uniform(&[2, 1], 6)],
            |_, v| v[0] - v[1],
        ),
        case(
            "mul broadcast [3,1]*[1,4]",
            vec![uniform(&[3, 1], 7), uniform(&[1, 4], 8)],
            |_, v| v[0] * v[1],
        ),
        case(
            "div broadcast [2,3]/[3]",
            vec![uniform(&[2, 3], 9), positive(&[3], 10, 0.5)],
            |_, v| v[0] / v[1],
        ),
        case(
            "fan-out x*x + tanh(x)*x",
            vec![uniform(&[2, 3], 11)],
            |_, v| v[0] * v[0] + v[0].tanh() * v[0],
        ),
        case(
            "scalar operators 2 - x/3 + 1/x",
            vec![positive(&[4], 12, 0.5)],
            |_, v| 2.0 - v[0] / 3.0 + 1.0 / v[0] + v[0] * 0.5,
        ),
        // unary functions
        unary_case("neg", Unary::Neg, uniform(&[5], 20)),
        unary_case("exp", Unary::Exp, uniform(&[5], 21)),
        unary_case("log", Unary::Log, positive(&[5], 22, 0.2)),
        unary_case("tanh", Unary::Tanh, uniform(&[5], 23)),
        unary_case(
            "sigmoid",
            Unary::Sigmoid,
            uniform(&[5], 24).map(|x| 6.0 * x),
        ),
        unary_case("relu", Unary::Relu, away_from_zero(&[6], 25)),
        unary_case(
            "softplus",
            Unary::Softplus,
            uniform(&[5], 26).map(|x| 8.0 * x),
        ),
        unary_case("sqrt", Unary::Sqrt, positive(&[5], 27, 0.2)),
        unary_case("abs", Unary::Abs, away_from_zero(&[6], 28)),
        unary_case("powf 3", Unary::Powf(3.0), uniform(&[5], 29)),
        unary_case("powf -1.5", Unary::Powf(-1.5), positive(&[5], 30, 0.5)),
        unary_case("scale", Unary::Scale(-2.5), uniform(&[5], 31)),
        unary_case("shift", Unary::Shift(0.75), uniform(&[5], 32)),
        // matrix products, transposes as strides, batched and broadcast batches
        case(
            "matmul 2-d",
            vec![uniform(&[3, 4], 40), uniform(&[4, 5], 41)],
            |_, v| v[0].matmul(v[1]),
        ),
        case(
            "matmul a·bᵀ",
            vec![uniform(&[3, 4], 42), uniform(&[5, 4], 43)],
            |_, v| v[0].matmul_nt(v[1]),
        ),
        case(
            "matmul aᵀ·b",
            vec![uniform(&[4, 3], 44), uniform(&[4, 5], 45)],
            |_, v| v[0].matmul_tn(v[1]),
        ),
        case(
            "matmul aᵀ·bᵀ",
            vec![uniform(&[4, 3], 46), uniform(&[5, 4], 47)],
            |_, v| v[0].matmul_t(v[1], true, true),
        ),
        case(
            "matmul batched",
            vec![uniform(&[2, 3, 4], 48), uniform(&[2, 4, 5], 49)],
            |_, v| v[0].matmul(v[1]),
        ),
        case(
            "matmul batched × 2-d",
            vec![uniform(&[2, 3, 4], 50), uniform(&[4, 5], 51)],
            |_, v| v[0].matmul(v[1]),
        ),
        case(
            "matmul batched × 2-dᵀ",
            vec![uniform(&[2, 3, 4], 52), uniform(&[5, 4], 53)],
            |_, v| v[0].matmul_nt(v[1]),
        ),
        case(
            "matmul 2-d × batched",
            vec![uniform(&[3, 4], 54), uniform(&[2, 4, 5], 55)],
            |_, v| v[0].matmul(v[1]),
        ),
        case(
            "matmul batchedᵀ × batched",
            vec![uniform(&[2, 4, 3], 56), uniform(&[2, 4, 5], 57)],
            |_, v| v[0].matmul_tn(v[1]),
        ),
        case(
            "linear with bias, 3-d input",
            vec![
                uniform(&[2, 3, 4], 58),
                uniform(&[5, 4], 59),
                uniform(&[5], 66),
            ],
            |_, v| v[0].linear(v[1], Some(v[2])),
        ),
        case(
            "linear without bias, narrow input over many rows",
            vec![uniform(&[300, 2], 67), uniform(&[3, 2], 68)],
            |_, v| v[0].linear(v[1], None),
        ),
        // reductions
        case("sum", vec![uniform(&[2, 3, 4], 60)], |_, v| v[0].sum()),
        case("sum_axis 1", vec![uniform(&[2, 3, 4], 61)], |_, v| {
            v[0].sum_axis(1)
        }),
        case("mean", vec![uniform(&[2, 3, 4], 62)], |_, v| v[0].mean()),
        case("mean_axis 0", vec![uniform(&[2, 3, 4], 63)], |_, v| {
            v[0].mean_axis(0)
        }),
        case("max", vec![uniform(&[2, 3, 4], 64)], |_, v| v[0].max()),
        case("max_axis 2", vec![uniform(&[2, 3, 4], 65)], |_, v| {
            v[0].max_axis(2)
        }),
        case("max_axis 1", vec![uniform(&[2, 3, 4], 66)], |_, v| {
            v[0].max_axis(1)
        }),
        // shape ops
        case("reshape", vec![uniform(&[2, 3, 4], 70)], |_, v| {
            v[0].reshape(&[6, 4]) * v[0].reshape(&[6, 4]).tanh()
        }),
        case("transpose 0,2", vec![uniform(&[2, 3, 4], 71)], |_, v| {
            v[0].transpose(0, 2).tanh()
        }),
        case(
            "concat axis 1",
            vec![
                uniform(&[2, 1, 3], 72),
                uniform(&[2, 2, 3], 73),
                uniform(&[2, 3, 3], 74),
            ],
            |_, v| Var::concat(&[v[0], v[1], v[2]], 1).tanh(),
        ),
        case("narrow", vec![uniform(&[3, 5], 75)], |_, v| {
            v[0].narrow(1, 1, 3).exp()
        }),
        case("split + stack", vec![uniform(&[4, 3], 76)], |_, v| {
            let parts = v[0].split(0, &[1, 3]);
            let a = parts[0].reshape(&[3]);
            let b = parts[1].sum_axis(0);
            Var::stack(&[a * b, a], 1)
        }),
        case(
            "index_select axis 0 with repeats",
            vec![uniform(&[4, 3], 77)],
            |_, v| v[0].index_select(0, &[2, 0, 2, 3]).tanh(),
        ),
        case(
            "index_select axis 1",
            vec![uniform(&[2, 4, 3], 78)],
            |_, v| v[0].index_select(1, &[3, 1]).exp(),
        ),
        // softmax family
        case("softmax axis 1", vec![uniform(&[2, 3, 4], 80)], |_, v| {
            v[0].softmax(1)
        }),
        case("log_softmax last", vec![uniform(&[3, 5], 81)], |_, v| {
            v[0].log_softmax(1)
        }),
        // losses
        case(
            "mse",
            vec![uniform(&[3, 4], 90), uniform(&[3, 4], 91)],
            |_, v| v[0].mse(v[1]),
        ),
        case("cross_entropy", vec![uniform(&[4, 5], 92)], |_, v| {
            v[0].cross_entropy(&[1, 4, 0, 2])
        }),
        case(
            "cross_entropy ignore + mask",
            vec![uniform(&[2, 3, 5], 93)],
            |_, v| {
                let mask = [1.0, 0.5, 0.0, 2.0, 1.0, 1.0];
                let opts = CrossEntropyOptions {
                    ignore_index: Some(-100),
                    mask: Some(&mask),
                };
                v[0].cross_entropy_with(&[1, 4, 3, -100, 2, 0], &opts)
            },
        ),
        case(
            "bce_with_logits",
            vec![uniform(&[3, 4], 94).map(|x| 4.0 * x)],
            |_, v| {
                let t = positive(&[3, 4], 95, 0.0);
                v[0].bce_with_logits(&t)
            },
        ),
        // dropout (seeded inside, so every evaluation draws the same mask)
        case("dropout", vec![uniform(&[4, 5], 100)], |_, v| {
            v[0].dropout(0.3, &mut Rng::new(7)).tanh()
        }),
        // layer norm
        case(
            "layer_norm affine",
            vec![
                uniform(&[3, 5], 110),
                uniform(&[5], 111),
                uniform(&[5], 112),
            ],
            |_, v| v[0].layer_norm(Some(v[1]), Some(v[2]), 1e-5),
        ),
        case(
            "layer_norm plain",
            vec![uniform(&[2, 2, 4], 113)],
            |_, v| v[0].layer_norm(None, None, 1e-5),
        ),
    ]
}

#[test]
fn every_case_passes_gradcheck() {
    let mut failures = Vec::new();
    for c in cases() {
        if let Err(e) = gradcheck(&c.f, &c.inputs, &GradcheckOptions::default()) {
            failures.push(format!("{}: {e}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "gradcheck failures:\n{}",
        failures.join("\n")
    );
}

/// Variant names of `enum NAME` in a source file (4-space-indented capitalized identifiers).
fn variants(source: &str, header: &str) -> BTreeSet<String> {
    let start = source.find(header).expect("enum header") + header.len();
    let body = &source[start..start + source[start..].find("\n}").expect("enum end")];
    body.lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| l.chars().take_while(|c| c.is_alphanumeric()).collect())
        .collect()
}

#[test]
fn every_op_variant_has_a_gradcheck() {
    let mut expected = variants(include_str!("../src/op.rs"), "pub enum Op<E: Element> {");
    expected.extend(variants(
        include_str!("../src/ops/unary.rs"),
        "pub enum Unary {",
    ));
    expected.remove("Leaf");
    expected.remove("Unary");
    assert!(expected.len() > 30, "parsed too few variants: {expected:?}");
    let mut covered = BTreeSet::new();
    for c in cases() {
        let report = gradcheck(&c.f, &c.inputs, &GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        covered.extend(report.ops.iter().map(|s| s.to_string()));
    }
    let missing: Vec<_> = expected.difference(&covered).collect();
    assert!(missing.is_empty(), "ops without a gradcheck: {missing:?}");
}

#[test]
fn gradcheck_catches_a_wrong_gradient() {
    // A deliberately broken "derivative": detach one factor so backward misses half the product rule.
    let x = uniform(&[3], 120);
    let result = gradcheck(
        |_, v| v[0] * v[0].detach(),
        &[x],
        &GradcheckOptions::default(),
    );
    let err = result.expect_err("a missing product-rule term must fail the check");
    assert!((err.numeric - 2.0 * err.analytic).abs() < 1e-6, "{err}");
}
