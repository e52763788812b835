//! A training session: a task, the model built for it and its trainer, created fresh or from a
//! checkpoint, saved with everything `eval` and `generate` need to rebuild the model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use autograd::fs::prepare_write;
use autograd::params::CONFIG_KEY;
use autograd::{Error, ParamStore, Result, Rng, Schedule, Tensor};
use datasets::params::Params;
use datasets::registry::{lookup, prepare_fitted};
use datasets::series::Normalizer;
use datasets::task::{Fitted, Problem, PromptStyle, TaskData, TaskSizes};
use datasets::text::Vocab;
use datasets::Recipe;
use serde::{Deserialize, Serialize};
use zoo::train::{Checkpoint, Objective, Observer, SaveEvery, TrainConfig, TrainSummary, Trainer};

use super::limits::check_saved_run;
use super::model::{Model, ModelConfig, ModelSpec};
use super::objective::TaskObjective;
use super::source::{SourceFile, SOURCE_KEY};
use super::stateful::{resume_carry, Carry, StreamBatches};
use super::teacher_forcing::TeacherForcingSchedule;
use super::{problem_type, GenerateRequest};

/// Checkpoint metadata key of the [`RunSpec`] (JSON).
pub const RUN_KEY: &str = "run";
/// Checkpoint metadata key of the task's vocabulary (JSON), when it has one.
pub const VOCAB_KEY: &str = "vocab";
/// Checkpoint metadata key of a forecasting task's normalization (JSON), when it has one.
pub const NORMALIZER_KEY: &str = "normalizer";

/// What a run trains on and with: everything but the trainer's own settings. Stored in checkpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The task: a name of `seqzoo data list`, `csv:PATH` or `text:PATH`.
    pub task: String,
    /// Task settings `key=value` (`--set`).
    pub settings: Vec<String>,
    /// The CSV column of a `csv:PATH` task.
    pub column: Option<String>,
    /// The data seed (synthetic examples, series, model initialization, shuffling).
    pub seed: u64,
    /// Synthetic examples per split.
    pub train_size: usize,
    /// Validation examples of synthetic tasks.
    pub val_size: usize,
    /// Examples per training batch.
    pub batch: usize,
    /// Seq2seq: the probability of feeding the true previous token while training.
    pub teacher_forcing: f64,
    /// Seq2seq: how the teacher-forcing ratio changes over training (constant in runs saved
    /// before schedules existed).
    #[serde(default)]
    pub teacher_forcing_schedule: TeacherForcingSchedule,
    /// The model the user chose.
    pub model: ModelSpec,
}

impl RunSpec {
    /// `model` on `task` with the command line's defaults: seed 0, 20,000 training and 1,000
    /// validation examples, batches of 32, full teacher forcing, no task settings.
    pub fn new(task: &str, model: ModelSpec) -> Self {
        RunSpec {
            task: task.to_string(),
            settings: vec![],
            column: None,
            seed: 0,
            train_size: 20_000,
            val_size: 1_000,
            batch: 32,
            teacher_forcing: 1.0,
            teacher_forcing_schedule: TeacherForcingSchedule::Constant,
            model,
        }
    }

    /// The spec with the model, batch and teacher-forcing ratio of `recipe`.
    pub fn with_recipe(self, recipe: &Recipe) -> Self {
        RunSpec {
            model: ModelSpec::from(recipe),
            batch: recipe.batch,
            teacher_forcing: recipe.teacher_forcing,
            ..self
        }
    }

    /// The spec's task, prepared.
    pub fn prepare_task(&self) -> Result<TaskData> {
        self.prepare_task_fitted(&Fitted::default())
    }

    /// The spec's task, prepared reusing what a trained model's task fitted (its vocabulary and
    /// normalization).
    pub fn prepare_task_fitted(&self, fitted: &Fitted) -> Result<TaskData> {
        let params = Params::parse(&self.settings)?;
        let sizes = TaskSizes {
            train: self.train_size,
            val: self.val_size,
        };
        prepare_fitted(
            &self.task,
            self.seed,
            &params,
            sizes,
            self.column.as_deref(),
            fitted,
        )
    }
}

/// Where [`Session::run_saving`] writes its checkpoint, and when besides at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavePlan {
    /// The checkpoint file (overwritten atomically each time).
    pub path: PathBuf,
    /// When to write it during the run.
    pub every: SaveEvery,
}

