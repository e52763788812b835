//! Parameter initializers with PyTorch's `torch.nn.init` formulas, drawing from the seeded [`Rng`].
//!
//! ```
//! use autograd::{init, Rng, Tensor};
//! let mut rng = Rng::new(0);
//! let w: Tensor<f32> = init::xavier_uniform(&[64, 32], 1.0, &mut rng);
//! let bound = (6.0f32 / 96.0).sqrt();
//! assert!(w.data().iter().all(|x| x.abs() <= bound));
//! ```

use crate::element::Element;
use crate::rng::Rng;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// Which fan Kaiming initialization preserves the variance of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FanMode {
    /// The forward pass (torch's default).
    #[default]
    FanIn,
    /// The backward pass.
    FanOut,
}

/// A nonlinearity, for its recommended gain (torch `calculate_gain`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Nonlinearity {
    /// Identity / linear layers: gain 1.
    Linear,
    /// Sigmoid: gain 1.
    Sigmoid,
    /// Tanh: gain 5/3.
    Tanh,
    /// ReLU: gain √2.
    Relu,
    /// Leaky ReLU with this negative slope: gain √(2/(1+a²)).
    LeakyRelu(f64),
    /// SELU: gain 3/4.
    Selu,
}

impl Default for Nonlinearity {
    /// torch's Kaiming default: leaky ReLU with slope 0 (the same gain as ReLU).
    fn default() -> Self {
        Nonlinearity::LeakyRelu(0.0)
    }
}

impl Nonlinearity {
    /// The recommended gain, as torch's `calculate_gain`.
    pub fn gain(self) -> f64 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f64.sqrt(),
            Nonlinearity::LeakyRelu(a) => (2.0 / (1.0 + a * a)).sqrt(),
            Nonlinearity::Selu => 0.75,
        }
    }
}

/// `(fan_in, fan_out)` = `(dim1, dim0)` times the receptive field (product of dims 2..), as torch.
///
/// Panics for shapes of rank below 2, where torch raises.
pub fn fan_in_and_fan_out(shape: &[usize]) -> (usize, usize) {
    assert!(
        shape.len() >= 2,
        "fan in and fan out need a shape of rank >= 2, got {shape:?}"
    );
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

/// A tensor of zeros.
pub fn zeros<E: Element>(shape: &[usize]) -> Tensor<E> {
    Tensor::zeros(shape)
}

/// A tensor filled with `value`.
pub fn constant<E: Element>(shape: &[usize], value: f64) -> Tensor<E> {
    Tensor::full(shape, E::of(value))
}

/// Independent draws from U(lo, hi).
pub fn uniform<E: Element>(shape: &[usize], lo: f64, hi: f64, rng: &mut Rng) -> Tensor<E> {
    Tensor::from_fn(shape, |_| E::of(rng.uniform_in(lo, hi)))
}

/// Independent draws from N(mean, std²).
pub fn normal<E: Element>(shape: &[usize], mean: f64, std: f64, rng: &mut Rng) -> Tensor<E> {
    Tensor::from_fn(shape, |_| E::of(mean + std * rng.normal()))
}

/// Glorot uniform: U(±gain·√(6/(fan_in+fan_out))).
pub fn xavier_uniform<E: Element>(shape: &[usize], gain: f64, rng: &mut Rng) -> Tensor<E> {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape);
    let bound = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
    uniform(shape, -bound, bound, rng)
}

/// Glorot normal: N(0, gain²·2/(fan_in+fan_out)).
pub fn xavier_normal<E: Element>(shape: &[usize], gain: f64, rng: &mut Rng) -> Tensor<E> {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape);
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    normal(shape, 0.0, std, rng)
}

/// The standard deviation Kaiming initialization aims for: gain/√fan.
fn kaiming_std(shape: &[usize], mode: FanMode, nonlinearity: Nonlinearity) -> f64 {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape);
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    nonlinearity.gain() / (fan.max(1) as f64).sqrt()
}

