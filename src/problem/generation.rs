//! Conditioned generation: a token sequence written from a context vector that sets the
//! language model's initial state or joins its input at every step (captioning), judged in nats
//! per token; without a context it is the unconditioned baseline.

use autograd::{Error, Result, Rng, Tensor, Var};
use datasets::task::{InputKind, OutputKind, TaskData};
use datasets::text::{BOS, EOS};
use datasets::{Batch, BatchInput, BatchTarget, Dataset, Input, Target};
use zoo::models::{ContextConfig, ContextMode, LanguageModel, LanguageModelConfig, LmInput};
use zoo::train::Metrics;
use zoo::Ctx;

use super::language_model::{nats_metrics, vocab};
use super::loss::{classify, flatten, Tally};
use super::model::{config_error, Model, ModelConfig, ModelSpec};
use super::{GenerateRequest, ProblemType, Trained};

/// Whether `model` reads the context (the unconditioned baseline does not).
fn conditioned(model: &LanguageModel) -> bool {
    model.config().context.is_some()
}

/// Generation conditioned on a vector (`val_nats`, `val_bpc`).
pub struct ConditionedGeneration;

impl ProblemType for ConditionedGeneration {
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig> {
        spec.recurrent(task)?;
        spec.unidirectional(task, "caption generator")?;
        let InputKind::Vector { width } = task.input else {
            return Err(config_error(format!(
                "{}: a conditioned generator reads one vector per example",
                task.name
            )));
        };
        let OutputKind::Tokens { vocab } = task.output else {
            return Err(Error::Data(format!(
                "{}: the targets are not sentences",
                task.name
            )));
        };
        let mode = spec.conditioning.mode();
        let every_step = if mode == Some(ContextMode::EveryStep) {
            width
        } else {
            0
        };
        Ok(ModelConfig::LanguageModel(LanguageModelConfig {
            vocab,
            embedding: spec.embedding,
            rnn: spec.rnn(spec.embedding + every_step, false)?,
            context: mode.map(|mode| ContextConfig { size: width, mode }),
        }))
    }

    fn takes_context(&self) -> bool {
        true
    }

    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        _teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        let (Model::LanguageModel(m), BatchInput::Vectors(context), BatchTarget::Tokens(sentences)) =
            (model, &batch.input, &batch.target)
        else {
            return Err(Error::Data(
                "a captioning batch needs a language model, vectors and sentences".into(),
            ));
        };
        let (inputs, targets) = sentences.shift_for_teacher_forcing();
        let lengths =
            (inputs.lengths.iter().any(|&l| l < inputs.steps)).then_some(&inputs.lengths[..]);
        let input = LmInput {
            context: conditioned(m).then(|| cx.constant(context.clone())),
            lengths,
            ..Default::default()
        };
        let (logits, _) = m.forward(cx, &inputs.ids, [inputs.batch, inputs.steps], input);
        Ok(classify(
            flatten(logits),
            &targets.targets_ignoring_pad(),
            tally,
        ))
    }

    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics> {
        nats_metrics(task, tally)
    }

    /// Describes a validation scene the model never trained on (chosen by the seed), beside the
    /// reference sentence.
    fn generate(&self, trained: &Trained, request: &GenerateRequest) -> Result<String> {
        let Model::LanguageModel(lm) = &trained.model else {
            return Err(Error::Data("the checkpoint holds no language model".into()));
        };
        let vocab = vocab(trained)?;
        let task = trained.spec.prepare_task()?;
        if task.val.is_empty() {
            return Err(Error::Data(
                "its validation split is empty (val_size 0): no scene to describe".into(),
            ));
        }
        let index = (request.seed % task.val.len() as u64) as usize;
        let example = task.val.example(index);
        let Input::Vector(features) = example.input else {
            return Err(Error::Data("the conditioning input is not a vector".into()));
        };
        let context = Tensor::new(&[features.len()], features.clone());
        let ids = lm.generate(
            &trained.store,
            &[BOS],
            request.len,
            request.sampling,
            conditioned(lm).then_some(&context),
            Some(EOS),
            &mut Rng::new(request.seed),
        );
        let reference = match &example.target {
            Target::Tokens(t) => vocab.decode(t),
            _ => String::new(),
        };
        Ok(format!(
            "validation scene {index}\n  model:     {}\n  reference: {reference}\n",
            vocab.decode(&ids)
        ))
    }
}
