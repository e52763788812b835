//! The Mackey-Glass delay differential equation `dx/dt = a·x(t−τ)/(1 + x(t−τ)ⁿ) − b·x(t)`,
//! integrated with RK4 over a ring buffer of the past τ time units.

use std::collections::VecDeque;

use autograd::{Error, Result};

use super::forecast_task::BuiltinSeries;
use crate::params::Params;
use crate::recipe::Recipe;

/// Parameters; [`Default`] is the chaotic benchmark a=0.2, b=0.1, n=10, τ=17, x0=1.2.
#[derive(Clone, Debug, PartialEq)]
pub struct MackeyGlass {
    /// Production rate.
    pub a: f64,
    /// Decay rate.
    pub b: f64,
    /// Nonlinearity exponent.
    pub n: f64,
    /// Delay τ (time units).
    pub tau: f64,
    /// The constant history `x(t) = x0` for `t ≤ 0`.
    pub x0: f64,
    /// Integration steps per unit of time (the series is sampled once per unit).
    pub substeps: usize,
}

impl Default for MackeyGlass {
    fn default() -> Self {
        MackeyGlass {
            a: 0.2,
            b: 0.1,
            n: 10.0,
            tau: 17.0,
            x0: 1.2,
            substeps: 10,
        }
    }
}

impl MackeyGlass {
    /// `dx/dt` at `x` with the delayed value `delayed`, given `delayed_pow = delayed^n` (the
    /// costly part, shared between calls).
    fn rate_with(&self, x: f64, delayed: f64, delayed_pow: f64) -> f64 {
        self.a * delayed / (1.0 + delayed_pow) - self.b * x
    }

    /// `x(0), x(1), …, x(len−1)` sampled at unit time steps.
    ///
    /// The delay buffer holds `d = round(τ·substeps)` past values on the integration grid; RK4's
    /// half-step needs `x(t − τ + h/2)`, taken as the mean of the two neighbouring buffer entries.
    pub fn series(&self, len: usize) -> Result<Vec<f64>> {
        let ok = [self.a, self.b, self.n, self.tau, self.x0]
            .iter()
            .all(|v| v.is_finite());
        let d = (self.tau * self.substeps as f64).round();
        if !ok || self.substeps == 0 || d < 1.0 || self.x0 < 0.0 {
            return Err(Error::Config(format!(
                "Mackey-Glass needs finite parameters, x0 >= 0, substeps >= 1 and \
                 tau >= one substep; got {self:?}"
            )));
        }
        let d = d as usize;
        let h = 1.0 / self.substeps as f64;
        // history[0] = x(t − d·h), …, history[d] = x(t).
        let mut history: VecDeque<f64> = std::iter::repeat_n(self.x0, d + 1).collect();
        let mut out = Vec::with_capacity(len);
        // `lag^n` is computed once per lag value: a substep's end lag is the next one's start
        // lag, and k2, k3 share the mid lag (the same values as calling `rate` each time, at half
        // the `powf` calls, which dominate at the largest `len`).
        let mut start_pow = history[0].powf(self.n);
        for _ in 0..len {
            out.push(history[d]);
            for _ in 0..self.substeps {
                let x = history[d];
                let (lag_start, lag_end) = (history[0], history[1]);
                let lag_mid = 0.5 * (lag_start + lag_end);
                let (mid_pow, end_pow) = (lag_mid.powf(self.n), lag_end.powf(self.n));
                let k1 = self.rate_with(x, lag_start, start_pow);
                let k2 = self.rate_with(x + 0.5 * h * k1, lag_mid, mid_pow);
                let k3 = self.rate_with(x + 0.5 * h * k2, lag_mid, mid_pow);
                let k4 = self.rate_with(x + h * k3, lag_end, end_pow);
                start_pow = end_pow;
                history.pop_front();
                history.push_back(x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4));
            }
        }
        Ok(out)
    }
}

/// The largest `tau` setting (the delay buffer holds τ·substeps values).
pub const MAX_TAU: f64 = 10_000.0;

/// The `mackey-glass` task's series.
pub struct MackeyGlassSeries;

impl BuiltinSeries for MackeyGlassSeries {
    fn name(&self) -> &'static str {
        "mackey-glass"
    }

    fn summary(&self) -> &'static str {
        "Mackey-Glass delay equation, tau=17"
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    /// `tau`: the delay (default 17, at most [`MAX_TAU`] = 10,000); the series does not depend on
    /// the seed.
    fn generate(&self, _seed: u64, len: usize, params: &Params) -> Result<Vec<f64>> {
        let d = MackeyGlass::default();
        let tau = params.get_at_most("tau", d.tau, MAX_TAU)?;
        MackeyGlass { tau, ..d }.series(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integration as first written: `lag^n` recomputed in every rate evaluation.
    fn reference(mg: &MackeyGlass, len: usize) -> Vec<f64> {
        let rate = |x: f64, lag: f64| mg.a * lag / (1.0 + lag.powf(mg.n)) - mg.b * x;
        let d = (mg.tau * mg.substeps as f64).round() as usize;
        let h = 1.0 / mg.substeps as f64;
        let mut history: VecDeque<f64> = std::iter::repeat_n(mg.x0, d + 1).collect();
        let mut out = Vec::new();
        for _ in 0..len {
            out.push(history[d]);
            for _ in 0..mg.substeps {
                let x = history[d];
                let (s, e) = (history[0], history[1]);
                let m = 0.5 * (s + e);
                let k1 = rate(x, s);
                let k2 = rate(x + 0.5 * h * k1, m);
                let k3 = rate(x + 0.5 * h * k2, m);
                let k4 = rate(x + h * k3, e);
                history.pop_front();
                history.push_back(x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4));
            }
        }
        out
    }

    #[test]
    fn sharing_the_powers_changes_no_bit_of_the_series() {
        for tau in [17.0, 0.1, 3.0] {
            let mg = MackeyGlass {
                tau,
                ..MackeyGlass::default()
            };
            let got: Vec<u64> = mg
                .series(400)
                .unwrap()
                .iter()
                .map(|x| x.to_bits())
                .collect();
            let want: Vec<u64> = reference(&mg, 400).iter().map(|x| x.to_bits()).collect();
            assert_eq!(got, want, "tau {tau}");
        }
    }
}
