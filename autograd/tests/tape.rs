//! Tape semantics: no-grad, detach, fan-out, parameters, gradient accumulation, misuse panics.

use autograd::{ParamStore, Tape, Tensor};

fn t(shape: &[usize], data: &[f64]) -> Tensor<f64> {
    Tensor::from_f64(shape, data)
}

#[test]
fn no_grad_records_values_without_backward_state() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[2], &[1.0, 2.0]));
    let y = {
        let _guard = tape.no_grad();
        assert!(!tape.grad_enabled());
        (x * x).sum()
    };
    assert!(tape.grad_enabled(), "the guard restores grad mode");
    assert_eq!(y.item(), 5.0);
    assert!(!y.requires_grad());
    assert!(
        tape.op_names().is_empty(),
        "no op kept backward state: {:?}",
        tape.op_names()
    );
    assert!(y.backward().get(x).is_none());
}

#[test]
fn detach_stops_the_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[1], &[3.0]));
    let y = (x * x.detach()).sum(); // d/dx = x only, not 2x
    assert_eq!(y.backward().wrt(x).data(), &[3.0]);
}

#[test]
fn a_value_used_many_times_sums_its_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[1], &[2.0]));
    let y = x * x * x + x * 4.0 + x; // 3x² + 5 = 17
    assert_eq!(y.sum().backward().wrt(x).data(), &[17.0]);
}

#[test]
fn constants_get_no_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[2], &[1.0, 2.0]));
    let c = tape.constant(t(&[2], &[5.0, 6.0]));
    let g = (x * c).sum().backward();
    assert_eq!(g.wrt(x).data(), &[5.0, 6.0]);
    assert!(g.get(c).is_none());
}

#[test]
fn params_register_once_and_grads_accumulate_until_cleared() {
    let mut store = ParamStore::<f64>::new();
    let w = store.add("layer.weight", t(&[2], &[1.0, -1.0]));
    for _ in 0..2 {
        let tape = Tape::new();
        let a = tape.param(&store, w);
        let b = tape.param_named(&store, "layer.weight");
        assert_eq!(a.id(), b.id(), "one leaf per parameter per tape");
        let loss = (a * b).sum(); // d/dw = 2w
        store.accumulate(&loss.backward());
    }
    assert_eq!(store.grad(w).unwrap().data(), &[4.0, -4.0]);
    store.zero_grad();
    assert!(store.grad(w).is_none());
}

#[test]
fn backward_with_seeds_a_vector_jacobian_product() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[3], &[1.0, 2.0, 3.0]));
    let y = x * x;
    let g = y.backward_with(&t(&[3], &[1.0, 0.0, 2.0]));
    assert_eq!(g.wrt(x).data(), &[2.0, 0.0, 12.0]);
}

#[test]
fn f32_and_f64_agree() {
    let run = |scale: f64| -> (f64, f64) {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::from_f64(&[2, 2], &[0.1, 0.2, 0.3, 0.4]));
        let y = (x.matmul(x).tanh() * scale).log_softmax(1).sum();
        (y.item(), y.backward().wrt(x).to_f64_vec()[0])
    };
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[2, 2], &[0.1, 0.2, 0.3, 0.4]));
    let y = (x.matmul(x).tanh() * 2.0).log_softmax(1).sum();
    let (v32, g32) = run(2.0);
    assert!((v32 - y.item()).abs() < 1e-6);
    assert!((g32 - y.backward().wrt(x).data()[0]).abs() < 1e-6);
}

#[test]
#[should_panic(expected = "backward: output of shape [2] is not a scalar")]
fn backward_of_a_vector_panics() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[2], &[1.0, 2.0]));
    x.exp().backward();
}

#[test]
#[should_panic(expected = "matmul: inner dims differ for [2, 3] x [4, 5]")]
fn shape_misuse_names_the_op_and_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[2, 3]));
    let b = tape.var(Tensor::zeros(&[4, 5]));
    a.matmul(b);
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [4, 3] do not broadcast")]
fn broadcast_misuse_names_the_op_and_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[2, 3]));
    let b = tape.var(Tensor::zeros(&[4, 3]));
    let _ = a + b;
}

