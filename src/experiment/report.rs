//! What an experiment reports: tables, plots, the verdict and every number, rendered as text for
//! the terminal, as a markdown page with its SVG plots, and as JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use autograd::{Error, Result};
use serde_json::{json, Value};

use crate::plot::LineChart;

/// One cell of a table: what it shows, its JSON value, and whether it is the same on every
/// machine (settings, counts, closed-form numbers) or not (training outcomes, times), which
/// snapshot tests leave out.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The cell as the tables print it.
    pub shown: String,
    /// The cell's value in the JSON file.
    pub value: Value,
    /// Whether a snapshot test may pin it.
    pub stable: bool,
}

impl Cell {
    /// Words (a model's name, a setting).
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        Cell {
            value: json!(s),
            shown: s,
            stable: true,
        }
    }

    /// A count or setting.
    pub fn int(i: i64) -> Cell {
        Cell {
            shown: i.to_string(),
            value: json!(i),
            stable: true,
        }
    }

    /// A number computed the same way on every machine (a baseline, a formula), with `decimals`.
    pub fn num(v: f64, decimals: usize) -> Cell {
        Cell {
            shown: number(v, decimals),
            value: finite(v),
            stable: true,
        }
    }

    /// A training outcome with `decimals` (floating-point rounding differs between machines, and
    /// training amplifies it).
    pub fn measured(v: f64, decimals: usize) -> Cell {
        Cell {
            stable: false,
            ..Cell::num(v, decimals)
        }
    }

    /// A training outcome in scientific notation with `decimals` (for values spanning decades).
    pub fn measured_sci(v: f64, decimals: usize) -> Cell {
        Cell {
            shown: if v.is_finite() {
                format!("{v:.decimals$e}")
            } else {
                "–".into()
            },
            value: finite(v),
            stable: false,
        }
    }

    /// A measured count of steps, or `> budget` when the goal was not reached within it.
    pub fn steps(reached: Option<usize>, budget: usize) -> Cell {
        match reached {
            Some(s) => Cell {
                stable: false,
                ..Cell::int(s as i64)
            },
            None => Cell {
                shown: format!("> {budget}"),
                value: Value::Null,
                stable: false,
            },
        }
    }

    /// A measured word (a sample, an outcome).
    pub fn measured_text(s: impl Into<String>) -> Cell {
        Cell {
            stable: false,
            ..Cell::text(s)
        }
    }

    /// A time or speed with `decimals`.
    pub fn time(v: f64, decimals: usize) -> Cell {
        Cell::measured(v, decimals)
    }

    /// The cell as the tables print it.
    pub fn show(&self) -> String {
        self.shown.clone()
    }

    /// The cell as a snapshot test pins it: `~` unless stable.
    fn pinned(&self) -> String {
        if self.stable {
            self.shown.clone()
        } else {
            "~".into()
        }
    }

    /// The cell's JSON value.
    fn json(&self) -> Value {
        self.value.clone()
    }
}

/// `v` with `decimals` decimals, or `–` when it is not a number.
fn number(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "–".into()
    }
}

/// `v` as JSON, `null` when not finite.
pub fn finite(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// A table of measurements with a caption.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// What the table shows.
    pub caption: String,
    /// Column headings.
    pub header: Vec<String>,
    /// The rows, each as wide as the header.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with `caption` and the column headings `header`.
    pub fn new(caption: impl Into<String>, header: &[&str]) -> Self {
        Table {
            caption: caption.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as wide as the header).
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(
            row.len(),
            self.header.len(),
            "a row of table '{}'",
            self.caption
        );
        self.rows.push(row);
    }

    /// The table as markdown, its cells shown by `show`.
    fn markdown_by(&self, show: impl Fn(&Cell) -> String) -> String {
        let mut s = format!("{}\n\n| {} |\n|", self.caption, self.header.join(" | "));
        for _ in &self.header {
            s.push_str("---|");
        }
        s.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(&show).collect();
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        s
    }

    /// The table as markdown.
    pub fn markdown(&self) -> String {
        self.markdown_by(Cell::show)
    }

    /// The table's JSON: caption, header and rows of values.
    fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| Value::Array(r.iter().map(Cell::json).collect()))
            .collect();
        json!({"caption": self.caption, "header": self.header, "rows": rows})
    }
}

/// Whether the claim held in the run, and the numbers that decided it.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The claim held.
    pub holds: bool,
    /// Why, in one sentence built from the measured numbers.
    pub because: String,
}

impl Verdict {
    /// The verdict's line: `holds: …` or `does not hold: …`.
    pub fn line(&self) -> String {
        let word = if self.holds { "holds" } else { "does not hold" };
        format!("{word}: {}", self.because)
    }
}

