//! Named trainable parameters: the store, hierarchical paths, and safetensors files.

mod file;
mod load;
mod path;
mod store;

pub use file::{
    config_metadata, read_tensors, write_tensors, FileDtype, SafetensorsFile, TensorEntry,
    CONFIG_KEY,
};
pub use load::LoadReport;
pub use path::ParamPath;
pub use store::{Param, ParamId, ParamStore};
