//! Which zoo model a task gets: the settings a user picks ([`ModelSpec`]), the full configuration
//! they become for a task ([`ModelConfig`], stored in checkpoints), and the built model ([`Model`]).
//! Each problem type decides which configuration it builds ([`super::ProblemType::model_config`]).

use autograd::{Error, ParamStore, Result, Rng};
use datasets::task::{InputKind, TaskData};
use datasets::Recipe;
use serde::{Deserialize, Serialize};
use zoo::models::{
    ContextMode, LanguageModel, LanguageModelConfig, Seq2Seq, Seq2SeqConfig, SequenceModel,
    SequenceModelConfig, WindowMlp, WindowMlpConfig,
};
use zoo::{RecurrentConfig, RecurrentKind, Regularizers};

use super::problem_type;

/// The model names `--model` accepts: the recurrent kinds and the fixed-window `mlp` baseline.
pub const MODEL_NAMES: [&str; 5] = ["srn", "srn-relu", "lstm", "gru", "mlp"];

/// The model settings a user chooses; [`ModelConfig::for_task`] fits them to a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// One of [`MODEL_NAMES`].
    pub model: String,
    /// Hidden units per layer (and direction).
    pub hidden: usize,
    /// Stacked recurrent layers.
    pub layers: usize,
    /// Read the sequence in both directions (encoders, classifiers, taggers, regressors).
    pub bidirectional: bool,
    /// Dropout between stacked layers, in training only.
    pub dropout: f64,
    /// Layer-normalized LSTM or GRU cells (off in runs saved before this setting existed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub layer_norm: bool,
    /// Embedding size of token inputs.
    pub embedding: usize,
    /// Attention in sequence-to-sequence models.
    pub attention: bool,
    /// How a conditioned generator (captioning) reads its context vector (the initial state in
    /// runs saved before this setting existed).
    #[serde(default)]
    pub conditioning: Conditioning,
    /// An LSTM's projected hidden size P < `hidden` (`nn.LSTM(proj_size=P)`); 0 for none (as in
    /// runs saved before this setting existed; saved only when set).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub proj_size: usize,
    /// Recurrent dropout, zoneout and weight drop of every recurrent layer (the fields
    /// `recurrent_dropout`, `zoneout`, `weight_drop`; off in runs saved before they existed).
    #[serde(flatten)]
    pub regularizers: Regularizers,
}

/// How a conditioned generator takes its context vector, or whether it ignores it (a baseline).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conditioning {
    /// The context sets the initial state.
    #[default]
    InitialState,
    /// The context is an extra input at every step.
    EveryStep,
    /// No context: an unconditioned language model of the same sentences.
    None,
}

impl Conditioning {
    /// Every conditioning with its name (`--conditioning`).
    pub const NAMES: [(&'static str, Conditioning); 3] = [
        ("initial-state", Conditioning::InitialState),
        ("every-step", Conditioning::EveryStep),
        ("none", Conditioning::None),
    ];

    /// The conditioning called `name`, or an `Error::Config` listing the names.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, c)| c)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
                config_error(format!(
                    "unknown conditioning '{name}'; conditionings: {}",
                    names.join(", ")
                ))
            })
    }

    /// The conditioning's name.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("initial-state", |(n, _)| n)
    }

    /// The model's context mode (none for [`Conditioning::None`]).
    pub fn mode(self) -> Option<ContextMode> {
        match self {
            Conditioning::InitialState => Some(ContextMode::InitialState),
            Conditioning::EveryStep => Some(ContextMode::EveryStep),
            Conditioning::None => None,
        }
    }
}

impl Default for ModelSpec {
    /// One LSTM layer of 64 units, embeddings of 32, no attention.
    fn default() -> Self {
        ModelSpec {
            model: "lstm".into(),
            hidden: 64,
            layers: 1,
            bidirectional: false,
            dropout: 0.0,
            layer_norm: false,
            embedding: 32,
            attention: false,
            conditioning: Conditioning::InitialState,
            proj_size: 0,
            regularizers: Regularizers::default(),
        }
    }
}

