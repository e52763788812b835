//! Parity with PyTorch: composite programs rebuilt with the seqzoo API must reproduce the outputs
//! and gradients stored in `tests/fixtures/autograd/*.safetensors`.
//!
//! The fixtures are float32 results of `tests/fixtures/make_torch_fixtures.py` (run by hand). Each
//! program runs twice: in f32, and in f64 on the same (widened) inputs. Both must match every
//! stored tensor within |got − want| ≤ 1e-5 + 1e-5·|want|.

use seqzoo::autograd::params::read_tensors;
use seqzoo::autograd::{CrossEntropyOptions, Element, SafetensorsFile, Tape, Tensor};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;

/// Absolute part of the tolerance.
const ATOL: f64 = 1e-5;
/// Relative part of the tolerance.
const RTOL: f64 = 1e-5;

/// What a program computed: the fixture name of each expected tensor, with the computed value.
type Results<E> = Vec<(&'static str, Tensor<E>)>;

/// A loaded fixture that records which tensors a program read, to catch unchecked tensors.
struct Fixture {
    /// The file's tensors.
    file: SafetensorsFile,
    /// Names read as inputs or compared as results.
    used: RefCell<BTreeSet<String>>,
}

impl Fixture {
    /// Loads `tests/fixtures/autograd/<name>.safetensors`.
    fn load(name: &str) -> Fixture {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/autograd")
            .join(format!("{name}.safetensors"));
        Fixture {
            file: read_tensors(&path).unwrap_or_else(|e| panic!("fixture: {e}")),
            used: RefCell::new(BTreeSet::new()),
        }
    }

    /// The float tensor `name` as f64 shape and elements, marked as used.
    fn floats(&self, name: &str) -> (Vec<usize>, Vec<f64>) {
        self.used.borrow_mut().insert(name.to_string());
        let t = self
            .file
            .tensor::<f64>(name)
            .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
        (t.shape().to_vec(), t.to_vec())
    }

    /// The float tensor `name` converted to `E`, marked as used.
    fn input<E: Element>(&self, name: &str) -> Tensor<E> {
        let (shape, data) = self.floats(name);
        Tensor::from_f64(&shape, &data)
    }

    /// The I64 tensor `name`, marked as used.
    fn ints(&self, name: &str) -> Vec<i64> {
        self.used.borrow_mut().insert(name.to_string());
        let (_, values) = self
            .file
            .tensor_i64(name)
            .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
        values
    }
}

/// The worst element of one comparison.
struct Worst {
    /// Largest |got − want|.
    max_abs: f64,
    /// Largest |got − want| / (ATOL + RTOL·|want|); above 1 fails.
    max_ratio: f64,
    /// Flat index, got and want at the largest ratio.
    at: (usize, f64, f64),
}

/// Compares `got` with the fixture tensor `name` elementwise.
fn compare<E: Element>(fx: &Fixture, name: &str, got: &Tensor<E>) -> Result<Worst, String> {
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
        let ratio = err / (ATOL + RTOL * w.abs());
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
fn check<E: Element>(fx: &Fixture, label: &str, results: Results<E>, failures: &mut Vec<String>) {
    let mut overall = 0.0f64;
    for (tensor, got) in &results {
        match compare(fx, tensor, got) {
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

/// Runs a program in f32 and in f64 against fixture `name`; panics listing every mismatch.
fn parity(
    name: &str,
    program_f32: fn(&Fixture) -> Results<f32>,
    program_f64: fn(&Fixture) -> Results<f64>,
) {
    let fx = Fixture::load(name);
    let mut failures = Vec::new();
    check(
        &fx,
        &format!("{name} [f32]"),
        program_f32(&fx),
        &mut failures,
    );
    check(
        &fx,
        &format!("{name} [f64]"),
        program_f64(&fx),
        &mut failures,
    );
    let unused: Vec<&str> = fx
        .file
        .names()
        .filter(|k| !fx.used.borrow().contains(*k))
        .collect();
    assert!(
        unused.is_empty(),
        "{name}: fixture tensors never read or checked: {unused:?}"
    );
    assert!(
        fx.file.metadata().contains_key("description"),
        "{name}: fixture has no description metadata"
    );
    assert!(
        failures.is_empty(),
        "torch parity failures (tolerance {ATOL:e} + {RTOL:e}·|want|):\n{}",
        failures.join("\n")
    );
}

/// a. x → Linear(5,16) → tanh → Linear(16,3) → cross-entropy against integer targets.
fn mlp_program<E: Element>(fx: &Fixture) -> Results<E> {
    let tape = Tape::<E>::new();
    let [x, w1, b1, w2, b2] = ["x", "w1", "b1", "w2", "b2"].map(|n| tape.var(fx.input(n)));
    let targets = fx.ints("targets");
    let h = (x.matmul_nt(w1) + b1).tanh();
    let logits = h.matmul_nt(w2) + b2;
    let loss = logits.cross_entropy(&targets);
    let g = loss.backward();
    vec![
        ("logits", logits.value()),
        ("loss", loss.value()),
        ("grad.x", g.wrt(x)),
        ("grad.w1", g.wrt(w1)),
        ("grad.b1", g.wrt(b1)),
        ("grad.w2", g.wrt(w2)),
        ("grad.b2", g.wrt(b2)),
    ]
}

/// b. cross-entropy with ignore_index -100 on [4,6]; and sum(log_softmax(-1) · probe).
fn cross_entropy_ignore_program<E: Element>(fx: &Fixture) -> Results<E> {
    let tape = Tape::<E>::new();
    let logits = tape.var(fx.input("logits"));
    let probe = tape.constant(fx.input("probe"));
    let opts = CrossEntropyOptions {
        ignore_index: Some(-100),
        mask: None,
    };
    let loss = logits.cross_entropy_with(&fx.ints("targets"), &opts);
    let g = loss.backward();
    let lsm = logits.log_softmax(1);
    let probe_loss = (lsm * probe).sum();
    let gp = probe_loss.backward();
    vec![
        ("loss", loss.value()),
        ("grad.logits", g.wrt(logits)),
        ("log_softmax", lsm.value()),
        ("probe_loss", probe_loss.value()),
        ("grad_probe.logits", gp.wrt(logits)),
    ]
}

/// c. layer norm over the last dim of [3,4,8] with weight and bias; loss = sum(out · probe).
fn layer_norm_program<E: Element>(fx: &Fixture) -> Results<E> {
    let tape = Tape::<E>::new();
    let [x, weight, bias] = ["x", "weight", "bias"].map(|n| tape.var(fx.input(n)));
    let probe = tape.constant(fx.input("probe"));
    let out = x.layer_norm(Some(weight), Some(bias), 1e-5);
    let loss = (out * probe).sum();
    let g = loss.backward();
    vec![
        ("out", out.value()),
        ("loss", loss.value()),
        ("grad.x", g.wrt(x)),
        ("grad.weight", g.wrt(weight)),
        ("grad.bias", g.wrt(bias)),
    ]
}

/// d. (a·b + c) / (1 + b·b) − exp(a)·c with a[2,3,4], b[3,1], c[4]; loss = sum(out · probe).
fn broadcast_arith_program<E: Element>(fx: &Fixture) -> Results<E> {
    let tape = Tape::<E>::new();
    let [a, b, c] = ["a", "b", "c"].map(|n| tape.var(fx.input(n)));
    let probe = tape.constant(fx.input("probe"));
    let out = (a * b + c) / (1.0 + b * b) - a.exp() * c;
    let loss = (out * probe).sum();
    let g = loss.backward();
    vec![
        ("out", out.value()),
        ("loss", loss.value()),
        ("grad.a", g.wrt(a)),
        ("grad.b", g.wrt(b)),
        ("grad.c", g.wrt(c)),
    ]
}

/// e. A@B batched, A@Wᵀ with a 2-d W, Aᵀ@C; with `copies`, transposes are explicit ops.
fn batched_matmul_program<E: Element>(fx: &Fixture, copies: bool) -> Results<E> {
    let tape = Tape::<E>::new();
    let [a, b, w, c] = ["a", "b", "w", "c"].map(|n| tape.var(fx.input(n)));
    let [p_ab, p_aw, p_atc] =
        ["probe_ab", "probe_aw", "probe_atc"].map(|n| tape.constant(fx.input(n)));
    let ab = a.matmul(b);
    let (aw, atc) = if copies {
        (a.matmul(w.t()), a.transpose(1, 2).matmul(c))
    } else {
        (a.matmul_nt(w), a.matmul_tn(c))
    };
    let loss = (ab * p_ab).sum() + (aw * p_aw).sum() + (atc * p_atc).sum();
    let g = loss.backward();
    vec![
        ("ab", ab.value()),
        ("aw", aw.value()),
        ("atc", atc.value()),
        ("loss", loss.value()),
        ("grad.a", g.wrt(a)),
        ("grad.b", g.wrt(b)),
        ("grad.w", g.wrt(w)),
        ("grad.c", g.wrt(c)),
    ]
}

/// f. BCE with logits (mean) against soft targets, and MSE between two vars, on [4,3].
fn bce_mse_program<E: Element>(fx: &Fixture) -> Results<E> {
    let tape = Tape::<E>::new();
    let logits = tape.var(fx.input("logits"));
    let bce = logits.bce_with_logits(&fx.input("targets"));
    let gb = bce.backward();
    let [pred, target] = ["pred", "target"].map(|n| tape.var(fx.input(n)));
    let mse = pred.mse(target);
    let gm = mse.backward();
    vec![
        ("bce", bce.value()),
        ("grad_bce.logits", gb.wrt(logits)),
        ("mse", mse.value()),
        ("grad_mse.pred", gm.wrt(pred)),
        ("grad_mse.target", gm.wrt(target)),
    ]
}

/// g. sum(softmax(x, 1) · probe) on [2,3,4]; sum(√(softplus(2σ(z) − 1) + relu(z)) · probe_z).
fn softmax_chain_program<E: Element>(fx: &Fixture) -> Results<E> {
    let tape = Tape::<E>::new();
    let x = tape.var(fx.input("x"));
    let probe = tape.constant(fx.input("probe"));
    let sm = x.softmax(1);
    let sm_loss = (sm * probe).sum();
    let gs = sm_loss.backward();
    let z = tape.var(fx.input("z"));
    let probe_z = tape.constant(fx.input("probe_z"));
    let chain = ((2.0 * z.sigmoid() - 1.0).softplus() + z.relu()).sqrt();
    let chain_loss = (chain * probe_z).sum();
    let gc = chain_loss.backward();
    vec![
        ("softmax", sm.value()),
        ("softmax_loss", sm_loss.value()),
        ("grad_softmax.x", gs.wrt(x)),
        ("chain", chain.value()),
        ("chain_loss", chain_loss.value()),
        ("grad_chain.z", gc.wrt(z)),
    ]
}

#[test]
fn mlp_matches_torch() {
    parity("mlp", mlp_program::<f32>, mlp_program::<f64>);
}

#[test]
fn cross_entropy_ignore_index_matches_torch() {
    parity(
        "cross_entropy_ignore",
        cross_entropy_ignore_program::<f32>,
        cross_entropy_ignore_program::<f64>,
    );
}

#[test]
fn layer_norm_matches_torch() {
    parity(
        "layer_norm",
        layer_norm_program::<f32>,
        layer_norm_program::<f64>,
    );
}

#[test]
fn broadcast_arith_matches_torch() {
    parity(
        "broadcast_arith",
        broadcast_arith_program::<f32>,
        broadcast_arith_program::<f64>,
    );
}

#[test]
fn batched_matmul_strided_transposes_match_torch() {
    parity(
        "batched_matmul",
        |fx| batched_matmul_program::<f32>(fx, false),
        |fx| batched_matmul_program::<f64>(fx, false),
    );
}

#[test]
fn batched_matmul_explicit_transposes_match_torch() {
    parity(
        "batched_matmul",
        |fx| batched_matmul_program::<f32>(fx, true),
        |fx| batched_matmul_program::<f64>(fx, true),
    );
}

#[test]
fn bce_and_mse_match_torch() {
    parity("bce_mse", bce_mse_program::<f32>, bce_mse_program::<f64>);
}

#[test]
fn softmax_and_unary_chain_match_torch() {
    parity(
        "softmax_chain",
        softmax_chain_program::<f32>,
        softmax_chain_program::<f64>,
    );
}
