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

/// `|x_t − x'_t|` for `t = 0..n` along two orbits started at `x0` and `x0 + eps`.
pub fn divergence(r: f64, x0: f64, eps: f64, n: usize) -> Result<Vec<f64>> {
    let a = orbit(r, x0, n)?;
    let b = orbit(r, x0 + eps, n)?;
    Ok(a.iter().zip(&b).map(|(x, y)| (x - y).abs()).collect())
}

/// The Lyapunov exponent estimated from how fast nearby orbits separate: the least-squares slope
/// of `ln|x_t − x'_t|` against `t = 0..=steps`, averaged over `starts` pairs started `eps` apart
/// from points on the orbit (after 100 steps from a grid over (0.05, 0.95)). `steps` must keep
/// the separation small (`eps·e^(λ·steps)` well below 1).
pub fn lyapunov_from_divergence(r: f64, eps: f64, steps: usize, starts: usize) -> Result<f64> {
    if starts == 0 || steps == 0 || !(eps > 0.0 && eps < 0.01) {
        return Err(Error::Config(format!(
            "the divergence estimate needs starts >= 1, steps >= 1 and eps in (0, 0.01), got \
             starts {starts}, steps {steps}, eps {eps}"
        )));
    }
    let mut mean_log = vec![0.0; steps + 1];
    for i in 0..starts {
        let grid = 0.05 + 0.9 * (i as f64 + 0.5) / starts as f64;
        let x0 = orbit(r, grid, 101)?[100].min(1.0 - eps);
        for (m, d) in mean_log.iter_mut().zip(divergence(r, x0, eps, steps + 1)?) {
            *m += d.max(1e-300).ln() / starts as f64;
        }
    }
    let n = mean_log.len() as f64;
    let t_mean = (n - 1.0) / 2.0;
    let y_mean = mean_log.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, y) in mean_log.iter().enumerate() {
        num += (t as f64 - t_mean) * (y - y_mean);
        den += (t as f64 - t_mean).powi(2);
    }
    Ok(num / den)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_lyapunov_estimates_find_ln_2_at_r_4() {
        let ln2 = std::f64::consts::LN_2;
        let along = lyapunov(4.0, 0.3, 100, 100_000).unwrap();
        let apart = lyapunov_from_divergence(4.0, 1e-10, 20, 500).unwrap();
        assert!((along - ln2).abs() < 0.02 * ln2, "{along}");
        assert!((apart - ln2).abs() < 0.05 * ln2, "{apart}");
        // Below the period-doubling cascade the orbit settles: a negative exponent.
        assert!(lyapunov_from_divergence(2.8, 1e-10, 20, 50).unwrap() < 0.0);
    }

    #[test]
    fn the_divergence_estimate_names_bad_settings() {
        let err = lyapunov_from_divergence(4.0, 0.5, 20, 10).unwrap_err();
        assert!(err.to_string().contains("eps"), "{err}");
    }
}
