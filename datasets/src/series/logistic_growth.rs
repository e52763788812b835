//! Logistic population growth (the fish-stock model): the next population is the current one plus
//! growth that shrinks as the stock nears the carrying capacity.

use autograd::{Error, Result, Rng};

use super::forecast_task::BuiltinSeries;
use crate::params::Params;
use crate::recipe::Recipe;

/// Parameters of the discrete logistic growth model `P ← P + r·P·(1 − P/K)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticGrowth {
    /// Growth rate per step.
    pub r: f64,
    /// Carrying capacity.
    pub k: f64,
    /// Initial population.
    pub p0: f64,
    /// Standard deviation of multiplicative observation noise (0 for the exact trajectory).
    pub noise: f64,
}

impl Default for LogisticGrowth {
    /// A stock of 10 growing at 20% per step towards a capacity of 1000, with 2% noise.
    fn default() -> Self {
        LogisticGrowth {
            r: 0.2,
            k: 1000.0,
            p0: 10.0,
            noise: 0.02,
        }
    }
}

impl LogisticGrowth {
    fn check(&self) -> Result<()> {
        let finite = [self.r, self.k, self.p0, self.noise]
            .iter()
            .all(|x| x.is_finite());
        if !finite || self.k <= 0.0 || self.p0 <= 0.0 || self.noise < 0.0 {
            return Err(Error::Config(format!(
                "logistic growth needs finite K > 0, P0 > 0, noise >= 0; got {self:?}"
            )));
        }
        Ok(())
    }

    /// The first `steps` observed populations `P_0, P_1, …` (noise drawn from `rng`); an error
    /// when the trajectory leaves the finite numbers (a growth rate far above 2, or a huge K, P0
    /// or noise, diverges) rather than a series of infinities and NaNs.
    pub fn simulate(&self, steps: usize, rng: &mut Rng) -> Result<Vec<f64>> {
        self.check()?;
        let mut p = self.p0;
        let mut out = Vec::with_capacity(steps);
        for i in 0..steps {
            let observed = p * (1.0 + self.noise * rng.normal());
            if !observed.is_finite() {
                return Err(Error::Config(format!(
                    "logistic growth with r = {}, K = {}, P0 = {}, noise = {} diverges: the \
                     population at step {i} is not a finite number (P = {p})",
                    self.r, self.k, self.p0, self.noise
                )));
            }
            out.push(observed);
            p += self.r * p * (1.0 - p / self.k);
        }
        Ok(out)
    }

    /// The continuous-time solution `K / (1 + ((K − P0)/P0)·e^(−r t))` at time `t`.
    pub fn continuous(&self, t: f64) -> f64 {
        self.k / (1.0 + (self.k - self.p0) / self.p0 * (-self.r * t).exp())
    }
}

/// The `logistic-growth` task's series.
pub struct LogisticGrowthSeries;

impl BuiltinSeries for LogisticGrowthSeries {
    fn name(&self) -> &'static str {
        "logistic-growth"
    }

    fn summary(&self) -> &'static str {
        "fish stock P <- P + rP(1-P/K), r=0.2, capacity K=1000, p0=10, 2% noise"
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    /// `r`, `capacity` (K), `p0`, `noise`: the model's parameters (`k` is the forecasting
    /// window, as for every series).
    fn generate(&self, seed: u64, len: usize, params: &Params) -> Result<Vec<f64>> {
        let d = LogisticGrowth::default();
        let model = LogisticGrowth {
            r: params.get("r", d.r)?,
            k: params.get("capacity", d.k)?,
            p0: params.get("p0", d.p0)?,
            noise: params.get("noise", d.noise)?,
        };
        model.simulate(len, &mut Rng::new(seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diverging_trajectory_is_an_error_not_infinities() {
        // `seqzoo data logistic-growth --set k=3 --set r=18 --set len=9` (found by the fuzzer).
        let model = LogisticGrowth {
            r: 18.0,
            k: 3.0,
            ..LogisticGrowth::default()
        };
        let err = model.simulate(9, &mut Rng::new(0)).unwrap_err().to_string();
        assert!(err.contains("diverges"), "{err}");
        assert!(err.contains("r = 18"), "{err}");
        let fine = LogisticGrowth::default()
            .simulate(500, &mut Rng::new(0))
            .unwrap();
        assert!(fine.iter().all(|p| p.is_finite()));
    }
}
