//! Train/validation/test splits: contiguous (chronological) ranges and seeded random partitions.

use std::ops::Range;

use autograd::{Error, Result, Rng};

use crate::dataset::{Baseline, Dataset, Example};

/// Which part of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// What a model is fitted on (and normalization statistics are computed from).
    Train,
    /// What model selection and early stopping look at.
    Val,
    /// Held out until the end.
    Test,
}

impl Split {
    /// All three, in order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];

    /// The position in [`Split::ALL`].
    pub fn ordinal(self) -> usize {
        match self {
            Split::Train => 0,
            Split::Val => 1,
            Split::Test => 2,
        }
    }

    /// `train`, `val` or `test`.
    pub fn name(self) -> &'static str {
        ["train", "val", "test"][self.ordinal()]
    }
}

fn check_fractions(train: f64, val: f64) -> Result<()> {
    let ok = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
    if !ok(train) || !ok(val) || train + val > 1.0 + 1e-12 {
        return Err(Error::Config(format!(
            "split fractions must be in [0, 1] with train + val <= 1, got train {train}, val {val}"
        )));
    }
    Ok(())
}

/// Contiguous ranges `[train, val, test]` of `0..len`, in order (chronological for time series):
/// train gets `floor(train·len)` items, val `floor(val·len)`, test the rest.
pub fn chronological_ranges(len: usize, train: f64, val: f64) -> Result<[Range<usize>; 3]> {
    check_fractions(train, val)?;
    let n_train = (train * len as f64).floor() as usize;
    let n_val = ((val * len as f64).floor() as usize).min(len - n_train);
    Ok([0..n_train, n_train..n_train + n_val, n_train + n_val..len])
}

/// A seeded random partition of `0..len` into `[train, val, test]` index lists (sizes as in
/// [`chronological_ranges`]); the same seed gives the same partition.
pub fn random_indices(len: usize, train: f64, val: f64, seed: u64) -> Result<[Vec<usize>; 3]> {
    let ranges = chronological_ranges(len, train, val)?;
    let mut order: Vec<usize> = (0..len).collect();
    Rng::new(seed).shuffle(&mut order);
    Ok(ranges.map(|r| order[r].to_vec()))
}

/// A view of some of a dataset's examples, in the given order.
#[derive(Clone, Debug)]
pub struct Subset<D> {
    inner: D,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// The examples of `inner` at `indices` (an error if one is out of range).
    pub fn new(inner: D, indices: Vec<usize>) -> Result<Self> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= inner.len()) {
            return Err(Error::Data(format!(
                "subset index {bad} is out of range for a dataset of {} examples",
                inner.len()
            )));
        }
        Ok(Subset { inner, indices })
    }

    /// The indices into the underlying dataset.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn example(&self, index: usize) -> Example {
        self.inner.example(self.indices[index])
    }
    /// The inner task's baseline over exactly the subset's examples.
    fn baseline_on(&self, indices: &mut dyn Iterator<Item = usize>) -> Option<Baseline> {
        self.inner
            .baseline_on(&mut indices.map(|i| self.indices[i]))
    }
}
