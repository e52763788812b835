//! Tensor kernels against naive references: broadcasting, its adjoint, GEMM paths, layout ops.

use autograd::ops::matmul::matmul_tensors;
use autograd::tensor::broadcast_shapes;
use autograd::{Rng, Tensor};
use proptest::prelude::*;

fn uniform(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = Rng::new(seed);
    Tensor::from_fn(shape, |_| rng.uniform_in(-1.0, 1.0))
}

/// The element of `t` that broadcasting maps to multi-index `idx` of the output.
fn broadcast_get(t: &Tensor<f64>, idx: &[usize]) -> f64 {
    let off = idx.len() - t.rank();
    let i: Vec<usize> = (0..t.rank())
        .map(|d| if t.dim(d) == 1 { 0 } else { idx[d + off] })
        .collect();
    t.get(&i)
}

fn multi_index(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

/// Two broadcast-compatible shapes of rank ≤ 4 with dims ≤ 4.
fn compatible_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec((1usize..5, 0u8..3), 0..5).prop_flat_map(|dims| {
        let out: Vec<usize> = dims.iter().map(|d| d.0).collect();
        let a: Vec<usize> = dims
            .iter()
            .map(|&(d, k)| if k == 1 { 1 } else { d })
            .collect();
        let b: Vec<usize> = dims
            .iter()
            .map(|&(d, k)| if k == 2 { 1 } else { d })
            .collect();
        (0..=out.len(), 0..=out.len())
            .prop_map(move |(ca, cb)| (a[ca..].to_vec(), b[cb..].to_vec()))
    })
}

proptest! {
    #[test]
    fn broadcasting_matches_naive((sa, sb) in compatible_shapes(), seed in 0u64..1000) {
        let (a, b) = (uniform(&sa, seed), uniform(&sb, seed + 1));
        let out = a.zip_broadcast(&b, "test", |x, y| x * 3.0 - y);
        let shape = broadcast_shapes(&sa, &sb).unwrap();
        prop_assert_eq!(out.shape(), &shape[..]);
        for (flat, &v) in out.data().iter().enumerate() {
            let idx = multi_index(flat, &shape);
            let want = broadcast_get(&a, &idx) * 3.0 - broadcast_get(&b, &idx);
            prop_assert!((v - want).abs() < 1e-12);
        }
    }

    #[test]
    fn sum_to_shape_is_the_adjoint_of_broadcasting((sa, sb) in compatible_shapes(), seed in 0u64..1000) {
        // <broadcast(x), y> = <x, sum_to_shape(y)> for every x, y.
        let shape = broadcast_shapes(&sa, &sb).unwrap();
        let x = uniform(&sa, seed);
        let y = uniform(&shape, seed + 7);
        let bx = x.zip_broadcast(&Tensor::zeros(&shape), "test", |a, _| a);
        let lhs: f64 = bx.data().iter().zip(y.data()).map(|(a, b)| a * b).sum();
        let sy = y.sum_to_shape(&sa);
        let rhs: f64 = x.data().iter().zip(sy.data()).map(|(a, b)| a * b).sum();
        prop_assert!((lhs - rhs).abs() < 1e-9);
    }
}

#[test]
fn incompatible_shapes_do_not_broadcast() {
    assert_eq!(broadcast_shapes(&[2, 3], &[4, 3]), None);
    assert_eq!(broadcast_shapes(&[2, 1], &[5, 1, 3]), Some(vec![5, 2, 3]));
}

fn naive_matmul(a: &Tensor<f64>, b: &Tensor<f64>, ta: bool, tb: bool) -> Vec<f64> {
    let at = if ta { a.transpose(0, 1) } else { a.clone() };
    let bt = if tb { b.transpose(0, 1) } else { b.clone() };
    let (m, k, n) = (at.dim(0), at.dim(1), bt.dim(1));
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| at.get(&[i, p]) * bt.get(&[p, j])).sum();
        }
    }
    out
}

/// The largest |got − want| over all elements.
fn max_error(got: &Tensor<f64>, want: &[f64]) -> f64 {
    assert_eq!(got.numel(), want.len(), "element counts differ");
    got.data()
        .iter()
        .zip(want)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn gemm_matches_naive_on_every_path() {
    // Small (one thread), tall (row split) and wide (column split) products, all four transposes.
    // Narrow n with A transposed takes rank-one updates, in blocks of rows and across threads.
    for (m, k, n) in [
        (3, 4, 5),
        (300, 90, 120),
        (32, 256, 1030),
        (120, 3000, 2),
        (300, 5000, 3),
    ] {
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            let a = uniform(&if ta { [k, m] } else { [m, k] }, (m + k) as u64);
            let b = uniform(&if tb { [n, k] } else { [k, n] }, (k + n) as u64);
            let got = matmul_tensors(&a, &b, ta, tb);
            let want = naive_matmul(&a, &b, ta, tb);
            assert_eq!(got.shape(), &[m, n]);
            let err = max_error(&got, &want);
            assert!(
                err < 1e-10,
                "[{m},{k},{n}] ta={ta} tb={tb}: max error {err}"
            );
        }
    }
}