/// A plot of the report, written as `NAME-<slug>.svg`.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The file name's part after the experiment's name.
    pub slug: String,
    /// The chart.
    pub chart: LineChart,
}

/// Everything one run of an experiment found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The experiment's name.
    pub name: String,
    /// The claim, in a paragraph.
    pub claim: String,
    /// How it was tested, in a paragraph (models, data, budgets).
    pub setup: String,
    /// Whether this was a `--quick` run.
    pub quick: bool,
    /// The seed of the run.
    pub seed: u64,
    /// The measurements.
    pub tables: Vec<Table>,
    /// The plots.
    pub plots: Vec<Plot>,
    /// The verdict.
    pub verdict: Verdict,
    /// Numbers besides the tables' (curves, settings), for the JSON file.
    pub data: Value,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
}

impl Report {
    /// What the terminal shows: the claim, the tables and the verdict.
    pub fn text(&self) -> String {
        let mut s = format!("{}{}\n\n{}\n\n", self.name, self.mode(), self.claim);
        for table in &self.tables {
            s += &table.markdown();
            s.push('\n');
        }
        s += &format!("verdict: {}\n", self.verdict.line());
        s
    }

    /// ` (quick run)` for a quick run, else nothing.
    fn mode(&self) -> &'static str {
        if self.quick {
            " (quick run)"
        } else {
            ""
        }
    }

    /// What a snapshot test pins: the tables with only their stable cells, and the verdict's word.
    pub fn snapshot(&self) -> String {
        let mut s = String::new();
        for table in &self.tables {
            s += &table.markdown_by(Cell::pinned);
            s.push('\n');
        }
        let word = if self.verdict.holds {
            "holds"
        } else {
            "does not hold"
        };
        s += &format!("verdict: {word}\n");
        s
    }

    /// The SVG file name of `plot`.
    pub fn plot_file(&self, plot: &Plot) -> String {
        format!("{}-{}.svg", self.name, plot.slug)
    }

    /// The markdown page: claim, setup, tables, verdict and the plots embedded.
    pub fn markdown(&self) -> String {
        let mut s = format!("# `{}`{}\n\n", self.name, self.mode());
        s += &format!("**Claim.** {}\n\n**Setup.** {}\n\n", self.claim, self.setup);
        for table in &self.tables {
            s += &table.markdown();
            s.push('\n');
        }
        s += &format!("**Verdict: {}**\n\n", self.verdict.line());
        for plot in &self.plots {
            s += &format!("![{}]({})\n\n", plot.chart.title, self.plot_file(plot));
        }
        s += &format!(
            "Regenerate with `seqzoo experiment {}{} --seed {}` ({:.0} s on the machine that \
             wrote this page).\n",
            self.name,
            if self.quick { " --quick" } else { "" },
            self.seed,
            self.seconds
        );
        s
    }

    /// Every number of the run as JSON: settings, tables, verdict, plotted series, `data`.
    pub fn json(&self) -> Value {
        let plots: Vec<Value> = self
            .plots
            .iter()
            .map(|p| {
                let series: Vec<Value> = p
                    .chart
                    .series
                    .iter()
                    .map(|s| {
                        let points: Vec<Value> = s
                            .points
                            .iter()
                            .map(|&(x, y)| json!([finite(x), finite(y)]))
                            .collect();
                        json!({"name": s.name, "points": points})
                    })
                    .collect();
                json!({"file": self.plot_file(p), "title": p.chart.title, "x": p.chart.x_label,
                       "y": p.chart.y_label, "series": series})
            })
            .collect();
        json!({
            "experiment": self.name, "quick": self.quick, "seed": self.seed,
            "seconds": finite(self.seconds), "holds": self.verdict.holds,
            "verdict": self.verdict.because,
            "tables": self.tables.iter().map(Table::json).collect::<Vec<_>>(),
            "plots": plots, "data": self.data,
        })
    }

    /// Writes `NAME.md`, `NAME.json` and each plot's SVG into `dir` (created if missing),
    /// atomically file by file; returns the paths written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut written = Vec::new();
        let mut put = |name: String, text: String| -> Result<()> {
            let path = dir.join(name);
            autograd::fs::atomic_write(&path, |w| std::io::Write::write_all(w, text.as_bytes()))?;
            written.push(path);
            Ok(())
        };
        for plot in &self.plots {
            put(self.plot_file(plot), plot.chart.to_svg()?)?;
        }
        put(format!("{}.md", self.name), self.markdown())?;
        let json = serde_json::to_string_pretty(&self.json())
            .map_err(|e| Error::Data(format!("cannot serialize the report: {e}")))?;
        put(format!("{}.json", self.name), json + "\n")?;
        Ok(written)
    }
}
