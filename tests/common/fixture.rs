//! Fixture files written by PyTorch and the tolerance check the parity tests share.

use seqzoo::autograd::params::read_tensors;
use seqzoo::autograd::{Element, SafetensorsFile, Tensor};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;

/// Absolute part of the tolerance.
pub const ATOL: f64 = 1e-5;
/// Relative part of the tolerance.
pub const RTOL: f64 = 1e-5;

/// What a program computed: the fixture name of each expected tensor, with the computed value.
pub type Results<E> = Vec<(&'static str, Tensor<E>)>;

/// A loaded fixture that records which tensors a program read, to catch unchecked tensors.
pub struct Fixture {
    /// The file's tensors.
    pub file: SafetensorsFile,
    /// Names read as inputs or compared as results.
    pub used: RefCell<BTreeSet<String>>,
}

impl Fixture {
    /// Loads `tests/fixtures/<dir>/<name>.safetensors`.
    pub fn load(dir: &str, name: &str) -> Fixture {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(dir)
            .join(format!("{name}.safetensors"));
        Fixture {
            file: read_tensors(&path).unwrap_or_else(|e| panic!("fixture: {e}")),
            used: RefCell::new(BTreeSet::new()),
        }
    }

    /// The float tensor `name` as f64 shape and elements, marked as used.
    pub fn floats(&self, name: &str) -> (Vec<usize>, Vec<f64>) {
        self.used.borrow_mut().insert(name.to_string());
        let t = self
            .file
            .tensor::<f64>(name)
            .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
        (t.shape().to_vec(), t.to_vec())
    }

    /// The float tensor `name` converted to `E`, marked as used.
    pub fn input<E: Element>(&self, name: &str) -> Tensor<E> {
        let (shape, data) = self.floats(name);
        Tensor::from_f64(&shape, &data)
    }

    /// The I64 tensor `name`, marked as used.
    pub fn ints(&self, name: &str) -> Vec<i64> {
        self.used.borrow_mut().insert(name.to_string());
        let (_, values) = self
            .file
            .tensor_i64(name)
            .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
        values
    }
}

/// The worst element of one comparison.
pub struct Worst {
    /// Largest |got − want|.
    pub max_abs: f64,
    /// Largest |got − want| / (ATOL + RTOL·|want|); above 1 fails.
    pub max_ratio: f64,
    /// Flat index, got and want at the largest ratio.
    pub at: (usize, f64, f64),
}

/// Compares `got` with the fixture tensor `name` elementwise.
pub fn compare<E: Element>(
    fx: &Fixture,
    name: &str,
    got: &Tensor<E>,
    scale: f64,
) -> Result<Worst, String> {
    let (shape, want) = fx.floats(name);
    if got.shape() != shape.as_slice() {
        return Err(format!(
            "{name}: shape {:?}, fixture has {shape:?}",
            got.shape()
        ));
    }
    let mut worst = Worst {
        max_abs: 0.0,
        max_ratio: 0.0,
        at: (0, f64::NAN, f64::NAN),
    };
    for (i, (g, w)) in got.to_f64_vec().into_iter().zip(want).enumerate() {
        let err = (g - w).abs();
        let ratio = err / (scale * (ATOL + RTOL * w.abs()));
        if ratio.is_nan() {
            return Err(format!("{name}[{i}]: got {g}, want {w}"));
        }
        worst.max_abs = worst.max_abs.max(err);
        if ratio >= worst.max_ratio {
            worst.max_ratio = ratio;
            worst.at = (i, g, w);
        }
    }
    Ok(worst)
}

/// Compares every result of one run; pushes a line per mismatch and prints the max error.
pub fn check<E: Element>(
    fx: &Fixture,
    label: &str,
    results: Results<E>,
    failures: &mut Vec<String>,
) {
    check_within(fx, label, results, failures, 1.0);
}

/// [`check`] with the tolerance `scale` times [`ATOL`] + [`RTOL`]·|want|.
pub fn check_within<E: Element>(
    fx: &Fixture,
    label: &str,
    results: Results<E>,
    failures: &mut Vec<String>,
    scale: f64,
) {
    let mut overall = 0.0f64;
    for (tensor, got) in &results {
        match compare(fx, tensor, got, scale) {
            Ok(w) => {
                overall = overall.max(w.max_abs);
                if w.max_ratio > 1.0 {
                    let (i, g, want) = w.at;
                    failures.push(format!(
                        "{label} {tensor} {:?}: max |err| {:.3e} (element {i}: got {g:.9}, \
                         want {want:.9}, {:.1}x the tolerance)",
                        got.shape(),
                        w.max_abs,
                        w.max_ratio
                    ));
                }
            }
            Err(e) => failures.push(format!("{label} {e}")),
        }
    }
    println!("{label}: max |err| over all tensors {overall:.3e}");
}
