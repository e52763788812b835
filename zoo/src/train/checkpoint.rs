//! Checkpoints: one safetensors file with the model's weights under their own names (loadable by
//! PyTorch by name), the optimizer's buffers and the best weights under reserved prefixes, and the
//! step, RNG, optimizer counters, train config and run state as JSON in `__metadata__`.

use super::trainer::RunState;
use super::{TrainConfig, Trainer, ValRecord};
use autograd::params::{read_tensors, write_tensors, SafetensorsFile};
use autograd::{Element, Error, OptimState, ParamStore, Result, Rng, RngState, Tensor};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Metadata key marking a file as a seqzoo checkpoint; its value is [`CHECKPOINT_VERSION`].
pub const FORMAT_KEY: &str = "seqzoo.checkpoint";
/// The checkpoint format version written.
pub const CHECKPOINT_VERSION: &str = "1";
/// Metadata key of the step count (decimal).
pub const STEP_KEY: &str = "seqzoo.step";
/// Metadata key of the trainer's generator state (JSON `RngState`).
pub const RNG_KEY: &str = "seqzoo.rng";
/// Metadata key of the optimizer's kind, step and per-parameter steps (JSON).
pub const OPTIMIZER_KEY: &str = "seqzoo.optimizer";
/// Metadata key of the [`TrainConfig`] (JSON).
pub const TRAIN_CONFIG_KEY: &str = "seqzoo.train_config";
/// Metadata key of the run state: best/last validation, early-stopping counters, history (JSON).
pub const STATE_KEY: &str = "seqzoo.state";
/// Metadata keys starting with this are the trainer's; a caller's `extra` keys may not.
pub const RESERVED_METADATA_PREFIX: &str = "seqzoo.";
/// Tensor-name prefix of the optimizer buffers: `__optim__.<buffer>.<param>`.
pub const OPTIM_PREFIX: &str = "__optim__.";
/// Tensor-name prefix of the best weights kept for `restore_best`: `__best__.<param>`.
pub const BEST_PREFIX: &str = "__best__.";
/// Tensor-name prefix of the caller's training state besides the weights (the state a stateful
/// model carries from one batch to the next): `__carry__.<name>`.
pub const CARRY_PREFIX: &str = "__carry__.";

/// The optimizer's counters as stored under [`OPTIMIZER_KEY`].
#[derive(Serialize, Deserialize)]
struct OptimMeta {
    kind: String,
    step: u64,
    param_steps: Vec<(String, u64)>,
}

/// One past the last word position of a ChaCha stream (its 64-bit block counter × 16 words).
const MAX_WORD_POS: u128 = 1 << 68;

/// Whether a tensor name belongs to the trainer rather than the model.
fn is_reserved_tensor(name: &str) -> bool {
    name.starts_with(OPTIM_PREFIX)
        || name.starts_with(BEST_PREFIX)
        || name.starts_with(CARRY_PREFIX)
}

/// JSON of a value that always serializes (plain data), as a metadata string.
fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::Config(format!("cannot serialize the {what} as JSON: {e}")))
}

impl<E: Element> Trainer<E> {
    /// Writes the whole training state to `path` as one safetensors file, atomically (an
    /// interrupted or failed save leaves any existing file intact). `extra` adds the caller's
    /// metadata (model config under `config`, task, vocabulary, …); its keys may not start with
    /// [`RESERVED_METADATA_PREFIX`].
    pub fn save_checkpoint(
        &self,
        path: impl AsRef<Path>,
        extra: &BTreeMap<String, String>,
    ) -> Result<()> {
        self.save_checkpoint_carrying(path, extra, &[])
    }