impl From<&Recipe> for ModelSpec {
    /// The model settings of a recipe.
    fn from(r: &Recipe) -> Self {
        ModelSpec {
            model: r.model.to_string(),
            hidden: r.hidden,
            layers: r.layers,
            bidirectional: r.bidirectional,
            dropout: r.dropout,
            layer_norm: r.layer_norm,
            embedding: r.embedding,
            attention: r.attention,
            conditioning: Conditioning::default(),
            proj_size: 0,
            regularizers: Regularizers {
                recurrent_dropout: r.recurrent_dropout,
                zoneout: r.zoneout,
                weight_drop: r.weight_drop,
            },
        }
    }
}

/// A model's complete configuration (what a checkpoint stores to rebuild it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum ModelConfig {
    /// A recurrent network with a linear read-out: regression, forecasting, classification,
    /// tagging.
    #[serde(alias = "regressor", alias = "classifier")]
    Sequence(SequenceModelConfig),
    /// Language models, conditioned ones (captioning) included.
    LanguageModel(LanguageModelConfig),
    /// Sequence to sequence.
    Seq2Seq(Seq2SeqConfig),
    /// The fixed-window feed-forward baseline (forecasting).
    WindowMlp(WindowMlpConfig),
}

/// A built model.
#[derive(Clone, Debug)]
pub enum Model {
    /// See [`ModelConfig::Sequence`].
    Sequence(SequenceModel),
    /// See [`ModelConfig::LanguageModel`].
    LanguageModel(LanguageModel),
    /// See [`ModelConfig::Seq2Seq`].
    Seq2Seq(Seq2Seq),
    /// See [`ModelConfig::WindowMlp`].
    WindowMlp(WindowMlp),
}

/// Whether a size is 0 (a setting that is off).
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// An `Error::Config` with `message`.
pub(super) fn config_error(message: String) -> Error {
    Error::Config(message)
}

impl ModelSpec {
    /// The recurrent kind named by `model` (an error for `mlp` or an unknown name).
    pub(super) fn kind(&self) -> Result<RecurrentKind> {
        RecurrentKind::from_name(&self.model).ok_or_else(|| {
            config_error(format!(
                "model '{}' is not recurrent; recurrent models: srn, srn-relu, lstm, gru",
                self.model
            ))
        })
    }

    /// The recurrent network reading `input` features per step.
    pub(super) fn rnn(&self, input: usize, bidirectional: bool) -> Result<RecurrentConfig> {
        Ok(RecurrentConfig::new(self.kind()?, input, self.hidden)
            .layers(self.layers)
            .bidirectional(bidirectional)
            .dropout(self.dropout)
            .proj_size(self.proj_size)
            .layer_norm(self.layer_norm)
            .regularizers(self.regularizers))
    }

    /// An error naming `--proj-size` unless it is 0, or below `--hidden` on an LSTM without the
    /// regularizers the projection's kernel does not run (recurrent dropout, zoneout) and without
    /// layer norm.
    fn check_proj_size(&self) -> Result<()> {
        let p = self.proj_size;
        if p > 0 && self.model != "lstm" {
            return Err(config_error(format!(
                "--proj-size {p} applies to the lstm only; the model is {}",
                self.model
            )));
        }
        if p >= self.hidden && p > 0 {
            return Err(config_error(format!(
                "--proj-size {p} must be less than --hidden {} (0 for no projection)",
                self.hidden
            )));
        }
        if p > 0 && self.layer_norm {
            return Err(config_error(format!(
                "--proj-size {p} does not run with --layer-norm (a projection takes PyTorch's cells)"
            )));
        }
        let r = &self.regularizers;
        let masked = [
            ("recurrent-dropout", r.recurrent_dropout),
            ("zoneout", r.zoneout),
        ];
        if let Some((name, q)) = masked.iter().find(|(_, q)| p > 0 && *q != 0.0) {
            return Err(config_error(format!(
                "--proj-size {p} does not run with --{name} {q} (an LSTM with projections takes \
                 --weight-drop only)"
            )));
        }
        Ok(())
    }