#[test]
fn batched_matmul_matches_per_batch_products() {
    let a = uniform(&[3, 4, 5], 1);
    let b = uniform(&[3, 5, 2], 2);
    let w = uniform(&[2, 5], 3);
    let c = matmul_tensors(&a, &b, false, false);
    let cw = matmul_tensors(&a, &w, false, true);
    for i in 0..3 {
        let ai = a.narrow(0, i, 1).reshape(&[4, 5]);
        let bi = b.narrow(0, i, 1).reshape(&[5, 2]);
        let want = naive_matmul(&ai, &bi, false, false);
        let got = c.narrow(0, i, 1);
        let err = max_error(&got, &want);
        assert!(err < 1e-12);
        let want_w = naive_matmul(&ai, &w, false, true);
        let got_w = cw.narrow(0, i, 1);
        let err = max_error(&got_w, &want_w);
        assert!(err < 1e-12);
    }
}

#[test]
fn layout_ops_round_trip() {
    let x = uniform(&[2, 3, 4], 9);
    assert_eq!(x.transpose(0, 2).transpose(0, 2), x);
    assert_eq!(x.transpose(1, 2).get(&[1, 3, 2]), x.get(&[1, 2, 3]));
    let parts = [x.narrow(1, 0, 1), x.narrow(1, 1, 2)];
    assert_eq!(Tensor::concat(&[&parts[0], &parts[1]], 1), x);
    let picked = x.index_select(2, &[3, 3, 0]);
    assert_eq!(picked.shape(), &[2, 3, 3]);
    assert_eq!(picked.get(&[1, 2, 1]), x.get(&[1, 2, 3]));
    let back = picked.index_add(2, &[3, 3, 0], 4);
    assert_eq!(back.get(&[0, 1, 3]), 2.0 * x.get(&[0, 1, 3]));
    assert_eq!(back.get(&[0, 1, 1]), 0.0);
    let (m, arg) = x.max_axis(1, false);
    assert_eq!(m.shape(), &[2, 4]);
    assert_eq!(m.get(&[1, 2]), x.get(&[1, arg[4 + 2], 2]));
}

#[test]
fn reshape_shares_storage_and_data_mut_copies_on_write() {
    let x = uniform(&[2, 3], 4);
    let mut y = x.reshape(&[3, 2]);
    assert!(y.shares_storage(&x));
    y.data_mut()[0] = 42.0;
    assert!(!y.shares_storage(&x));
    assert_ne!(x.data()[0], 42.0);
}

#[test]
fn try_new_rejects_mismatched_data() {
    let err = Tensor::<f32>::try_new(&[2, 3], vec![0.0; 5]).unwrap_err();
    assert!(
        err.to_string().contains("[2, 3]") && err.to_string().contains('5'),
        "{err}"
    );
}

#[test]
fn fast_tanh_and_sigmoid_are_accurate_in_f32_and_exact_in_f64() {
    use autograd::Element;
    let (mut tanh_err, mut sig_err) = (0.0f64, 0.0f64);
    for k in -200_000..=200_000 {
        let x = k as f64 * 6e-5; // [-12, 12]
        let exact_sigmoid = 1.0 / (1.0 + (-x).exp());
        tanh_err = tanh_err.max(((x as f32).fast_tanh() as f64 - x.tanh()).abs());
        sig_err = sig_err.max(((x as f32).fast_sigmoid() as f64 - exact_sigmoid).abs());
        assert_eq!(x.fast_tanh(), x.tanh());
        assert!((x.fast_sigmoid() - exact_sigmoid).abs() < 1e-15);
    }
    assert!(tanh_err < 5e-7, "f32 tanh max error {tanh_err}");
    assert!(sig_err < 5e-7, "f32 sigmoid max error {sig_err}");
    assert_eq!(40.0f32.fast_tanh(), 1.0);
    assert_eq!((-40.0f32).fast_sigmoid(), 0.0);
}

#[test]
fn linear_matches_matmul_plus_bias_on_both_paths() {
    // [7, 20]·[30, 20]ᵀ runs through the packed GEMM; [5, 400]·[500, 400]ᵀ through matrixmultiply.
    for (rows, inp, out) in [(7, 20, 30), (5, 400, 500)] {
        let (x, w, b) = (
            uniform(&[rows, inp], 1),
            uniform(&[out, inp], 2),
            uniform(&[out], 3),
        );
        let probe = uniform(&[rows, out], 4);
        for with_bias in [true, false] {
            let tape = autograd::Tape::<f64>::new();
            let (xv, wv, bv) = (
                tape.var(x.clone()),
                tape.var(w.clone()),
                tape.var(b.clone()),
            );
            let fused = xv.linear(wv, with_bias.then_some(bv));
            let plain = xv.matmul_nt(wv);
            let plain = if with_bias { plain + bv } else { plain };
            assert!(fused.value().max_abs_diff(&plain.value()) < 1e-12);
            let p = tape.constant(probe.clone());
            let gf = (fused * p).sum().backward();
            let gp = (plain * p).sum().backward();
            for v in [xv, wv] {
                assert!(gf.wrt(v).max_abs_diff(&gp.wrt(v)) < 1e-12);
            }
            if with_bias {
                assert!(gf.wrt(bv).max_abs_diff(&gp.wrt(bv)) < 1e-12);
            }
        }
    }
}