#[test]
fn dropout_is_seeded_and_scales_kept_units() {
    use autograd::Rng;
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::ones(&[1000]));
    let a = x.dropout(0.25, &mut Rng::new(1)).value();
    let b = x.dropout(0.25, &mut Rng::new(1)).value();
    let c = x.dropout(0.25, &mut Rng::new(2)).value();
    assert_eq!(a, b, "same seed, same mask");
    assert_ne!(a, c, "another seed, another mask");
    let kept = a.data().iter().filter(|&&v| v != 0.0).count();
    assert!(
        (700..800).contains(&kept),
        "kept {kept} of 1000 at p = 0.25"
    );
    assert!(a
        .data()
        .iter()
        .all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-12));
}

#[test]
fn cross_entropy_with_everything_ignored_is_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[2, 3]));
    let loss = x.cross_entropy(&[-100, -100]);
    assert_eq!(loss.item(), 0.0);
    assert!(loss.backward().wrt(x).data().iter().all(|&g| g == 0.0));
}

#[test]
#[should_panic(expected = "another ParamStore")]
fn a_tape_refuses_parameters_of_a_second_store() {
    let mut a = autograd::ParamStore::<f64>::new();
    let wa = a.add("w", autograd::Tensor::from_f64(&[1], &[1.0]));
    let mut b = a.clone();
    let wb = b.add("v", autograd::Tensor::from_f64(&[1], &[2.0]));
    let tape = autograd::Tape::new();
    let _ = tape.param(&a, wa);
    let _ = tape.param(&b, wb);
}

#[test]
fn a_profiled_tape_counts_and_times_each_op_forward_and_backward() {
    let plain = Tape::<f64>::new();
    assert!(plain.profile().is_none(), "a plain tape keeps no profile");
    let start = std::time::Instant::now();
    let tape = Tape::<f64>::profiled();
    let x = tape.var(Tensor::from_f64(&[64, 64], &vec![0.5; 64 * 64]));
    let w = tape.var(Tensor::from_f64(&[64, 64], &vec![0.25; 64 * 64]));
    let y = x.matmul(w).relu().matmul(w).sum();
    let before_backward = tape.profile().expect("profiled");
    let _ = y.backward();
    let elapsed = start.elapsed();
    let p = tape.profile().expect("profiled");
    let op = |name: &str| p.ops.get(name).copied().unwrap_or_default();
    assert_eq!(op("MatMul").count, 2);
    assert_eq!(op("Relu").count, 1);
    assert_eq!(op("Sum").count, 1);
    assert_eq!(op("Leaf").count, 2);
    assert_eq!(before_backward.ops["MatMul"].backward, Default::default());
    assert!(op("MatMul").backward > Default::default(), "backward timed");
    assert!(op("MatMul").forward > Default::default(), "forward timed");
    // Every interval is charged once: the op times add up to less than the wall time around them.
    assert!(p.total() <= elapsed, "{:?} > {elapsed:?}", p.total());
    // A no-grad op is recorded as a leaf but charged to its own name.
    let _guard = tape.no_grad();
    let _ = x.relu();
    assert_eq!(tape.profile().unwrap().ops["Relu"].count, 2);
}

#[test]
fn gradcheck_params_passes_true_gradients_and_names_a_wrong_one() {
    use autograd::{gradcheck_params, GradcheckOptions};
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Tensor::from_f64(&[3], &[0.5, -1.0, 2.0]));
    let b = store.add("b", Tensor::from_f64(&[1], &[0.25]));
    let opts = GradcheckOptions::default();
    // Σ tanh(w)² + b³: every gradient from backward.
    let right = loss_fn(|tape, store| {
        let (w, b) = (tape.param(store, w), tape.param(store, b));
        w.tanh().square().sum() + (b * b * b).sum()
    });
    let report = gradcheck_params(&mut store, right, &opts).expect("true gradients pass");
    assert_eq!(report.entries, 4);
    // The same loss with b read as a constant: backward gives it no gradient, differences do.
    let wrong = loss_fn(|tape, store| {
        let w = tape.param(store, w);
        let b = tape.constant(store.value(b).clone());
        w.tanh().square().sum() + (b * b * b).sum()
    });
    let e = gradcheck_params(&mut store, wrong, &opts).expect_err("b's gradient is missing");
    assert_eq!((e.param.as_str(), e.index), ("b", 0));
    assert!((e.numeric - 3.0 * 0.25 * 0.25).abs() < 1e-6, "{e}");
    // The store ends as it began.
    assert_eq!(store.value(b).data(), &[0.25]);
}

/// `f` as a loss of any tape's lifetime (closures need the bound spelled out to get it).
fn loss_fn<F>(f: F) -> F
where
    F: for<'t> Fn(&'t Tape<f64>, &ParamStore<f64>) -> autograd::Var<'t, f64>,
{
    f
}
