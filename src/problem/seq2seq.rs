//! Sequence to sequence: an output token sequence from an input one (reversal, sorting, addition,
//! dates) by an encoder-decoder trained with teacher forcing, judged by greedy decoding (exact
//! match and token accuracy); generation decodes a prompt greedily or with beam search.

use autograd::{Error, Result, Var};
use datasets::task::{InputKind, OutputKind, PromptStyle, TaskData};
use datasets::text::{BOS, EOS};
use datasets::{Batch, BatchInput, BatchTarget};
use zoo::models::{AttentionScore, Seq2SeqConfig};
use zoo::train::{exact_match, token_accuracy, Metrics};
use zoo::Ctx;

use super::language_model::{encode_prompt, vocab};
use super::loss::{classify, flatten, Tally};
use super::model::{config_error, Model, ModelConfig, ModelSpec};
use super::{GenerateRequest, ProblemType, Trained};

/// Output tokens a model may write beyond the longest target before it is cut off.
const DECODE_SLACK: usize = 5;

/// Sequence to sequence (`val_exact_match`, `val_token_accuracy`).
pub struct Seq2SeqProblem;

impl ProblemType for Seq2SeqProblem {
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig> {
        spec.recurrent(task)?;
        // The decoder may run a step at a time (teacher forcing below 1, decoding), which would
        // draw a new variational mask at every step.
        spec.unregularized(task, "a seq2seq model")?;
        let (InputKind::Tokens { vocab: src_vocab }, OutputKind::Tokens { vocab: tgt_vocab }) =
            (task.input, task.output)
        else {
            return Err(config_error(format!(
                "{}: a seq2seq task maps tokens to tokens",
                task.name
            )));
        };
        Ok(ModelConfig::Seq2Seq(Seq2SeqConfig {
            src_vocab,
            tgt_vocab,
            embedding: spec.embedding,
            kind: spec.kind()?,
            hidden: spec.hidden,
            layers: spec.layers,
            bidirectional_encoder: spec.bidirectional,
            attention: spec.attention.then_some(AttentionScore::General),
            dropout: spec.dropout,
            layer_norm: spec.layer_norm,
        }))
    }

    fn takes_attention(&self) -> bool {
        true
    }

    /// Cross-entropy of the teacher-forced decoder (the ratio applies in training); validation
    /// also decodes greedily and keeps each output beside its target.
    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>> {
        let (Model::Seq2Seq(m), BatchInput::Tokens(src), BatchTarget::Tokens(sentences)) =
            (model, &batch.input, &batch.target)
        else {
            return Err(Error::Data(
                "a seq2seq batch needs a seq2seq model and token sequences".into(),
            ));
        };
        let (inputs, targets) = sentences.shift_for_teacher_forcing();
        let logits = m.forward(cx, &src.ids, &src.lengths, &inputs.ids, teacher_forcing);
        let loss = classify(flatten(logits), &targets.targets_ignoring_pad(), None);
        if let Some(tally) = tally {
            let max_len = sentences.steps + DECODE_SLACK;
            let decoded = m.greedy(cx.store(), &src.ids, &src.lengths, BOS, EOS, max_len);
            for (b, mut out) in decoded.into_iter().enumerate() {
                out.push(EOS);
                tally.predicted.push(out);
                tally.expected.push(targets.row(b).to_vec());
            }
            let counted: usize = targets.lengths.iter().sum();
            tally.loss += loss.item() * counted as f64;
            tally.loss_count += counted;
        }
        Ok(loss)
    }

    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics> {
        let (p, e) = (&tally.predicted, &tally.expected);
        Ok(tally.metrics(
            task,
            &[
                ("val_exact_match", exact_match(p, e)?),
                ("val_token_accuracy", token_accuracy(p, e)?),
            ],
        ))
    }

    /// Decodes the prompt (reversed when the task trains on reversed sources), greedily or with a
    /// beam.
    fn generate(&self, trained: &Trained, request: &GenerateRequest) -> Result<String> {
        let Model::Seq2Seq(s2s) = &trained.model else {
            return Err(Error::Data("the checkpoint holds no seq2seq model".into()));
        };
        let vocab = vocab(trained)?;
        if request.prompt.is_empty() {
            return Err(config_error(
                "a seq2seq model needs the source to translate: --prompt TEXT".into(),
            ));
        }
        let mut src = encode_prompt(vocab, &request.prompt)?;
        if trained.prompt == PromptStyle::ReversedSource {
            src.reverse();
        }
        let lengths = [src.len()];
        let store = &trained.store;
        let out = if request.beam <= 1 {
            s2s.greedy(store, &src, &lengths, BOS, EOS, request.len)
        } else {
            s2s.beam_search(store, &src, &lengths, BOS, EOS, request.beam, request.len)
        };
        Ok(format!("{}\n", vocab.decode(&out[0])))
    }
}
