//! The logistic map `x ← r·x·(1 − x)`: fixed point, period doubling, then chaos as r grows.

use autograd::{Error, Result, Rng};

use super::forecast_task::BuiltinSeries;
use crate::params::Params;
use crate::recipe::Recipe;

fn check(r: f64, x0: f64) -> Result<()> {
    if !(0.0..=4.0).contains(&r) || !(0.0..=1.0).contains(&x0) {
        return Err(Error::Config(format!(
            "the logistic map needs r in [0, 4] and x0 in [0, 1], got r {r}, x0 {x0}"
        )));
    }
    Ok(())
}

/// The orbit `x_0 = x0, x_1, …, x_{n−1}`.
pub fn orbit(r: f64, x0: f64, n: usize) -> Result<Vec<f64>> {
    check(r, x0)?;
    let mut x = x0;
    Ok((0..n)
        .map(|_| {
            let now = x;
            x = r * x * (1.0 - x);
            now
        })
        .collect())
}

/// The Lyapunov exponent estimated along the orbit from `x0`: the mean of `ln|r·(1 − 2x)|` over `n`
/// steps after discarding `burn_in` (ln 2 at r = 4; negative where the orbit is periodic).
pub fn lyapunov(r: f64, x0: f64, burn_in: usize, n: usize) -> Result<f64> {
    let xs = orbit(r, x0, burn_in + n)?;
    let sum: f64 = xs[burn_in..]
        .iter()
        .map(|x| (r * (1.0 - 2.0 * x)).abs().max(1e-300).ln())
        .sum();
    Ok(sum / n.max(1) as f64)
}

/// The `logistic-map` task's series: an orbit from a random start in [0.05, 0.95).
pub struct LogisticMapSeries;

impl BuiltinSeries for LogisticMapSeries {
    fn name(&self) -> &'static str {
        "logistic-map"
    }

    fn summary(&self) -> &'static str {
        "x <- 4x(1-x), chaotic"
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    /// `r`: the map's parameter (default 4).
    fn generate(&self, seed: u64, len: usize, params: &Params) -> Result<Vec<f64>> {
        let mut rng = Rng::new(seed);
        orbit(params.get("r", 4.0)?, rng.uniform_in(0.05, 0.95), len)
    }
}
