//! The configuration of a recurrent layer: what PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` take.

use super::regularizers::Regularizers;
use autograd::{Activation, CellKind, Error, Result};
use serde::{Deserialize, Serialize};

/// The most stacked layers a recurrent layer may have.
pub const MAX_LAYERS: usize = 64;
/// The largest input or hidden size of a recurrent layer (2^24: every weight shape's product
/// fits in 64 bits with room to spare).
pub const MAX_FEATURES: usize = 1 << 24;

/// Which recurrent network: the module PyTorch names `RNN` (with its nonlinearity), `LSTM` or `GRU`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecurrentKind {
    /// Elman's simple recurrent network with tanh (`nn.RNN`).
    Rnn,
    /// Elman's simple recurrent network with relu (`nn.RNN(nonlinearity="relu")`).
    RnnRelu,
    /// Long short-term memory (`nn.LSTM`).
    Lstm,
    /// Gated recurrent unit (`nn.GRU`).
    Gru,
}

impl RecurrentKind {
    /// The fused cell this kind runs.
    pub fn cell(self) -> CellKind {
        match self {
            RecurrentKind::Rnn => CellKind::Elman(Activation::Tanh),
            RecurrentKind::RnnRelu => CellKind::Elman(Activation::Relu),
            RecurrentKind::Lstm => CellKind::Lstm,
            RecurrentKind::Gru => CellKind::Gru,
        }
    }

    /// The short name used on the command line (`srn`, `srn-relu`, `lstm`, `gru`).
    pub fn name(self) -> &'static str {
        match self {
            RecurrentKind::Rnn => "srn",
            RecurrentKind::RnnRelu => "srn-relu",
            RecurrentKind::Lstm => "lstm",
            RecurrentKind::Gru => "gru",
        }
    }

    /// Every kind, in the order the command line lists them.
    pub const ALL: [RecurrentKind; 4] = [
        RecurrentKind::Rnn,
        RecurrentKind::RnnRelu,
        RecurrentKind::Lstm,
        RecurrentKind::Gru,
    ];

    /// The kind whose [`RecurrentKind::name`] is `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// How a bidirectional layer combines its two directions in the final output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMode {
    /// Forward and reverse side by side, `[B, T, 2H]` (PyTorch's only behaviour).
    #[default]
    Concat,
    /// Elementwise sum, `[B, T, H]`.
    Sum,
    /// Elementwise mean, `[B, T, H]`.
    Mean,
    /// Elementwise product, `[B, T, H]`.
    Mul,
}

/// Whether a size is 0 (a setting that is off).
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How a recurrent parameter starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamInit {
    /// U(±1/√H), as PyTorch initializes its recurrent weights and biases.
    Uniform,
    /// All ones (a gain).
    One,
    /// All zeros (a shift).
    Zero,
}

/// One parameter of a recurrent layer in one direction: its name stem (before `_l{k}`), shape and
/// initialization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamShape {
    /// The state_dict name without its layer suffix (`weight_ih`, `ln_c_bias`, …).
    pub name: &'static str,
    /// The shape.
    pub shape: Vec<usize>,
    /// How it starts.
    pub init: ParamInit,
}

/// Sizes and options of a recurrent layer; serialized as the `config` of a weights file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecurrentConfig {
    /// The network kind.
    pub kind: RecurrentKind,
    /// Features per input step.
    pub input_size: usize,
    /// Features of the hidden state.
    pub hidden_size: usize,
    /// Stacked layers.
    pub num_layers: usize,
    /// Whether each layer also runs from the last step to the first.
    pub bidirectional: bool,
    /// Dropout probability on each layer's output but the last, in training only.
    pub dropout: f64,
    /// How the final layer's two directions are combined.
    #[serde(default)]
    pub merge: MergeMode,
    /// An LSTM's projected hidden size P (`nn.LSTM(proj_size=P)`, 0 < P < H): each layer's h is
    /// `W_hr·(o ⊙ tanh c)`, P wide; 0 for no projection (saved only when set, so files of layers
    /// without it are unchanged, and older files load without it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub proj_size: usize,
    /// Recurrent dropout, zoneout and weight drop (saved as the fields `recurrent_dropout`,
    /// `zoneout`, `weight_drop` when on; all off in older files).
    #[serde(flatten)]
    pub regularizers: Regularizers,
    /// Layer-normalized cells (LSTM and GRU only): each gate block of the input and recurrent
    /// projections is normalized, scaled and shifted, and an LSTM's cell state is normalized
    /// before its output tanh (Ba, Kiros & Hinton 2016).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub layer_norm: bool,
}

impl RecurrentConfig {
    /// A one-layer unidirectional network of `kind`.
    pub fn new(kind: RecurrentKind, input_size: usize, hidden_size: usize) -> Self {
        RecurrentConfig {
            kind,
            input_size,
            hidden_size,
            num_layers: 1,
            bidirectional: false,
            dropout: 0.0,
            merge: MergeMode::Concat,
            proj_size: 0,
            regularizers: Regularizers::default(),
            layer_norm: false,
        }
    }

    /// With layer-normalized cells or not.
    pub fn layer_norm(mut self, yes: bool) -> Self {
        self.layer_norm = yes;
        self
    }

