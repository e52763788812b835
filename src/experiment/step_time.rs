//! Wall time of one training step, measured on its own: a fresh session runs a few steps without
//! validating, and the median gap between consecutive steps is its time per step.

use std::time::Instant;

use autograd::Result;
use zoo::train::{Observer, TrainConfig};

use crate::problem::{RunSpec, Session};

/// Steps run before timing starts (allocations, caches).
const WARM_UP: usize = 5;

/// The median milliseconds per training step of `spec` trained with `train` over `steps` steps
/// after a short warm-up, validations left out.
pub fn median_step_ms(spec: RunSpec, train: TrainConfig, steps: usize) -> Result<f64> {
    let total = WARM_UP + steps + 1;
    let train = TrainConfig {
        steps: total + 1,
        val_every: 0,
        ..train
    };
    let mut session = Session::new(spec, train)?;
    let mut clock = StepClock {
        stop_after: total,
        seen: 0,
        times: Vec::with_capacity(total),
    };
    session.run_saving(&mut clock, None)?;
    let gaps: Vec<f64> = clock.times[WARM_UP..]
        .windows(2)
        .map(|w| 1000.0 * (w[1] - w[0]).as_secs_f64())
        .collect();
    Ok(median(gaps))
}

/// The median of `values` (NaN when empty).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Notes when each step ends and stops the run after `stop_after` steps.
struct StepClock {
    stop_after: usize,
    seen: usize,
    times: Vec<Instant>,
}

impl Observer for StepClock {
    fn step(&mut self, _step: usize, _loss: f64, _lr: f64) {
        self.times.push(Instant::now());
        self.seen += 1;
    }

    fn stop_requested(&mut self) -> bool {
        self.seen >= self.stop_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty_lists() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }
}
