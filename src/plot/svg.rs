//! Lays a [`LineChart`] out as SVG with plotters' SVG backend (text left to the viewer's fonts).

use std::ops::Range;

use autograd::Result;
use plotters::prelude::*;

use super::{draw_error, LineChart, Scale, Style};

/// Width and height of every chart, in pixels.
const SIZE: (u32, u32) = (940, 520);

/// The space right of the plot that holds the legend, in pixels.
const LEGEND_WIDTH: u32 = 210;

/// Line colours in series order (Tableau's ten): distinct, and readable on white.
const COLORS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (23, 190, 207),
    (188, 189, 34),
    (127, 127, 127),
];

/// Colours of dashed reference lines, in their order: greys and a dark blue.
const REFERENCE_COLORS: [(u8, u8, u8); 4] =
    [(60, 60, 60), (150, 150, 150), (0, 0, 120), (200, 120, 0)];

/// A tick's label: integers without decimals, other values with up to 3 significant digits.
fn tick(v: &f64) -> String {
    let v = *v;
    if v == v.round() && v.abs() < 1e7 {
        format!("{v:.0}")
    } else if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e7) {
        format!("{v:.1e}")
    } else {
        let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// The chart drawn on a string. A log axis is drawn as a linear axis of log10 of the values,
/// labelled with the values themselves, so that every decade can carry a tick.
pub(super) fn render(chart: &LineChart) -> Result<String> {
    let chart = &LineChart {
        x_scale: worth_logging(
            chart.x_scale,
            chart.series.iter().flat_map(|s| &s.points).map(|p| p.0),
        ),
        y_scale: worth_logging(
            chart.y_scale,
            chart.series.iter().flat_map(|s| &s.points).map(|p| p.1),
        ),
        ..chart.clone()
    };
    let segments: Vec<Vec<Vec<(f64, f64)>>> = chart
        .series
        .iter()
        .map(|s| segments(&s.points, chart.x_scale, chart.y_scale))
        .collect();
    let all = || segments.iter().flatten().flatten();
    let nothing = || draw_error(&chart.title, "no series has a point to show");
    let x = span(all().map(|p| p.0)).ok_or_else(nothing)?;
    let y = span(all().map(|p| p.1)).ok_or_else(nothing)?;
    let mut text = String::new();
    draw(&mut text, chart, &segments, x, y).map_err(|e| draw_error(&chart.title, e))?;
    Ok(text)
}

/// `scale`, but linear when the positive finite `values` span less than [`LOG_MIN_SPAN`]: a log
/// axis over less than about a decade and a half only gets ticks at odd values.
fn worth_logging(scale: Scale, values: impl Iterator<Item = f64>) -> Scale {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if scale == Scale::Log && lo.is_finite() && hi / lo < LOG_MIN_SPAN {
        Scale::Linear
    } else {
        scale
    }
}

/// The smallest ratio of largest to smallest value a log axis is drawn for.
const LOG_MIN_SPAN: f64 = 30.0;

/// `v` where a `scale` axis puts it: itself, or its log10.
fn position(v: f64, scale: Scale) -> f64 {
    match scale {
        Scale::Linear => v,
        Scale::Log => v.log10(),
    }
}

/// The label of the tick at position `v` of a `scale` axis.
fn label(v: f64, scale: Scale) -> String {
    match scale {
        Scale::Linear => tick(&v),
        Scale::Log if v == v.round() && !(-3.0..=4.0).contains(&v) => format!("1e{v:.0}"),
        Scale::Log => tick(&10f64.powf(v)),
    }
}

/// The runs of consecutive points an axis can show (finite, and positive on a log axis), at
/// their positions.
fn segments(points: &[(f64, f64)], xs: Scale, ys: Scale) -> Vec<Vec<(f64, f64)>> {
    let shows = |v: f64, s: Scale| v.is_finite() && (s == Scale::Linear || v > 0.0);
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(x, y) in points {
        if shows(x, xs) && shows(y, ys) {
            if let Some(run) = out.last_mut() {
                run.push((position(x, xs), position(y, ys)));
            }
        } else if out.last().is_some_and(|run| !run.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|run| !run.is_empty());
    out
}

/// The axis range of the positions `values`, padded 5%; `None` without values.
fn span(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return None;
    }
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        lo.abs().max(1.0) * 0.5
    };
    Some((lo - pad)..(hi + pad))
}

