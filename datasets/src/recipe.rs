//! [`Recipe`]: a task's default model and training settings, the run `seqzoo train --task X` makes
//! when no other flag is given. Every flag overrides one field.

use std::fmt;

/// A task's default model and training settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    /// The model: `srn`, `srn-relu`, `lstm`, `gru` or `mlp` (the fixed-window baseline).
    pub model: &'static str,
    /// Hidden units per layer (and direction).
    pub hidden: usize,
    /// Stacked recurrent layers.
    pub layers: usize,
    /// Read the sequence in both directions.
    pub bidirectional: bool,
    /// Embedding size of token inputs.
    pub embedding: usize,
    /// Attention over the encoder outputs (seq2seq).
    pub attention: bool,
    /// Dropout between stacked layers, in training.
    pub dropout: f64,
    /// Variational dropout of each recurrent layer's input and state, in training.
    pub recurrent_dropout: f64,
    /// Zoneout of each recurrent layer's states (its expectation in evaluation).
    pub zoneout: f64,
    /// DropConnect on each recurrent layer's `W_hh`, in training.
    pub weight_drop: f64,
    /// Layer-normalized LSTM or GRU cells.
    pub layer_norm: bool,
    /// Training steps.
    pub steps: usize,
    /// Examples per batch.
    pub batch: usize,
    /// The optimizer: `sgd`, `adam`, `adamw`, `rmsprop`, `adagrad`.
    pub optimizer: &'static str,
    /// The learning rate.
    pub lr: f64,
    /// The global gradient-norm clip, if any.
    pub clip: Option<f64>,
    /// The learning-rate schedule: `constant` or `cosine`.
    pub schedule: &'static str,
    /// Seq2seq: the probability of feeding the true previous token while training.
    pub teacher_forcing: f64,
    /// The validation value of the task's baseline metric this recipe must reach, when the task
    /// sets one (MSE 0.01 for the adding problem); otherwise it must clearly beat the baseline.
    pub goal: Option<f64>,
}

impl Default for Recipe {
    /// One LSTM layer of 64 units, embeddings of 32; 1000 steps of Adam at 3e-3 on batches of 32,
    /// no clipping, a constant rate, full teacher forcing, no goal beyond the baseline.
    fn default() -> Self {
        Recipe {
            model: "lstm",
            hidden: 64,
            layers: 1,
            bidirectional: false,
            embedding: 32,
            attention: false,
            dropout: 0.0,
            recurrent_dropout: 0.0,
            zoneout: 0.0,
            weight_drop: 0.0,
            layer_norm: false,
            steps: 1000,
            batch: 32,
            optimizer: "adam",
            lr: 3e-3,
            clip: None,
            schedule: "constant",
            teacher_forcing: 1.0,
            goal: None,
        }
    }
}

impl fmt::Display for Recipe {
    /// One line such as `lstm 1x64 bi, adam lr 0.003, clip 1, batch 32, 2000 steps, cosine` (the
    /// embedding size only when it is not the default 32).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}x{}", self.model, self.layers, self.hidden)?;
        if self.bidirectional {
            write!(f, " bi")?;
        }
        if self.attention {
            write!(f, " +attention")?;
        }
        if self.embedding != Recipe::default().embedding {
            write!(f, " embedding {}", self.embedding)?;
        }
        for (name, p) in [
            ("dropout", self.dropout),
            ("recurrent dropout", self.recurrent_dropout),
            ("zoneout", self.zoneout),
            ("weight drop", self.weight_drop),
        ] {
            if p > 0.0 {
                write!(f, " {name} {p}")?;
            }
        }
        if self.layer_norm {
            write!(f, " layer-norm")?;
        }
        write!(f, ", {} lr {}", self.optimizer, self.lr)?;
        if let Some(clip) = self.clip {
            write!(f, ", clip {clip}")?;
        }
        write!(f, ", batch {}, {} steps", self.batch, self.steps)?;
        if self.schedule != "constant" {
            write!(f, ", {}", self.schedule)?;
        }
        if self.teacher_forcing < 1.0 {
            write!(f, ", teacher forcing {}", self.teacher_forcing)?;
        }
        Ok(())
    }
}
