//! Each experiment's quick run: its table's stable cells and verdict pinned, its page, JSON and
//! SVG plots written and well-formed.

mod common;

use seqzoo::experiment::{self, Options, Report};

/// Runs `name` quickly with seed 0, writes it to a temp dir and checks every file it wrote.
fn quick(name: &str) -> Report {
    let e = experiment::find(name).unwrap();
    let report = experiment::run(e, &Options::quick(0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let written = report.write(dir.path()).unwrap();
    assert_eq!(
        written.len(),
        report.plots.len() + 2,
        "{name}: md, json and one SVG per plot"
    );
    let page = std::fs::read_to_string(dir.path().join(format!("{name}.md"))).unwrap();
    assert!(
        page.contains(&report.verdict.line()),
        "{name}: the page states the verdict"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(json["holds"], report.verdict.holds);
    assert_eq!(
        json["tables"].as_array().unwrap().len(),
        report.tables.len()
    );
    for plot in &report.plots {
        let file = report.plot_file(plot);
        assert!(
            page.contains(&format!("]({file})")),
            "{name}: the page embeds {file}"
        );
        let svg = std::fs::read_to_string(dir.path().join(&file)).unwrap();
        common::svg::check(&svg, &plot.chart);
    }
    report
}

#[test]
fn list_names_every_experiment_once() {
    let names: Vec<&str> = experiment::all().iter().map(|e| e.name()).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    let listed = common::cli::stdout(&["experiment", "list"]);
    for name in names {
        assert!(
            listed.lines().any(|l| l.starts_with(name)),
            "{name} in:\n{listed}"
        );
    }
}

#[test]
fn an_unknown_experiment_is_a_usage_error_naming_the_known_ones() {
    let out = common::cli::seqzoo(&["experiment", "no-such-claim", "--quick"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-claim") && err.contains("adding"),
        "{err}"
    );
}

#[test]
fn adding() {
    let report = quick("adding");
    insta::assert_snapshot!(report.snapshot());
}