/// How [`Session::run_saving`] ended.
#[derive(Clone, Debug)]
pub enum RunEnd {
    /// The run reached its steps (or early stopping) and finished.
    Finished(TrainSummary),
    /// The observer stopped it after step `step`, unfinished.
    Stopped {
        /// The steps done.
        step: usize,
        /// Where that step's checkpoint was written, if the run saves.
        saved: Option<PathBuf>,
    },
}

/// A task, its model and the trainer of the model's parameters.
///
/// ```no_run
/// use seqzoo::problem::{ModelSpec, RunSpec, Session};
/// use seqzoo::zoo::train::{Progress, TrainConfig};
///
/// let model = ModelSpec { model: "lstm".into(), hidden: 32, ..ModelSpec::default() };
/// let spec = RunSpec { settings: vec!["t=100".into()], ..RunSpec::new("adding", model) };
/// let train = TrainConfig::new(2500, "adam", 0.01)?.clip(Some(1.0));
/// let mut session = Session::new(spec, train)?;
/// let summary = session.run(&mut Progress::stderr())?;
/// println!("val_mse {:?}", summary.last_val.get("val_mse"));
/// session.save("adding.safetensors".as_ref())?;
/// # Ok::<(), seqzoo::autograd::Error>(())
/// ```
pub struct Session {
    /// What the run trains on and with.
    pub spec: RunSpec,
    /// The prepared task.
    pub task: TaskData,
    /// The model's full configuration.
    pub config: ModelConfig,
    /// The model.
    pub model: Model,
    /// The trainer, owning the parameters.
    pub trainer: Trainer<f32>,
    /// The data file the task reads, as it was when training started.
    pub source: Option<SourceFile>,
    /// The state a stateful language model carries into its next batch (empty otherwise); saved
    /// in checkpoints.
    pub carry: Carry,
}

/// The trainer's settings of `recipe` for `steps` steps with `seed` (the schedule spans the run).
pub fn recipe_train_config(recipe: &Recipe, steps: usize, seed: u64) -> Result<TrainConfig> {
    let schedule = match recipe.schedule {
        "constant" => Schedule::Constant,
        "cosine" => Schedule::cosine(steps, 0.0),
        other => {
            return Err(Error::Config(format!(
                "unknown schedule '{other}'; known schedules: constant, cosine"
            )))
        }
    };
    let config = TrainConfig::new(steps, recipe.optimizer, recipe.lr)?
        .schedule(schedule)
        .clip(recipe.clip)
        .seed(seed);
    config.validate()?;
    Ok(config)
}

/// Builds the model of `config` in a fresh store, initialized from `seed`.
fn build(config: &ModelConfig, seed: u64) -> Result<(Model, ParamStore<f32>)> {
    build_in(ParamStore::new(), config, seed)
}

/// Builds the model of `config` in `store`, initialized from `seed`.
fn build_in(
    mut store: ParamStore<f32>,
    config: &ModelConfig,
    seed: u64,
) -> Result<(Model, ParamStore<f32>)> {
    let model = config.build(&mut store, &mut Rng::new(seed).fork(1))?;
    Ok((model, store))
}

/// Builds the model of a checkpoint's `config` once its parameter shapes, declared on a meta
/// store, match the file's tensors: a config whose sizes the file does not hold is an error
/// before anything of those sizes is allocated.
fn build_saved(
    ckpt: &Checkpoint,
    config: &ModelConfig,
    seed: u64,
) -> Result<(Model, ParamStore<f32>)> {
    let (_, declared) = build_in(ParamStore::meta(), config, seed)
        .map_err(|e| Error::format(ckpt.path(), format!("its model config: {e}")))?;
    ckpt.check_shapes(&declared)?;
    build(config, seed)
}

impl Session {
    /// A fresh session: prepares the task, builds the model for it, starts a trainer.
    pub fn new(spec: RunSpec, train: TrainConfig) -> Result<Self> {
        let task = spec.prepare_task()?;
        Session::with_task(spec, task, train)
    }

