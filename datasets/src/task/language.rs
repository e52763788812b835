//! Language-model tasks: the built-in corpus ([`CorpusTask`]) and what every language-model task
//! shares (next-token tags over a vocabulary, the trigram baseline).

use std::fmt::Write;

use autograd::Result;

use super::{InputKind, OutputKind, Problem, PromptStyle, Task, TaskData, TaskSizes};
use crate::dataset::{Baseline, Dataset};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::text::corpus;
use crate::text::lm::{ngram_baselines, Sentences};
use crate::text::{Granularity, Vocab};

/// The built-in corpus: grammar-generated English-like sentences, modelled character by character.
pub struct CorpusTask;

/// The character vocabulary and encoded sentences of the built-in corpus.
pub fn corpus_sentences(seed: u64, n: usize) -> (Vocab, Vec<Vec<usize>>) {
    let sentences = corpus::sentences(seed, n);
    let vocab = Vocab::build(
        Granularity::Char,
        sentences.iter().map(String::as_str),
        1,
        None,
    );
    let encoded = sentences.iter().map(|s| vocab.encode(s)).collect();
    (vocab, encoded)
}

impl Task for CorpusTask {
    fn name(&self) -> &str {
        "corpus"
    }

    fn summary(&self) -> String {
        "built-in grammar-generated English-like sentences (characters)".into()
    }

    fn problem(&self) -> Problem {
        Problem::LanguageModel
    }

    fn recipe(&self) -> Recipe {
        Recipe::default()
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Sentence
    }

    fn prepare(&self, seed: u64, params: &Params, sizes: TaskSizes) -> Result<TaskData> {
        params.check_all_used(self.name())?;
        let (vocab, sentences) = corpus_sentences(seed, sizes.train + sizes.val);
        let (train, val) = sentences.split_at(sizes.train);
        let flat = |s: &[Vec<usize>]| s.iter().flatten().copied().collect::<Vec<_>>();
        let baseline = trigram(&flat(train), &flat(val), vocab.len());
        Ok(language_model(
            self,
            vocab,
            baseline,
            Box::new(Sentences::new(train.to_vec())),
            Box::new(Sentences::new(val.to_vec())),
        ))
    }

    fn show(&self, n: usize, seed: u64, params: &Params) -> Result<String> {
        params.check_all_used(self.name())?;
        let (vocab, encoded) = corpus_sentences(seed, 2000);
        let (train, eval) = encoded.split_at(1800);
        let flat = |s: &[Vec<usize>]| s.concat();
        let b = ngram_baselines(&flat(train), &flat(eval), vocab.len());
        let parts: Vec<String> = b.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} characters in the vocabulary (4 specials); baselines (nats/char, 1800/200 sentences): {}",
            vocab.len(),
            parts.join(", ")
        );
        for (i, s) in encoded.iter().take(n).enumerate() {
            let _ = writeln!(out, "#{i:<3} {}", vocab.decode(s));
        }
        Ok(out)
    }
}

/// A language-model task of `task`: next-token tags over `vocab`.
pub(crate) fn language_model(
    task: &dyn Task,
    vocab: Vocab,
    baseline: Option<Baseline>,
    train: Box<dyn Dataset + Send + Sync>,
    val: Box<dyn Dataset + Send + Sync>,
) -> TaskData {
    TaskData {
        name: task.name().to_string(),
        problem: Problem::LanguageModel,
        input: InputKind::Tokens { vocab: vocab.len() },
        output: OutputKind::Tags { count: vocab.len() },
        labels: vec![],
        baseline,
        train,
        val,
        vocab: Some(vocab),
        forecast: None,
        recipe: task.recipe(),
        prompt: task.prompt_style(),
    }
}

/// The trigram baseline in nats per token, as a [`Baseline`].
pub fn trigram(train: &[usize], val: &[usize], vocab: usize) -> Option<Baseline> {
    let nats = ngram_baselines(train, val, vocab)
        .into_iter()
        .find(|(n, _)| *n == "trigram")?
        .1;
    Some(Baseline {
        metric: "nats",
        value: nats,
        predictor: "trigram with add-one smoothing",
        lower_is_better: true,
    })
}
