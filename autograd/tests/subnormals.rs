//! `kernels::flush_subnormals`: after it, subnormal results are zero on the calling thread and on
//! every thread of rayon's pool, and a vanishing product through the GEMM kernels is 0 instead of
//! a subnormal. (Its own test binary: the mode is process-wide for the pool.)

use std::hint::black_box;

use autograd::kernels::flush_subnormals;
use autograd::ops::matmul::matmul_tensors;
use autograd::Tensor;

/// Half the smallest normal f32, computed at run time: subnormal unless flushed.
fn half_min_positive() -> f32 {
    black_box(f32::MIN_POSITIVE) * black_box(0.5)
}

#[test]
#[cfg_attr(not(target_arch = "x86_64"), ignore)]
fn subnormals_are_flushed_on_every_thread_once_asked() {
    let before = half_min_positive();
    assert!(
        before > 0.0 && !before.is_normal(),
        "IEEE default: {before:e}"
    );
    // A product of two small normals, through the matmul kernels: subnormal by default.
    let small = Tensor::<f32>::from_fn(&[4, 64], |_| 1e-20);
    let product = matmul_tensors(&small, &small, false, true);
    assert!(product.data().iter().all(|&x| x > 0.0 && !x.is_normal()));

    flush_subnormals();
    assert_eq!(half_min_positive(), 0.0);
    let pool: Vec<f32> = rayon::broadcast(|_| half_min_positive());
    assert_eq!(pool.len(), rayon::current_num_threads());
    assert!(pool.iter().all(|&x| x == 0.0), "{pool:?}");
    let product = matmul_tensors(&small, &small, false, true);
    assert!(product.data().iter().all(|&x| x == 0.0));
    // Normal numbers are untouched.
    assert_eq!(black_box(1.5f32) * black_box(2.0), 3.0);
}
