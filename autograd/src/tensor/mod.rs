//! `Tensor<E>`: an immutable, row-major, contiguous n-d array with shared storage.

mod broadcast;
pub(crate) mod gemm;
mod layout;
mod packed;
mod par_map;
mod sums;
mod zeroed;

pub use broadcast::broadcast_shapes;
pub use layout::{reduced_shape, split_at_axis};

// The kernels behind the ops: crate-private (the few benchmarks need are in `crate::kernels`).
pub(crate) use gemm::{gemm, gemm_ld, Gemm};
pub(crate) use packed::MR;
pub use packed::{PackedGemm, Start};
#[cfg(test)]
pub(crate) use par_map::on_two_threads;
pub(crate) use par_map::{map1, map3, map_rows};
pub(crate) use sums::{column_sums, sum};
pub(crate) use zeroed::zeroed;

use crate::element::Element;
use crate::error::{Error, Result};
use std::fmt;
use std::sync::Arc;

/// An n-d array of `E`, row-major and contiguous, whose storage is shared on clone.
#[derive(Clone)]
pub struct Tensor<E: Element = f32> {
    shape: Vec<usize>,
    data: Arc<Vec<E>>,
}

/// The number of elements of a shape (1 for a scalar `[]`); panics when the product overflows
/// `usize` (no tensor of that shape can exist; in release builds the product would silently wrap,
/// e.g. `[2^32, 2^32]` to 0). Shapes from files or configs are checked with [`checked_numel`].
pub fn numel(shape: &[usize]) -> usize {
    checked_numel(shape)
        .unwrap_or_else(|| panic!("shape {shape:?} has more elements than usize can count"))
}

/// The number of elements of a shape, or `None` when the product overflows `usize`.
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

impl<E: Element> Tensor<E> {
    /// A tensor of `shape` holding `data`; panics if the sizes disagree (a programming error).
    pub fn new(shape: &[usize], data: Vec<E>) -> Self {
        assert_eq!(
            numel(shape),
            data.len(),
            "Tensor::new: shape {:?} needs {} elements, got {}",
            shape,
            numel(shape),
            data.len()
        );
        Tensor {
            shape: shape.to_vec(),
            data: Arc::new(data),
        }
    }

    /// A tensor of `shape` holding `data`, or an error if the sizes disagree (for user data).
    pub fn try_new(shape: &[usize], data: Vec<E>) -> Result<Self> {
        let Some(n) = checked_numel(shape) else {
            return Err(Error::Data(format!(
                "shape {shape:?} has more elements than can be addressed"
            )));
        };
        if n != data.len() {
            return Err(Error::Data(format!(
                "shape {:?} needs {} elements, got {}",
                shape,
                n,
                data.len()
            )));
        }
        Ok(Tensor::new(shape, data))
    }

    /// A tensor of `shape` copied from a slice.
    pub fn from_slice(shape: &[usize], data: &[E]) -> Self {
        Tensor::new(shape, data.to_vec())
    }

    /// A tensor of `shape` from f64 values (converted to `E`).
    pub fn from_f64(shape: &[usize], data: &[f64]) -> Self {
        Tensor::new(shape, data.iter().map(|&x| E::of(x)).collect())
    }

    /// A rank-0 tensor holding one value.
    pub fn scalar(x: E) -> Self {
        Tensor::new(&[], vec![x])
    }

    /// A tensor of `shape` filled with `x`.
    pub fn full(shape: &[usize], x: E) -> Self {
        Tensor::new(shape, vec![x; numel(shape)])
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor::full(shape, E::zero())
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Tensor::full(shape, E::one())
    }

