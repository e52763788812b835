//! Language modelling: the next token at every step of a text (the built-in corpus, a user's text
//! file), judged in nats and bits per token; generation continues a prompt.

use autograd::{Error, Result, Rng, Var};
use datasets::task::{OutputKind, PromptStyle, TaskData};
use datasets::text::lm::Chunk;
use datasets::text::{Granularity, Vocab, BOS, EOS, UNK};
use datasets::{Batch, BatchInput, BatchTarget};
use zoo::models::{LanguageModelConfig, LmInput, StateValues};
use zoo::train::{bits_per_char, Metrics};
use zoo::Ctx;

use super::loss::{classify, flatten, ragged, Tally};
use super::model::{config_error, Model, ModelConfig, ModelSpec};
use super::{GenerateRequest, ProblemType, Trained};

/// Language modelling (`val_nats`, `val_bpc`).
pub struct LanguageModeling;

/// `val_nats` and `val_bpc` of a language model's tally.
pub(super) fn nats_metrics(task: &TaskData, tally: &Tally) -> Result<Metrics> {
    let nats = tally.mean_loss();
    Ok(tally.metrics(
        task,
        &[("val_nats", nats), ("val_bpc", bits_per_char(nats))],
    ))
}

/// The vocabulary a token model reads and writes, or an error naming the checkpoint's task.
pub(super) fn vocab(trained: &Trained) -> Result<&Vocab> {
    trained.fitted.vocab.as_ref().ok_or_else(|| {
        Error::Data(format!(
            "the checkpoint of {} holds no vocabulary to read and write text with",
            trained.spec.task
        ))
    })
}

/// The prompt's ids; an `Error::Config` naming the characters a character model never saw.
pub(super) fn encode_prompt(vocab: &Vocab, prompt: &str) -> Result<Vec<usize>> {
    let ids = vocab.encode(prompt);
    let unknown: String = prompt
        .chars()
        .zip(&ids)
        .filter(|(_, &id)| id == UNK)
        .map(|(c, _)| c)
        .collect();
    if vocab.granularity() == Granularity::Char && !unknown.is_empty() {
        return Err(config_error(format!(
            "the prompt has characters the model never saw in training: {unknown:?}"
        )));
    }
    Ok(ids)
}

/// The mean loss of a language model on one window of its streams (stateful training), from
/// `state` (zeros when `None`) given as constants of the tape, so no gradient flows into the
/// batch before; and the final state, detached, for the next window. With a `tally`, also counts
/// what validation reports.
pub(super) fn stream_loss<'t>(
    cx: &Ctx<'_, 't, f32>,
    model: &Model,
    chunk: &Chunk,
    state: Option<&StateValues<f32>>,
    tally: Option<&mut Tally>,
) -> Result<(Var<'t, f32>, StateValues<f32>)> {
    let Model::LanguageModel(m) = model else {
        return Err(Error::Data(
            "stateful training reads a text as streams and needs a language model".into(),
        ));
    };
    let input = LmInput {
        state: state.map(|s| s.on(cx.tape())),
        ..Default::default()
    };
    let (logits, last) = m.forward(cx, &chunk.inputs, [chunk.batch, chunk.steps], input);
    let targets: Vec<i64> = chunk.targets.iter().map(|&t| t as i64).collect();
    Ok((classify(flatten(logits), &targets, tally), last.values()))
}

impl ProblemType for LanguageModeling {
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig> {
        spec.recurrent(task)?;
        spec.unidirectional(task, "language model")?;
        let OutputKind::Tags { count: vocab } = task.output else {
            return Err(Error::Data(format!(
                "{}: the targets are not next tokens",
                task.name
            )));
        };
        Ok(ModelConfig::LanguageModel(LanguageModelConfig {
            vocab,
            embedding: spec.embedding,
            rnn: spec.rnn(spec.embedding, false)?,
            context: None,
        }))
    }

    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        _teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        let (Model::LanguageModel(m), BatchInput::Tokens(p), BatchTarget::Tags(next)) =
            (model, &batch.input, &batch.target)
        else {
            return Err(Error::Data(
                "a language-model batch needs a language model, tokens and next-token tags".into(),
            ));
        };
        let input = LmInput {
            lengths: ragged(batch),
            ..Default::default()
        };
        let (logits, _) = m.forward(cx, &p.ids, [p.batch, p.steps], input);
        Ok(classify(
            flatten(logits),
            &next.targets_ignoring_pad(),
            tally,
        ))
    }

    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics> {
        nats_metrics(task, tally)
    }

    /// Continues the prompt: a sentence model (the built-in corpus) starts at BOS and stops at
    /// EOS; a text model continues the prompt, or the most frequent character when there is none.
    fn generate(&self, trained: &Trained, request: &GenerateRequest) -> Result<String> {
        let Model::LanguageModel(lm) = &trained.model else {
            return Err(Error::Data("the checkpoint holds no language model".into()));
        };
        let vocab = vocab(trained)?;
        let sentences = trained.prompt == PromptStyle::Sentence;
        let mut prompt = encode_prompt(vocab, &request.prompt)?;
        if sentences {
            prompt.insert(0, BOS);
        } else if prompt.is_empty() {
            prompt.push(datasets::text::vocab::SPECIALS.len());
        }
        let ids = lm.generate(
            &trained.store,
            &prompt,
            request.len,
            request.sampling,
            None,
            sentences.then_some(EOS),
            &mut Rng::new(request.seed),
        );
        Ok(format!("{}{}\n", vocab.decode(&prompt), vocab.decode(&ids)))
    }
}
