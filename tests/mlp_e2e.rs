//! End to end: small MLPs trained with the real optimizers reach losses only a working stack reaches.

use autograd::optim::optimizer;
use autograd::{ParamStore, Rng, Tape, Tensor};
use zoo::{Ctx, Linear};

/// A two-layer perceptron with a tanh hidden layer.
struct Mlp {
    hidden: Linear,
    out: Linear,
}

impl Mlp {
    fn new(store: &mut ParamStore<f32>, sizes: [usize; 3], rng: &mut Rng) -> Self {
        Mlp {
            hidden: Linear::new(&mut store.path("hidden"), sizes[0], sizes[1], true, rng),
            out: Linear::new(&mut store.path("out"), sizes[1], sizes[2], true, rng),
        }
    }

    fn forward<'t>(
        &self,
        tape: &'t Tape<f32>,
        store: &ParamStore<f32>,
        x: &Tensor<f32>,
    ) -> autograd::Var<'t, f32> {
        let cx = Ctx::eval(tape, store);
        let h = self.hidden.forward(&cx, tape.constant(x.clone())).tanh();
        self.out.forward(&cx, h)
    }
}

#[test]
fn mlp_learns_xor() {
    let mut rng = Rng::new(0);
    let mut store = ParamStore::new();
    let mlp = Mlp::new(&mut store, [2, 8, 1], &mut rng);
    let x = Tensor::from_f64(&[4, 2], &[0., 0., 0., 1., 1., 0., 1., 1.]);
    let y = Tensor::from_f64(&[4, 1], &[0., 1., 1., 0.]);
    let mut opt = optimizer::<f32>("adam", 0.05).expect("adam");
    let mut loss = f64::INFINITY;
    for _ in 0..400 {
        let tape = Tape::new();
        let l = mlp.forward(&tape, &store, &x).bce_with_logits(&y);
        loss = l.item();
        store.zero_grad();
        store.accumulate(&l.backward());
        opt.step(&mut store);
    }
    // A linear model cannot go below ln 2 ≈ 0.693 on XOR.
    assert!(loss < 0.05, "XOR loss {loss}");
    let tape = Tape::new();
    let logits = mlp.forward(&tape, &store, &x).value();
    let predicted: Vec<f32> = logits
        .data()
        .iter()
        .map(|&z| if z > 0.0 { 1.0 } else { 0.0 })
        .collect();
    assert_eq!(predicted, y.data());
}

#[test]
fn mlp_fits_a_noisy_regression_with_each_optimizer() {
    // y = sin(3x) + N(0, 0.1²): the noise floor is MSE 0.01, the train mean gives about 0.5.
    let mut rng = Rng::new(1);
    let n = 128;
    let xs: Vec<f64> = (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| (3.0 * x).sin() + 0.1 * rng.normal())
        .collect();
    let x = Tensor::from_f64(&[n, 1], &xs);
    let y = Tensor::from_f64(&[n, 1], &ys);
    for (name, lr, steps) in [
        ("adam", 0.01, 1500),
        ("sgd", 0.1, 3000),
        ("rmsprop", 0.003, 1500),
    ] {
        let mut store = ParamStore::new();
        let mlp = Mlp::new(&mut store, [1, 32, 1], &mut Rng::new(2));
        let mut opt = optimizer::<f32>(name, lr).expect("optimizer");
        let mut loss = f64::INFINITY;
        for _ in 0..steps {
            let tape = Tape::new();
            let l = mlp.forward(&tape, &store, &x).mse(tape.constant(y.clone()));
            loss = l.item();
            store.zero_grad();
            store.accumulate(&l.backward());
            opt.step(&mut store);
        }
        assert!(
            loss < 0.03,
            "{name}: train MSE {loss} (noise floor 0.01, mean predictor ≈ 0.5)"
        );
    }
}
