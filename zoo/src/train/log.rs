//! The JSON-lines metrics log: one flat JSON object per validation, appended and flushed.

use super::{Observer, ValRecord};
use autograd::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// An [`Observer`] appending [`ValRecord::to_json_line`] to a file at every validation.
#[derive(Debug)]
pub struct MetricsLog {
    path: PathBuf,
    file: File,
}

impl MetricsLog {
    /// Opens `path` for appending (creating it), so a resumed run continues the same log.
    pub fn append(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(MetricsLog { path, file })
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a line and flushes it.
    pub fn write(&mut self, record: &ValRecord) -> Result<()> {
        let mut line = record.to_json_line();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| Error::io(&self.path, e))
    }
}

impl Observer for MetricsLog {
    fn validation(&mut self, record: &ValRecord) -> Result<()> {
        self.write(record)
    }
}
