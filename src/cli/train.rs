//! `seqzoo train --model M --task T [options] [--save CKPT] [--resume CKPT] [--json]`.

use std::path::PathBuf;

use autograd::optim::OptimConfig;
use autograd::Schedule;
use clap::Args;
use seqzoo::problem::{ModelSpec, RunSpec, Session};
use zoo::train::{MetricsLog, Progress, TrainConfig};

use super::report::{json_line, summary_lines, LinePrinter};
use super::{usage_error, Failure};

/// Arguments of `seqzoo train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The model: srn, srn-relu, lstm, gru (or mlp, the fixed-window baseline for series).
    #[arg(long, default_value = "lstm")]
    pub model: String,
    /// The task: a name from `seqzoo data list`, `text:PATH` or `csv:PATH --column NAME`.
    #[arg(long)]
    pub task: Option<String>,
    /// The column of a `csv:PATH` task.
    #[arg(long)]
    pub column: Option<String>,
    /// A task setting `key=value` (e.g. `t=200` for adding, `window=100` for text); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// Stacked recurrent layers.
    #[arg(long, default_value_t = 1)]
    pub layers: usize,
    /// Hidden units per layer.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Read sequences in both directions (not for language models).
    #[arg(long)]
    pub bidirectional: bool,
    /// Dropout between stacked layers (training only).
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f64,
    /// Embedding size for token inputs.
    #[arg(long, default_value_t = 32)]
    pub embedding: usize,
    /// Attention over the encoder outputs (seq2seq tasks).
    #[arg(long)]
    pub attention: bool,
    /// Seq2seq: probability of feeding the true previous token while training.
    #[arg(long, default_value_t = 1.0)]
    pub teacher_forcing: f64,
    /// The optimizer: sgd, adam, adamw, rmsprop, adagrad.
    #[arg(long, default_value = "adam")]
    pub optimizer: String,
    /// The learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Learning-rate schedule: constant or cosine (over all steps).
    #[arg(long, default_value = "constant")]
    pub schedule: String,
    /// Clip the global gradient norm to this value.
    #[arg(long)]
    pub clip: Option<f64>,
    /// Examples per batch.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Training steps (in all, when resuming); default 1000.
    #[arg(long, conflicts_with = "epochs")]
    pub steps: Option<usize>,
    /// Train for this many passes over the training examples instead of a number of steps.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Validate every this many steps.
    #[arg(long, default_value_t = 200)]
    pub val_every: usize,
    /// Stop after this many validations without a lower validation loss.
    #[arg(long)]
    pub patience: Option<usize>,
    /// Synthetic tasks: training examples.
    #[arg(long, default_value_t = 20_000)]
    pub train_size: usize,
    /// Synthetic tasks: validation examples.
    #[arg(long, default_value_t = 1_000)]
    pub val_size: usize,
    /// The seed of data, initialization and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write a checkpoint here at the end (atomically).
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Continue the run saved in this checkpoint (its task, model and settings).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Append one JSON line per validation to this file.
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Print a JSON summary as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

/// Default training steps when `--steps` is not given.
const DEFAULT_STEPS: usize = 1000;

impl TrainArgs {
    /// The trainer's settings for a run of `steps` steps.
    fn train_config(&self, steps: usize) -> Result<TrainConfig, Failure> {
        let optimizer = OptimConfig::from_name(&self.optimizer)
            .map_err(|e| usage_error(e.to_string()))?
            .with_lr(self.lr);
        let schedule = match self.schedule.as_str() {
            "constant" => Schedule::Constant,
            "cosine" => Schedule::cosine(steps, 0.0),
            other => {
                return Err(usage_error(format!(
                    "unknown schedule '{other}'; known schedules: constant, cosine"
                )))
            }
        };
        let config = TrainConfig {
            steps,
            optimizer,
            schedule,
            clip: self.clip,
            val_every: self.val_every,
            patience: self.patience,
            restore_best: self.patience.is_some(),
            seed: self.seed,
        };
        config.validate().map_err(|e| usage_error(e.to_string()))?;
        Ok(config)
    }

    fn run_spec(&self, task: String) -> RunSpec {
        RunSpec {
            task,
            settings: self.settings.clone(),
            column: self.column.clone(),
            seed: self.seed,
            train_size: self.train_size,
            val_size: self.val_size,
            batch: self.batch,
            teacher_forcing: self.teacher_forcing,
            model: ModelSpec {
                model: self.model.clone(),
                hidden: self.hidden,
                layers: self.layers,
                bidirectional: self.bidirectional,
                dropout: self.dropout,
                embedding: self.embedding,
                attention: self.attention,
            },
        }
    }
}

/// Builds (or resumes) the session, trains, saves, and reports.
pub fn run(args: &TrainArgs) -> Result<String, Failure> {
    let mut session =
        match (&args.resume, &args.task) {
            (Some(_), _) if args.epochs.is_some() => {
                return Err(usage_error(
                    "--epochs does not apply to --resume; give the total --steps".into(),
                ))
            }
            (Some(path), _) => Session::resume(path, args.steps).map_err(Failure::runtime)?,
            (None, Some(task)) => {
                if args.batch == 0 {
                    return Err(usage_error("--batch must be at least 1".into()));
                }
                if !(0.0..=1.0).contains(&args.teacher_forcing) {
                    return Err(usage_error(format!(
                        "--teacher-forcing {} must be in [0, 1]",
                        args.teacher_forcing
                    )));
                }
                let spec = args.run_spec(task.clone());
                let data = spec.prepare_task().map_err(Failure::from_error)?;
                let steps = match args.epochs {
                    Some(epochs) => epochs * (data.train.len() / args.batch).max(1),
                    None => args.steps.unwrap_or(DEFAULT_STEPS),
                };
                let config = args.train_config(steps)?;
                Session::with_task(spec, data, config).map_err(Failure::from_error)?
            }
            (None, None) => return Err(usage_error(
                "which task? give it with --task NAME (see `seqzoo data list`), or --resume CKPT"
                    .into(),
            )),
        };
    let mut printer = LinePrinter::new(&session);
    let mut progress = Progress::stderr();
    let mut log = args
        .log
        .as_ref()
        .map(MetricsLog::append)
        .transpose()
        .map_err(Failure::runtime)?;
    let summary = session
        .run(&mut (&mut printer, (&mut progress, &mut log)))
        .map_err(Failure::runtime)?;
    let mut out = summary_lines(&session, &summary);
    if let Some(path) = &args.save {
        session.save(path).map_err(Failure::runtime)?;
        out.push_str(&format!("saved {}\n", path.display()));
    }
    if args.json {
        out.push_str(&json_line(&session, &summary));
        out.push('\n');
    }
    Ok(out)
}