    /// An error naming the first recurrent regularizer that is on: `what` (a seq2seq model, the
    /// window MLP) does not run them.
    pub(super) fn unregularized(&self, task: &TaskData, what: &str) -> Result<()> {
        match self.regularizers.settings().iter().find(|(_, p)| *p != 0.0) {
            Some((name, p)) => Err(config_error(format!(
                "--{} {p} applies to the recurrent models of whole-sequence tasks; {what} on {} \
                 does not take it",
                name.replace('_', "-"),
                task.name
            ))),
            None => Ok(()),
        }
    }

    /// An error unless the model reads left to right: `what` (a language model, a caption
    /// generator) cannot be bidirectional.
    pub(super) fn unidirectional(&self, task: &TaskData, what: &str) -> Result<()> {
        if self.bidirectional {
            return Err(config_error(format!(
                "a {what} reads left to right; --bidirectional does not apply to {}",
                task.name
            )));
        }
        Ok(())
    }

    /// An error unless the model is recurrent: the window MLP forecasts series only.
    pub(super) fn recurrent(&self, task: &TaskData) -> Result<()> {
        if self.model == "mlp" {
            return Err(config_error(format!(
                "the mlp baseline forecasts series; {} is a {} task",
                task.name,
                task.problem.name()
            )));
        }
        Ok(())
    }

    /// A recurrent network with a linear read-out of `outputs` values for `task`: token inputs
    /// go through an embedding; `per_step` reads every step instead of the last state.
    pub(super) fn sequence(
        &self,
        task: &TaskData,
        outputs: usize,
        per_step: bool,
    ) -> Result<ModelConfig> {
        self.recurrent(task)?;
        let (input, vocab) = match task.input {
            InputKind::Steps { width } | InputKind::Vector { width } => (width, None),
            InputKind::Tokens { vocab } => (self.embedding, Some(vocab)),
        };
        Ok(ModelConfig::Sequence(SequenceModelConfig {
            rnn: self.rnn(input, self.bidirectional)?,
            vocab,
            outputs,
            per_step,
        }))
    }

    /// An error unless `model` is one of [`MODEL_NAMES`].
    pub fn check_name(&self) -> Result<()> {
        if MODEL_NAMES.contains(&self.model.as_str()) {
            Ok(())
        } else {
            Err(config_error(format!(
                "unknown model '{}'; known models: {}",
                self.model,
                MODEL_NAMES.join(", ")
            )))
        }
    }
}

impl ModelConfig {
    /// The configuration of `spec` for `task`, as the task's problem type builds it.
    pub fn for_task(task: &TaskData, spec: &ModelSpec) -> Result<Self> {
        spec.check_name()?;
        let problem = problem_type(task.problem);
        if spec.attention && !problem.takes_attention() {
            return Err(config_error(format!(
                "--attention applies to sequence-to-sequence tasks; {} is a {} task",
                task.name,
                task.problem.name()
            )));
        }
        if spec.conditioning != Conditioning::default() && !problem.takes_context() {
            return Err(config_error(format!(
                "--conditioning {} applies to conditioned generation (captioning); {} is a {} \
                 task",
                spec.conditioning.name(),
                task.name,
                task.problem.name()
            )));
        }
        spec.check_proj_size()?;
        let config = problem.model_config(task, spec)?;
        if spec.proj_size > 0 && config.rnn().is_none_or(|r| r.proj_size != spec.proj_size) {
            return Err(config_error(format!(
                "--proj-size applies to models on one recurrent layer (sequence and language \
                 models); {} builds a {}",
                task.name,
                config.describe()
            )));
        }
        Ok(config)
    }

