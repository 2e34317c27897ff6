//! The `java` profile's client: TlsClient.java (JSSE), embedded in the binary and compiled
//! once per run into a private temporary directory.
//!
//! Compiling once costs about 2 s, after which each launch starts in about 0.1 s; running
//! it as a single-file source program (`java TlsClient.java`) would recompile it on every
//! launch, about 1.3 s per scenario.

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::RunError;

/// The client's source (tests/java_client.rs compiles the same file).
const SOURCE: &str = include_str!("TlsClient.java");

/// The compiled client; the directory is removed when this is dropped.
#[derive(Debug)]
pub(super) struct JavaClasses {
    dir: tempfile::TempDir,
}

impl JavaClasses {
    /// Write the source into a fresh directory only this user can read (0700) and run
    /// `javac` on it.
    pub(super) fn compile() -> Result<Self, RunError> {
        let failed = |reason: String| RunError::JavaCompile { reason };
        // Private: another user must not swap the class the run then executes.
        let dir = tempfile::Builder::new()
            .prefix("quirktls-java-")
            .permissions(Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| failed(format!("cannot create a temporary directory: {e}")))?;
        let source = dir.path().join("TlsClient.java");
        std::fs::write(&source, SOURCE)
            .map_err(|e| failed(format!("cannot write {}: {e}", source.display())))?;
        let out = Command::new("javac")
            .arg("-d")
            .arg(dir.path())
            .arg(&source)
            .output()
            .map_err(|e| failed(format!("cannot run `javac`: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(failed(format!("javac: {}", stderr.trim())));
        }
        Ok(Self { dir })
    }

    /// The class path holding `TlsClient.class`.
    pub(super) fn dir(&self) -> &Path {
        self.dir.path()
    }
}
