//! Internal: low-level kernels exposed for benchmarks; not a stable API.
//!
//! Only what the workspace's benchmarks, profiling example and command line call directly is
//! here; use [`Tensor`](crate::Tensor) and the ops for everything else. The GEMM, packed-GEMM,
//! SIMD and parallel-map kernels themselves are private to the crate.

pub use crate::alloc::keep_freed_memory;
pub use crate::subnormal::flush_subnormals;
pub use crate::tensor::gemm::{gemm, Gemm};
pub use crate::tensor::{PackedGemm, Start};
