//! Command-line parsing and dispatch; one module per subcommand.

mod data;
mod forward;
mod inspect;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Print examples of a dataset as a person would read them.
    Data(data::DataArgs),
    /// Run a PyTorch-format recurrent layer (safetensors state_dict) on inputs from a file.
    Forward(forward::ForwardArgs),
    /// List a safetensors file's tensors and metadata, and the recurrent layer it holds.
    Inspect(inspect::InspectArgs),
}

/// A failed command: the one line to print and the exit code.
pub struct Failure {
    /// The message (without the `error: ` prefix).
    pub message: String,
    /// 1 (runtime) or 2 (usage).
    pub code: u8,
}

impl Failure {
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
    let cli = Cli::parse();
    let result = match cli.command {
        None => Ok(usage()),
        Some(Command::Data(args)) => data::run(&args),
        Some(Command::Forward(args)) => forward::run(&args),
        Some(Command::Inspect(args)) => inspect::run(&args),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn usage() -> String {
    format!(
        "seqzoo {}: recurrent sequence models on a tape-based autodiff engine\n\n\
         usage: seqzoo data TASK [--n K] [--seed S]   print examples of a dataset\n\
         \x20      seqzoo forward WEIGHTS INPUT -o OUT [--grad-probe]   run a PyTorch RNN/LSTM/GRU\n\
         \x20      seqzoo inspect FILE                 tensors, metadata and architecture of a file\n\
         \x20      seqzoo --help                      all options\n\n\
         The demo (the headline experiment on built-in data) is coming; `seqzoo data adding` works now.\n",
        env!("CARGO_PKG_VERSION")
    )
}
