//! seqzoo's model zoo: layers and recurrent models built on the `autograd` tape, with PyTorch's
//! parameter names and shapes so weights move between the two.

pub mod linear;
pub mod recurrent;
pub mod train;

pub use autograd;
pub use linear::Linear;
pub use recurrent::{
    MergeMode, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer, RecurrentOutput,
};
pub use train::{Metrics, Objective, TrainConfig, TrainSummary, Trainer};