    /// A fresh session of `task` trained by its own recipe (what `seqzoo train --task TASK
    /// --seed SEED` runs).
    pub fn from_recipe(task: &str, seed: u64) -> Result<Self> {
        let spec = RunSpec {
            seed,
            ..RunSpec::new(task, ModelSpec::default())
        };
        let data = spec.prepare_task()?;
        let recipe = data.recipe.clone();
        let train = recipe_train_config(&recipe, recipe.steps, seed)?;
        Session::with_task(spec.with_recipe(&recipe), data, train)
    }

    /// A fresh session on a task already prepared from `spec` (to size the run by its data).
    pub fn with_task(spec: RunSpec, task: TaskData, train: TrainConfig) -> Result<Self> {
        let config = ModelConfig::for_task(&task, &spec.model)?;
        if let Some(streams) = &task.streams {
            StreamBatches::new(streams, spec.batch)?;
        }
        let (model, store) = build(&config, spec.seed)?;
        let trainer = Trainer::new(store, train)?;
        Ok(Session {
            source: SourceFile::of_task(&spec.task)?,
            spec,
            task,
            config,
            model,
            trainer,
            carry: Carry::default(),
        })
    }

    /// Continues the checkpoint at `path` (its task, model and trainer state), training up to
    /// `steps` in all when given (otherwise the saved total).
    pub fn resume(path: &Path, steps: Option<usize>) -> Result<Self> {
        let ckpt = Checkpoint::open(path)?;
        let (spec, config) = saved_model(&ckpt)?;
        let mut train = ckpt.train_config()?;
        check_saved_run(path, &spec, Some((&train, ckpt.step()?)))?;
        if let Some(steps) = steps {
            train.steps = steps;
        }
        let source = saved_source(&ckpt)?;
        if let Some(source) = &source {
            source.check()?;
        }
        let (model, store) = build_saved(&ckpt, &config, spec.seed)?;
        let fitted = saved_fitted(&ckpt)?;
        let task = spec.prepare_task_fitted(&fitted)?;
        check_fit(&config, &spec, &fitted, &task)
            .map_err(|e| Error::format(path, e.to_string()))?;
        let trainer = Trainer::resume_from(&ckpt, store, train)?;
        let carry = resume_carry(&ckpt, &task, &config, spec.batch)?;
        Ok(Session {
            source,
            spec,
            task,
            config,
            model,
            trainer,
            carry,
        })
    }

    /// Trains to the configured number of steps (or early stopping), reporting to `observer`.
    pub fn run(&mut self, observer: &mut dyn Observer) -> Result<TrainSummary> {
        let objective = objective(&self.spec, &self.task, &self.model, &self.carry)?;
        self.trainer.run(&objective, observer)
    }

    /// Trains like [`Session::run`], writing the checkpoint of `save` (when given) atomically on
    /// the way as its [`SaveEvery`] says and at the end. The path is checked for writability,
    /// and stale temp files of an earlier killed save removed, before the first step. When the
    /// observer asks to stop ([`Observer::stop_requested`]) the run ends after the current step,
    /// unfinished, with a checkpoint of that step written (it resumes like any other).
    pub fn run_saving(
        &mut self,
        observer: &mut dyn Observer,
        save: Option<&SavePlan>,
    ) -> Result<RunEnd> {
        if let Some(plan) = save {
            prepare_write(&plan.path)?;
        }
        let extra = self.metadata()?;
        let objective = objective(&self.spec, &self.task, &self.model, &self.carry)?;
        let carry = &self.carry;
        let mut saved_step = None;
        let mut write = |t: &Trainer<f32>| match save {
            Some(plan) if saved_step != Some(t.step()) => {
                save_carrying(t, &plan.path, &extra, carry)?;
                saved_step = Some(t.step());
                Ok(())
            }
            _ => Ok(()),
        };
        let steps = self.trainer.config().steps;
        let every = save.map(|p| p.every);
        let stopped = self
            .trainer
            .train_saving(&objective, observer, steps, every, &mut write)?;
        if stopped {
            write(&self.trainer)?;
            return Ok(RunEnd::Stopped {
                step: self.trainer.step(),
                saved: save.map(|p| p.path.clone()),
            });
        }
        let summary = self.trainer.finish(&objective, observer)?;
        if let Some(plan) = save {
            save_carrying(&self.trainer, &plan.path, &extra, &self.carry)?;
        }
        Ok(RunEnd::Finished(summary))
    }

