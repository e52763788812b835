//! Matrix products, 2-d and batched; transposes are strides handed to the GEMM, never copies.

use crate::element::Element;
use crate::op::Op;
use crate::ops::same_tape;
use crate::tape::{Backward, NodeId, Var};
use crate::tensor::{column_sums, gemm, zeroed, Gemm, PackedGemm, Start, Tensor};
use rayon::prelude::*;

/// A linear layer runs through [`PackedGemm`] when its weight has at most this many elements (half
/// of a core's L2 in f32, so that the packed weight stays in cache for every block of rows); larger
/// ones through matrixmultiply, whose blocking keeps any size in cache.
const PACKED_LINEAR_MAX: usize = 1 << 17;

/// The sizes of `op(a)·op(b)`: batch dims of the result, and m, k, n of each product.
struct Plan {
    batch: Vec<usize>,
    a_batched: bool,
    b_batched: bool,
    g: Gemm,
}

fn plan(a: &[usize], b: &[usize], ta: bool, tb: bool) -> Plan {
    assert!(
        a.len() >= 2 && b.len() >= 2,
        "matmul: operands need at least 2 dims, got {a:?} and {b:?}"
    );
    let (ar, br) = (a.len(), b.len());
    let (m, ka) = if ta {
        (a[ar - 1], a[ar - 2])
    } else {
        (a[ar - 2], a[ar - 1])
    };
    let (kb, n) = if tb {
        (b[br - 1], b[br - 2])
    } else {
        (b[br - 2], b[br - 1])
    };
    assert!(
        ka == kb,
        "matmul: inner dims differ for {a:?}{} x {b:?}{}",
        if ta { "ᵀ" } else { "" },
        if tb { "ᵀ" } else { "" }
    );
    let (abatch, bbatch) = (&a[..ar - 2], &b[..br - 2]);
    assert!(
        abatch == bbatch || abatch.is_empty() || bbatch.is_empty(),
        "matmul: batch dims of {a:?} and {b:?} differ"
    );
    let batch = if abatch.is_empty() { bbatch } else { abatch }.to_vec();
    Plan {
        batch,
        a_batched: !abatch.is_empty(),
        b_batched: !bbatch.is_empty(),
        g: Gemm {
            m,
            k: ka,
            n,
            ta,
            tb,
        },
    }
}

/// `op(a)·op(b)` as a tensor of shape `[batch…, m, n]`.
pub fn matmul_tensors<E: Element>(a: &Tensor<E>, b: &Tensor<E>, ta: bool, tb: bool) -> Tensor<E> {
    let p = plan(a.shape(), b.shape(), ta, tb);
    let Gemm { m, k, n, .. } = p.g;
    let nb: usize = p.batch.iter().product();
    let mut shape = p.batch.clone();
    shape.extend([m, n]);
    let mut out = zeroed(nb * m * n);
    if p.a_batched && !p.b_batched && !ta {
        // [batch·m, k] rows are contiguous: one GEMM over all of them.
        let g = Gemm { m: nb * m, ..p.g };
        gemm(g, E::one(), a.data(), b.data(), E::zero(), &mut out);
    } else if nb == 1 {
        gemm(p.g, E::one(), a.data(), b.data(), E::zero(), &mut out);
    } else {
        let (sa, sb) = (
            if p.a_batched { m * k } else { 0 },
            if p.b_batched { k * n } else { 0 },
        );
        let (ad, bd) = (a.data(), b.data());
        out.par_chunks_mut((m * n).max(1))
            .enumerate()
            .for_each(|(i, c)| {
                gemm(p.g, E::one(), &ad[i * sa..], &bd[i * sb..], E::zero(), c);
            });
    }
    Tensor::new(&shape, out)
}

/// `Σ_batch op(a)ᵀ·op(b)`-style reduction: a product whose batch is summed into a 2-d result.
fn matmul_summed<E: Element>(a: &Tensor<E>, b: &Tensor<E>, ta: bool, tb: bool) -> Tensor<E> {
    let (ar, br) = (a.rank(), b.rank());
    if ta && !tb && ar > 2 && a.shape()[..ar - 2] == b.shape()[..br - 2] {
        // Σ_i A_iᵀ B_i = [batch·r, m]ᵀ · [batch·r, n]: one GEMM over the stacked rows.
        let (r, m, n) = (a.dim(ar - 2), a.dim(ar - 1), b.dim(br - 1));
        let nb = a.numel() / (r * m);
        let a2 = a.reshape(&[nb * r, m]);
        let b2 = b.reshape(&[nb * r, n]);
        return matmul_tensors(&a2, &b2, true, false);
    }
    let full = matmul_tensors(a, b, ta, tb);
    let r = full.rank();
    let (m, n) = (full.dim(r - 2), full.dim(r - 1));
    full.reshape(&[full.numel() / (m * n), m, n])
        .sum_axis(0, false)
}

