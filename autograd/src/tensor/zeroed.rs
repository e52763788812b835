//! Large zero-filled buffers, filled by all rayon threads: a single thread's `memset` of the
//! buffers of a recurrent step leaves the other core idle for a millisecond or more per step.

use crate::element::Element;
use rayon::prelude::*;

/// Buffers of at least this many elements are zeroed across the rayon threads.
pub const PAR_ZERO_MIN_LEN: usize = 1 << 18;

/// A vector of `n` zeros, written by every rayon thread when `n` is large.
pub fn zeroed<E: Element>(n: usize) -> Vec<E> {
    if n < PAR_ZERO_MIN_LEN || rayon::current_num_threads() < 2 {
        return vec![E::zero(); n];
    }
    let mut v = Vec::with_capacity(n);
    rayon::iter::repeat_n(E::zero(), n)
        .with_min_len(PAR_ZERO_MIN_LEN / 2)
        .collect_into_vec(&mut v);
    v
}
