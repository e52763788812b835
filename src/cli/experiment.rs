//! `seqzoo experiment`: list the lecture's claims, or run one (or all) and write its page.

use std::path::{Path, PathBuf};

use clap::Args;
use seqzoo::experiment::{self, Experiment, Options, Report};
use serde_json::{json, Value};

use super::Failure;

/// Arguments of `seqzoo experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// `list`, an experiment's name, or `all`.
    pub name: String,
    /// The small version: about a minute on 2 cores.
    #[arg(long)]
    pub quick: bool,
    /// Where to write NAME.md, NAME.json and NAME-*.svg.
    #[arg(long, default_value = "experiments")]
    pub out: PathBuf,
    /// The seed of every dataset and model of the run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print every number as JSON on the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

/// Lists, or runs and writes.
pub fn run(args: &ExperimentArgs) -> Result<String, Failure> {
    if args.name == "list" {
        return Ok(list());
    }
    let chosen: Vec<&'static dyn Experiment> = if args.name == "all" {
        experiment::all()
    } else {
        vec![experiment::find(&args.name).map_err(Failure::from_error)?]
    };
    // Before any training, so an unwritable directory fails at once.
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::runtime(autograd::Error::io(&args.out, e)))?;
    for e in &chosen {
        autograd::fs::prepare_write(&args.out.join(format!("{}.md", e.name())))
            .map_err(Failure::runtime)?;
    }
    let options = Options {
        quick: args.quick,
        seed: args.seed,
        progress: true,
    };
    let mut out = String::new();
    let mut reports = Vec::new();
    for e in chosen {
        eprintln!("experiment {}: {}", e.name(), e.claim());
        let report = experiment::run(e, &options).map_err(Failure::runtime)?;
        let written = report.write(&args.out).map_err(Failure::runtime)?;
        out += &report.text();
        out += &format!("wrote {}\n\n", names(&written));
        reports.push(report);
    }
    if args.name == "all" {
        let index = args.out.join("README.md");
        autograd::fs::atomic_write(&index, |w| {
            std::io::Write::write_all(w, index_page(&reports).as_bytes())
        })
        .map_err(Failure::runtime)?;
        out += &format!("wrote {}\n", index.display());
    }
    if args.json {
        let value = match reports.as_slice() {
            [one] if args.name != "all" => one.json(),
            all => json!({"experiments": all.iter().map(Report::json).collect::<Vec<Value>>()}),
        };
        out += &value.to_string();
        out.push('\n');
    }
    Ok(out)
}

/// Every experiment's name and claim.
fn list() -> String {
    let all = experiment::all();
    let width = all.iter().map(|e| e.name().len()).max().unwrap_or(0);
    all.iter()
        .map(|e| format!("{:<width$}  {}\n", e.name(), e.claim()))
        .collect()
}

/// The written files, by path, separated by commas.
fn names(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| Path::display(p).to_string()).collect();
    shown.join(", ")
}

/// The index of a run of every experiment: each claim, its verdict, a link to its page.
fn index_page(reports: &[Report]) -> String {
    let mut s = String::from(
        "# The lecture's claims, measured\n\nEach page states a claim, how it was tested, the \
         measured table, a verdict computed from the numbers and the plots. Regenerate with \
         `seqzoo experiment all --out docs/experiments`.\n\n| experiment | claim | verdict |\n|---|---|---|\n",
    );
    for r in reports {
        s += &format!(
            "| [`{}`]({}.md) | {} | {} |\n",
            r.name,
            r.name,
            experiment::find(&r.name).map_or("", |e| e.claim()),
            r.verdict.line()
        );
    }
    s
}