    /// Every recurrent kernel's diagnostics (gradient flow through time, gates, hidden norms)
    /// on the training batch of the step just done, without changing the run.
    pub fn diagnose(&self) -> Result<Vec<zoo::diagnostics::LayerDiagnostics>> {
        let objective = objective(&self.spec, &self.task, &self.model, &self.carry)?;
        self.trainer.diagnose_layers(&objective)
    }

    /// The number of trainable weights.
    pub fn num_weights(&self) -> usize {
        self.trainer.store().num_weights()
    }

    /// Writes a checkpoint: weights, trainer state, the model config, run spec and vocabulary,
    /// and the state a stateful language model carries into its next batch.
    pub fn save(&self, path: &Path) -> Result<()> {
        save_carrying(&self.trainer, path, &self.metadata()?, &self.carry)
    }

    /// The checkpoint metadata besides the trainer's: model config, run spec and vocabulary.
    fn metadata(&self) -> Result<BTreeMap<String, String>> {
        let mut extra = BTreeMap::new();
        extra.insert(
            CONFIG_KEY.to_string(),
            to_json("model config", &self.config)?,
        );
        extra.insert(RUN_KEY.to_string(), to_json("run spec", &self.spec)?);
        if let Some(n) = &self.task.normalizer {
            extra.insert(NORMALIZER_KEY.to_string(), to_json("normalization", n)?);
        }
        if let Some(v) = &self.task.vocab {
            extra.insert(VOCAB_KEY.to_string(), v.to_json());
        }
        if let Some(source) = &self.source {
            extra.insert(SOURCE_KEY.to_string(), to_json("data file", source)?);
        }
        Ok(extra)
    }
}

/// The training objective of `task` for `model` with the batch, seed and teacher forcing of
/// `spec`, carrying a stateful model's state in `carry`.
fn objective<'a>(
    spec: &RunSpec,
    task: &'a TaskData,
    model: &'a Model,
    carry: &Carry,
) -> Result<TaskObjective<'a>> {
    Ok(
        TaskObjective::new(task, model, spec.batch, spec.seed, spec.teacher_forcing)?
            .scheduled(spec.teacher_forcing_schedule)?
            .carrying(carry.clone()),
    )
}

/// Writes `trainer`'s checkpoint with the caller's metadata `extra` and the state `carry` holds.
fn save_carrying(
    trainer: &Trainer<f32>,
    path: &Path,
    extra: &BTreeMap<String, String>,
    carry: &Carry,
) -> Result<()> {
    let tensors = carry.tensors();
    let refs: Vec<(&str, &Tensor<f32>)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    trainer.save_checkpoint_carrying(path, extra, &refs)
}

/// `value` as JSON for checkpoint metadata, or an error naming `what`.
fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::Config(format!("cannot serialize the {what}: {e}")))
}

/// An error unless `task` is one the checkpoint's model (`config`, trained as `spec` with
/// `fitted`) reads as it was trained to: the same inputs and outputs, and the same vocabulary
/// token for token (a vocabulary of the same size in another order would run, wrongly).
fn check_fit(config: &ModelConfig, spec: &RunSpec, fitted: &Fitted, task: &TaskData) -> Result<()> {
    let same_model = ModelConfig::for_task(task, &spec.model).is_ok_and(|c| c == *config);
    let same_vocab = match (&fitted.vocab, &task.vocab) {
        (Some(saved), Some(now)) => saved == now,
        _ => true,
    };
    if same_model && same_vocab {
        return Ok(());
    }
    Err(Error::Config(format!(
        "the checkpoint's model ({}) does not fit task {}: its inputs, outputs or vocabulary \
         differ from those the model was trained on ({})",
        config.describe(),
        task.name,
        spec.task
    )))
}

/// The run spec and model config a checkpoint was saved with.
pub fn saved_model(ckpt: &Checkpoint) -> Result<(RunSpec, ModelConfig)> {
    let path = ckpt.path();
    let spec_json = ckpt.extra_value(RUN_KEY).ok_or_else(|| {
        Error::format(
            path,
            "not a seqzoo training checkpoint: no run spec in its metadata (was it written by \
             `seqzoo train --save`?)",
        )
    })?;
    let spec: RunSpec = serde_json::from_str(spec_json)
        .map_err(|e| Error::format(path, format!("metadata '{RUN_KEY}': {e}")))?;
    check_saved_run(path, &spec, None)?;
    let config: ModelConfig = ckpt
        .model_config()?
        .ok_or_else(|| Error::format(path, "no model config in its metadata"))?;
    Ok((spec, config))
}

