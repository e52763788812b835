//! Named trainable parameters: the store, hierarchical paths, and safetensors files.

mod store;

pub use store::{Param, ParamId, ParamStore};