    /// The recurrent layer the model is built on, if it has one of its own (sequence and
    /// language models).
    pub fn rnn(&self) -> Option<&RecurrentConfig> {
        match self {
            ModelConfig::Sequence(c) => Some(&c.rnn),
            ModelConfig::LanguageModel(c) => Some(&c.rnn),
            ModelConfig::Seq2Seq(_) | ModelConfig::WindowMlp(_) => None,
        }
    }

    /// A short description such as `lstm 1x64` or `lstm 2x256 layer-norm` for tables.
    pub fn describe(&self) -> String {
        let rnn = |r: &RecurrentConfig| {
            let bi = if r.bidirectional { " bi" } else { "" };
            let proj = match r.proj_size {
                0 => String::new(),
                p => format!(" proj {p}"),
            };
            let norm = if r.layer_norm { " layer-norm" } else { "" };
            format!(
                "{}{bi} {}x{}{proj}{norm}",
                r.kind.name(),
                r.num_layers,
                r.hidden_size
            )
        };
        match self {
            ModelConfig::Sequence(c) => rnn(&c.rnn),
            ModelConfig::LanguageModel(c) => rnn(&c.rnn),
            ModelConfig::Seq2Seq(c) => {
                let bi = if c.bidirectional_encoder { " bi" } else { "" };
                let att = if c.attention.is_some() {
                    " +attention"
                } else {
                    ""
                };
                format!("{}{bi} {}x{}{att}", c.kind.name(), c.layers, c.hidden)
            }
            ModelConfig::WindowMlp(c) => format!("mlp {}-{}-{}", c.window, c.hidden, c.outputs),
        }
    }

