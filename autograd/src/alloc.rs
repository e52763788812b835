//! Process-wide allocator tuning for programs that run many training steps.

/// Asks glibc's malloc to serve buffers up to 32 MiB from its heap and to keep freed memory for
/// reuse, instead of mapping fresh pages for every large buffer and returning them on free.
///
/// Each training step allocates its large tensors anew; with glibc's defaults each one is a fresh
/// `mmap`, paid again in page faults and zeroing (a third of a small LSTM step on this project's
/// machine). Call it once at the start of `main`; elsewhere than Linux with glibc it does nothing.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_TOP_PAD: i32 = -2;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only changes allocator settings; any value is accepted or refused.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, i32::MAX);
            mallopt(M_TOP_PAD, 64 << 20);
        }
    }
}
