//! Named trainable parameters: the store, hierarchical paths, and safetensors files.

mod path;
mod store;

pub use path::ParamPath;
pub use store::{Param, ParamId, ParamStore};
