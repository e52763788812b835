//! Language-model tasks: the built-in corpus ([`CorpusTask`]), a character model of a user's UTF-8
//! file ([`TextFileTask`], with a recipe scaled to its size), and what they share (next-token tags
//! over a vocabulary, the trigram baseline).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use autograd::{Error, Result};

use super::corpus;
use super::file::read_text;
use super::lm::{ngram_baselines, Sentences};
use super::streams::TextStreams;
use super::{Granularity, Vocab};
use crate::dataset::{Baseline, Dataset, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::show;
use crate::task::{Fitted, InputKind, OutputKind, Problem, PromptStyle, Task, TaskData, TaskSizes};

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

    fn prepare(
        &self,
        seed: u64,
        params: &Params,
        sizes: TaskSizes,
        _fitted: &Fitted,
    ) -> Result<TaskData> {
        refuse_stateful(self.name(), params)?;
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
        refuse_stateful(self.name(), params)?;
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

/// An error naming the setting when `params` ask a sentence-level task for stateful training:
/// its sentences each start from BOS and a zero state, so there is no stream to carry a state
/// along.
fn refuse_stateful(task: &str, params: &Params) -> Result<()> {
    if params.get("stateful", false)? {
        return Err(Error::Config(format!(
            "{task}: stateful=true needs one continuous text, but this task's examples are \
             separate sentences (each read from BOS with a zero state); train a text:PATH task \
             statefully instead"
        )));
    }
    Ok(())
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
        normalizer: None,
        forecast: None,
        recipe: task.recipe(),
        prompt: task.prompt_style(),
        streams: None,
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

/// Text files: the share of the text (from the start) used for training; the rest validates.
pub const TEXT_TRAIN_FRACTION: f64 = 0.9;
/// Default characters per training window of a text language model (`--set window=`).
pub const TEXT_WINDOW: usize = 64;
/// The largest `window` setting of a text task.
pub const MAX_TEXT_WINDOW: usize = 100_000;

/// The settings of a text task (`--set window=N`, `--set stateful=true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextSettings {
    /// Characters per training window (2 ..= [`MAX_TEXT_WINDOW`]).
    pub window: usize,
    /// Whether training reads the text as contiguous streams carrying the model's state from
    /// each window to the next (stateful truncated BPTT) instead of shuffled windows.
    pub stateful: bool,
}

/// Texts of at least this many characters get the large recipe ([`TextFileTask::recipe_for`]).
pub const LARGE_TEXT: usize = 200_000;

/// A character language model of the UTF-8 text file at a path (`text:PATH`).
pub struct TextFileTask {
    name: String,
    path: PathBuf,
}

impl TextFileTask {
    /// The task of the file at `path`.
    pub fn new(path: &Path) -> Self {
        TextFileTask {
            name: format!("text:{}", path.display()),
            path: path.to_path_buf(),
        }
    }

    /// The ids of `chars` under `vocab`, or an error naming the first character it lacks and its
    /// line in the file.
    fn encode_strictly(&self, vocab: &Vocab, chars: &[&str]) -> Result<Vec<usize>> {
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vocab.get(c).ok_or_else(|| {
                    let line = 1 + chars[..i].iter().filter(|&&c| c == "\n").count();
                    Error::Data(format!(
                        "{}: character {c:?} (line {line}) is not in the checkpoint's vocabulary",
                        self.path.display()
                    ))
                })
            })
            .collect()
    }

    /// The recipe for a text of `chars` characters. From [`LARGE_TEXT`] characters: a 2-layer
    /// layer-normalized LSTM of 256 units with embeddings of 64, Adam 2e-3 on a cosine schedule,
    /// clip 5, batches of 32 windows, for about 10 passes over the training text (rounded down
    /// to a hundred steps) and at most 5200 steps: about 10 minutes on 2 cores. Below it: one
    /// LSTM layer of 128 for about three passes over the training windows (500 to 4000 steps).
    pub fn recipe_for(chars: usize) -> Recipe {
        // Divided before multiplied, so that no size (a file's, up to usize::MAX) overflows.
        let train = chars / 10 * 9;
        let batch = Recipe::default().batch;
        if chars >= LARGE_TEXT {
            let passes = train / (batch * TEXT_WINDOW) * 10;
            return Recipe {
                hidden: 256,
                layers: 2,
                embedding: 64,
                layer_norm: true,
                lr: 2e-3,
                clip: Some(5.0),
                schedule: "cosine",
                steps: (passes / 100 * 100).clamp(500, 5200),
                ..Recipe::default()
            };
        }
        let windows = train / (TEXT_WINDOW / 2);
        Recipe {
            hidden: 128,
            lr: 2e-3,
            clip: Some(5.0),
            schedule: "cosine",
            steps: (windows / batch).saturating_mul(3).clamp(500, 4000),
            ..Recipe::default()
        }
    }
}

