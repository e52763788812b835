//! The glue between `datasets` and `zoo`: one [`ProblemType`] per problem a task can pose, each in
//! its own file and owning everything about its problem (the model it builds for a task, its loss,
//! metrics and baseline comparison, generation and prompts), the objective that trains a model on
//! a task, and a training session that saves and resumes.

mod classification;
mod forecasting;
mod generation;
mod language_model;
pub mod limits;
mod loss;
mod model;
mod objective;
mod regression;
mod seq2seq;
mod session;
mod source;
mod stateful;
mod tagging;
mod teacher_forcing;

pub use forecasting::predict_next;
pub use loss::Tally;
pub use model::{Conditioning, Model, ModelConfig, ModelSpec, MODEL_NAMES};
pub use objective::TaskObjective;
pub use session::{
    recipe_train_config, saved_fitted, saved_model, saved_source, RunEnd, RunSpec, SavePlan,
    Session, Trained, NORMALIZER_KEY, RUN_KEY, VOCAB_KEY,
};
pub use source::{SourceFile, SOURCE_KEY};
pub use stateful::{Carry, StreamBatches};
pub use teacher_forcing::TeacherForcingSchedule;

use autograd::{Error, Result, Var};
use datasets::task::{Problem, TaskData};
use datasets::Batch;
use zoo::models::Sampling;
use zoo::train::Metrics;
use zoo::Ctx;

/// What `generate` is asked for.
#[derive(Clone, Debug)]
pub struct GenerateRequest {
    /// The text to continue or translate (may be empty).
    pub prompt: String,
    /// Tokens to generate at most.
    pub len: usize,
    /// How language models draw tokens.
    pub sampling: Sampling,
    /// Seq2seq: the beam width (1 is greedy decoding).
    pub beam: usize,
    /// The sampling seed (and which validation example a conditioned model describes).
    pub seed: u64,
}

/// Everything one problem type does; one implementation per file of this module.
pub trait ProblemType: Sync {
    /// The model configuration of `spec` fitted to `task` (its sizes and vocabulary), or an
    /// `Error::Config` when the chosen model cannot pose this problem.
    fn model_config(&self, task: &TaskData, spec: &ModelSpec) -> Result<ModelConfig>;

    /// Whether `--attention` applies (sequence-to-sequence only).
    fn takes_attention(&self) -> bool {
        false
    }

    /// Whether a conditioning other than the default applies (conditioned generation only).
    fn takes_context(&self) -> bool {
        false
    }

    /// The mean loss of `model` on `batch` in the context `cx`; `teacher_forcing` is the seq2seq
    /// ratio in training. With a `tally`, also counts what validation reports.
    fn loss<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        model: &Model,
        batch: &Batch,
        teacher_forcing: f64,
        tally: Option<&mut Tally>,
    ) -> Result<Var<'t, f32>>;

    /// The validation metrics of a finished tally, named as `--json` reports them, the task's
    /// baseline included.
    fn metrics(&self, task: &TaskData, tally: &Tally) -> Result<Metrics>;

    /// The lines that compare the final metrics with the task's baselines.
    fn report(&self, task: &TaskData, metrics: &Metrics) -> String {
        baseline_line(task, metrics)
    }

    /// Generates from a trained model as `request` says (an `Error::Config` for a bad prompt).
    fn generate(&self, trained: &Trained, request: &GenerateRequest) -> Result<String> {
        let _ = request;
        Err(Error::Data(format!(
            "a {} model for task {} does not generate; generate needs a language model \
             (corpus, text:PATH, captioning) or a seq2seq model",
            trained.config.describe(),
            trained.spec.task
        )))
    }
}

/// The implementation of `problem`.
pub fn problem_type(problem: Problem) -> &'static dyn ProblemType {
    match problem {
        Problem::Regression => &regression::Regression,
        Problem::Forecasting => &forecasting::Forecasting,
        Problem::Classification => &classification::Classification,
        Problem::Tagging => &tagging::Tagging,
        Problem::LanguageModel => &language_model::LanguageModeling,
        Problem::ConditionedGeneration => &generation::ConditionedGeneration,
        Problem::Seq2Seq => &seq2seq::Seq2SeqProblem,
    }
}

/// The model's value of the baseline's metric (`val_<metric>`) and whether it beats the baseline.
pub fn verdict(task: &TaskData, metrics: &Metrics) -> Option<(f64, bool)> {
    let b = task.baseline.as_ref()?;
    let value = metrics.get(&format!("val_{}", b.metric))?;
    let beats = if b.lower_is_better {
        value < b.value
    } else {
        value > b.value
    };
    Some((value, beats))
}

/// `val_<metric> X vs baseline Y: beats the baseline` (empty without a baseline).
fn baseline_line(task: &TaskData, metrics: &Metrics) -> String {
    match (&task.baseline, verdict(task, metrics)) {
        (Some(b), Some((value, beats))) => format!(
            "val_{} {value:.4} vs baseline {:.4} ({}): {}\n",
            b.metric,
            b.value,
            b.predictor,
            if beats {
                "beats the baseline"
            } else {
                "does not beat the baseline"
            }
        ),
        _ => String::new(),
    }
}