    /// [`Trainer::save_checkpoint`] with the caller's `carry` tensors too, each stored as
    /// `__carry__.<name>` ([`CARRY_PREFIX`]) and read back with [`Checkpoint::carry`]: training
    /// state that lives outside the trainer (a stateful model's carried state).
    pub fn save_checkpoint_carrying(
        &self,
        path: impl AsRef<Path>,
        extra: &BTreeMap<String, String>,
        carry: &[(&str, &Tensor<E>)],
    ) -> Result<()> {
        let path = path.as_ref();
        if let Some(key) = extra
            .keys()
            .find(|k| k.starts_with(RESERVED_METADATA_PREFIX))
        {
            return Err(Error::Config(format!(
                "{}: checkpoint metadata key {key:?} is reserved (keys starting with \
                 {RESERVED_METADATA_PREFIX:?} belong to the trainer)",
                path.display()
            )));
        }
        let opt = self.optimizer.state();
        let mut meta = extra.clone();
        meta.insert(FORMAT_KEY.into(), CHECKPOINT_VERSION.into());
        meta.insert(STEP_KEY.into(), self.step.to_string());
        meta.insert(RNG_KEY.into(), to_json("RNG state", &self.rng.state())?);
        let optim_meta = OptimMeta {
            kind: opt.kind.clone(),
            step: opt.step,
            param_steps: opt.param_steps.clone(),
        };
        meta.insert(
            OPTIMIZER_KEY.into(),
            to_json("optimizer state", &optim_meta)?,
        );
        meta.insert(
            TRAIN_CONFIG_KEY.into(),
            to_json("train config", &self.config)?,
        );
        meta.insert(STATE_KEY.into(), to_json("run state", &self.state)?);

        let mut tensors: Vec<(String, Tensor<E>)> = Vec::new();
        for (_, p) in self.store.iter() {
            if is_reserved_tensor(&p.name) {
                return Err(Error::Config(format!(
                    "{}: parameter {:?} uses a prefix reserved for optimizer state",
                    path.display(),
                    p.name
                )));
            }
            tensors.push((p.name.clone(), p.value.clone()));
        }
        for (name, t) in opt.tensors {
            tensors.push((format!("{OPTIM_PREFIX}{name}"), t));
        }
        if let Some(best) = &self.best_weights {
            for ((_, p), t) in self.store.iter().zip(best) {
                tensors.push((format!("{BEST_PREFIX}{}", p.name), t.clone()));
            }
        }
        for (name, t) in carry {
            tensors.push((format!("{CARRY_PREFIX}{name}"), (*t).clone()));
        }
        let refs: Vec<(&str, &Tensor<E>)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        write_tensors(path, &refs, &meta)
    }

    /// A trainer continuing the checkpoint at `path`: the weights are loaded into `store` (built
    /// the same way as the saved model), the optimizer, generator, step and run state restored, so
    /// training on reaches the same weights bit for bit as a run that never stopped. `config`
    /// may differ from the saved one (e.g. more `steps`), except in the optimizer kind; the saved
    /// generator state is used whatever `config.seed` says. A run that had stopped early stays
    /// stopped; a finished run with `restore_best` continues from its best weights.
    pub fn resume(
        path: impl AsRef<Path>,
        store: ParamStore<E>,
        config: TrainConfig,
    ) -> Result<Self> {
        Self::resume_from(&Checkpoint::open(path)?, store, config)
    }

