//! Every built-in task's default recipe, run in full at seed 0 as `seqzoo train --task X` runs
//! it, reaches its goal: the task's own (adding: MSE below 0.01) or clearly past the baseline.
//! Runs are deterministic, so a recipe that stops reaching its goal fails here. A new task in the
//! registry is tested without touching this file.

use std::sync::Mutex;

use seqzoo::recipes::{run_recipe, RecipeRun, TABLE_HEADER};

/// Trainings run side by side (each also uses the rayon threads for its kernels).
const WORKERS: usize = 2;

#[test]
fn every_recipe_reaches_its_goal() {
    let tasks = datasets::registry::names();
    let next = Mutex::new(0usize);
    let runs: Mutex<Vec<(usize, Result<RecipeRun, String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(task) = tasks.get(i) else { break };
                let run = run_recipe(task, 0).map_err(|e| format!("{task}: {e}"));
                runs.lock().unwrap().push((i, run));
            });
        }
    });
    let mut runs = runs.into_inner().unwrap();
    runs.sort_by_key(|(i, _)| *i);
    let mut table = TABLE_HEADER.to_string();
    let mut missed = Vec::new();
    for (i, run) in &runs {
        match run {
            Ok(run) => {
                table += &format!("\n{}", run.row());
                if !run.reached() {
                    missed.push(tasks[*i].to_string());
                }
            }
            Err(e) => missed.push(e.clone()),
        }
    }
    println!("{table}");
    assert_eq!(runs.len(), tasks.len());
    assert!(missed.is_empty(), "goal missed: {missed:?}\n{table}");
}
