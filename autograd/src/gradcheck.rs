//! Finite-difference gradient checking in f64, with PyTorch's tolerances.

use crate::params::ParamStore;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;
use std::fmt;

/// Tolerances of [`gradcheck`]; the defaults are PyTorch's (eps 1e-6, atol 1e-5, rtol 1e-3).
#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    /// The central-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (against the numeric value).
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// What a passing check measured.
#[derive(Clone, Debug)]
pub struct GradcheckReport {
    /// The largest |analytic − numeric| over all Jacobian entries.
    pub max_abs_err: f64,
    /// The number of Jacobian entries compared.
    pub entries: usize,
    /// The ops the function recorded (for coverage accounting).
    pub ops: Vec<&'static str>,
}

/// The first Jacobian entry where the analytic and numeric derivatives disagree.
#[derive(Clone, Debug)]
pub struct GradcheckFailure {
    /// Which input.
    pub input: usize,
    /// The flat index within that input.
    pub input_index: usize,
    /// The flat index of the output element.
    pub output_index: usize,
    /// The derivative from backward.
    pub analytic: f64,
    /// The central-difference derivative.
    pub numeric: f64,
}

impl fmt::Display for GradcheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradcheck: d output[{}] / d input{}[{}]: analytic {:.8e}, numeric {:.8e}",
            self.output_index, self.input, self.input_index, self.analytic, self.numeric
        )
    }
}

impl std::error::Error for GradcheckFailure {}

/// Checks the full Jacobian of `f` at `inputs` against central differences.
///
/// `f` builds its output from the inputs on the tape it is given; it is called once for the
/// analytic Jacobian (one backward per output element) and twice per input element for the numeric
/// one, so it must be deterministic (seed any dropout inside `f`). Passes when every entry has
/// |analytic − numeric| ≤ atol + rtol·|numeric|.
pub fn gradcheck<F>(
    f: F,
    inputs: &[Tensor<f64>],
    opts: &GradcheckOptions,
) -> Result<GradcheckReport, GradcheckFailure>
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    let eval = |xs: &[Tensor<f64>]| -> Tensor<f64> {
        let tape = Tape::new();
        let vars: Vec<_> = xs.iter().map(|x| tape.constant(x.clone())).collect();
        f(&tape, &vars).value()
    };

    // Analytic Jacobian: rows by output element, one backward each.
    let tape = Tape::new();
    let vars: Vec<_> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let out = f(&tape, &vars);
    let out_shape = out.shape();
    let n_out = out.value().numel();
    let mut analytic = Vec::with_capacity(n_out);
    for j in 0..n_out {
        let seed = Tensor::from_fn(&out_shape, |i| if i == j { 1.0 } else { 0.0 });
        let grads = out.backward_with(&seed);
        analytic.push(vars.iter().map(|&v| grads.wrt(v)).collect::<Vec<_>>());
    }

    let mut max_abs_err: f64 = 0.0;
    let mut entries = 0;
    let mut xs: Vec<Tensor<f64>> = inputs.to_vec();
    for (i, input) in inputs.iter().enumerate() {
        for e in 0..input.numel() {
            let x0 = input.data()[e];
            xs[i].data_mut()[e] = x0 + opts.eps;
            let plus = eval(&xs);
            xs[i].data_mut()[e] = x0 - opts.eps;
            let minus = eval(&xs);
            xs[i].data_mut()[e] = x0;
            for (j, row) in analytic.iter().enumerate() {
                let numeric = (plus.data()[j] - minus.data()[j]) / (2.0 * opts.eps);
                let a = row[i].data()[e];
                let err = (a - numeric).abs();
                max_abs_err = max_abs_err.max(err);
                entries += 1;
                let tolerance = opts.atol + opts.rtol * numeric.abs();
                if err.is_nan() || err > tolerance {
                    return Err(GradcheckFailure {
                        input: i,
                        input_index: e,
                        output_index: j,
                        analytic: a,
                        numeric,
                    });
                }
            }
        }
    }
    Ok(GradcheckReport {
        max_abs_err,
        entries,
        ops: tape.op_names(),
    })
}

/// The first parameter element where the analytic and numeric derivatives of a loss disagree.
#[derive(Clone, Debug)]
pub struct ParamGradcheckFailure {
    /// The parameter's name in the store.
    pub param: String,
    /// The flat index within that parameter.
    pub index: usize,
    /// The derivative from backward.
    pub analytic: f64,
    /// The central-difference derivative.
    pub numeric: f64,
}

impl fmt::Display for ParamGradcheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradcheck: d loss / d {}[{}]: analytic {:.8e}, numeric {:.8e}",
            self.param, self.index, self.analytic, self.numeric
        )
    }
}

impl std::error::Error for ParamGradcheckFailure {}

/// Checks the gradient of the scalar `loss` with respect to every element of every parameter of
/// `store` against central differences (a model's parameters, where [`gradcheck`] takes inputs).
///
/// `loss` builds the loss on the tape it is given from the store it is given; it is called once
/// for the gradient and twice per parameter element, so it must be deterministic (seed any draws
/// inside it). Each element is moved and put back, so `store` ends as it began. A parameter the
/// loss never reads must have a zero numeric derivative.
pub fn gradcheck_params<F>(
    store: &mut ParamStore<f64>,
    loss: F,
    opts: &GradcheckOptions,
) -> Result<GradcheckReport, ParamGradcheckFailure>
where
    F: for<'t> Fn(&'t Tape<f64>, &ParamStore<f64>) -> Var<'t, f64>,
{
    let tape = Tape::new();
    let grads = loss(&tape, store).backward();
    let value = |store: &ParamStore<f64>| loss(&Tape::new(), store).item();
    let ids: Vec<_> = store.iter().map(|(id, p)| (id, p.name.clone())).collect();
    let (mut max_abs_err, mut entries) = (0.0f64, 0);
    for (id, name) in ids {
        let analytic = grads
            .param(id)
            .cloned()
            .unwrap_or_else(|| Tensor::zeros(store.value(id).shape()));
        for e in 0..analytic.numel() {
            let x0 = store.value(id).data()[e];
            let mut at = |x: f64| {
                let mut v = store.value(id).clone();
                v.data_mut()[e] = x;
                store.set_value(id, v);
                value(store)
            };
            let numeric = (at(x0 + opts.eps) - at(x0 - opts.eps)) / (2.0 * opts.eps);
            at(x0);
            let a = analytic.data()[e];
            let err = (a - numeric).abs();
            max_abs_err = max_abs_err.max(err);
            entries += 1;
            if err.is_nan() || err > opts.atol + opts.rtol * numeric.abs() {
                return Err(ParamGradcheckFailure {
                    param: name,
                    index: e,
                    analytic: a,
                    numeric,
                });
            }
        }
    }
    Ok(GradcheckReport {
        max_abs_err,
        entries,
        ops: tape.op_names(),
    })
}