    /// A trainer continuing an opened checkpoint (see [`Trainer::resume`]).
    pub fn resume_from(
        ckpt: &Checkpoint,
        store: ParamStore<E>,
        config: TrainConfig,
    ) -> Result<Self> {
        let path = ckpt.path();
        let mut store = store;
        ckpt.load_weights(&mut store)?;
        let mut trainer = Trainer::new(store, config)?;
        let optim: OptimMeta = ckpt.json(OPTIMIZER_KEY)?;
        let wanted = trainer.optimizer.name();
        if optim.kind != wanted {
            return Err(Error::format(
                path,
                format!(
                    "the checkpoint holds the state of optimizer {:?}, but the configuration asks \
                     for {wanted:?}",
                    optim.kind
                ),
            ));
        }
        let mut tensors = Vec::new();
        for entry in ckpt.file.entries() {
            if let Some(name) = entry.name.strip_prefix(OPTIM_PREFIX) {
                tensors.push((name.to_string(), ckpt.file.tensor::<E>(&entry.name)?));
            }
        }
        let state = OptimState {
            kind: optim.kind,
            step: optim.step,
            param_steps: optim.param_steps,
            tensors,
        };
        trainer
            .optimizer
            .load_state(state, &trainer.store)
            .map_err(|e| Error::format(path, e.to_string()))?;
        let rng: RngState = ckpt.json(RNG_KEY)?;
        if rng.word_pos >= MAX_WORD_POS {
            return Err(Error::format(
                path,
                format!(
                    "metadata `{RNG_KEY}`: word_pos {} is past the end of the generator's stream \
                     (2^68 words)",
                    rng.word_pos
                ),
            ));
        }
        trainer.rng = Rng::from_state(rng);
        trainer.step = ckpt.step()?;
        trainer.state = ckpt.json(STATE_KEY)?;
        if ckpt.file.names().any(|n| n.starts_with(BEST_PREFIX)) {
            let mut best = Vec::new();
            for (_, p) in trainer.store.iter() {
                let name = format!("{BEST_PREFIX}{}", p.name);
                let t = ckpt.file.tensor::<E>(&name)?;
                if t.shape() != p.value.shape() {
                    return Err(Error::format(
                        path,
                        format!(
                            "tensor `{name}` has shape {:?}, the parameter has {:?}",
                            t.shape(),
                            p.value.shape()
                        ),
                    ));
                }
                best.push(t);
            }
            trainer.best_weights = Some(best);
        }
        Ok(trainer)
    }
}

/// A checkpoint opened for reading: its metadata, train config, and model weights (what `eval`
/// and `generate` need to rebuild a model and load it).
#[derive(Debug)]
pub struct Checkpoint {
    file: SafetensorsFile,
}