impl Task for TextFileTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn summary(&self) -> String {
        format!("a character language model of {}", self.path.display())
    }

    fn problem(&self) -> Problem {
        Problem::LanguageModel
    }

    /// The recipe for the file's size in bytes (an estimate of its characters).
    fn recipe(&self) -> Recipe {
        let bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        TextFileTask::recipe_for(usize::try_from(bytes).unwrap_or(usize::MAX))
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Continue
    }

    /// A `fitted` vocabulary (a checkpoint's) is used instead of one built from the training
    /// part: a character of the training part outside it is an error naming it and its line.
    fn prepare(
        &self,
        _seed: u64,
        params: &Params,
        _sizes: TaskSizes,
        fitted: &Fitted,
    ) -> Result<TaskData> {
        let settings = self.settings(params)?;
        let text = read_text(&self.path)?;
        self.prepare_windows(&text, settings, fitted)
    }

    fn show(&self, n: usize, _seed: u64, params: &Params) -> Result<String> {
        params.check_all_used(&self.name)?;
        show::text_file(&self.path, n)
    }
}

impl TextFileTask {
    /// Prepares the task from `text`, the file's contents already read (what `prepare` does after
    /// reading the file, with the same `fitted`); errors name the task's path.
    pub fn prepare_text(&self, text: &str, params: &Params, fitted: &Fitted) -> Result<TaskData> {
        let settings = self.settings(params)?;
        self.prepare_windows(text, settings, fitted)
    }

    /// The settings, checked: `window` (2 ..= [`MAX_TEXT_WINDOW`]) and `stateful` (`true` or
    /// `false`); no other setting is known.
    pub fn settings(&self, params: &Params) -> Result<TextSettings> {
        let name = &self.name;
        let window = params.get_at_most("window", TEXT_WINDOW, MAX_TEXT_WINDOW)?;
        let stateful = params.get("stateful", false)?;
        params.check_all_used(name)?;
        if window < 2 {
            return Err(Error::Config(format!(
                "{name}: window must be at least 2, got {window}"
            )));
        }
        Ok(TextSettings { window, stateful })
    }

    /// The task's data from its text cut into windows of `window` characters (every `window / 2`
    /// characters; every `window` when stateful, where the windows only size the run).
    fn prepare_windows(
        &self,
        text: &str,
        settings: TextSettings,
        fitted: &Fitted,
    ) -> Result<TaskData> {
        let TextSettings { window, stateful } = settings;
        let path = &self.path;
        let chars: Vec<&str> = super::vocab::tokenize(Granularity::Char, text);
        let cut = (chars.len() as f64 * TEXT_TRAIN_FRACTION) as usize;
        if cut < window + 1 || chars.len() - cut < window + 1 {
            return Err(Error::Data(format!(
                "{}: {} characters are too few for a 90/10 split into windows of {window}",
                path.display(),
                chars.len()
            )));
        }
        let (vocab, ids) = match &fitted.vocab {
            // The training part must be spelled in the checkpoint's vocabulary; the held-out part
            // is encoded as training encoded it, a character the training part lacked as UNK.
            Some(vocab) => {
                let mut ids = self.encode_strictly(vocab, &chars[..cut])?;
                ids.extend(chars[cut..].iter().map(|c| vocab.id(c)));
                (vocab.clone(), ids)
            }
            None => {
                let train_text: String = chars[..cut].concat();
                let vocab = Vocab::build(Granularity::Char, [train_text.as_str()], 1, None);
                let ids = chars.iter().map(|c| vocab.id(c)).collect();
                (vocab, ids)
            }
        };
        let (train, val) = ids.split_at(cut);
        let baseline = trigram(train, val, vocab.len());
        let stride = if stateful { window } else { window / 2 };
        let mut data = language_model(
            self,
            vocab,
            baseline,
            Box::new(TextWindows::new(train.to_vec(), window, stride)),
            Box::new(TextWindows::new(val.to_vec(), window, window)),
        );
        data.recipe = TextFileTask::recipe_for(chars.len());
        data.streams =
            stateful.then(|| TextStreams::new(&self.name, train.to_vec(), val.to_vec(), window));
        Ok(data)
    }
}

/// Windows of a token stream for a language model: input `ids[s..s+w]`, target `ids[s+1..s+w+1]`
/// (per-step tags), with starts every `stride` tokens.
#[derive(Clone, Debug)]
pub struct TextWindows {
    ids: Arc<Vec<usize>>,
    window: usize,
    stride: usize,
}

impl TextWindows {
    /// Windows of `window` tokens every `stride` tokens over `ids` (at least `window + 1` ids).
    pub fn new(ids: Vec<usize>, window: usize, stride: usize) -> Self {
        TextWindows {
            ids: Arc::new(ids),
            window,
            stride: stride.max(1),
        }
    }
}

impl Dataset for TextWindows {
    fn len(&self) -> usize {
        (self.ids.len() - 1).saturating_sub(self.window) / self.stride + 1
    }
    fn example(&self, index: usize) -> Example {
        let s = index * self.stride;
        Example {
            input: Input::Tokens(self.ids[s..s + self.window].to_vec()),
            target: Target::Tags(self.ids[s + 1..s + self.window + 1].to_vec()),
        }
    }
}
