//! Process-wide allocator tuning for programs that run many training steps.

/// Asks glibc's malloc to serve buffers of every size from its heap and to keep freed memory for
/// reuse, instead of mapping fresh pages for every large buffer and returning them on free.
///
/// Each training step allocates its large tensors anew; with glibc's defaults each one is a fresh
/// `mmap`, paid again in page faults and zeroing (a third of a small LSTM step on this project's
/// machine). Raising the mmap threshold covers buffers up to 32 MiB, glibc's upper limit for it;
/// turning `mmap` off for the main heap (`M_MMAP_MAX = 0`) covers the larger ones too (the saved
/// gates of an LSTM 256 over 1600 steps are 210 MB: a third of that step went to page faults).
/// A thread other than the main one still maps a buffer its own heap cannot hold. Call it once at
/// the start of `main`; elsewhere than Linux with glibc it does nothing.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_TOP_PAD: i32 = -2;
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_MMAP_MAX: i32 = -4;
        // SAFETY: mallopt only changes allocator settings; any value is accepted or refused.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, i32::MAX);
            mallopt(M_TOP_PAD, 64 << 20);
            mallopt(M_MMAP_MAX, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Miri cannot call the foreign function `mallopt` (it implements only some of libc), so this
    // test runs under `cargo test` only.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn allocations_keep_their_contents_after_the_tuning() {
        keep_freed_memory();
        // A second call changes nothing.
        keep_freed_memory();
        // Empty, small, either side of the 32 MiB threshold set above, and far past it. Tests
        // run on threads other than the main one, whose heaps cannot hold 256 MiB: glibc maps
        // that buffer even with mmap off (the main heap's case runs in the binary).
        for n in [
            0usize,
            1,
            7,
            (32 << 20) / 4 - 1,
            (32 << 20) / 4 + 1,
            (256 << 20) / 4,
        ] {
            let mut v: Vec<f32> = (0..n).map(|i| i as f32).collect();
            assert_eq!(v.len(), n);
            // Grow (realloc), check, shrink, check, free.
            v.reserve(n + 3);
            v.extend([1.0, 2.0, 3.0]);
            assert!((0..n).all(|i| v[i] == i as f32) && v[n..] == [1.0, 2.0, 3.0]);
            v.truncate(n / 2);
            v.shrink_to_fit();
            assert!((0..n / 2).all(|i| v[i] == i as f32));
            drop(v);
        }
        let empty: Vec<f64> = Vec::with_capacity(0);
        assert_eq!(empty.capacity(), 0);
    }
}