/// Draws the axes, every series and the legend on `text`.
fn draw(
    text: &mut String,
    chart: &LineChart,
    segments: &[Vec<Vec<(f64, f64)>>],
    x: Range<f64>,
    y: Range<f64>,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(text, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut plot = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 20))
        .margin(16)
        .margin_right(LEGEND_WIDTH)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)?;
    plot.configure_mesh()
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .x_label_formatter(&|v| label(*v, chart.x_scale))
        .y_label_formatter(&|v| label(*v, chart.y_scale))
        .draw()?;
    let (mut lines, mut references) = (0, 0);
    let mut legend = Vec::new();
    for (series, runs) in chart.series.iter().zip(segments) {
        let (r, g, b) = if series.style == Style::Dashed {
            references += 1;
            REFERENCE_COLORS[(references - 1) % REFERENCE_COLORS.len()]
        } else {
            lines += 1;
            COLORS[(lines - 1) % COLORS.len()]
        };
        let color = RGBColor(r, g, b).to_rgba();
        let stroke = color.stroke_width(2);
        for run in runs {
            if series.style == Style::Points {
                plot.draw_series(run.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
            }
            match series.style {
                Style::Line | Style::Points => {
                    plot.draw_series(LineSeries::new(run.iter().copied(), stroke))?;
                }
                Style::Dashed => {
                    plot.draw_series(DashedLineSeries::new(run.iter().copied(), 8, 5, stroke))?;
                }
            }
        }
        legend.push((series.name.clone(), stroke, series.style == Style::Dashed));
    }
    let x0 = SIZE.0 as i32 - LEGEND_WIDTH as i32 + 8;
    for (i, (name, stroke, dashed)) in legend.iter().enumerate() {
        let y = 40 + 22 * i as i32;
        let line: Vec<(i32, i32)> = if *dashed {
            vec![(x0, y), (x0 + 9, y)]
        } else {
            vec![(x0, y), (x0 + 26, y)]
        };
        root.draw(&PathElement::new(line, *stroke))?;
        if *dashed {
            root.draw(&PathElement::new(vec![(x0 + 15, y), (x0 + 26, y)], *stroke))?;
        }
        root.draw(&Text::new(
            name.clone(),
            (x0 + 34, y - 6),
            ("sans-serif", 13).into_font(),
        ))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::Series;

    #[test]
    fn ticks_read_as_numbers_without_trailing_zeros() {
        let shown: Vec<String> = [0.0, 200.0, 0.5, 0.01, 0.125, 1234.56, 2e-5, 3e8]
            .iter()
            .map(tick)
            .collect();
        assert_eq!(
            shown,
            ["0", "200", "0.5", "0.01", "0.125", "1235", "2.0e-5", "3.0e8"]
        );
    }

    #[test]
    fn a_non_finite_or_non_positive_log_point_breaks_the_line() {
        let points = [
            (1.0, 1.0),
            (2.0, f64::NAN),
            (3.0, 2.0),
            (4.0, 3.0),
            (5.0, 0.0),
        ];
        assert_eq!(
            segments(&points, Scale::Linear, Scale::Log),
            vec![
                vec![(1.0, 0.0)],
                vec![(3.0, 2f64.log10()), (4.0, 3f64.log10())]
            ]
        );
        assert_eq!(segments(&points, Scale::Linear, Scale::Linear).len(), 2);
    }

    #[test]
    fn log_ticks_show_the_values() {
        let shown: Vec<String> = [-30.0, -2.0, 0.0, 0.5, 3.0, 6.0]
            .iter()
            .map(|&v| label(v, Scale::Log))
            .collect();
        assert_eq!(shown, ["1e-30", "0.01", "1", "3.16", "1000", "1e6"]);
    }

    #[test]
    fn a_log_axis_over_less_than_a_decade_and_a_half_is_drawn_linear() {
        let near = [0.2, 1.4];
        assert_eq!(worth_logging(Scale::Log, near.into_iter()), Scale::Linear);
        assert_eq!(
            worth_logging(Scale::Log, [1e-3, 0.2].into_iter()),
            Scale::Log
        );
        assert_eq!(
            worth_logging(Scale::Linear, [1e-9, 1.0].into_iter()),
            Scale::Linear
        );
    }

    #[test]
    fn a_chart_with_nothing_to_show_is_an_error_naming_it() {
        let chart = LineChart::new("empty", "x", "y")
            .with(Series::line("a", vec![(1.0, f64::NAN)]))
            .log_y();
        let err = chart.to_svg().unwrap_err().to_string();
        assert!(err.contains("'empty'"), "{err}");
    }

    #[test]
    fn log_scale_is_chosen_for_positive_values_spanning_decades() {
        assert_eq!(Scale::fitting([0.001, 0.5, 2.0]), Scale::Log);
        assert_eq!(Scale::fitting([0.1, 0.5, 2.0]), Scale::Linear);
        assert_eq!(Scale::fitting([-1.0, 0.001, 2.0]), Scale::Linear);
        assert_eq!(Scale::fitting([f64::NAN, 0.001, 20.0]), Scale::Log);
    }
}