    /// A tensor whose element at flat index `i` is `f(i)`.
    pub fn from_fn(shape: &[usize], f: impl FnMut(usize) -> E) -> Self {
        Tensor::new(shape, (0..numel(shape)).map(f).collect())
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The size of dimension `d`.
    pub fn dim(&self, d: usize) -> usize {
        self.shape[d]
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[E] {
        &self.data
    }

    /// The elements, copied into a new vector.
    pub fn to_vec(&self) -> Vec<E> {
        self.data.to_vec()
    }

    /// The elements as f64, in row-major order.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        self.data
            .iter()
            .map(|x| x.to_f64().unwrap_or(f64::NAN))
            .collect()
    }

    /// Mutable access to the elements, copying the storage first if it is shared.
    pub fn data_mut(&mut self) -> &mut [E] {
        Arc::make_mut(&mut self.data).as_mut_slice()
    }

    /// The storage as an owned vector, without a copy when it is not shared.
    pub fn into_vec(self) -> Vec<E> {
        Arc::try_unwrap(self.data).unwrap_or_else(|shared| shared.as_ref().clone())
    }

    /// The single value of a one-element tensor; panics otherwise.
    pub fn item(&self) -> E {
        assert_eq!(
            self.numel(),
            1,
            "item: tensor of shape {:?} has more than one element",
            self.shape
        );
        self.data[0]
    }

    /// The element at a multi-index.
    pub fn get(&self, index: &[usize]) -> E {
        assert_eq!(
            index.len(),
            self.rank(),
            "get: index {index:?} for shape {:?}",
            self.shape
        );
        let mut flat = 0;
        for (&i, &n) in index.iter().zip(&self.shape) {
            assert!(
                i < n,
                "get: index {index:?} out of bounds for shape {:?}",
                self.shape
            );
            flat = flat * n + i;
        }
        self.data[flat]
    }

    /// The same elements under another shape with the same element count (shares storage).
    pub fn reshape(&self, shape: &[usize]) -> Self {
        assert_eq!(
            numel(shape),
            self.numel(),
            "reshape: cannot view shape {:?} as {:?}",
            self.shape,
            shape
        );
        Tensor {
            shape: shape.to_vec(),
            data: self.data.clone(),
        }
    }

    /// Whether two tensors share the same storage.
    pub fn shares_storage(&self, other: &Tensor<E>) -> bool {
        Arc::ptr_eq(&self.data, &other.data)
    }

    /// Applies `f` to every element.
    pub fn map(&self, f: impl Fn(E) -> E) -> Self {
        Tensor::new(&self.shape, self.data.iter().map(|&x| f(x)).collect())
    }

    /// Combines two tensors of the same shape element by element.
    pub fn zip_same(&self, other: &Tensor<E>, f: impl Fn(E, E) -> E) -> Self {
        assert_eq!(self.shape, other.shape, "zip_same: shapes differ");
        Tensor::new(
            &self.shape,
            self.data
                .iter()
                .zip(other.data.iter())
                .map(|(&a, &b)| f(a, b))
                .collect(),
        )
    }

    /// Elementwise sum of two same-shape tensors, reusing `self`'s storage when it is not shared.
    pub fn add_into(mut self, other: &Tensor<E>) -> Self {
        assert_eq!(self.shape, other.shape, "add_into: shapes differ");
        for (a, &b) in self.data_mut().iter_mut().zip(other.data.iter()) {
            *a += b;
        }
        self
    }

    /// Every element times `s`.
    pub fn scale(&self, s: E) -> Self {
        self.map(|x| x * s)
    }

    /// The sum of all elements.
    pub fn sum_all(&self) -> E {
        sum(&self.data)
    }

    /// The largest absolute difference to another same-shape tensor (for tests).
    pub fn max_abs_diff(&self, other: &Tensor<E>) -> f64 {
        assert_eq!(self.shape, other.shape, "max_abs_diff: shapes differ");
        self.data
            .iter()
            .zip(other.data.iter())
            .map(|(&a, &b)| (a - b).abs().to_f64().unwrap_or(f64::INFINITY))
            .fold(0.0, f64::max)
    }

    /// The same values converted to another element type.
    pub fn cast<F: Element>(&self) -> Tensor<F> {
        Tensor::new(
            &self.shape,
            self.data
                .iter()
                .map(|x| F::of(x.to_f64().unwrap_or(f64::NAN)))
                .collect(),
        )
    }
}

impl<E: Element> fmt::Debug for Tensor<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        write!(f, "Tensor{:?}[", self.shape)?;
        for (i, x) in self.data.iter().take(SHOWN).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{x:.4}")?;
        }
        if self.numel() > SHOWN {
            write!(f, ", …")?;
        }
        write!(f, "]")
    }
}

impl<E: Element> PartialEq for Tensor<E> {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.data == other.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numel_of_a_shape_whose_product_overflows_is_none_not_a_wrapped_count() {
        // 2^32 · 2^32 wraps to 0 in release arithmetic: a tensor "of" that shape would hold nothing.
        let huge = [1usize << 32, 1 << 32];
        assert_eq!(checked_numel(&huge), None);
        assert_eq!(checked_numel(&[usize::MAX, 0]), Some(0));
        assert_eq!(checked_numel(&[]), Some(1));
        assert_eq!(checked_numel(&[3, 4]), Some(12));
        let err = Tensor::<f32>::try_new(&huge, vec![])
            .unwrap_err()
            .to_string();
        assert!(err.contains("more elements than can be addressed"), "{err}");
        let caught = std::panic::catch_unwind(|| numel(&huge));
        assert!(caught.is_err(), "numel panics rather than wrapping");
    }
}
