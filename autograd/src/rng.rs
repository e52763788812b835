//! The one seeded random number generator: ChaCha8, reproducible bit for bit, saveable mid-stream.

use rand::{Rng as _, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A seeded ChaCha8 generator; the same seed gives the same stream on every machine.
#[derive(Clone, Debug)]
pub struct Rng {
    inner: ChaCha8Rng,
    seed: u64,
}

/// The position of an [`Rng`] in its stream, for checkpoints: restoring it resumes the same stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    /// The seed the generator was made from.
    pub seed: u64,
    /// The stream selector.
    pub stream: u64,
    /// How many 32-bit words of the stream were used.
    pub word_pos: u128,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
            seed,
        }
    }

    /// An independent generator derived from this one's seed and `stream` (for parallel work).
    pub fn fork(&self, stream: u64) -> Self {
        let mut inner = self.inner.clone();
        inner.set_stream(stream);
        inner.set_word_pos(0);
        Rng {
            inner,
            seed: self.seed,
        }
    }

    /// A uniform f64 in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.inner.random::<f64>()
    }

    /// A uniform f64 in `[lo, hi)`.
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// A standard normal sample (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: keeps ln finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A uniform integer in `0..n`; panics if `n == 0`.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below: empty range");
        self.inner.random_range(0..n)
    }

    /// `true` with probability `p`.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A raw 64-bit word.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// Where this generator is in its stream.
    pub fn state(&self) -> RngState {
        RngState {
            seed: self.seed,
            stream: self.inner.get_stream(),
            word_pos: self.inner.get_word_pos(),
        }
    }

    /// A generator at exactly the position `state` describes.
    pub fn from_state(state: RngState) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(state.seed);
        inner.set_stream(state.stream);
        inner.set_word_pos(state.word_pos);
        Rng {
            inner,
            seed: state.seed,
        }
    }
}
