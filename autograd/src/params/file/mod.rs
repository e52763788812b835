//! safetensors files: an 8-byte little-endian header length `n`, `n` bytes of JSON header (tensor
//! name → `{dtype, shape, data_offsets}` plus an optional `__metadata__` map of strings), then the data.

mod read;
mod write;

pub use read::{read_tensors, FileDtype, SafetensorsFile, TensorEntry};
pub use write::{config_metadata, write_tensors};

/// The `__metadata__` key under which the model config is stored as JSON.
pub const CONFIG_KEY: &str = "config";

/// The header key that holds the string-to-string metadata map.
pub(crate) const METADATA_KEY: &str = "__metadata__";
/// Size of the leading header-length field.
pub(crate) const LEN_FIELD: usize = 8;
/// The largest header accepted (the reference reader's limit).
pub(crate) const MAX_HEADER_LEN: u64 = 100_000_000;
/// Elements encoded per write call when streaming a tensor out.
pub(crate) const WRITE_CHUNK: usize = 1 << 14;
