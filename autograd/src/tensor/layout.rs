//! Layout kernels: transposition, slicing, concatenation, gathering and axis reductions.
//!
//! Each axis operation views the tensor as `[outer, dim, inner]` around its axis.

use super::{numel, Tensor};
use crate::element::Element;

/// Splits `shape` around `axis` into (product before, size at, product after).
pub fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis],
        shape[axis + 1..].iter().product(),
    )
}

impl<E: Element> Tensor<E> {
    /// Swaps dimensions `d0` and `d1` (a copy in the new row-major order).
    pub fn transpose(&self, d0: usize, d1: usize) -> Tensor<E> {
        let rank = self.rank();
        assert!(
            d0 < rank && d1 < rank,
            "transpose: dims ({d0}, {d1}) out of range for shape {:?}",
            self.shape()
        );
        if d0 == d1 {
            return self.clone();
        }
        let mut perm: Vec<usize> = (0..rank).collect();
        perm.swap(d0, d1);
        self.permute(&perm)
    }

    /// Reorders dimensions: output dim `i` is input dim `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Tensor<E> {
        let rank = self.rank();
        let shape = self.shape();
        let mut in_strides = vec![1; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            in_strides[d] = in_strides[d + 1] * shape[d + 1];
        }
        let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        let strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
        let src = self.data();
        let mut out = Vec::with_capacity(self.numel());
        let mut idx = vec![0usize; rank];
        let mut off = 0usize;
        for _ in 0..self.numel() {
            out.push(src[off]);
            for d in (0..rank).rev() {
                idx[d] += 1;
                off += strides[d];
                if idx[d] < out_shape[d] {
                    break;
                }
                off -= strides[d] * out_shape[d];
                idx[d] = 0;
            }
        }
        Tensor::new(&out_shape, out)
    }

    /// The slice `start..start + len` along `axis`.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Tensor<E> {
        assert!(
            axis < self.rank() && start + len <= self.dim(axis),
            "narrow: range {start}..{} on axis {axis} out of bounds for shape {:?}",
            start + len,
            self.shape()
        );
        let (outer, dim, inner) = split_at_axis(self.shape(), axis);
        let src = self.data();
        let mut out = Vec::with_capacity(outer * len * inner);
        for o in 0..outer {
            let base = (o * dim + start) * inner;
            out.extend_from_slice(&src[base..base + len * inner]);
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = len;
        Tensor::new(&shape, out)
    }

    /// Concatenates tensors along `axis`; all other dims must agree.
    pub fn concat(parts: &[&Tensor<E>], axis: usize) -> Tensor<E> {
        assert!(!parts.is_empty(), "concat: no tensors");
        let first = parts[0].shape();
        assert!(
            axis < first.len(),
            "concat: axis {axis} out of range for shape {first:?}"
        );
        for p in parts {
            let s = p.shape();
            let ok = s.len() == first.len()
                && s.iter()
                    .zip(first)
                    .enumerate()
                    .all(|(d, (a, b))| d == axis || a == b);
            assert!(
                ok,
                "concat: shape {s:?} does not fit {first:?} along axis {axis}"
            );
        }
        let total: usize = parts.iter().map(|p| p.dim(axis)).sum();
        let (outer, _, inner) = split_at_axis(first, axis);
        let mut out = Vec::with_capacity(outer * total * inner);
        for o in 0..outer {
            for p in parts {
                let chunk = p.dim(axis) * inner;
                out.extend_from_slice(&p.data()[o * chunk..(o + 1) * chunk]);
            }
        }
        let mut shape = first.to_vec();
        shape[axis] = total;
        Tensor::new(&shape, out)
    }

    /// Picks the entries `indices` along `axis` (repeats allowed).
    pub fn index_select(&self, axis: usize, indices: &[usize]) -> Tensor<E> {
        let (outer, dim, inner) = split_at_axis(self.shape(), axis);
        let src = self.data();
        let mut out = Vec::with_capacity(outer * indices.len() * inner);
        for o in 0..outer {
            for &i in indices {
                assert!(
                    i < dim,
                    "index_select: index {i} out of range for axis {axis} of shape {:?}",
                    self.shape()
                );
                let base = (o * dim + i) * inner;
                out.extend_from_slice(&src[base..base + inner]);
            }
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = indices.len();
        Tensor::new(&shape, out)
    }

    /// The adjoint of `index_select`: adds each slice of `self` into position `indices[j]` of a
    /// zero tensor with `dim` entries along `axis`.
    pub fn index_add(&self, axis: usize, indices: &[usize], dim: usize) -> Tensor<E> {
        let (outer, n, inner) = split_at_axis(self.shape(), axis);
        assert_eq!(
            n,
            indices.len(),
            "index_add: {} indices for axis of size {n}",
            indices.len()
        );
        let mut shape = self.shape().to_vec();
        shape[axis] = dim;
        let mut out = vec![E::zero(); numel(&shape)];
        let src = self.data();
        for o in 0..outer {
            for (j, &i) in indices.iter().enumerate() {
                let s = (o * n + j) * inner;
                let d = (o * dim + i) * inner;
                for (a, &b) in out[d..d + inner].iter_mut().zip(&src[s..s + inner]) {
                    *a += b;
                }
            }
        }
        Tensor::new(&shape, out)
    }

    /// Sums over `axis`, keeping it as size 1 when `keepdim`.
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Tensor<E> {
        assert!(
            axis < self.rank(),
            "sum: axis {axis} out of range for shape {:?}",
            self.shape()
        );
        let (outer, dim, inner) = split_at_axis(self.shape(), axis);
        let src = self.data();
        let mut out = vec![E::zero(); outer * inner];
        for o in 0..outer {
            let dst = &mut out[o * inner..(o + 1) * inner];
            for d in 0..dim {
                let base = (o * dim + d) * inner;
                for (a, &b) in dst.iter_mut().zip(&src[base..base + inner]) {
                    *a += b;
                }
            }
        }
        Tensor::new(&reduced_shape(self.shape(), axis, keepdim), out)
    }

    /// Maximum over `axis` and the position of the first maximum of each lane.
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> (Tensor<E>, Vec<usize>) {
        assert!(
            axis < self.rank(),
            "max: axis {axis} out of range for shape {:?}",
            self.shape()
        );
        let (outer, dim, inner) = split_at_axis(self.shape(), axis);
        assert!(
            dim > 0,
            "max: empty axis {axis} in shape {:?}",
            self.shape()
        );
        let src = self.data();
        let mut vals = Vec::with_capacity(outer * inner);
        let mut arg = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let mut best = 0;
                let mut bv = src[o * dim * inner + i];
                for d in 1..dim {
                    let v = src[(o * dim + d) * inner + i];
                    if v > bv || (bv.is_nan() && !v.is_nan()) {
                        bv = v;
                        best = d;
                    }
                }
                vals.push(bv);
                arg.push(best);
            }
        }
        (
            Tensor::new(&reduced_shape(self.shape(), axis, keepdim), vals),
            arg,
        )
    }

    /// Repeats a tensor reduced over `axis` (with or without keepdim) back to `shape`.
    pub fn expand_axis(&self, axis: usize, shape: &[usize]) -> Tensor<E> {
        let (outer, dim, inner) = split_at_axis(shape, axis);
        assert_eq!(
            self.numel(),
            outer * inner,
            "expand_axis: {:?} to {shape:?}",
            self.shape()
        );
        let src = self.data();
        let mut out = Vec::with_capacity(numel(shape));
        for o in 0..outer {
            for _ in 0..dim {
                out.extend_from_slice(&src[o * inner..(o + 1) * inner]);
            }
        }
        Tensor::new(shape, out)
    }
}

/// `shape` with `axis` removed, or set to 1 when `keepdim`.
pub fn reduced_shape(shape: &[usize], axis: usize, keepdim: bool) -> Vec<usize> {
    let mut s = shape.to_vec();
    if keepdim {
        s[axis] = 1;
    } else {
        s.remove(axis);
    }
    s
}
