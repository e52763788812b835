//! `seqzoo generate CKPT [--prompt TEXT] [--len N] [--temperature X] [--top-k K] [--beam K]
//! [--seed S]`: text from a language model, a caption from a conditioned one, or the output
//! sequence a seq2seq model writes for the prompt.

use std::path::PathBuf;

use clap::Args;
use seqzoo::problem::{GenerateRequest, Trained};
use zoo::models::Sampling;

use super::{bounds, usage_error, Failure};

/// Arguments of `seqzoo generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A checkpoint of a language model or a seq2seq model (`seqzoo train --save`).
    pub checkpoint: PathBuf,
    /// Text to continue (language models) or to translate (seq2seq models).
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Tokens to generate at most (at most 100000).
    #[arg(long, default_value_t = 200)]
    pub len: usize,
    /// Sampling temperature; 0 takes the most likely token every time.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Sample only among the k most likely tokens.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Seq2seq: beam width (1 is greedy decoding; at most 256).
    #[arg(long, default_value_t = 1)]
    pub beam: usize,
    /// The sampling seed (and which validation scene a caption model describes).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl GenerateArgs {
    fn sampling(&self) -> Result<Sampling, Failure> {
        let t = self.temperature;
        if !(t.is_finite() && t >= 0.0) {
            return Err(usage_error(format!(
                "--temperature {t} must be 0 (greedy) or positive"
            )));
        }
        Ok(match (t == 0.0, self.top_k) {
            (true, _) => Sampling::Greedy,
            (false, None) => Sampling::Temperature(t),
            (false, Some(0)) => return Err(usage_error("--top-k must be at least 1".into())),
            (false, Some(k)) => Sampling::TopK { k, temperature: t },
        })
    }
}

/// Loads the checkpoint and generates as its problem type does.
pub fn run(args: &GenerateArgs) -> Result<String, Failure> {
    bounds::generate(args)?;
    let sampling = args.sampling()?;
    if args.beam == 0 {
        return Err(usage_error("--beam must be at least 1".into()));
    }
    let trained = Trained::load(&args.checkpoint).map_err(Failure::runtime)?;
    let request = GenerateRequest {
        prompt: args.prompt.clone(),
        len: args.len,
        sampling,
        beam: args.beam,
        seed: args.seed,
    };
    trained.generate(&request).map_err(|e| {
        let failure = Failure::from_error(e);
        Failure {
            message: format!("{}: {}", args.checkpoint.display(), failure.message),
            ..failure
        }
    })
}
