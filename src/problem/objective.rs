//! [`TaskObjective`]: a model trained on a task's batches, with the task's problem type giving the
//! loss and the validation metrics.

use std::cell::RefCell;

use autograd::{Error, ParamStore, Result, Rng, Tape, Var};
use datasets::task::TaskData;
use datasets::{Batch, Batcher};
use zoo::train::{Metrics, Objective};
use zoo::Ctx;

use super::loss::Tally;
use super::model::Model;
use super::stateful::{Carry, StreamBatches};
use super::teacher_forcing::TeacherForcingSchedule;
use super::{problem_type, ProblemType};

/// Rows per validation batch.
const VAL_BATCH: usize = 250;

/// A model trained on a prepared task: batch `k` of training is a pure function of `k` (and, for
/// a stateful language model, of the state carried into it).
pub struct TaskObjective<'a> {
    task: &'a TaskData,
    model: &'a Model,
    problem: &'static dyn ProblemType,
    batcher: Batcher,
    val: Vec<Batch>,
    teacher_forcing: f64,
    schedule: TeacherForcingSchedule,
    /// The current epoch's order of the training examples, drawn once per epoch.
    order: RefCell<Option<(u64, Vec<usize>)>>,
    /// The streams of a task trained statefully (`--set stateful=true`), which replace the
    /// shuffled batches and the validation batches.
    streams: Option<StreamBatches>,
    /// The state carried between the stateful batches.
    carry: Carry,
}

impl<'a> TaskObjective<'a> {
    /// Trains `model` on `task` with batches of `batch_size` (shuffled with `seed`, epoch after
    /// epoch; or, when the task trains statefully, windows of `batch_size` streams in order) and
    /// a seq2seq teacher-forcing ratio; collates the validation split once.
    pub fn new(
        task: &'a TaskData,
        model: &'a Model,
        batch_size: usize,
        seed: u64,
        teacher_forcing: f64,
    ) -> Result<Self> {
        if !(0.0..=1.0).contains(&teacher_forcing) {
            return Err(Error::Config(format!(
                "teacher forcing ratio {teacher_forcing} must be in [0, 1]"
            )));
        }
        let batcher = Batcher::new(batch_size)?.shuffled(seed).drop_last(true);
        let streams = task
            .streams
            .as_ref()
            .map(|s| StreamBatches::new(s, batch_size))
            .transpose()?;
        let val = match streams {
            Some(_) => vec![],
            None => Batcher::new(VAL_BATCH)?
                .epoch(&*task.val, 0)
                .collect::<Result<Vec<_>>>()?,
        };
        Ok(TaskObjective {
            task,
            model,
            problem: problem_type(task.problem),
            batcher,
            val,
            teacher_forcing,
            schedule: TeacherForcingSchedule::Constant,
            order: RefCell::new(None),
            streams,
            carry: Carry::default(),
        })
    }

    /// The objective carrying the state of stateful batches in `carry` (shared with the caller,
    /// which saves it); a task that is not stateful carries nothing.
    pub fn carrying(self, carry: Carry) -> Self {
        TaskObjective { carry, ..self }
    }

    /// What a validation pass of the weights in `store` counts (loss, hits by class), before
    /// it becomes metrics.
    pub fn tally(&self, store: &ParamStore<f32>) -> Result<Tally> {
        if let Some(streams) = &self.streams {
            return streams.tally(store, self.model);
        }
        let mut tally = Tally::default();
        for batch in &self.val {
            let tape = Tape::new();
            let _no_grad = tape.no_grad();
            let cx = Ctx::eval(&tape, store);
            self.problem
                .loss(&cx, self.model, batch, 1.0, Some(&mut tally))?;
        }
        Ok(tally)
    }

    /// The objective with the teacher-forcing ratio changing over training as `schedule` says
    /// (an `Error::Config` naming the setting when the schedule is invalid).
    pub fn scheduled(self, schedule: TeacherForcingSchedule) -> Result<Self> {
        schedule.validate()?;
        Ok(TaskObjective { schedule, ..self })
    }
}

impl Objective<f32> for TaskObjective<'_> {
    fn loss<'t>(
        &self,
        tape: &'t Tape<f32>,
        store: &ParamStore<f32>,
        step: usize,
        rng: &mut Rng,
    ) -> Result<Var<'t, f32>> {
        if let Some(streams) = &self.streams {
            let cx = Ctx::train(tape, store, rng);
            return streams.loss(&cx, self.model, step, &self.carry);
        }
        let train = &*self.task.train;
        let (epoch, index) = self.batcher.position(train.len(), step as u64)?;
        let mut order = self.order.borrow_mut();
        if order.as_ref().map(|o| o.0) != Some(epoch) {
            *order = Some((epoch, self.batcher.order(train.len(), epoch)));
        }
        let epoch_order = &order.as_ref().expect("drawn above").1;
        let batch = self.batcher.batch_of(train, epoch_order, index)?;
        let cx = Ctx::train(tape, store, rng);
        let ratio = self.schedule.ratio(self.teacher_forcing, step);
        self.problem.loss(&cx, self.model, &batch, ratio, None)
    }

    fn validate(&self, store: &ParamStore<f32>) -> Result<Metrics> {
        self.problem.metrics(self.task, &self.tally(store)?)
    }
}
