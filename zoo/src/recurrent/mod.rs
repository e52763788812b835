//! Recurrent networks mirroring PyTorch's `nn.RNN`, `nn.LSTM` and `nn.GRU` (batch-first).

mod config;
pub mod exchange;
mod layer;

pub use config::{MergeMode, RecurrentConfig, RecurrentKind, MAX_FEATURES, MAX_LAYERS};
pub use layer::{param_name, RecurrentInput, RecurrentLayer, RecurrentOutput};
