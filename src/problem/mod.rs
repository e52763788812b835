//! The glue between `datasets` and `zoo`: which model a task gets, the objective that trains it,
//! and a training session that saves and resumes.

mod model;
mod objective;
mod session;

pub use model::{Model, ModelConfig, ModelSpec, MODEL_NAMES};
pub use objective::TaskObjective;
pub use session::{saved_model, RunSpec, Session, Trained, RUN_KEY, VOCAB_KEY};
