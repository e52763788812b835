//! NumPy broadcasting: the shape rule, elementwise combination, and its adjoint (sum to a shape).

use super::{numel, Tensor};
use crate::element::Element;

/// The broadcast shape of two shapes under NumPy rules, or `None` if they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Row-major strides of `shape` aligned to `rank` dims, with 0 on broadcast (size-1 or missing) dims.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let rank = out.len();
    let mut strides = vec![0; rank];
    let mut s = 1;
    for i in (0..shape.len()).rev() {
        let o = i + rank - shape.len();
        strides[o] = if shape[i] == 1 && out[o] != 1 { 0 } else { s };
        s *= shape[i];
    }
    strides
}

/// Calls `f(out_index, a_index, b_index)` for every element of `out`, in row-major order.
fn for_each_broadcast(
    out: &[usize],
    sa: &[usize],
    sb: &[usize],
    mut f: impl FnMut(usize, usize, usize),
) {
    let total = numel(out);
    if total == 0 {
        return;
    }
    let rank = out.len();
    if rank == 0 {
        f(0, 0, 0);
        return;
    }
    let inner = out[rank - 1];
    let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
    let mut idx = vec![0usize; rank];
    let (mut oa, mut ob) = (0usize, 0usize);
    let mut o = 0;
    while o < total {
        for j in 0..inner {
            f(o + j, oa + j * ia, ob + j * ib);
        }
        o += inner;
        // Advance the odometer over the outer dims.
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            oa += sa[d];
            ob += sb[d];
            if idx[d] < out[d] {
                break;
            }
            oa -= sa[d] * out[d];
            ob -= sb[d] * out[d];
            idx[d] = 0;
        }
    }
}

/// Whether `small` equals the trailing dims of `big` (ignoring leading 1s of `small`), so that
/// broadcasting repeats it over `big`'s leading dims as whole contiguous blocks.
fn is_trailing(small: &[usize], big: &[usize]) -> bool {
    let small = &small[small.iter().take_while(|&&d| d == 1).count()..];
    small.len() <= big.len() && big[big.len() - small.len()..] == *small
}

impl<E: Element> Tensor<E> {
    /// Combines two tensors elementwise under NumPy broadcasting; panics naming `op` if incompatible.
    pub fn zip_broadcast(
        &self,
        other: &Tensor<E>,
        op: &str,
        f: impl Fn(E, E) -> E + Sync + Send,
    ) -> Tensor<E> {
        if self.shape() == other.shape() {
            return self.zip_same(other, f);
        }
        let out = broadcast_shapes(self.shape(), other.shape()).unwrap_or_else(|| {
            panic!(
                "{op}: shapes {:?} and {:?} do not broadcast",
                self.shape(),
                other.shape()
            )
        });
        let (a, b) = (self.data(), other.data());
        if b.len() == 1 {
            let y = b[0];
            return Tensor::new(&out, a.iter().map(|&x| f(x, y)).collect());
        }
        if a.len() == 1 {
            let x = a[0];
            return Tensor::new(&out, b.iter().map(|&y| f(x, y)).collect());
        }
        if out == self.shape() && is_trailing(other.shape(), &out) {
            // A row (e.g. a bias) repeated over the leading dims: contiguous chunks.
            return Tensor::new(&out, super::map_rows(a, b, f));
        }
        let sa = broadcast_strides(self.shape(), &out);
        let sb = broadcast_strides(other.shape(), &out);
        let mut data = vec![E::zero(); numel(&out)];
        for_each_broadcast(&out, &sa, &sb, |o, i, j| data[o] = f(a[i], b[j]));
        Tensor::new(&out, data)
    }

    /// Sums this tensor down to `shape`, the adjoint of broadcasting `shape` up to `self.shape()`.
    pub fn sum_to_shape(&self, shape: &[usize]) -> Tensor<E> {
        if self.shape() == shape {
            return self.clone();
        }
        let out = self.shape();
        if is_trailing(shape, out) && numel(shape) > 0 {
            // Summing over leading dims only: add contiguous rows.
            return Tensor::new(shape, super::column_sums(self.data(), numel(shape)));
        }
        let st = broadcast_strides(shape, out);
        let zeros = vec![0; out.len()];
        let mut acc = vec![E::zero(); numel(shape)];
        let src = self.data();
        for_each_broadcast(out, &st, &zeros, |o, t, _| acc[t] += src[o]);
        Tensor::new(shape, acc)
    }
}