/// What the task of a checkpoint's model fitted on its training data: the vocabulary the model
/// reads and writes and the series normalization, each when it has one.
pub fn saved_fitted(ckpt: &Checkpoint) -> Result<Fitted> {
    let vocab = ckpt
        .extra_value(VOCAB_KEY)
        .map(|json| Vocab::from_json(json, ckpt.path()))
        .transpose()?;
    let normalizer = ckpt
        .extra_value(NORMALIZER_KEY)
        .map(|json| {
            let n: Normalizer = serde_json::from_str(json).map_err(|e| {
                Error::format(ckpt.path(), format!("metadata '{NORMALIZER_KEY}': {e}"))
            })?;
            if n.mean.is_finite() && n.std.is_finite() && n.std > 0.0 {
                Ok(n)
            } else {
                Err(Error::format(
                    ckpt.path(),
                    format!(
                        "metadata '{NORMALIZER_KEY}': mean {} and std {} must be finite, the std \
                         positive",
                        n.mean, n.std
                    ),
                ))
            }
        })
        .transpose()?;
    Ok(Fitted { vocab, normalizer })
}

/// The data file a checkpoint's task read, as it was when training started (older checkpoints
/// and built-in tasks have none).
pub fn saved_source(ckpt: &Checkpoint) -> Result<Option<SourceFile>> {
    ckpt.extra_value(SOURCE_KEY)
        .map(|json| {
            serde_json::from_str(json)
                .map_err(|e| Error::format(ckpt.path(), format!("metadata '{SOURCE_KEY}': {e}")))
        })
        .transpose()
}

/// A trained model loaded from a checkpoint, for evaluation and generation.
pub struct Trained {
    /// What it was trained on and with.
    pub spec: RunSpec,
    /// Its configuration.
    pub config: ModelConfig,
    /// The model.
    pub model: Model,
    /// Its weights.
    pub store: ParamStore<f32>,
    /// What its task fitted on the training data: the vocabulary it reads and writes (when it
    /// works on tokens) and the series normalization (when it forecasts).
    pub fitted: Fitted,
    /// Training steps done.
    pub steps: usize,
    /// The problem its task poses.
    pub problem: Problem,
    /// How its task frames a prompt.
    pub prompt: PromptStyle,
    /// The data file its task read, as it was when training started.
    pub source: Option<SourceFile>,
}

impl Trained {
    /// Loads the model of the checkpoint at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_checkpoint(&Checkpoint::open(path)?)
    }

    /// Rebuilds the model of an opened checkpoint and loads its weights.
    pub fn from_checkpoint(ckpt: &Checkpoint) -> Result<Self> {
        let (spec, config) = saved_model(ckpt)?;
        let (model, mut store) = build_saved(ckpt, &config, spec.seed)?;
        ckpt.load_weights(&mut store)?;
        let fitted = saved_fitted(ckpt)?;
        let task = lookup(&spec.task, spec.column.as_deref())?;
        Ok(Trained {
            source: saved_source(ckpt)?,
            problem: task.problem(),
            prompt: task.prompt_style(),
            spec,
            config,
            model,
            store,
            fitted,
            steps: ckpt.step()?,
        })
    }

    /// What the model generates for `request`, as its problem type generates.
    pub fn generate(&self, request: &GenerateRequest) -> Result<String> {
        problem_type(self.problem).generate(self, request)
    }

    /// An error unless the model reads `task` as it was trained to: the same inputs, outputs and
    /// vocabulary, token for token.
    pub fn fits(&self, task: &TaskData) -> Result<()> {
        check_fit(&self.config, &self.spec, &self.fitted, task)
    }

    /// Validation metrics of the model on `task` (which must fit the model).
    pub fn evaluate(&self, task: &TaskData) -> Result<zoo::train::Metrics> {
        self.fits(task)?;
        TaskObjective::new(task, &self.model, self.spec.batch, self.spec.seed, 1.0)?
            .validate(&self.store)
    }
}
