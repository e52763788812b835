//! Command-line parsing and dispatch; one module per subcommand.

mod bounds;
mod data;
mod demo;
mod eval;
mod experiment;
mod forward;
mod generate;
mod inspect;
mod interrupt;
mod plot;
mod report;
mod train;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Exit code of a runtime failure.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code of a usage error (bad arguments, unknown names).
pub const EXIT_USAGE: u8 = 2;

/// Recurrent sequence models on a tape-based autodiff engine.
#[derive(Debug, Parser)]
#[command(name = "seqzoo", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The headline experiment: an SRN and an LSTM on the adding problem (T = 100).
    Demo(demo::DemoArgs),
    /// Train a model on a task; save, resume, log.
    Train(Box<train::TrainArgs>),
    /// Evaluate a checkpoint on its task's validation split (or another task's).
    Eval(eval::EvalArgs),
    /// Sample text from a language model, or decode with a seq2seq model.
    Generate(generate::GenerateArgs),
    /// Print examples of a dataset as a person would read them.
    Data(data::DataArgs),
    /// Run a PyTorch-format recurrent layer (safetensors state_dict) on inputs from a file.
    Forward(forward::ForwardArgs),
    /// List a safetensors file's tensors and metadata, and the recurrent layer it holds.
    Inspect(inspect::InspectArgs),
    /// The lecture's claims as experiments: `list`, or run one (or `all`) and write its page.
    Experiment(experiment::ExperimentArgs),
    /// Draw the training and validation curves of metrics logs (`train --log`) as SVG.
    Plot(plot::PlotArgs),
}

/// A failed command: the one line to print and the exit code.
pub struct Failure {
    /// The message (without the `error: ` prefix).
    pub message: String,
    /// 1 (runtime) or 2 (usage).
    pub code: u8,
}

/// A usage failure (exit 2): bad arguments, unknown names.
pub fn usage_error(message: String) -> Failure {
    Failure {
        message,
        code: EXIT_USAGE,
    }
}

impl Failure {
    /// A failure from a library error: a bad setting (`Error::Config`) is a usage error like a bad
    /// flag, anything else a runtime failure.
    pub fn from_error(e: autograd::Error) -> Failure {
        let code = match e {
            autograd::Error::Config(_) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }

    /// A runtime failure (exit 1) carrying an error's message, which names the file it concerns.
    pub fn runtime(e: impl std::fmt::Display) -> Failure {
        Failure {
            message: e.to_string(),
            code: EXIT_FAILURE,
        }
    }
}

/// Parses the arguments, runs the subcommand, prints its output or one error line.
pub fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("train", |c| c.after_help(train::recipes_help()));
    let cli = match command
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return parse_failure(e),
    };
    let result = match cli.command {
        None => demo::run(&demo::DemoArgs::default()),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Eval(args)) => eval::run(&args),
        Some(Command::Generate(args)) => generate::run(&args),
        Some(Command::Data(args)) => data::run(&args),
        Some(Command::Forward(args)) => forward::run(&args),
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Experiment(args)) => experiment::run(&args),
        Some(Command::Plot(args)) => plot::run(&args),
    };
    match result {
        Ok(text) => match emit(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write to stdout: {e}");
                ExitCode::from(1)
            }
        },
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Help and version print as clap prints them; any other parse error is one line, exit code 2.
fn parse_failure(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        _ => {
            eprintln!("{} (see --help)", one_line(&e.render().to_string()));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A clap error's message as one line: its lines up to the usage, joined (so an error about
/// missing arguments names them).
fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if parts.is_empty() {
        "error: bad arguments".into()
    } else {
        parts.join(" ")
    }
}

/// Writes `text` to stdout and flushes it. A reader that went away (`seqzoo data | head`) is not
/// an error: the rest is dropped, and a training run goes on to save what it trained.
pub(crate) fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