impl Checkpoint {
    /// Reads `path`; an `Error::Format` naming the file if it is not a seqzoo checkpoint.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_file(read_tensors(path)?)
    }

    /// Reads a checkpoint from the bytes of a file; `path` names it in errors.
    pub fn from_bytes(path: impl Into<std::path::PathBuf>, bytes: Vec<u8>) -> Result<Self> {
        Self::from_file(SafetensorsFile::from_bytes(path, bytes)?)
    }

    /// Checks that a parsed safetensors file is a seqzoo checkpoint of a version this code reads.
    fn from_file(file: SafetensorsFile) -> Result<Self> {
        match file.metadata().get(FORMAT_KEY).map(String::as_str) {
            Some(CHECKPOINT_VERSION) => Ok(Checkpoint { file }),
            Some(other) => Err(Error::format(
                file.path(),
                format!("checkpoint format version {other:?} is not supported (expected {CHECKPOINT_VERSION:?})"),
            )),
            None => Err(Error::format(
                file.path(),
                format!(
                    "a safetensors file but not a seqzoo checkpoint (no `{FORMAT_KEY}` metadata); \
                     plain weights load with ParamStore::load"
                ),
            )),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The underlying safetensors file.
    pub fn file(&self) -> &SafetensorsFile {
        &self.file
    }

    /// The caller's metadata given to [`Trainer::save_checkpoint`] (the trainer's own keys removed).
    pub fn extra(&self) -> BTreeMap<String, String> {
        self.file
            .metadata()
            .iter()
            .filter(|(k, _)| !k.starts_with(RESERVED_METADATA_PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The caller's metadata entry `key`, if present.
    pub fn extra_value(&self, key: &str) -> Option<&str> {
        if key.starts_with(RESERVED_METADATA_PREFIX) {
            return None;
        }
        self.file.metadata().get(key).map(String::as_str)
    }

    /// The model config stored under `autograd::params::CONFIG_KEY` (`config`), deserialized.
    pub fn model_config<C: DeserializeOwned>(&self) -> Result<Option<C>> {
        self.file.config()
    }

    /// The steps the saved trainer had done.
    pub fn step(&self) -> Result<usize> {
        let text = self.metadata(STEP_KEY)?;
        text.parse().map_err(|_| {
            Error::format(
                self.path(),
                format!("metadata `{STEP_KEY}` is not a step count: {text:?}"),
            )
        })
    }

    /// The training configuration of the saved run.
    pub fn train_config(&self) -> Result<TrainConfig> {
        self.json(TRAIN_CONFIG_KEY)
    }

    /// The caller's tensor `name` saved with [`Trainer::save_checkpoint_carrying`], if present.
    pub fn carry<E: Element>(&self, name: &str) -> Result<Option<Tensor<E>>> {
        let name = format!("{CARRY_PREFIX}{name}");
        if self.file.entry(&name).is_none() {
            return Ok(None);
        }
        self.file.tensor::<E>(&name).map(Some)
    }

    /// The saved run's validations, in order.
    pub fn history(&self) -> Result<Vec<ValRecord>> {
        let state: RunState = self.json(STATE_KEY)?;
        Ok(state.history)
    }

    /// Loads the model weights into `store` by name, strictly: every parameter must be present
    /// with its shape, and the file may hold no other tensors than the trainer's reserved ones;
    /// otherwise an `Error::Load` listing every problem, and `store` is unchanged.
    pub fn load_weights<E: Element>(&self, store: &mut ParamStore<E>) -> Result<()> {
        self.check_shapes(store)?;
        let report = store.load_from(&self.file, false)?;
        if !report.mismatched.is_empty() {
            return Err(Error::Load {
                path: self.path().to_path_buf(),
                problems: report.problems,
            });
        }
        Ok(())
    }

    /// An `Error::Load` listing every parameter of `store` that the file lacks or holds in another
    /// shape, and every model tensor of the file that `store` lacks. Reads no tensor data, so
    /// with a meta store ([`ParamStore::meta`]) it checks a model configuration against the
    /// file before the model is allocated.
    pub fn check_shapes<E: Element>(&self, store: &ParamStore<E>) -> Result<()> {
        let mut problems = Vec::new();
        for (name, shape) in store.shapes() {
            match self.file.entry(name) {
                None => problems.push(format!(
                    "missing key `{name}`: expected shape {shape:?}, found none"
                )),
                Some(e) if e.shape != shape => problems.push(format!(
                    "key `{name}`: shape mismatch: expected {shape:?}, found {:?}",
                    e.shape
                )),
                Some(_) => {}
            }
        }
        for entry in self.file.entries() {
            if !is_reserved_tensor(&entry.name) && store.id(&entry.name).is_none() {
                problems.push(format!(
                    "unexpected key `{}`: the model has no such parameter (shape {:?})",
                    entry.name, entry.shape
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Load {
                path: self.path().to_path_buf(),
                problems,
            })
        }
    }

    /// The metadata entry `key`, or an `Error::Format` saying it is missing.
    fn metadata(&self, key: &str) -> Result<&str> {
        self.file
            .metadata()
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| {
                Error::format(
                    self.path(),
                    format!("checkpoint metadata `{key}` is missing"),
                )
            })
    }

    /// The metadata entry `key` parsed as JSON into `T`.
    fn json<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let text = self.metadata(key)?;
        serde_json::from_str(text).map_err(|e| {
            Error::format(
                self.path(),
                format!("checkpoint metadata `{key}` is not valid: {e}"),
            )
        })
    }
}

/// Reads just the model weights of the checkpoint at `path` into `store` (see
/// [`Checkpoint::load_weights`]).
pub fn load_weights<E: Element>(path: impl AsRef<Path>, store: &mut ParamStore<E>) -> Result<()> {
    Checkpoint::open(path)?.load_weights(store)
}