impl<'t, E: Element> Var<'t, E> {
    /// `op(self)·op(rhs)` where `ta`/`tb` use an operand transposed over its last two dims.
    pub fn matmul_t(self, rhs: Var<'t, E>, ta: bool, tb: bool) -> Var<'t, E> {
        same_tape("matmul", &[self, rhs]);
        let v = matmul_tensors(&self.value(), &rhs.value(), ta, tb);
        self.push(
            v,
            Op::MatMul {
                a: self.id(),
                b: rhs.id(),
                ta,
                tb,
            },
        )
    }

    /// `self · rhs` (2-d or batched over leading dims).
    pub fn matmul(self, rhs: Var<'t, E>) -> Var<'t, E> {
        self.matmul_t(rhs, false, false)
    }

    /// `self · rhsᵀ`, as in a linear layer `x·Wᵀ` (no copy of `rhs`).
    pub fn matmul_nt(self, rhs: Var<'t, E>) -> Var<'t, E> {
        self.matmul_t(rhs, false, true)
    }

    /// `selfᵀ · rhs` (no copy of `self`).
    pub fn matmul_tn(self, rhs: Var<'t, E>) -> Var<'t, E> {
        self.matmul_t(rhs, true, false)
    }

    /// `self·wᵀ + bias` over the last axis, as `torch.nn.functional.linear`: `self` `[…, in]`,
    /// `w` `[out, in]`, `bias` `[out]`; gives `[…, out]`. One fused op: the bias is the GEMM's
    /// starting value, and its gradient the column sums of the output's.
    pub fn linear(self, w: Var<'t, E>, bias: Option<Var<'t, E>>) -> Var<'t, E> {
        same_tape("linear", &[self, w]);
        let (x, wv) = (self.value(), w.value());
        let xs = x.shape();
        assert!(
            !xs.is_empty() && wv.rank() == 2 && xs[xs.len() - 1] == wv.dim(1),
            "linear: input of shape {xs:?} for a weight of shape {:?} (expected [out, in])",
            wv.shape()
        );
        let (rows, inp, out) = (x.numel() / wv.dim(1).max(1), wv.dim(1), wv.dim(0));
        let bias_value = bias.map(|b| {
            same_tape("linear", &[self, b]);
            let bv = b.value();
            assert!(
                bv.shape() == [out],
                "linear: bias of shape {:?} for {out} outputs",
                bv.shape()
            );
            bv
        });
        let y = if inp * out <= PACKED_LINEAR_MAX {
            // Wᵀ packed once, a block of rows of y at a time: each element starts from its bias
            // and is written once (matrixmultiply would read the bias back).
            let packed = PackedGemm::new(wv.data(), inp, out, true);
            match &bias_value {
                Some(bv) => {
                    // Not zeroed first: the product writes every element.
                    let mut y = Vec::with_capacity(rows * out);
                    let spare = &mut y.spare_capacity_mut()[..rows * out];
                    packed.multiply_uninit(rows, x.data(), inp, spare, out, bv.data());
                    // SAFETY: `multiply_uninit` wrote all rows·out elements.
                    unsafe { y.set_len(rows * out) };
                    y
                }
                None => {
                    let mut y = zeroed(rows * out);
                    packed.multiply(rows, x.data(), inp, &mut y, out, Start::Accumulate);
                    y
                }
            }
        } else {
            let (mut y, beta) = match &bias_value {
                Some(bv) => (bv.data().repeat(rows), E::one()),
                None => (zeroed(rows * out), E::zero()),
            };
            let g = Gemm {
                m: rows,
                k: inp,
                n: out,
                ta: false,
                tb: true,
            };
            gemm(g, E::one(), x.data(), wv.data(), beta, &mut y);
            y
        };
        let mut shape = xs.to_vec();
        *shape.last_mut().expect("rank checked") = out;
        self.push(
            Tensor::new(&shape, y),
            Op::Linear {
                x: self.id(),
                w: w.id(),
                b: bias.map(|b| b.id()),
            },
        )
    }
}

/// Gradient of `y = x·wᵀ + b` with G = dL/dy as `[rows, out]`: dx = G·w, dw = Gᵀ·x, db = Σ_rows G.
pub(crate) fn linear_backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    x: NodeId,
    w: NodeId,
    b: Option<NodeId>,
) {
    let (out, inp) = (ctx.value(w).dim(0), ctx.value(w).dim(1));
    let xs = ctx.value(x).shape();
    let rows: usize = xs[..xs.len() - 1].iter().product();
    ctx.give(x, |c| {
        let g = c.grad.reshape(&[rows, out]);
        linear_input_grad(&g, c.value(w)).reshape(c.value(x).shape())
    });
    ctx.give(w, |c| {
        let g = c.grad.reshape(&[rows, out]);
        linear_weight_grad(&g, &c.value(x).reshape(&[rows, inp]))
    });
    if let Some(b) = b {
        ctx.give(b, |c| Tensor::new(&[out], column_sums(c.grad.data(), out)));
    }
}

/// The gradient of a linear layer's input `[rows, in]` from that of its output `g` `[rows, out]`
/// and its weight `w` `[out, in]`: `g·W`.
pub(crate) fn linear_input_grad<E: Element>(g: &Tensor<E>, w: &Tensor<E>) -> Tensor<E> {
    matmul_tensors(g, w, false, false)
}

/// The gradient of a linear layer's weight `[out, in]` from that of its output `g` `[rows, out]`
/// and its input `x` `[rows, in]`: `gᵀ·x`.
pub(crate) fn linear_weight_grad<E: Element>(g: &Tensor<E>, x: &Tensor<E>) -> Tensor<E> {
    matmul_tensors(g, x, true, false)
}

/// Gradient of `op(A)·op(B)` for stored operands: C = op(A)·op(B), G = dL/dC.
///   dA = G·op(B)ᵀ (or, stored transposed, op(B)·Gᵀ);  dB = op(A)ᵀ·G (or Gᵀ·op(A)).
pub(crate) fn backward<E: Element>(
    ctx: &mut Backward<'_, E>,
    a: NodeId,
    b: NodeId,
    ta: bool,
    tb: bool,
) {
    ctx.give(a, |c| {
        let (g, bv) = (c.grad, c.value(b));
        let summed = c.value(a).rank() < g.rank();
        let f = if summed {
            matmul_summed
        } else {
            matmul_tensors
        };
        if ta {
            f(bv, g, tb, true)
        } else {
            f(g, bv, false, !tb)
        }
    });
    ctx.give(b, |c| {
        let (g, av) = (c.grad, c.value(a));
        let summed = c.value(b).rank() < g.rank();
        let f = if summed {
            matmul_summed
        } else {
            matmul_tensors
        };
        if tb {
            f(g, av, true, ta)
        } else {
            f(av, g, !ta, false)
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tape::Tape;

    fn ints(shape: &[usize], seed: usize) -> Tensor<f64> {
        Tensor::from_fn(shape, |i| ((i * 7 + seed) % 11) as f64 - 5.0)
    }

    /// `op(a)·op(b)` for 2-d `a` and `b` by a plain triple loop.
    fn product(
        a: &[f64],
        b: &[f64],
        (m, k, n): (usize, usize, usize),
        ta: bool,
        tb: bool,
    ) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k)
                    .map(|kk| {
                        let x = if ta { a[kk * m + i] } else { a[i * k + kk] };
                        let y = if tb { b[j * k + kk] } else { b[kk * n + j] };
                        x * y
                    })
                    .sum();
            }
        }
        c
    }

    #[test]
    fn miri_batched_products_match_a_plain_loop() {
        let (m, k, n) = (3, 5, 2);
        // (batch of a, batch of b): both batched (one GEMM per item, across the rayon threads),
        // a only (one GEMM over the stacked rows, or per item when a is transposed), b only.
        for (ba, bb) in [
            (vec![2, 2], vec![2, 2]),
            (vec![3], vec![]),
            (vec![], vec![2]),
        ] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let shape = |batch: &[usize], rows: usize, cols: usize, t: bool| {
                    let mut s = batch.to_vec();
                    s.extend(if t { [cols, rows] } else { [rows, cols] });
                    s
                };
                let a = ints(&shape(&ba, m, k, ta), 1);
                let b = ints(&shape(&bb, k, n, tb), 2);
                let c = matmul_tensors(&a, &b, ta, tb);
                let nb: usize = if ba.is_empty() { &bb } else { &ba }.iter().product();
                assert_eq!(c.numel(), nb * m * n);
                for item in 0..nb {
                    let ai = if ba.is_empty() { 0 } else { item };
                    let bi = if bb.is_empty() { 0 } else { item };
                    let want = product(
                        &a.data()[ai * m * k..(ai + 1) * m * k],
                        &b.data()[bi * k * n..(bi + 1) * k * n],
                        (m, k, n),
                        ta,
                        tb,
                    );
                    assert_eq!(&c.data()[item * m * n..(item + 1) * m * n], &want[..]);
                }
            }
        }
    }

    #[test]
    fn miri_matmul_gradients_match_plain_products() {
        let (m, k, n) = (3, 4, 5);
        for (ta, tb) in [(false, false), (true, true)] {
            let tape = Tape::<f64>::new();
            let (sa, sb) = (
                if ta { [k, m] } else { [m, k] },
                if tb { [n, k] } else { [k, n] },
            );
            let (a, b) = (tape.var(ints(&sa, 1)), tape.var(ints(&sb, 2)));
            let g = ints(&[m, n], 3);
            let grads = a.matmul_t(b, ta, tb).backward_with(&g);
            // dA = G·op(B)ᵀ stored as A; dB = op(A)ᵀ·G stored as B.
            let (av, bv) = (a.value(), b.value());
            let da = if ta {
                product(bv.data(), g.data(), (k, n, m), tb, true)
            } else {
                product(g.data(), bv.data(), (m, n, k), false, !tb)
            };
            let db = if tb {
                product(g.data(), av.data(), (n, m, k), true, ta)
            } else {
                product(av.data(), g.data(), (k, m, n), !ta, false)
            };
            assert_eq!(grads.wrt(a).data(), &da[..], "ta {ta} tb {tb}");
            assert_eq!(grads.wrt(b).data(), &db[..], "ta {ta} tb {tb}");
        }
        // A batched A against a shared B: B's gradient is summed over the batch.
        let tape = Tape::<f64>::new();
        let (a, b) = (tape.var(ints(&[2, m, k], 4)), tape.var(ints(&[k, n], 5)));
        let g = ints(&[2, m, n], 6);
        let grads = a.matmul(b).backward_with(&g);
        let mut db = vec![0.0; k * n];
        for item in 0..2 {
            let part = product(
                &a.value().data()[item * m * k..(item + 1) * m * k],
                &g.data()[item * m * n..(item + 1) * m * n],
                (k, m, n),
                true,
                false,
            );
            db.iter_mut().zip(part).for_each(|(d, p)| *d += p);
        }
        assert_eq!(grads.wrt(b).data(), &db[..]);
    }

    /// `x·wᵀ + bias` and its gradients against plain loops, for `x` `[rows…, inp]`.
    fn check_linear(lead: &[usize], inp: usize, out: usize, with_bias: bool) {
        let rows: usize = lead.iter().product();
        let mut xs = lead.to_vec();
        xs.push(inp);
        let tape = Tape::<f64>::new();
        let x = tape.var(ints(&xs, 1));
        let w = tape.var(ints(&[out, inp], 2));
        let b = tape.var(ints(&[out], 3));
        let y = x.linear(w, with_bias.then_some(b));
        let mut want = product(
            x.value().data(),
            w.value().data(),
            (rows, inp, out),
            false,
            true,
        );
        if with_bias {
            for (i, v) in want.iter_mut().enumerate() {
                *v += b.value().data()[i % out];
            }
        }
        assert_eq!(y.value().data(), &want[..], "linear {lead:?}×{inp}→{out}");
        let mut ys = lead.to_vec();
        ys.push(out);
        assert_eq!(y.shape(), ys);
        let g = ints(&ys, 4);
        let grads = y.backward_with(&g);
        let dx = product(g.data(), w.value().data(), (rows, out, inp), false, false);
        let dw = product(g.data(), x.value().data(), (out, rows, inp), true, false);
        assert_eq!(grads.wrt(x).data(), &dx[..]);
        assert_eq!(grads.wrt(w).data(), &dw[..]);
        if with_bias {
            let db: Vec<f64> = (0..out)
                .map(|j| (0..rows).map(|r| g.data()[r * out + j]).sum())
                .collect();
            assert_eq!(grads.wrt(b).data(), &db[..]);
        }
    }

    #[test]
    fn miri_packed_linear_matches_plain_loops_with_and_without_bias() {
        // The packed path (the bias start writes into uninitialized memory), at sizes around a
        // register tile (8 rows, 16 columns), and a 3-d input.
        for &(lead, inp, out) in &[
            (&[1][..], 1, 1),
            (&[3][..], 2, 5),
            (&[9][..], 7, 17),
            (&[2, 5][..], 5, 16),
        ] {
            check_linear(lead, inp, out, true);
            check_linear(lead, inp, out, false);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn large_linear_runs_through_matrixmultiply() {
        // A weight over PACKED_LINEAR_MAX elements.
        let (inp, out) = (PACKED_LINEAR_MAX / 64 + 1, 64);
        assert!(inp * out > PACKED_LINEAR_MAX);
        check_linear(&[3], inp, out, true);
        check_linear(&[2], inp, out, false);
    }
}
