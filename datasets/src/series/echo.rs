//! A seasonal autoregressive "echo": each value repeats the value `lag` steps back, scaled by
//! `phi`, plus fresh noise — predictable only by a model that sees `lag` steps into the past.

use autograd::{Error, Result, Rng};

use super::forecast_task::BuiltinSeries;
use crate::params::Params;
use crate::recipe::Recipe;

/// The largest `d` (echo lag) setting.
pub const MAX_LAG: usize = 10_000;

/// `x_t = φ·x_{t−d} + √(1−φ²)·ε_t` with standard normal ε (and standard normal starting values),
/// so every value has unit variance.
#[derive(Clone, Debug, PartialEq)]
pub struct Echo {
    /// The lag d between a value and its echo (at least 1, at most [`MAX_LAG`]).
    pub lag: usize,
    /// The echo's strength φ, in [0, 1).
    pub phi: f64,
}

impl Default for Echo {
    /// An echo 8 steps back at strength 0.9.
    fn default() -> Self {
        Echo { lag: 8, phi: 0.9 }
    }
}

impl Echo {
    fn check(&self) -> Result<()> {
        if self.lag == 0 || self.lag > MAX_LAG {
            return Err(Error::Config(format!(
                "echo: the lag d must be in [1, {MAX_LAG}], got {}",
                self.lag
            )));
        }
        if !(0.0..1.0).contains(&self.phi) {
            return Err(Error::Config(format!(
                "echo: the strength phi must be in [0, 1), got {}",
                self.phi
            )));
        }
        Ok(())
    }

    /// The first `len` values, noise drawn from `rng`.
    pub fn series(&self, len: usize, rng: &mut Rng) -> Result<Vec<f64>> {
        self.check()?;
        let fresh = (1.0 - self.phi * self.phi).sqrt();
        let mut x: Vec<f64> = Vec::with_capacity(len);
        for t in 0..len {
            let v = if t < self.lag {
                rng.normal()
            } else {
                self.phi * x[t - self.lag] + fresh * rng.normal()
            };
            x.push(v);
        }
        Ok(x)
    }

    /// The smallest one-step mean squared error, `1 − φ²`, reached by `φ·x_{t−d}` (a predictor
    /// that cannot see `x_{t−d}` does no better than the variance, 1).
    pub fn best_mse(&self) -> f64 {
        1.0 - self.phi * self.phi
    }
}

/// The `echo` task's series.
pub struct EchoSeries;

impl BuiltinSeries for EchoSeries {
    fn name(&self) -> &'static str {
        "echo"
    }

    fn summary(&self) -> &'static str {
        "x_t = phi x_(t-d) + noise: an echo d=8 steps back, phi=0.9, unit variance"
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    /// `d`: the lag (default 8, in [1, 10,000]); `phi`: the echo's strength (default 0.9, in
    /// [0, 1)).
    fn generate(&self, seed: u64, len: usize, params: &Params) -> Result<Vec<f64>> {
        let e = Echo::default();
        let echo = Echo {
            lag: params.get_at_most("d", e.lag, MAX_LAG)?,
            phi: params.get("phi", e.phi)?,
        };
        echo.series(len, &mut Rng::new(seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echo_predictor_reaches_the_best_mse() {
        let echo = Echo { lag: 5, phi: 0.9 };
        let x = echo.series(20_000, &mut Rng::new(1)).unwrap();
        let n = (x.len() - 5) as f64;
        let mse: f64 = (5..x.len())
            .map(|t| (x[t] - 0.9 * x[t - 5]).powi(2))
            .sum::<f64>()
            / n;
        let var: f64 = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        assert!((mse - echo.best_mse()).abs() < 0.01, "{mse}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn settings_out_of_bounds_are_errors_naming_them() {
        let err = |e: Echo| e.series(10, &mut Rng::new(0)).unwrap_err().to_string();
        assert!(err(Echo { lag: 0, phi: 0.5 }).contains("lag d"));
        assert!(err(Echo { lag: 3, phi: 1.0 }).contains("phi"));
        assert!(err(Echo {
            lag: 3,
            phi: f64::NAN
        })
        .contains("phi"));
    }
}
