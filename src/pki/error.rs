//! The PKI's typed error.

use std::io;
use std::path::PathBuf;

use serde_saphyr::{Location, MessageFormatter};

/// Everything that can go wrong loading a PKI spec or generating its material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// unknown entity
    #[error(
        "unknown pki entity `{0}`; the names are the keys under `entities:` in certs/pki.yaml"
    )]
    UnknownEntity(String),
    /// The spec file is invalid at `file:line:column`.
    #[error("{file}:{line}:{column}: {message}")]
    Spec {
        /// the spec file as given to [`PkiSpec::load`](super::PkiSpec::load) or `from_str`
        file: String,
        /// 1-based line
        line: u64,
        /// 1-based column
        column: u64,
        /// what is wrong, with a hint
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// the file
        path: PathBuf,
        /// the cause
        source: io::Error,
    },
    /// Generated material could not be written.
    #[error("cannot write {}: {source}; check that the output directory is writable", path.display())]
    Write {
        /// the file or directory
        path: PathBuf,
        /// the cause
        source: io::Error,
    },
    /// A key, certificate or keystore could not be made.
    #[error("cannot generate `{entity}`: {message}")]
    Generate {
        /// the entity (or output file) being generated
        entity: String,
        /// what failed
        message: String,
    },
}

impl PkiError {
    /// A spec problem at `location` in `file`.
    pub(crate) fn spec(file: &str, location: Location, message: impl Into<String>) -> Self {
        Self::Spec {
            file: file.to_owned(),
            line: location.line(),
            column: location.column(),
            message: message.into(),
        }
    }

    /// A YAML or schema error from serde-saphyr, re-anchored to `file`.
    pub(crate) fn yaml(file: &str, error: &serde_saphyr::Error) -> Self {
        // The default rendering appends "at line L, column C" and a snippet; we
        // put the location up front instead, as `file:line:column`.
        let error = error.without_snippet();
        let message = serde_saphyr::DefaultMessageFormatter
            .format_message(error)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>();
        // Errors without a position (e.g. an empty document) point at the start.
        let location = error.location().filter(|l| l.line() > 0);
        Self::Spec {
            file: file.to_owned(),
            line: location.map_or(1, |l| l.line()),
            column: location.map_or(1, |l| l.column()),
            message,
        }
    }

    pub(crate) fn generate(entity: &str, message: impl Into<String>) -> Self {
        Self::Generate {
            entity: entity.to_owned(),
            message: message.into(),
        }
    }
}
