//! seqzoo's autodiff engine: n-d tensors, a Wengert-list tape, differentiable ops, optimizers,
//! initializers and named parameters stored as safetensors.
//!
//! ```
//! use autograd::{Tape, Tensor};
//! let tape = Tape::<f64>::new();
//! let x = tape.var(Tensor::from_f64(&[3], &[1.0, 2.0, 3.0]));
//! let y = (x * x).sum();
//! let grads = y.backward();
//! assert_eq!(grads.wrt(x).to_f64_vec(), vec![2.0, 4.0, 6.0]);
//! ```

#![warn(missing_docs)]

mod alloc;
pub mod diagnostics;
pub mod element;
pub mod error;
pub mod fs;
pub mod gradcheck;
pub mod init;
pub mod kernels;
pub mod op;
pub mod ops;
pub mod optim;
pub mod params;
pub mod profile;
pub mod rng;
mod simd;
mod subnormal;
pub mod tape;
pub mod tensor;

pub use diagnostics::RecurrentRecord;
pub use element::{DType, Element};
pub use error::{Error, Result};
pub use gradcheck::{
    gradcheck, gradcheck_params, GradcheckFailure, GradcheckOptions, GradcheckReport,
    ParamGradcheckFailure,
};
pub use op::Op;
pub use ops::loss::{CrossEntropyOptions, IGNORE_INDEX};
pub use ops::recurrent::{
    Activation, CellKind, Directions, NormWeights, RecurrentMasks, RecurrentSpec, RecurrentWeights,
};
pub use ops::unary::Unary;
pub use optim::{clip_grad_norm, clip_grad_value, OptimConfig, OptimState, Optimizer, Schedule};
pub use params::{LoadReport, ParamPath, SafetensorsFile};
pub use params::{Param, ParamId, ParamStore};
pub use profile::{OpProfile, OpTime};
pub use rng::{Rng, RngState};
pub use tape::{Grads, NoGradGuard, NodeId, Tape, Var};
pub use tensor::Tensor;
