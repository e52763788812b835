//! Runtime CPU dispatch: runs a closure compiled for the widest vector unit the CPU has, so that
//! plain loops over slices auto-vectorize to AVX-512 (or AVX2 with FMA) in a build for the
//! baseline x86-64 target. Elsewhere, and on older CPUs, the closure runs as compiled.
//!
//! The closure must be `#[inline(always)]` (and so must the functions it calls in its hot loops):
//! only code inlined into the feature-enabled wrapper is compiled with those features.

/// Runs `f` inside a function compiled with AVX-512F (else AVX2 and FMA) enabled, when this CPU
/// supports them; the result is the same as `f()` up to the rounding of fused multiply-adds that the
/// code of `f` requests explicitly (`mul_add` is exact-rounded everywhere, so not even that).
#[inline(always)]
pub fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the features `avx512` is compiled with were detected on this CPU just above.
            return unsafe { avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: as above, for `avx2`'s features.
            return unsafe { avx2(f) };
        }
    }
    f()
}

/// `f()` compiled with AVX-512F and VL (32 vector registers).
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512VL, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f()` compiled with AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Values of f32 in one AVX-512 register: the width kernels block their columns by.
pub const LANES: usize = 16;

/// Copies `src` into the front of `dst` (`src.len() <= dst.len()`), as a fixed-size copy (inline
/// moves, not a `memcpy` call) in the usual case of a whole lane.
#[inline(always)]
pub fn copy_prefix<E: Copy>(dst: &mut [E], src: &[E]) {
    match (
        <&mut [E; LANES]>::try_from(&mut dst[..]),
        <&[E; LANES]>::try_from(src),
    ) {
        (Ok(d), Ok(s)) => *d = *s,
        _ => {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s;
            }
        }
    }
}

/// Copies `src` into `dst` (of equal lengths) a lane at a time, as inline moves: for the few hundred
/// bytes of one row of a recurrent step, a `memcpy` call costs more than the copy.
#[inline(always)]
pub fn copy_lanes<E: Copy>(dst: &mut [E], src: &[E]) {
    assert_eq!(dst.len(), src.len(), "copy_lanes: lengths differ");
    let (mut d, mut s) = (dst.chunks_exact_mut(LANES), src.chunks_exact(LANES));
    for (d, s) in (&mut d).zip(&mut s) {
        copy_prefix(d, s);
    }
    copy_prefix(d.into_remainder(), s.remainder());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sum of products in a fixed order, the kind of loop `vectorized` exists for.
    #[inline(always)]
    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).fold(0.0, |acc, (&x, &y)| x.mul_add(y, acc))
    }

    #[test]
    fn miri_vectorized_runs_the_closure_once_on_the_detected_branch() {
        let a: Vec<f64> = (0..37).map(|i| i as f64 * 0.5 - 3.0).collect();
        let b: Vec<f64> = (0..37).map(|i| (i % 5) as f64).collect();
        let mut calls = 0;
        let got = vectorized(
            #[inline(always)]
            || {
                calls += 1;
                dot(&a, &b)
            },
        );
        assert_eq!(calls, 1);
        assert_eq!(got, dot(&a, &b));
        // A closure that moves its capture out and returns a non-Copy value.
        let owned = vec![1u8, 2, 3];
        assert_eq!(vectorized(move || owned), vec![1u8, 2, 3]);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn miri_each_feature_branch_runs_when_its_features_are_present() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let want: f32 = a.iter().sum();
        let sum = || a.iter().copied().sum::<f32>();
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA were detected just above.
            assert_eq!(unsafe { avx2(sum) }, want);
        }
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
        {
            // SAFETY: every feature `avx512` is compiled with was detected just above.
            assert_eq!(unsafe { avx512(sum) }, want);
        }
    }

    #[test]
    fn miri_copies_match_a_plain_loop_for_every_length_around_a_lane() {
        for len in 0..=2 * LANES + 3 {
            let src: Vec<f32> = (0..len).map(|i| i as f32 + 0.25).collect();
            let mut dst = vec![-1.0f32; len];
            copy_lanes(&mut dst, &src);
            assert_eq!(dst, src, "copy_lanes of {len}");
            if len <= LANES + 2 {
                // A prefix of every length into a longer buffer: the rest stays untouched.
                let mut dst = vec![-1.0f32; LANES + 2];
                copy_prefix(&mut dst, &src);
                assert_eq!(&dst[..len], &src[..]);
                assert!(dst[len..].iter().all(|&v| v == -1.0));
            }
        }
    }
}
