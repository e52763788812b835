//! Line charts written as SVG with plotters: what `seqzoo plot`, `train --plot` and the
//! experiments draw. A chart is plain data ([`LineChart`]); [`LineChart::to_svg`] lays it out.

mod curves;
mod svg;

pub use curves::{training_curves, LogCurves};

use std::path::Path;

use autograd::{Error, Result};

/// How an axis maps values to positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Equal steps for equal differences.
    Linear,
    /// Equal steps for equal ratios (for quantities that span decades; values ≤ 0 are dropped).
    Log,
}

impl Scale {
    /// Log when every finite value is positive and they span more than two decades, else linear.
    pub fn fitting(values: impl IntoIterator<Item = f64>) -> Scale {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            if v <= 0.0 {
                return Scale::Linear;
            }
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo.is_finite() && hi / lo > 100.0 {
            Scale::Log
        } else {
            Scale::Linear
        }
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A solid line.
    Line,
    /// A solid line with a marker at every point (for a few measured points).
    Points,
    /// A dashed line (for references: baselines, theory).
    Dashed,
}

/// One named line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend's name of the series.
    pub name: String,
    /// The (x, y) points in order; a non-finite point breaks the line.
    pub points: Vec<(f64, f64)>,
    /// How it is drawn.
    pub style: Style,
}

impl Series {
    /// A solid line named `name` through `points`.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            style: Style::Line,
        }
    }

    /// A line with markers named `name` through `points`.
    pub fn points(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            style: Style::Points,
            ..Series::line(name, points)
        }
    }

    /// A dashed line named `name` through `points`.
    pub fn dashed(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            style: Style::Dashed,
            ..Series::line(name, points)
        }
    }

    /// A dashed horizontal reference line at `y` from `x0` to `x1`.
    pub fn level(name: impl Into<String>, y: f64, x0: f64, x1: f64) -> Self {
        Series::dashed(name, vec![(x0, y), (x1, y)])
    }
}

/// A chart of lines over two labelled axes.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// The title above the plot.
    pub title: String,
    /// The x axis's label, with its unit.
    pub x_label: String,
    /// The y axis's label, with its unit.
    pub y_label: String,
    /// The x axis's scale.
    pub x_scale: Scale,
    /// The y axis's scale.
    pub y_scale: Scale,
    /// The lines, in legend order.
    pub series: Vec<Series>,
}

impl LineChart {
    /// An empty chart with linear axes.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: Vec::new(),
        }
    }

    /// The chart with `series` added.
    pub fn with(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// The chart with a log-scaled y axis.
    pub fn log_y(mut self) -> Self {
        self.y_scale = Scale::Log;
        self
    }

    /// The chart with a log-scaled x axis.
    pub fn log_x(mut self) -> Self {
        self.x_scale = Scale::Log;
        self
    }

    /// The chart with its y axis log-scaled if its values span decades ([`Scale::fitting`]).
    pub fn fit_y(mut self) -> Self {
        self.y_scale = Scale::fitting(self.ys());
        self
    }

    /// Every y value of every series.
    fn ys(&self) -> impl Iterator<Item = f64> + '_ {
        self.series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
    }

    /// The chart as an SVG document; an error if no series has a point the axes can show.
    pub fn to_svg(&self) -> Result<String> {
        svg::render(self)
    }

    /// Writes the chart's SVG to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = self.to_svg()?;
        autograd::fs::atomic_write(path, |w| std::io::Write::write_all(w, text.as_bytes()))
    }
}

/// An error about drawing a chart.
fn draw_error(title: &str, what: impl std::fmt::Display) -> Error {
    Error::Data(format!("cannot draw the chart '{title}': {what}"))
}
