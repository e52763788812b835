//! Running an experiment's quick version in a test and checking the files it writes.

use seqzoo::experiment::{self, Options, Report};

/// Runs `name` quickly with seed 0, writes it to a temp dir and checks every file it wrote.
pub fn quick(name: &str) -> Report {
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
        super::svg::check(&svg, &plot.chart);
    }
    report
}