/// He uniform: U(±√3·gain/√fan); torch's defaults are `FanMode::FanIn`, `LeakyRelu(0.0)`.
pub fn kaiming_uniform<E: Element>(
    shape: &[usize],
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) -> Tensor<E> {
    let bound = 3f64.sqrt() * kaiming_std(shape, mode, nonlinearity);
    uniform(shape, -bound, bound, rng)
}

/// He normal: N(0, gain²/fan); torch's defaults are `FanMode::FanIn`, `LeakyRelu(0.0)`.
pub fn kaiming_normal<E: Element>(
    shape: &[usize],
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) -> Tensor<E> {
    normal(shape, 0.0, kaiming_std(shape, mode, nonlinearity), rng)
}

/// A (semi-)orthogonal matrix times `gain`, as torch's `orthogonal_`: rows orthonormal if the
/// flattened `[dim0, rest]` matrix is wide, columns orthonormal if it is tall.
///
/// It is the sign-corrected Q of the QR decomposition of a standard normal matrix (Gram–Schmidt
/// gives the Q whose R has a positive diagonal). Panics for shapes of rank below 2.
pub fn orthogonal<E: Element>(shape: &[usize], gain: f64, rng: &mut Rng) -> Tensor<E> {
    assert!(
        shape.len() >= 2,
        "orthogonal: needs a shape of rank >= 2, got {shape:?}"
    );
    let rows = shape[0];
    let cols = shape[1..].iter().product::<usize>();
    if rows == 0 || cols == 0 {
        return Tensor::zeros(shape);
    }
    let a: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
    // Orthonormalize the columns of the tall matrix: `a` itself, or its transpose when wide.
    let (m, n) = (rows.max(cols), rows.min(cols));
    let column = |j: usize| -> Vec<f64> {
        if rows >= cols {
            (0..m).map(|i| a[i * cols + j]).collect()
        } else {
            a[j * cols..(j + 1) * cols].to_vec()
        }
    };
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(n);
    for j in 0..n {
        let mut v = column(j);
        // Modified Gram–Schmidt, run twice for orthogonality to machine precision.
        for _ in 0..2 {
            for qk in &q {
                let dot: f64 = qk.iter().zip(&v).map(|(x, y)| x * y).sum();
                v.iter_mut().zip(qk).for_each(|(x, y)| *x -= dot * y);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        q.push(v);
    }
    let data = (0..rows * cols)
        .map(|flat| {
            let (i, j) = (flat / cols, flat % cols);
            let x = if rows >= cols { q[j][i] } else { q[i][j] };
            E::of(gain * x)
        })
        .collect();
    Tensor::new(shape, data)
}

/// The `rows × cols` identity matrix (ones on the main diagonal), e.g. for IRNN recurrent weights.
pub fn identity<E: Element>(rows: usize, cols: usize) -> Tensor<E> {
    Tensor::from_fn(&[rows, cols], |flat| {
        if flat / cols == flat % cols {
            E::one()
        } else {
            E::zero()
        }
    })
}

/// PyTorch's default for every RNN/LSTM/GRU parameter: U(±1/√hidden).
pub fn rnn_default<E: Element>(shape: &[usize], hidden: usize, rng: &mut Rng) -> Tensor<E> {
    assert!(hidden > 0, "rnn_default: hidden size must be positive");
    let bound = 1.0 / (hidden as f64).sqrt();
    uniform(shape, -bound, bound, rng)
}

/// Sets the forget-gate slice (elements `hidden..2·hidden`, gate order i, f, g, o) of an LSTM
/// bias of shape `[4·hidden]` to `value`; panics on any other shape.
pub fn set_lstm_forget_bias<E: Element>(bias: &mut Tensor<E>, hidden: usize, value: f64) {
    assert_eq!(
        bias.shape(),
        [4 * hidden],
        "set_lstm_forget_bias: bias must have shape [4·{hidden}]"
    );
    bias.data_mut()[hidden..2 * hidden].fill(E::of(value));
}