    /// Each parameter of `layer` in one direction, in the order they are registered: PyTorch's
    /// four (and an LSTMP's `weight_hr` `[P, H]`), then a layer-normalized cell's gains (`ln_ih_weight`, `ln_hh_weight` `[G·H]`, and an
    /// LSTM's `ln_c_weight`, `ln_c_bias` `[H]`).
    pub fn parameter_shapes(&self, layer: usize) -> Vec<ParamShape> {
        let (h, p) = (self.hidden_size, self.real_hidden_size());
        let rows = self.kind.cell().gates() * h;
        let input = if layer == 0 {
            self.input_size
        } else {
            self.directions() * p
        };
        let param = |name, shape, init| ParamShape { name, shape, init };
        let mut shapes = vec![
            param("weight_ih", vec![rows, input], ParamInit::Uniform),
            param("weight_hh", vec![rows, p], ParamInit::Uniform),
            param("bias_ih", vec![rows], ParamInit::Uniform),
            param("bias_hh", vec![rows], ParamInit::Uniform),
        ];
        if self.proj_size > 0 {
            // PyTorch's weight_hr, also U(±1/√H).
            shapes.push(param("weight_hr", vec![p, h], ParamInit::Uniform));
        }
        if self.layer_norm {
            shapes.push(param("ln_ih_weight", vec![rows], ParamInit::One));
            shapes.push(param("ln_hh_weight", vec![rows], ParamInit::One));
            if self.kind == RecurrentKind::Lstm {
                shapes.push(param("ln_c_weight", vec![h], ParamInit::One));
                shapes.push(param("ln_c_bias", vec![h], ParamInit::Zero));
            }
        }
        shapes
    }

    /// With `n` stacked layers.
    pub fn layers(mut self, n: usize) -> Self {
        self.num_layers = n;
        self
    }

    /// Bidirectional or not.
    pub fn bidirectional(mut self, yes: bool) -> Self {
        self.bidirectional = yes;
        self
    }

    /// With inter-layer dropout `p`.
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// With the recurrent regularizers `r`.
    pub fn regularizers(mut self, r: Regularizers) -> Self {
        self.regularizers = r;
        self
    }

    /// With the given merge mode for the final bidirectional output.
    pub fn merge(mut self, merge: MergeMode) -> Self {
        self.merge = merge;
        self
    }

    /// With an LSTM's hidden state projected to `p` features (0: none).
    pub fn proj_size(mut self, p: usize) -> Self {
        self.proj_size = p;
        self
    }

    /// The features of the hidden state h (PyTorch's `real_hidden_size`): `proj_size` when
    /// projected, else `hidden_size`. The cell state c keeps `hidden_size`.
    pub fn real_hidden_size(&self) -> usize {
        if self.proj_size > 0 {
            self.proj_size
        } else {
            self.hidden_size
        }
    }

    /// The number of directions (1 or 2).
    pub fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// The feature size of the final output.
    pub fn output_size(&self) -> usize {
        match (self.bidirectional, self.merge) {
            (true, MergeMode::Concat) => 2 * self.real_hidden_size(),
            _ => self.real_hidden_size(),
        }
    }

    /// Checks sizes and options, naming what is out of range.
    pub fn validate(&self) -> Result<()> {
        let problem = if self.input_size == 0 || self.hidden_size == 0 {
            Some(format!(
                "input_size {} and hidden_size {} must be positive",
                self.input_size, self.hidden_size
            ))
        } else if self.input_size.max(self.hidden_size) > MAX_FEATURES {
            Some(format!(
                "input_size {} and hidden_size {} must be at most {MAX_FEATURES}",
                self.input_size, self.hidden_size
            ))
        } else if self.num_layers == 0 || self.num_layers > MAX_LAYERS {
            Some(format!(
                "num_layers {} must be between 1 and {MAX_LAYERS}",
                self.num_layers
            ))
        } else if !(0.0..1.0).contains(&self.dropout) {
            Some(format!("dropout {} must be in [0, 1)", self.dropout))
        } else if self.proj_size > 0 && self.kind != RecurrentKind::Lstm {
            Some(format!(
                "proj_size {} is for an lstm only, not a {}",
                self.proj_size,
                self.kind.name()
            ))
        } else if self.proj_size >= self.hidden_size {
            Some(format!(
                "proj_size {} must be less than hidden_size {} (0 for no projection)",
                self.proj_size, self.hidden_size
            ))
        } else if self.proj_size > 0 && self.layer_norm {
            Some(format!(
                "proj_size {} does not run with layer_norm (a projection takes PyTorch's cells)",
                self.proj_size
            ))
        } else if self.layer_norm && !matches!(self.kind, RecurrentKind::Lstm | RecurrentKind::Gru)
        {
            Some(format!(
                "layer_norm is for lstm and gru cells, not {}",
                self.kind.name()
            ))
        } else {
            None
        };
        problem.map_or(Ok(()), |p| {
            Err(Error::Config(format!("recurrent layer: {p}")))
        })?;
        self.regularizers.validate()?;
        // The projection's kernel runs without regularizer masks (weight drop acts on W_hh
        // outside it).
        let r = &self.regularizers;
        if self.proj_size > 0 && (r.recurrent_dropout > 0.0 || r.zoneout > 0.0) {
            return Err(Error::Config(format!(
                "recurrent layer: proj_size {} does not run with recurrent_dropout {} or zoneout \
                 {} (an LSTM with projections takes weight_drop only)",
                self.proj_size, r.recurrent_dropout, r.zoneout
            )));
        }
        Ok(())
    }
}
