//! `seqzoo generate CKPT [--prompt TEXT] [--len N] [--temperature X] [--top-k K] [--beam K]
//! [--seed S]`: text from a language model, a caption from a conditioned one, or the output
//! sequence a seq2seq model writes for the prompt.

use std::path::PathBuf;

use autograd::{Rng, Tensor};
use clap::Args;
use datasets::text::{Vocab, BOS, EOS};
use datasets::Input;
use seqzoo::problem::{Model, Trained};
use zoo::models::Sampling;

use super::{usage_error, Failure};

/// Arguments of `seqzoo generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A checkpoint of a language model or a seq2seq model (`seqzoo train --save`).
    pub checkpoint: PathBuf,
    /// Text to continue (language models) or to translate (seq2seq models).
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Tokens to generate at most.
    #[arg(long, default_value_t = 200)]
    pub len: usize,
    /// Sampling temperature; 0 takes the most likely token every time.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Sample only among the k most likely tokens.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Seq2seq: beam width (1 is greedy decoding).
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

/// The vocabulary of a token model, or a runtime error naming the checkpoint.
fn vocab<'a>(trained: &'a Trained, args: &GenerateArgs) -> Result<&'a Vocab, Failure> {
    trained.vocab.as_ref().ok_or_else(|| {
        Failure::runtime(format!(
            "{}: the checkpoint holds no vocabulary to read and write text with",
            args.checkpoint.display()
        ))
    })
}

/// The prompt's ids, an error naming the characters the model has never seen.
fn encode(vocab: &Vocab, prompt: &str) -> Result<Vec<usize>, Failure> {
    let ids = vocab.encode(prompt);
    let unknown: String = prompt
        .chars()
        .zip(&ids)
        .filter(|(_, &id)| id == datasets::text::UNK)
        .map(|(c, _)| c)
        .collect();
    if vocab.granularity() == datasets::text::Granularity::Char && !unknown.is_empty() {
        return Err(usage_error(format!(
            "the prompt has characters the model never saw in training: {unknown:?}"
        )));
    }
    Ok(ids)
}

/// Loads the checkpoint and generates.
pub fn run(args: &GenerateArgs) -> Result<String, Failure> {
    let sampling = args.sampling()?;
    if args.beam == 0 {
        return Err(usage_error("--beam must be at least 1".into()));
    }
    let trained = Trained::load(&args.checkpoint).map_err(Failure::runtime)?;
    let mut rng = Rng::new(args.seed);
    match &trained.model {
        Model::LanguageModel(lm) if lm.config().context.is_none() => {
            let vocab = vocab(&trained, args)?;
            // Sentence models (the built-in corpus) start at BOS and end at EOS; text models
            // continue the prompt, or the most frequent character when there is none.
            let sentences = trained.spec.task == "corpus";
            let mut prompt = encode(vocab, &args.prompt)?;
            if sentences {
                prompt.insert(0, BOS);
            } else if prompt.is_empty() {
                prompt.push(datasets::text::vocab::SPECIALS.len());
            }
            let eos = sentences.then_some(EOS);
            let ids = lm.generate(
                &trained.store,
                &prompt,
                args.len,
                sampling,
                None,
                eos,
                &mut rng,
            );
            Ok(format!("{}{}\n", vocab.decode(&prompt), vocab.decode(&ids)))
        }
        Model::LanguageModel(lm) => {
            // A conditioned model: describe a validation scene the model never trained on.
            let vocab = vocab(&trained, args)?;
            let task = trained.spec.prepare_task().map_err(Failure::runtime)?;
            let index = (args.seed as usize) % task.val.len();
            let example = task.val.example(index);
            let Input::Vector(features) = example.input else {
                return Err(Failure::runtime("the conditioning input is not a vector"));
            };
            let context = Tensor::new(&[features.len()], features.clone());
            let ids = lm.generate(
                &trained.store,
                &[BOS],
                args.len,
                sampling,
                Some(&context),
                Some(EOS),
                &mut rng,
            );
            let reference = match &example.target {
                datasets::Target::Tokens(t) => vocab.decode(t),
                _ => String::new(),
            };
            Ok(format!(
                "validation scene {index}\n  model:     {}\n  reference: {reference}\n",
                vocab.decode(&ids)
            ))
        }
        Model::Seq2Seq(s2s) => {
            let vocab = vocab(&trained, args)?;
            if args.prompt.is_empty() {
                return Err(usage_error(
                    "a seq2seq model needs the source to translate: --prompt TEXT".into(),
                ));
            }
            let mut src = encode(vocab, &args.prompt)?;
            if trained.spec.task == "addition-reversed" {
                src.reverse();
            }
            let lengths = [src.len()];
            let out = if args.beam == 1 {
                s2s.greedy(&trained.store, &src, &lengths, BOS, EOS, args.len)
            } else {
                s2s.beam_search(
                    &trained.store,
                    &src,
                    &lengths,
                    BOS,
                    EOS,
                    args.beam,
                    args.len,
                )
            };
            Ok(format!("{}\n", vocab.decode(&out[0])))
        }
        _ => Err(Failure::runtime(format!(
            "{}: a {} model for task {} does not generate; generate needs a language model \
             (corpus, text:PATH, captioning) or a seq2seq model",
            args.checkpoint.display(),
            trained.config.describe(),
            trained.spec.task
        ))),
    }
}
