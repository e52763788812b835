//! Every task's recipe run and judged: the value it reaches on the task's baseline metric, the
//! goal it must reach (the task's own, or clearly past the baseline), and how long it took. What
//! `tests/recipes.rs` checks and `examples/recipes.rs` prints as a table.

use autograd::{Error, Result};
use datasets::Recipe;

use crate::problem::Session;

/// How far past its baseline a recipe must go when its task sets no goal: a quarter lower for
/// losses and errors, half of the way from the baseline to 1 for accuracies.
pub const CLEAR_MARGIN: f64 = 0.25;

/// One run of a task's recipe.
#[derive(Clone, Debug)]
pub struct RecipeRun {
    /// The task.
    pub task: String,
    /// The recipe it ran.
    pub recipe: Recipe,
    /// The baseline's metric (`val_<metric>` is the model's value).
    pub metric: String,
    /// The model's final validation value of the metric.
    pub value: f64,
    /// The baseline's value on the same validation split.
    pub baseline: f64,
    /// Whether lower values are better.
    pub lower_is_better: bool,
    /// The value the run had to reach.
    pub goal: f64,
    /// Training seconds.
    pub seconds: f64,
}

impl RecipeRun {
    /// Whether the run reached its goal.
    pub fn reached(&self) -> bool {
        if self.lower_is_better {
            self.value <= self.goal
        } else {
            self.value >= self.goal
        }
    }

    /// The run as a markdown table row: task, recipe, metric, value, baseline, goal, seconds.
    pub fn row(&self) -> String {
        let relation = if self.lower_is_better { "≤" } else { "≥" };
        format!(
            "| `{}` | {} | {} | {:.4} | {:.4} | {relation} {:.4} | {:.1} | {} |",
            self.task,
            self.recipe,
            self.metric,
            self.value,
            self.baseline,
            self.goal,
            self.seconds,
            if self.reached() { "yes" } else { "no" }
        )
    }
}

/// The header of [`RecipeRun::row`]'s table.
pub const TABLE_HEADER: &str = "| task | recipe | metric | value | baseline | goal | seconds | reached |\n|---|---|---|--:|--:|--:|--:|---|";

/// The goal of a task whose recipe sets none: clearly past `baseline` (see [`CLEAR_MARGIN`]).
pub fn clear_of(baseline: f64, lower_is_better: bool) -> f64 {
    if lower_is_better {
        baseline * (1.0 - CLEAR_MARGIN)
    } else {
        baseline + 2.0 * CLEAR_MARGIN * (1.0 - baseline)
    }
}

/// Trains `task` by its own recipe with `seed`, as `seqzoo train --task TASK --seed SEED` does,
/// and judges the final validation.
pub fn run_recipe(task: &str, seed: u64) -> Result<RecipeRun> {
    let mut session = Session::from_recipe(task, seed)?;
    let summary = session.run(&mut ())?;
    let baseline = session
        .task
        .baseline
        .clone()
        .ok_or_else(|| Error::Data(format!("{task} has no baseline to judge its recipe by")))?;
    let metric = format!("val_{}", baseline.metric);
    let value = summary
        .last_val
        .get(&metric)
        .ok_or_else(|| Error::Data(format!("{task}: the validation reported no {metric}")))?;
    let recipe = session.task.recipe.clone();
    let goal = recipe
        .goal
        .unwrap_or_else(|| clear_of(baseline.value, baseline.lower_is_better));
    Ok(RecipeRun {
        task: task.to_string(),
        recipe,
        metric,
        value,
        baseline: baseline.value,
        lower_is_better: baseline.lower_is_better,
        goal,
        seconds: summary.seconds,
    })
}
