//! Initializers: torch's fan and gain rules, sample statistics, orthogonality, determinism.

use autograd::init::{self, FanMode, Nonlinearity};
use autograd::{Rng, Tensor};

fn mean_var(t: &Tensor<f64>) -> (f64, f64) {
    let n = t.numel() as f64;
    let mean = t.data().iter().sum::<f64>() / n;
    let var = t.data().iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

/// Asserts the sample mean is ≈ 0 and the variance within 4% of `want`.
fn assert_zero_mean_var(t: &Tensor<f64>, want: f64) {
    let (mean, var) = mean_var(t);
    assert!(mean.abs() < 0.02 * want.sqrt(), "mean {mean}");
    assert!((var / want - 1.0).abs() < 0.04, "var {var}, want {want}");
}

fn max_abs(t: &Tensor<f64>) -> f64 {
    t.data().iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// `a·aᵀ` of a row-major `rows × cols` matrix, compared with `scale·I`.
fn assert_rows_orthonormal(data: &[f64], rows: usize, cols: usize, scale: f64) {
    for i in 0..rows {
        for j in 0..rows {
            let dot: f64 = (0..cols)
                .map(|k| data[i * cols + k] * data[j * cols + k])
                .sum();
            let want = if i == j { scale } else { 0.0 };
            assert!((dot - want).abs() < 1e-10, "({i},{j}): {dot}");
        }
    }
}

fn transpose(data: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..rows * cols)
        .map(|f| data[(f % rows) * cols + f / rows])
        .collect()
}

#[test]
fn fans_follow_torch() {
    assert_eq!(init::fan_in_and_fan_out(&[3, 4]), (4, 3));
    assert_eq!(init::fan_in_and_fan_out(&[8, 4, 3, 3]), (36, 72));
}

#[test]
#[should_panic(expected = "rank >= 2")]
fn fans_need_rank_two() {
    init::fan_in_and_fan_out(&[5]);
}

#[test]
fn gains_follow_torch_calculate_gain() {
    assert_eq!(Nonlinearity::Linear.gain(), 1.0);
    assert_eq!(Nonlinearity::Sigmoid.gain(), 1.0);
    assert_eq!(Nonlinearity::Tanh.gain(), 5.0 / 3.0);
    assert_eq!(Nonlinearity::Relu.gain(), 2f64.sqrt());
    assert_eq!(Nonlinearity::default().gain(), 2f64.sqrt());
    assert!((Nonlinearity::LeakyRelu(0.01).gain() - (2.0 / 1.0001f64).sqrt()).abs() < 1e-15);
    assert_eq!(Nonlinearity::Selu.gain(), 0.75);
}

#[test]
fn same_seed_gives_the_same_tensor() {
    let draw = |seed| init::xavier_normal::<f32>(&[16, 8], 1.0, &mut Rng::new(seed));
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
    let ortho = |seed| init::orthogonal::<f64>(&[5, 9], 1.0, &mut Rng::new(seed));
    assert_eq!(ortho(3), ortho(3));
}

#[test]
fn uniform_and_normal_statistics() {
    let mut rng = Rng::new(1);
    let u = init::uniform::<f64>(&[200, 200], -1.0, 3.0, &mut rng);
    let (mean, var) = mean_var(&u);
    assert!((mean - 1.0).abs() < 0.02 && (var - 16.0 / 12.0).abs() < 0.04);
    assert!(u.data().iter().all(|&x| (-1.0..3.0).contains(&x)));
    let n = init::normal::<f64>(&[200, 200], 2.0, 0.5, &mut rng);
    let (mean, var) = mean_var(&n);
    assert!((mean - 2.0).abs() < 0.01 && (var - 0.25).abs() < 0.01);
}

#[test]
fn xavier_variance_is_two_over_fan_sum() {
    let mut rng = Rng::new(2);
    let shape = [300, 500];
    let want = 2.0 / 800.0;
    let u = init::xavier_uniform::<f64>(&shape, 1.0, &mut rng);
    assert_zero_mean_var(&u, want);
    assert!(max_abs(&u) <= (6.0f64 / 800.0).sqrt());
    assert_zero_mean_var(&init::xavier_normal::<f64>(&shape, 1.0, &mut rng), want);
    // The gain scales the standard deviation.
    let g = init::xavier_normal::<f64>(&shape, 2.0, &mut rng);
    assert_zero_mean_var(&g, 4.0 * want);
}

#[test]
fn kaiming_variance_is_gain_squared_over_fan() {
    let mut rng = Rng::new(3);
    let shape = [500, 400];
    let relu = Nonlinearity::default();
    let u = init::kaiming_uniform::<f64>(&shape, FanMode::FanIn, relu, &mut rng);
    assert_zero_mean_var(&u, 2.0 / 400.0);
    assert!(max_abs(&u) <= (6.0f64 / 400.0).sqrt());
    let n = init::kaiming_normal::<f64>(&shape, FanMode::FanOut, Nonlinearity::Tanh, &mut rng);
    assert_zero_mean_var(&n, (25.0 / 9.0) / 500.0);
    // Fans of a conv-like shape include the receptive field: fan_in = 4·5·5 = 100.
    let conv = init::kaiming_normal::<f64>(&[400, 4, 5, 5], FanMode::FanIn, relu, &mut rng);
    assert_zero_mean_var(&conv, 2.0 / 100.0);
}

#[test]
fn orthogonal_tall_has_orthonormal_columns() {
    let (rows, cols) = (60, 25);
    let w = init::orthogonal::<f64>(&[rows, cols], 1.0, &mut Rng::new(4));
    assert_rows_orthonormal(&transpose(w.data(), rows, cols), cols, rows, 1.0);
}

#[test]
fn orthogonal_wide_has_orthonormal_rows() {
    let (rows, cols) = (20, 45);
    let w = init::orthogonal::<f64>(&[rows, cols], 1.0, &mut Rng::new(5));
    assert_rows_orthonormal(w.data(), rows, cols, 1.0);
}

#[test]
fn orthogonal_square_with_gain_and_higher_rank() {
    let w = init::orthogonal::<f64>(&[16, 16], 2.0, &mut Rng::new(6));
    assert_rows_orthonormal(w.data(), 16, 16, 4.0);
    assert_rows_orthonormal(&transpose(w.data(), 16, 16), 16, 16, 4.0);
    // [6, 2, 5] flattens to 6 × 10: wide, so rows are orthonormal.
    let w = init::orthogonal::<f64>(&[6, 2, 5], 1.0, &mut Rng::new(7));
    assert_eq!(w.shape(), [6, 2, 5]);
    assert_rows_orthonormal(w.data(), 6, 10, 1.0);
    let w32 = init::orthogonal::<f32>(&[8, 8], 1.0, &mut Rng::new(7));
    let w64: Vec<f64> = w32.to_f64_vec();
    let dot: f64 = (0..8).map(|k| w64[k] * w64[k]).sum();
    assert!((dot - 1.0).abs() < 1e-5);
}

#[test]
fn orthogonal_is_the_sign_corrected_q_of_the_normal_draw() {
    // torch: Q of A = QR with diag(R) > 0, where A is the standard normal draw (rows × cols).
    let (rows, cols) = (7, 4);
    let q = init::orthogonal::<f64>(&[rows, cols], 1.0, &mut Rng::new(8));
    let mut rng = Rng::new(8);
    let a: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
    // R = Qᵀ·A must be upper triangular with a positive diagonal.
    for i in 0..cols {
        for j in 0..cols {
            let r: f64 = (0..rows)
                .map(|k| q.data()[k * cols + i] * a[k * cols + j])
                .sum();
            if i > j {
                assert!(r.abs() < 1e-10, "R[{i},{j}] = {r}");
            } else if i == j {
                assert!(r > 0.0, "R[{i},{i}] = {r}");
            }
        }
    }
}

#[test]
fn identity_and_constants() {
    let eye = init::identity::<f32>(2, 3);
    assert_eq!(eye.to_f64_vec(), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(
        init::identity::<f64>(3, 2).to_f64_vec(),
        vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    );
    assert_eq!(init::zeros::<f64>(&[2, 2]), Tensor::zeros(&[2, 2]));
    assert_eq!(init::constant::<f64>(&[3], 0.5).to_f64_vec(), vec![0.5; 3]);
}

#[test]
fn rnn_default_is_uniform_within_one_over_root_hidden() {
    let hidden = 25;
    let w = init::rnn_default::<f64>(&[4 * hidden, 10], hidden, &mut Rng::new(9));
    let bound = 0.2;
    assert!(max_abs(&w) <= bound);
    assert!(max_abs(&w) > 0.95 * bound);
    assert_zero_mean_var(
        &init::rnn_default::<f64>(&[400, 400], hidden, &mut Rng::new(10)),
        bound * bound / 3.0,
    );
}

#[test]
fn lstm_forget_bias_sets_the_second_quarter() {
    let hidden = 3;
    let mut bias = init::constant::<f32>(&[4 * hidden], 0.25);
    init::set_lstm_forget_bias(&mut bias, hidden, 1.0);
    let want = [
        0.25, 0.25, 0.25, 1.0, 1.0, 1.0, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25,
    ];
    assert_eq!(bias.to_f64_vec(), want);
}

#[test]
#[should_panic(expected = "set_lstm_forget_bias")]
fn lstm_forget_bias_checks_the_shape() {
    let mut bias = Tensor::<f32>::zeros(&[10]);
    init::set_lstm_forget_bias(&mut bias, 3, 1.0);
}

#[test]
fn rng_state_restores_mid_block_at_any_position() {
    // f64 draws take two 32-bit words: 128 draws end exactly at a 256-word buffer boundary.
    for used in (0..70).chain([127, 128, 129, 256, 5120]) {
        let mut a = autograd::Rng::new(3).fork(5);
        for _ in 0..used {
            a.bernoulli(0.3);
        }
        let json = serde_json::to_string(&a.state()).unwrap();
        let mut b = autograd::Rng::from_state(serde_json::from_str(&json).unwrap());
        let next_a: Vec<f64> = (0..40).map(|_| a.uniform()).collect();
        let next_b: Vec<f64> = (0..40).map(|_| b.uniform()).collect();
        assert_eq!(next_a, next_b, "after {used} draws");
        assert_eq!(a.state(), b.state(), "after {used} + 40 draws");
    }
}
