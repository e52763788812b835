//! Every built-in task's default recipe, run in full at seed 0 as `seqzoo train --task X` runs
//! it, reaches its goal: the task's own (adding: MSE below 0.01) or clearly past the baseline.
//! Runs are deterministic, so a recipe that stops reaching its goal fails here.

use seqzoo::recipes::run_recipe;

/// Runs the recipe of `task` and fails with its row when the goal is missed.
fn reaches_goal(task: &str) {
    let run = run_recipe(task, 0).unwrap_or_else(|e| panic!("{task}: {e}"));
    assert!(run.reached(), "{}", run.row());
}

macro_rules! recipe_tests {
    ($($name:ident => $task:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                reaches_goal($task);
            }
        )*

        #[test]
        fn every_registered_task_has_a_recipe_test() {
            let tested = [$($task),*];
            for task in datasets::registry::names() {
                assert!(tested.contains(&task), "no recipe test for {task}");
            }
        }
    };
}

recipe_tests! {
    adding => "adding",
    adding_1997 => "adding-1997",
    copy => "copy",
    reversal => "reversal",
    sorting => "sorting",
    addition => "addition",
    addition_reversed => "addition-reversed",
    dates => "dates",
    tagging => "tagging",
    captioning => "captioning",
    anomaly => "anomaly",
    sentiment => "sentiment",
    parity => "parity",
    logistic_growth => "logistic-growth",
    logistic_map => "logistic-map",
    mackey_glass => "mackey-glass",
    sines => "sines",
    corpus => "corpus",
}
