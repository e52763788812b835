//! The data file a run trains on (`text:PATH`, `csv:PATH`), fingerprinted by size and FNV-1a hash
//! in its checkpoints so that resuming or evaluating on a file that changed since is caught.

use std::path::Path;

use autograd::{Error, Result};
use serde::{Deserialize, Serialize};

/// Checkpoint metadata key of the [`SourceFile`] (JSON), when the task reads a file.
pub const SOURCE_KEY: &str = "source";

/// A data file's path, size in bytes and 64-bit FNV-1a hash of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// The path as the task names it.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// The FNV-1a hash of its bytes.
    pub hash: u64,
}

/// The 64-bit FNV-1a hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl SourceFile {
    /// The file at `path`, read and fingerprinted.
    pub fn read(path: &str) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(Path::new(path), e))?;
        Ok(SourceFile {
            path: path.to_string(),
            size: bytes.len() as u64,
            hash: fnv1a(&bytes),
        })
    }

    /// The file task `task` reads (`text:PATH`, `csv:PATH`), fingerprinted; `None` for others.
    pub fn of_task(task: &str) -> Result<Option<Self>> {
        task.strip_prefix("text:")
            .or_else(|| task.strip_prefix("csv:"))
            .map(SourceFile::read)
            .transpose()
    }

    /// Fails, naming the file, when it no longer has this size and hash.
    pub fn check(&self) -> Result<()> {
        let now = SourceFile::read(&self.path)?;
        if now == *self {
            return Ok(());
        }
        Err(Error::Data(format!(
            "{} changed since the checkpoint was written (size {} then, {} now; hash {:016x} \
             then, {:016x} now)",
            self.path, self.size, now.size, self.hash, now.hash
        )))
    }
}
