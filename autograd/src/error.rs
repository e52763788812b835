//! The error type for everything a caller's data or environment can cause.

use std::path::PathBuf;

/// Everything that can go wrong because of a caller's files, data or configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system I/O failure on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file that was being read or written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file whose contents are not in the expected format.
    #[error("{path}: {what}")]
    Format {
        /// The file that was being parsed.
        path: PathBuf,
        /// What was expected and what was found.
        what: String,
    },
    /// A parameter file that does not match the model it is loaded into.
    #[error("{path}: cannot load parameters: {}", .problems.join("; "))]
    Load {
        /// The parameter file.
        path: PathBuf,
        /// Every missing, unexpected or mis-shaped key, one entry each.
        problems: Vec<String>,
    },
    /// A configuration value (a model setting, an option) that is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Tensor data that does not fit the shape or dtype it was declared with.
    #[error("invalid data: {0}")]
    Data(String),
}

/// `Result` with seqzoo's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A format error in `path`.
    pub fn format(path: impl Into<PathBuf>, what: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            what: what.into(),
        }
    }
}