    /// Builds the model, registering its parameters in `store` (initialized from `rng`).
    pub fn build(&self, store: &mut ParamStore<f32>, rng: &mut Rng) -> Result<Model> {
        let mut root = store.root();
        Ok(match self {
            ModelConfig::Sequence(c) => {
                Model::Sequence(SequenceModel::new(&mut root, c.clone(), rng)?)
            }
            ModelConfig::LanguageModel(c) => {
                Model::LanguageModel(LanguageModel::new(&mut root, c.clone(), rng)?)
            }
            ModelConfig::Seq2Seq(c) => Model::Seq2Seq(Seq2Seq::new(&mut root, c.clone(), rng)?),
            ModelConfig::WindowMlp(c) => {
                Model::WindowMlp(WindowMlp::new(&mut root, c.clone(), rng)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The task `name` with 8 training and 8 validation examples.
    fn small_task(name: &str) -> TaskData {
        crate::problem::RunSpec {
            train_size: 8,
            val_size: 8,
            ..crate::problem::RunSpec::new(name, ModelSpec::default())
        }
        .prepare_task()
        .unwrap()
    }

    #[test]
    fn regressor_and_classifier_configs_of_older_checkpoints_read_as_sequence_models() {
        let rnn = serde_json::to_value(RecurrentConfig::new(RecurrentKind::Gru, 1, 8)).unwrap();
        let old = [
            serde_json::json!({"model": "regressor", "rnn": rnn, "outputs": 1, "per_step": false}),
            serde_json::json!({
                "model": "classifier", "rnn": rnn, "classes": 3, "vocab": 9, "per_step": true
            }),
        ];
        let read: Vec<ModelConfig> = old
            .into_iter()
            .map(|v| serde_json::from_value(v).expect("an older config"))
            .collect();
        let fields = |c: &ModelConfig| match c {
            ModelConfig::Sequence(c) => (c.vocab, c.outputs, c.per_step),
            other => panic!("read as {other:?}"),
        };
        assert_eq!(fields(&read[0]), (None, 1, false));
        assert_eq!(fields(&read[1]), (Some(9), 3, true));
        let json = serde_json::to_value(&read[1]).unwrap();
        assert_eq!(json["model"], "sequence");
        assert_eq!(
            serde_json::from_value::<ModelConfig>(json).unwrap(),
            read[1]
        );
    }

    #[test]
    fn a_model_spec_saved_before_conditioning_existed_conditions_the_initial_state() {
        let mut json = serde_json::to_value(ModelSpec::default()).unwrap();
        json.as_object_mut().unwrap().remove("conditioning");
        let spec: ModelSpec = serde_json::from_value(json).unwrap();
        assert_eq!(spec.conditioning, Conditioning::InitialState);
        assert_eq!(Conditioning::EveryStep.mode(), Some(ContextMode::EveryStep));
        assert_eq!(Conditioning::None.mode(), None);
        for (name, c) in Conditioning::NAMES {
            assert_eq!(Conditioning::from_name(name).unwrap(), c);
            assert_eq!(c.name(), name);
        }
        let err = Conditioning::from_name("sideways").unwrap_err();
        assert!(err.to_string().contains("every-step"), "{err}");
    }

    #[test]
    fn a_model_spec_saved_before_proj_size_existed_has_no_projection() {
        let spec = ModelSpec {
            proj_size: 8,
            ..ModelSpec::default()
        };
        assert_eq!(serde_json::to_value(&spec).unwrap()["proj_size"], 8);
        let json = serde_json::to_value(ModelSpec::default()).unwrap();
        assert!(json.get("proj_size").is_none(), "saved while off: {json}");
        let old: ModelSpec = serde_json::from_value(json).unwrap();
        assert_eq!(old, ModelSpec::default());
        assert_eq!(old.rnn(3, false).unwrap().proj_size, 0);
        assert_eq!(spec.rnn(3, false).unwrap().proj_size, 8);
    }

    #[test]
    fn regularizers_reach_every_recurrent_layer_and_older_specs_load_without_them() {
        let mut json = serde_json::to_value(ModelSpec::default()).unwrap();
        for key in ["recurrent_dropout", "zoneout", "weight_drop"] {
            assert!(json.get(key).is_none(), "{key} saved while off");
        }
        json["zoneout"] = serde_json::json!(0.25);
        let spec: ModelSpec = serde_json::from_value(json).unwrap();
        assert_eq!(spec.regularizers.zoneout, 0.25);
        assert_eq!(spec.regularizers.recurrent_dropout, 0.0);
        match ModelConfig::for_task(&small_task("adding"), &spec).unwrap() {
            ModelConfig::Sequence(c) => assert_eq!(c.rnn.regularizers, spec.regularizers),
            other => panic!("built {other:?}"),
        }
        match ModelConfig::for_task(&small_task("corpus"), &spec).unwrap() {
            ModelConfig::LanguageModel(c) => assert_eq!(c.rnn.regularizers, spec.regularizers),
            other => panic!("built {other:?}"),
        }
        let err = ModelConfig::for_task(&small_task("dates"), &spec).unwrap_err();
        assert!(err.to_string().contains("--zoneout 0.25"), "{err}");
    }

    #[test]
    fn conditioning_applies_to_captioning_only_and_chooses_the_context_mode() {
        let spec = |conditioning| ModelSpec {
            conditioning,
            ..ModelSpec::default()
        };
        let err = ModelConfig::for_task(&small_task("dates"), &spec(Conditioning::EveryStep))
            .unwrap_err();
        assert!(err.to_string().contains("conditioning"), "{err}");
        let captioning = small_task("captioning");
        let context = |c| match ModelConfig::for_task(&captioning, &spec(c)).unwrap() {
            ModelConfig::LanguageModel(lm) => (lm.context.map(|x| x.mode), lm.rnn.input_size),
            other => panic!("built {other:?}"),
        };
        assert_eq!(context(Conditioning::None), (None, 32));
        assert_eq!(
            context(Conditioning::EveryStep),
            (Some(ContextMode::EveryStep), 32 + 24)
        );
        assert_eq!(
            context(Conditioning::InitialState),
            (Some(ContextMode::InitialState), 32)
        );
    }
}
