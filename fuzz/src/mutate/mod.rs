//! Input mutators: plain byte mutations, structure-aware mutations of safetensors files, hostile
//! numbers and text fragments, and the seeded random source they all draw from.

pub mod bytes;
pub mod numbers;
pub mod safetensors;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random source of one input: seeded from the run's seed, the target and the input's index.
pub type Gen = ChaCha8Rng;

/// The random source of input `index` of `target` in the run seeded with `seed`.
pub fn input_gen(seed: u64, target: &str, index: u64) -> Gen {
    // FNV-1a over the target name, mixed with seed and index: stable across platforms and runs.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in target.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&h.to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    Gen::from_seed(key)
}
