//! Recurrent networks mirroring PyTorch's `nn.RNN`, `nn.LSTM` and `nn.GRU` (batch-first), with
//! Keras's recurrent dropout, zoneout and AWD-LSTM's weight drop as options.

mod config;
pub mod exchange;
mod layer;
mod regularizers;

pub use config::{MergeMode, RecurrentConfig, RecurrentKind, MAX_FEATURES, MAX_LAYERS};
pub use layer::{param_name, RecurrentInput, RecurrentLayer, RecurrentOutput};
pub use regularizers::Regularizers;
