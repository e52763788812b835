//! Flushing subnormal floats to zero on every thread that runs kernels.

/// Makes subnormal floats zero on the calling thread and on every thread of rayon's global pool:
/// results too small to be normal become 0 (FTZ) and subnormal inputs read as 0 (DAZ).
///
/// Gradients that vanish through many time steps end up subnormal, and x86 arithmetic on
/// subnormals takes 10–50× longer, so long sequences slow down by that much for values that no
/// longer matter (PyTorch's `torch.set_flush_denormal(True)`). Every thread that computes gets the
/// same mode, so results stay identical whatever the thread count. Call it once at the start of
/// `main`, before other threads start; threads spawned later keep the default (IEEE) mode. It does
/// nothing on CPUs other than x86-64.
pub fn flush_subnormals() {
    set_on_this_thread();
    rayon::broadcast(|_| set_on_this_thread());
}

/// Sets FTZ and DAZ in this thread's MXCSR register (the SSE/AVX control and status register).
#[cfg(target_arch = "x86_64")]
fn set_on_this_thread() {
    /// Flush to zero: a result that would be subnormal is 0.
    const FTZ: u32 = 1 << 15;
    /// Denormals are zero: a subnormal operand is read as 0.
    const DAZ: u32 = 1 << 6;
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr stores the 32-bit MXCSR into the u32 it is given a pointer to, and ldmxcsr
    // loads one from it; FTZ and DAZ are defined bits on every x86-64 CPU (DAZ since SSE2, which
    // x86-64 requires), so the loaded value raises no fault. Only floating-point rounding of
    // subnormals changes; no memory but `csr` is touched.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
        csr |= FTZ | DAZ;
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags));
    }
}

/// Other CPUs keep their default mode.
#[cfg(not(target_arch = "x86_64"))]
fn set_on_this_thread() {}

/// The calling thread's floating-point mode (x86-64's MXCSR; 0 elsewhere), for a thread spawned to
/// share a kernel's work: [`set_float_mode`] gives it the same rounding of subnormals.
#[cfg(all(target_arch = "x86_64", not(miri)))]
pub(crate) fn float_mode() -> u32 {
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr stores the 32-bit MXCSR into the u32 it is given a pointer to.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags)) };
    csr
}

/// Sets the calling thread's floating-point mode to one read by [`float_mode`].
#[cfg(all(target_arch = "x86_64", not(miri)))]
pub(crate) fn set_float_mode(csr: u32) {
    // SAFETY: `csr` was stored by stmxcsr on this CPU, so every bit it sets is defined and loading
    // it raises no fault; only the floating-point mode of this thread changes.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags)) };
}

/// Other CPUs (and Miri, which runs no inline assembly) have no mode to copy.
#[cfg(any(not(target_arch = "x86_64"), miri))]
pub(crate) fn float_mode() -> u32 {
    0
}

/// Other CPUs (and Miri) have no mode to copy.
#[cfg(any(not(target_arch = "x86_64"), miri))]
pub(crate) fn set_float_mode(_: u32) {}
