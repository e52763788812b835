//! `seqzoo train --model M --task T [options] [--save CKPT] [--resume CKPT] [--json]`.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use autograd::optim::{OptimConfig, OPTIMIZER_NAMES};
use autograd::Schedule;
use clap::Args;
use datasets::text::task::{TextFileTask, LARGE_TEXT, TEXT_WINDOW};
use datasets::Recipe;
use seqzoo::plot::{training_curves, LogCurves};
use seqzoo::problem::{
    recipe_train_config, saved_model, Conditioning, ModelSpec, RunEnd, RunSpec, SavePlan, Session,
    MODEL_NAMES,
};
use zoo::train::{Checkpoint, MetricsLog, Progress, SaveEvery, TrainConfig};

use super::interrupt::Interrupt;
use super::report::{json_line, profile_table, summary_lines, LinePrinter};
use super::{bounds, usage_error, Failure};

/// Arguments of `seqzoo train`. Every model and training flag overrides one field of the task's
/// recipe (`seqzoo data list` shows each task's).
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The task: a name from `seqzoo data list`, `text:PATH` or `csv:PATH --column NAME`.
    #[arg(long)]
    pub task: Option<String>,
    /// The column of a `csv:PATH` task.
    #[arg(long)]
    pub column: Option<String>,
    /// A task setting `key=value` (e.g. `t=200` for adding, `window=100` for text); repeatable.
    /// `stateful=true` (text:PATH) trains on --batch contiguous streams of the text, each batch
    /// the next window of every stream from the last one's final state (not shuffled).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// The model: srn, srn-relu, lstm, gru (or mlp, the fixed-window baseline for series).
    #[arg(long)]
    pub model: Option<String>,
    /// Stacked recurrent layers (at most 64).
    #[arg(long)]
    pub layers: Option<usize>,
    /// Hidden units per layer (at most 8192).
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Read sequences in both directions (not for language models); `--bidirectional false` turns
    /// it off where the recipe has it.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub bidirectional: Option<bool>,
    /// Dropout between stacked layers (training only).
    #[arg(long)]
    pub dropout: Option<f64>,
    /// LSTM only: project each layer's hidden state to P < --hidden features (PyTorch's
    /// `nn.LSTM(proj_size=P)`); 0 for none.
    #[arg(long, value_name = "P")]
    pub proj_size: Option<usize>,
    /// Variational dropout in [0, 1) of each recurrent layer's input and recurrent state: one
    /// mask per sequence, the same at every step (training only).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub recurrent_dropout: Option<f64>,
    /// Zoneout in [0, 1): each unit of the recurrent state keeps its previous value with this
    /// probability at each step in training; in evaluation the two are blended by it.
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub zoneout: Option<f64>,
    /// Weight drop in [0, 1): DropConnect on each recurrent weight W_hh, one mask per batch
    /// (training only).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub weight_drop: Option<f64>,
    /// Layer-normalized cells (lstm and gru): each gate's input and recurrent parts normalized,
    /// and the LSTM's cell state before its output; `--layer-norm false` turns it off.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub layer_norm: Option<bool>,
    /// Embedding size for token inputs (at most 8192).
    #[arg(long)]
    pub embedding: Option<usize>,
    /// Attention over the encoder outputs (seq2seq tasks); `--attention false` turns it off.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub attention: Option<bool>,
    /// Captioning: how the scene conditions the generator: initial-state (the default),
    /// every-step, or none (an unconditioned baseline).
    #[arg(long)]
    pub conditioning: Option<String>,
    /// Seq2seq: probability of feeding the true previous token while training.
    #[arg(long)]
    pub teacher_forcing: Option<f64>,
    /// The optimizer: sgd, adam, adamw, rmsprop, adagrad.
    #[arg(long)]
    pub optimizer: Option<String>,
    /// The learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Learning-rate schedule: constant or cosine (over all steps).
    #[arg(long)]
    pub schedule: Option<String>,
    /// Clip the global gradient norm to this value (0: no clipping).
    #[arg(long)]
    pub clip: Option<f64>,
    /// Examples per batch (at most 65536).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Training steps (in all, when resuming; at most 100000000).
    #[arg(long, conflicts_with = "epochs")]
    pub steps: Option<usize>,
    /// Train for this many passes over the training examples instead of a number of steps (at
    /// most 100000000 steps in all).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Validate every this many steps (0: only at the end; at most 100000000).
    #[arg(long, default_value_t = 200)]
    pub val_every: usize,
    /// Stop after this many validations without a lower validation loss (at most 100000000).
    #[arg(long)]
    pub patience: Option<usize>,
    /// Synthetic tasks: training examples (at most 10000000; default 20000).
    #[arg(long)]
    pub train_size: Option<usize>,
    /// Synthetic tasks: validation examples (1 to 1000000; default 1000).
    #[arg(long)]
    pub val_size: Option<usize>,
    /// The seed of data, initialization and shuffling (default 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Time every training step by op (forward and backward), the update and the validations,
    /// and print the table at the end.
    #[arg(long)]
    pub profile: bool,
    /// At every validation, also run one training batch on a diagnosing tape (no update) and add
    /// its gradient flow, gate saturation and hidden norms to the --log lines (`diag_*` fields).
    #[arg(long)]
    pub diagnostics: bool,
    /// Write a checkpoint here (atomically) at every validation, on SIGINT/SIGTERM and at the end.
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Write the --save checkpoint every this many steps instead of at every validation (at
    /// most 100,000,000).
    #[arg(long, requires = "save", value_name = "STEPS")]
    pub save_every: Option<NonZeroUsize>,
    /// Continue the run saved in this checkpoint (its task, model and settings; a flag that
    /// contradicts them is an error).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Append one JSON line per validation to this file.
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// At the end, draw the run's training and validation loss curves into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Print a JSON summary as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

impl TrainArgs {
    /// The recipe with every flag given in place of its field.
    fn recipe(&self, recipe: &Recipe) -> Result<Recipe, Failure> {
        let model = match &self.model {
            Some(name) => MODEL_NAMES
                .iter()
                .copied()
                .find(|m| m == name)
                .ok_or_else(|| {
                    usage_error(format!(
                        "unknown model '{name}'; known models: {}",
                        MODEL_NAMES.join(", ")
                    ))
                })?,
            None => recipe.model,
        };
        let optimizer = match &self.optimizer {
            Some(name) => OPTIMIZER_NAMES
                .iter()
                .copied()
                .find(|n| n.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    usage_error(format!(
                        "unknown optimizer {name:?}; known optimizers: {}",
                        OPTIMIZER_NAMES.join(", ")
                    ))
                })?,
            None => recipe.optimizer,
        };
        let schedule = match self.schedule.as_deref() {
            None => recipe.schedule,
            Some("constant") => "constant",
            Some("cosine") => "cosine",
            Some(other) => {
                return Err(usage_error(format!(
                    "unknown schedule '{other}'; known schedules: constant, cosine"
                )))
            }
        };
        Ok(Recipe {
            model,
            hidden: self.hidden.unwrap_or(recipe.hidden),
            layers: self.layers.unwrap_or(recipe.layers),
            bidirectional: self.bidirectional.unwrap_or(recipe.bidirectional),
            embedding: self.embedding.unwrap_or(recipe.embedding),
            attention: self.attention.unwrap_or(recipe.attention),
            dropout: self.dropout.unwrap_or(recipe.dropout),
            recurrent_dropout: self.recurrent_dropout.unwrap_or(recipe.recurrent_dropout),
            zoneout: self.zoneout.unwrap_or(recipe.zoneout),
            weight_drop: self.weight_drop.unwrap_or(recipe.weight_drop),
            layer_norm: self.layer_norm.unwrap_or(recipe.layer_norm),
            steps: self.steps.unwrap_or(recipe.steps),
            batch: self.batch.unwrap_or(recipe.batch),
            optimizer,
            lr: self.lr.unwrap_or(recipe.lr),
            clip: match self.clip {
                Some(c) => (c != 0.0).then_some(c),
                None => recipe.clip,
            },
            schedule,
            teacher_forcing: self.teacher_forcing.unwrap_or(recipe.teacher_forcing),
            goal: recipe.goal,
        })
    }

    /// The trainer's settings of `recipe` for a run of `steps` steps, with this run's seed,
    /// validation interval and early stopping.
    fn train_config(&self, recipe: &Recipe, steps: usize) -> Result<TrainConfig, Failure> {
        let config = recipe_train_config(recipe, steps, self.seed.unwrap_or(0))
            .and_then(|c| {
                let c = c
                    .val_every(self.val_every)
                    .patience(self.patience)
                    .restore_best(self.patience.is_some());
                c.validate().map(|()| c)
            })
            .map_err(|e| usage_error(e.to_string()))?;
        Ok(config)
    }

    /// What the run trains on, before the recipe decides the model.
    fn run_spec(&self, task: String) -> RunSpec {
        let defaults = RunSpec::new("", ModelSpec::default());
        RunSpec {
            task,
            settings: self.settings.clone(),
            column: self.column.clone(),
            seed: self.seed.unwrap_or(defaults.seed),
            train_size: self.train_size.unwrap_or(defaults.train_size),
            val_size: self.val_size.unwrap_or(defaults.val_size),
            ..defaults
        }
    }

    /// Fails (usage error) on the first flag given with `--resume` that contradicts the run saved
    /// at `path`, naming the flag and the checkpoint's value.
    fn check_resume(&self, path: &Path) -> Result<(), Failure> {
        let ckpt = Checkpoint::open(path).map_err(Failure::runtime)?;
        let (spec, _) = saved_model(&ckpt).map_err(Failure::runtime)?;
        let train = ckpt.train_config().map_err(Failure::runtime)?;
        let text = |v: &dyn std::fmt::Display| v.to_string();
        let clip = |c: Option<f64>| c.map_or("none".to_string(), |c| c.to_string());
        let m = &spec.model;
        let saved_optimizer = OPTIMIZER_NAMES
            .iter()
            .find(|n| {
                OptimConfig::from_name(n)
                    .is_ok_and(|o| o.with_lr(train.optimizer.lr()) == train.optimizer)
            })
            .map_or("another optimizer", |n| n);
        let saved_schedule = match train.schedule {
            Schedule::Constant => "constant",
            Schedule::Cosine { .. } => "cosine",
            _ => "another schedule",
        };
        let reg = &m.regularizers;
        let checks: Vec<(&str, Option<String>, String)> = vec![
            ("--task", self.task.clone(), spec.task.clone()),
            (
                "--column",
                self.column.clone(),
                spec.column.clone().unwrap_or("none".into()),
            ),
            (
                "--set",
                (!self.settings.is_empty()).then(|| self.settings.join(" ")),
                spec.settings.join(" "),
            ),
            ("--model", self.model.clone(), m.model.clone()),
            ("--hidden", shown(self.hidden), text(&m.hidden)),
            ("--layers", shown(self.layers), text(&m.layers)),
            (
                "--bidirectional",
                shown(self.bidirectional),
                text(&m.bidirectional),
            ),
            ("--dropout", shown(self.dropout), text(&m.dropout)),
            ("--proj-size", shown(self.proj_size), text(&m.proj_size)),
            (
                "--recurrent-dropout",
                shown(self.recurrent_dropout),
                text(&reg.recurrent_dropout),
            ),
            ("--zoneout", shown(self.zoneout), text(&reg.zoneout)),
            (
                "--weight-drop",
                shown(self.weight_drop),
                text(&reg.weight_drop),
            ),
            ("--layer-norm", shown(self.layer_norm), text(&m.layer_norm)),
            ("--embedding", shown(self.embedding), text(&m.embedding)),
            ("--attention", shown(self.attention), text(&m.attention)),
            (
                "--conditioning",
                self.conditioning.clone(),
                m.conditioning.name().to_string(),
            ),
            (
                "--teacher-forcing",
                shown(self.teacher_forcing),
                text(&spec.teacher_forcing),
            ),
            (
                "--optimizer",
                self.optimizer.as_ref().map(|o| o.to_ascii_lowercase()),
                saved_optimizer.to_string(),
            ),
            ("--lr", shown(self.lr), text(&train.optimizer.lr())),
            (
                "--schedule",
                self.schedule.clone(),
                saved_schedule.to_string(),
            ),
            (
                "--clip",
                self.clip.map(|c| clip((c != 0.0).then_some(c))),
                clip(train.clip),
            ),
            ("--batch", shown(self.batch), text(&spec.batch)),
            (
                "--train-size",
                shown(self.train_size),
                text(&spec.train_size),
            ),
            ("--val-size", shown(self.val_size), text(&spec.val_size)),
            ("--seed", shown(self.seed), text(&spec.seed)),
        ];
        for (flag, given, saved) in checks {
            match given {
                Some(given) if given != saved => {
                    return Err(usage_error(format!(
                        "{flag} {given} contradicts the checkpoint {} ({flag} {saved}); a resumed \
                         run keeps its settings: drop the flag, or train afresh",
                        path.display()
                    )))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A flag's value as text, when given.
fn shown<T: std::fmt::Display>(value: Option<T>) -> Option<String> {
    value.map(|v| v.to_string())
}

/// The text after `train --help`: every task's recipe and how a user's file gets one.
pub fn recipes_help() -> String {
    let mut s = String::from(
        "Recipes: what `--task X` trains with no other flag (each flag above replaces one field):\n",
    );
    for task in datasets::registry::TASKS {
        s += &format!("  {:<18} {}\n", task.name(), task.recipe());
    }
    let large = TextFileTask::recipe_for(10 * LARGE_TEXT);
    let small = TextFileTask::recipe_for(LARGE_TEXT / 2);
    s += &format!(
        "  text:PATH          {large} (about 10 minutes on 2 cores): from {LARGE_TEXT} \
         characters, windows of {TEXT_WINDOW} for about 10 passes over the text, at most {} \
         steps\n  {:<18} below {LARGE_TEXT} characters: {small}; steps for about 3 passes over \
         the training windows (500-4000)\n",
        large.steps, ""
    );
    s += "  csv:PATH           lstm 1x32, adam lr 0.003, clip 1, batch 16; steps for about 100 \
          passes over the training windows (500-3000)\n";
    s
}

/// A fresh session on `task`: its data, its recipe with the flags in place, the model built.
fn fresh(args: &TrainArgs, task: &str) -> Result<Session, Failure> {
    let spec = args.run_spec(task.to_string());
    let data = spec.prepare_task().map_err(Failure::from_error)?;
    let recipe = args.recipe(&data.recipe)?;
    if recipe.batch == 0 {
        return Err(usage_error("--batch must be at least 1".into()));
    }
    if !(0.0..=1.0).contains(&recipe.teacher_forcing) {
        return Err(usage_error(format!(
            "--teacher-forcing {} must be in [0, 1]",
            recipe.teacher_forcing
        )));
    }
    let steps = match args.epochs {
        Some(epochs) => bounds::epoch_steps(epochs, data.train.len(), recipe.batch)?,
        None => recipe.steps,
    };
    let config = args.train_config(&recipe, steps)?;
    let mut spec = spec.with_recipe(&recipe);
    if let Some(p) = args.proj_size {
        spec.model.proj_size = p;
    }
    for (name, p) in spec.model.regularizers.settings() {
        if !(0.0..1.0).contains(&p) {
            let flag = name.replace('_', "-");
            return Err(usage_error(format!("--{flag} {p} must be in [0, 1)")));
        }
    }
    if let Some(name) = &args.conditioning {
        spec.model.conditioning =
            Conditioning::from_name(name).map_err(|e| usage_error(e.to_string()))?;
    }
    Session::with_task(spec, data, config).map_err(Failure::from_error)
}

/// Builds (or resumes) the session, trains, saves, and reports.
pub fn run(args: &TrainArgs) -> Result<String, Failure> {
    bounds::train(args)?;
    let plan = args.save.as_ref().map(|path| SavePlan {
        path: path.clone(),
        every: args
            .save_every
            .map_or(SaveEvery::Validation, |n| SaveEvery::Steps(n.get())),
    });
    // Before the data are prepared, so an unwritable path fails at once.
    for path in plan.iter().map(|p| &p.path).chain(&args.plot) {
        autograd::fs::prepare_write(path).map_err(Failure::runtime)?;
    }
    let mut session =
        match (&args.resume, &args.task) {
            (Some(_), _) if args.epochs.is_some() => {
                return Err(usage_error(
                    "--epochs does not apply to --resume; give the total --steps".into(),
                ))
            }
            (Some(path), _) => {
                args.check_resume(path)?;
                Session::resume(path, args.steps).map_err(Failure::runtime)?
            }
            (None, Some(task)) => fresh(args, task)?,
            (None, None) => return Err(usage_error(
                "which task? give it with --task NAME (see `seqzoo data list`), or --resume CKPT"
                    .into(),
            )),
        };
    session.trainer.set_profiling(args.profile);
    session.trainer.set_diagnostics(args.diagnostics);
    let mut printer = LinePrinter::new(&session);
    let mut progress = Progress::stderr();
    let mut log = args
        .log
        .as_ref()
        .map(MetricsLog::append)
        .transpose()
        .map_err(Failure::runtime)?;
    let mut interrupt = Interrupt::catch()?;
    let observers = &mut (&mut interrupt, (&mut printer, (&mut progress, &mut log)));
    let summary = match session
        .run_saving(observers, plan.as_ref())
        .map_err(Failure::runtime)?
    {
        RunEnd::Finished(summary) => summary,
        RunEnd::Stopped { step, saved } => return Err(interrupt.failure(step, saved.as_deref())),
    };
    let mut out = summary_lines(&session, &summary);
    if let Some(profile) = session.trainer.profile() {
        out.push_str(&profile_table(profile));
    }
    if let Some(plan) = &plan {
        out.push_str(&format!("saved {}\n", plan.path.display()));
    }
    if let Some(path) = &args.plot {
        let name = session.config.describe();
        let curves = LogCurves::from_history(name, session.trainer.history());
        training_curves(&[curves], None)
            .and_then(|chart| chart.write(path))
            .map_err(Failure::runtime)?;
        out.push_str(&format!("plotted {}\n", path.display()));
    }
    if args.json {
        out.push_str(&json_line(&session, &summary));
        out.push('\n');
    }
    Ok(out)
}
