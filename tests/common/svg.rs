//! Checks of the SVG files seqzoo writes.

use seqzoo::plot::LineChart;

/// Asserts `svg` parses as XML, is an `<svg>` document, and shows the chart's title, axis
/// labels and the legend name of every series.
pub fn check(svg: &str, chart: &LineChart) {
    let texts = texts(svg);
    let doc = roxmltree::Document::parse(svg).unwrap();
    let shown = |s: &str| texts.iter().any(|t| t == s);
    for wanted in [&chart.title, &chart.x_label, &chart.y_label] {
        assert!(
            shown(wanted),
            "'{wanted}' not among the SVG's texts {texts:?}"
        );
    }
    for series in &chart.series {
        assert!(
            shown(&series.name),
            "series '{}' not in the legend {texts:?}",
            series.name
        );
    }
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") || n.has_tag_name("path"))
        .count();
    assert!(
        lines >= chart.series.len(),
        "{lines} lines for {} series",
        chart.series.len()
    );
}

/// The texts of an SVG document, asserting it parses as XML with an `<svg>` root.
pub fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}
