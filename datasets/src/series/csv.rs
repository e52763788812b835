//! Loading one numeric column of a CSV file with a header, with explicit handling of missing values.

use std::path::Path;

use autograd::{Error, Result};

/// What to do with an empty or `NA`/`NaN`/`null` cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Fail with an error naming the file and line.
    Error,
    /// Leave the row out, and count and report it in [`CsvColumn`].
    Skip,
}

/// A loaded column.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvColumn {
    /// The column's values in file order.
    pub values: Vec<f64>,
    /// The 1-based file lines of the rows skipped for a missing value.
    pub skipped_lines: Vec<u64>,
}

impl CsvColumn {
    /// A one-line report such as `1000 values, 3 missing skipped (lines 4, 9, 12)`.
    pub fn report(&self) -> String {
        let mut s = format!("{} values", self.values.len());
        if !self.skipped_lines.is_empty() {
            let shown: Vec<String> = self
                .skipped_lines
                .iter()
                .take(5)
                .map(u64::to_string)
                .collect();
            let more = if self.skipped_lines.len() > 5 {
                ", …"
            } else {
                ""
            };
            s += &format!(
                ", {} missing skipped (lines {}{more})",
                self.skipped_lines.len(),
                shown.join(", ")
            );
        }
        s
    }
}

fn is_missing(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "" | "na" | "n/a" | "nan" | "null" | "none"
    )
}

/// Reads the column named `column` of the CSV file at `path` (first line = header).
pub fn load_column(path: impl AsRef<Path>, column: &str, missing: Missing) -> Result<CsvColumn> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_column(file, path, column, missing)
}

/// Reads the column named `column` from CSV text in `reader`; `path` names it in errors.
pub fn read_column(
    reader: impl std::io::Read,
    path: &Path,
    column: &str,
    missing: Missing,
) -> Result<CsvColumn> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let fmt = |what: String| Error::format(path, what);
    let headers = rdr
        .headers()
        .map_err(|e| {
            fmt(format!(
                "line 1: cannot read the header: {}",
                csv_reason(&e)
            ))
        })?
        .clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(fmt(
            "line 1: expected a header line naming the columns, found an empty file".into(),
        ));
    }
    let Some(col) = headers.iter().position(|h| h.trim() == column) else {
        let names: Vec<&str> = headers.iter().collect();
        return Err(fmt(format!(
            "line 1: no column named '{column}'; the columns are: {}",
            names.join(", ")
        )));
    };
    let mut out = CsvColumn {
        values: Vec::new(),
        skipped_lines: Vec::new(),
    };
    for record in rdr.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            fmt(format!("line {line}: {}", csv_reason(&e)))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = record.get(col).unwrap_or("");
        if is_missing(cell) {
            match missing {
                Missing::Error => {
                    return Err(fmt(format!(
                        "line {line}: column '{column}' has a missing value ('{}')",
                        cell.trim()
                    )))
                }
                Missing::Skip => {
                    out.skipped_lines.push(line);
                    continue;
                }
            }
        }
        match cell.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => out.values.push(v),
            _ => {
                return Err(fmt(format!(
                    "line {line}: column '{column}': expected a finite number, found '{}'",
                    cell.trim()
                )))
            }
        }
    }
    Ok(out)
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields as in the header, found {len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!(
            "invalid UTF-8 in field {} at byte {} of the field",
            err.field() + 1,
            err.valid_up_to()
        ),
        csv::ErrorKind::Io(err) => err.to_string(),
        _ => e.to_string(),
    }
}
