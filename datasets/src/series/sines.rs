//! Sums of sine waves with Gaussian noise: a periodic series with a known season.

use autograd::{Error, Result, Rng};

use super::forecast_task::BuiltinSeries;
use crate::params::Params;
use crate::recipe::Recipe;

/// One component `amplitude · sin(2π t / period + phase)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sine {
    /// Peak value.
    pub amplitude: f64,
    /// Steps per cycle.
    pub period: f64,
    /// Phase in radians.
    pub phase: f64,
}

/// A sum of sines plus i.i.d. Gaussian noise of standard deviation `noise`.
#[derive(Clone, Debug, PartialEq)]
pub struct SineMixture {
    /// The components.
    pub components: Vec<Sine>,
    /// Noise standard deviation.
    pub noise: f64,
}

impl SineMixture {
    /// Two to three components with periods in [8, 64) and amplitudes in [0.3, 1), drawn from `rng`,
    /// with noise 0.05.
    pub fn random(rng: &mut Rng) -> Self {
        let count = 2 + rng.below(2);
        let components = (0..count)
            .map(|_| Sine {
                amplitude: rng.uniform_in(0.3, 1.0),
                period: rng.uniform_in(8.0, 64.0),
                phase: rng.uniform_in(0.0, std::f64::consts::TAU),
            })
            .collect();
        SineMixture {
            components,
            noise: 0.05,
        }
    }

    /// The first `len` values (noise drawn from `rng`).
    pub fn series(&self, len: usize, rng: &mut Rng) -> Result<Vec<f64>> {
        let good = |c: &Sine| {
            c.period.is_finite() && c.period > 0.0 && c.amplitude.is_finite() && c.phase.is_finite()
        };
        let bad = !self.components.iter().all(good);
        if bad || !self.noise.is_finite() || self.noise < 0.0 {
            return Err(Error::Config(format!(
                "sine mixture needs periods > 0, finite amplitudes and phases, noise >= 0: {self:?}"
            )));
        }
        Ok((0..len)
            .map(|t| {
                let clean: f64 = self
                    .components
                    .iter()
                    .map(|c| {
                        c.amplitude * (std::f64::consts::TAU * t as f64 / c.period + c.phase).sin()
                    })
                    .sum();
                clean + self.noise * rng.normal()
            })
            .collect())
    }
}

/// The `sines` task's series: a random mixture drawn from the seed.
pub struct SinesSeries;

impl BuiltinSeries for SinesSeries {
    fn name(&self) -> &'static str {
        "sines"
    }

    fn summary(&self) -> &'static str {
        "a random mixture of 2-3 sines with noise"
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    /// Seasons of 12 steps for the seasonal-naive baseline.
    fn season(&self) -> usize {
        12
    }

    fn generate(&self, seed: u64, len: usize, _params: &Params) -> Result<Vec<f64>> {
        let mut rng = Rng::new(seed);
        SineMixture::random(&mut rng).series(len, &mut rng)
    }
}
