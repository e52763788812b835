//! Runs every built-in task's default recipe (what `seqzoo train --task X` does with no other
//! flag) and prints the markdown table of the README: the value reached on the task's baseline
//! metric, the baseline, the goal and the seconds. Give task names to run only those, and
//! `--seed S` for another seed.
//!
//! `cargo run --release --example recipes [-- [--seed S] [TASK…]]`

use seqzoo::recipes::{run_recipe, TABLE_HEADER};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    autograd::kernels::keep_freed_memory();
    let mut args = std::env::args().skip(1).peekable();
    let mut seed = 0;
    let mut tasks = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--seed" {
            seed = args.next().ok_or("--seed needs a value")?.parse()?;
        } else {
            tasks.push(arg);
        }
    }
    if tasks.is_empty() {
        tasks = datasets::registry::names()
            .into_iter()
            .map(String::from)
            .collect();
    }
    println!("{TABLE_HEADER}");
    let mut missed = Vec::new();
    for task in &tasks {
        let run = run_recipe(task, seed)?;
        println!("{}", run.row());
        if !run.reached() {
            missed.push(task.clone());
        }
    }
    if !missed.is_empty() {
        return Err(format!("goal not reached: {}", missed.join(", ")).into());
    }
    Ok(())
}
