//! Parity with PyTorch: composite programs rebuilt with the seqzoo API must reproduce the outputs
//! and gradients stored in `tests/fixtures/autograd/*.safetensors`.
//!
//! The fixtures are float32 results of `tests/fixtures/make_torch_fixtures.py` (run by hand). Each
//! program runs twice: in f32, and in f64 on the same (widened) inputs. Both must match every
//! stored tensor within |got − want| ≤ 1e-5 + 1e-5·|want|.

/// Fixture loading and comparison shared with the recurrent parity tests.
mod common;

use common::fixture::{check, Fixture, Results, ATOL, RTOL};
use seqzoo::autograd::{CrossEntropyOptions, Element, Tape};

/// Runs a program in f32 and in f64 against fixture `name`; panics listing every mismatch.
fn parity(
    name: &str,
    program_f32: fn(&Fixture) -> Results<f32>,
    program_f64: fn(&Fixture) -> Results<f64>,
) {
    let fx = Fixture::load("autograd", name);
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
