//! The one error type of scenario loading.

use std::io;
use std::path::{Path, PathBuf};

use serde_saphyr::Location;

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file's content is wrong: bad YAML, an unknown key, a bad value or a failed check.
    #[error("{}:{line}:{column}: {message} ({hint})", path.display())]
    Invalid {
        /// The file, or the origin given to [`load_str`](super::load_str).
        path: PathBuf,
        /// 1-based line of the offending value.
        line: u64,
        /// 1-based column of the offending value.
        column: u64,
        /// What is wrong, lowercase, without location.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// A file or directory could not be read.
    // The cause is in the message rather than `source()` so one line says it all.
    #[error("{}: cannot read: {error}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O failure.
        error: io::Error,
    },
    /// A bare name is neither an existing path nor a built-in scenario.
    #[error("{name}: no such file and no built-in scenario of that name (built-in: {builtins})")]
    UnknownBuiltin {
        /// The name as given.
        name: String,
        /// Comma-separated names of the built-in scenarios.
        builtins: String,
    },
}

impl ScenarioError {
    /// An [`Invalid`](Self::Invalid) error at `at` in `path`.
    pub(super) fn at(
        path: &Path,
        at: Location,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        // Defaulted values and location-less parse errors carry line 0: blame the file start.
        let (line, column) = match at.line() {
            0 => (1, 1),
            line => (line, at.column()),
        };
        Self::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            hint: hint.into(),
        }
    }
}
