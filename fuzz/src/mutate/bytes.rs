//! Plain byte mutations of any input: flips, insertions, deletions, truncations, splices and
//! interesting bytes, a few at a time.

use super::Gen;
use rand::Rng;

/// Bytes that often sit on boundaries of parsers.
const INTERESTING: [u8; 16] = [
    0, 1, 0x7f, 0x80, 0xff, b'"', b'\\', b',', b'\n', b'\r', b'{', b'}', b'[', b']', b'0', b'9',
];

/// Applies 1 to `max_ops` random byte mutations to `data`, never growing it past `max_len`.
pub fn mutate(rng: &mut Gen, data: &mut Vec<u8>, max_ops: usize, max_len: usize) {
    let ops = rng.random_range(1..=max_ops.max(1));
    for _ in 0..ops {
        mutate_once(rng, data, max_len);
    }
}

/// One random byte mutation.
fn mutate_once(rng: &mut Gen, data: &mut Vec<u8>, max_len: usize) {
    let len = data.len();
    let at = |rng: &mut Gen| {
        if len == 0 {
            0
        } else {
            rng.random_range(0..len)
        }
    };
    match rng.random_range(0..9) {
        0 if len > 0 => {
            let i = at(rng);
            data[i] ^= 1 << rng.random_range(0..8);
        }
        1 if len > 0 => {
            let i = at(rng);
            data[i] = rng.random();
        }
        2 if len > 0 => {
            let i = at(rng);
            data[i] = INTERESTING[rng.random_range(0..INTERESTING.len())];
        }
        3 if len < max_len => {
            let i = rng.random_range(0..=len);
            let b = if rng.random_bool(0.5) {
                rng.random()
            } else {
                INTERESTING[rng.random_range(0..INTERESTING.len())]
            };
            data.insert(i, b);
        }
        4 if len > 0 => {
            let i = at(rng);
            let n = rng.random_range(1..=(len - i).min(16));
            data.drain(i..i + n);
        }
        5 if len > 0 => {
            data.truncate(rng.random_range(0..len));
        }
        6 if len > 0 && len < max_len => {
            // Duplicate a chunk somewhere else.
            let i = at(rng);
            let n = rng.random_range(1..=(len - i).min(64).min(max_len - len));
            let chunk: Vec<u8> = data[i..i + n].to_vec();
            let j = rng.random_range(0..=len);
            data.splice(j..j, chunk);
        }
        7 if len >= 4 => {
            // Overwrite a little-endian word with a boundary value.
            let i = rng.random_range(0..=len - 4);
            let v: u32 = [0, 1, u32::MAX, 0x7fff_ffff, 0x8000_0000][rng.random_range(0..5)];
            data[i..i + 4].copy_from_slice(&v.to_le_bytes());
        }
        _ => {
            if len < max_len {
                data.push(rng.random());
            }
        }
    }
}
