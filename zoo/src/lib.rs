//! seqzoo's model zoo: layers and recurrent models built on the `autograd` tape, with PyTorch's
//! parameter names and shapes so weights move between the two.

#![warn(missing_docs)]

pub mod context;
pub mod diagnostics;
pub mod embedding;
pub mod linear;
pub mod models;
pub mod recurrent;
pub mod train;

pub use autograd;
pub use context::{Ctx, Mode};
pub use diagnostics::{GateStats, GradientFlow, LayerDiagnostics};
pub use embedding::Embedding;
pub use linear::Linear;
pub use models::{
    AttentionScore, ContextConfig, ContextMode, LanguageModel, LanguageModelConfig, LmInput,
    Sampling, Seq2Seq, Seq2SeqConfig, SequenceInput, SequenceModel, SequenceModelConfig, State,
    WindowMlp, WindowMlpConfig,
};
pub use recurrent::{
    MergeMode, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer, RecurrentOutput,
    Regularizers,
};
pub use train::{Metrics, Objective, TrainConfig, TrainSummary, Trainer};
