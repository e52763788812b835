//! Z-score normalization fitted on the training split only, and its inverse.

use autograd::{Error, Result};
use serde::{Deserialize, Serialize};

/// `(x − mean) / std` with statistics from the training data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    /// The training mean.
    pub mean: f64,
    /// The training standard deviation (1 if the training data is constant).
    pub std: f64,
}

impl Normalizer {
    /// Fits mean and (population) standard deviation on `train`; an error if it is empty or not finite.
    pub fn fit(train: &[f64]) -> Result<Self> {
        if train.is_empty() {
            return Err(Error::Data(
                "cannot fit a normalizer on an empty training split".into(),
            ));
        }
        if let Some(i) = train.iter().position(|x| !x.is_finite()) {
            return Err(Error::Data(format!(
                "cannot fit a normalizer: training value {i} is {}",
                train[i]
            )));
        }
        let n = train.len() as f64;
        let mean = train.iter().sum::<f64>() / n;
        let var = train.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let std = if var > 0.0 { var.sqrt() } else { 1.0 };
        Ok(Normalizer { mean, std })
    }

    /// One value normalized.
    pub fn apply(&self, x: f64) -> f64 {
        (x - self.mean) / self.std
    }

    /// One normalized value mapped back to the original units.
    pub fn invert(&self, z: f64) -> f64 {
        z * self.std + self.mean
    }

    /// A whole series normalized.
    pub fn apply_all(&self, xs: &[f64]) -> Vec<f64> {
        xs.iter().map(|&x| self.apply(x)).collect()
    }

    /// A whole normalized series mapped back.
    pub fn invert_all(&self, zs: &[f64]) -> Vec<f64> {
        zs.iter().map(|&z| self.invert(z)).collect()
    }
}
