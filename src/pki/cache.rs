//! The manifest that lets `ensure` reuse what is on disk.
//!
//! Per entity it records a hash of the entity's resolved spec chained with its
//! issuer's hash (so an edit reaches every descendant), the key type (so a key
//! survives a certificate re-issue), the time of issue (so relative validity is
//! refreshed), and a digest of the key and certificate on disk (so files changed
//! behind our back, or left torn by an interrupted run, are re-issued).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::key::KeyKind;
use super::spec::Entity;

/// Bump when generation changes so that material from older code is re-issued.
const FORMAT: u32 = 1;

/// A certificate with relative validity is re-issued once it is this old, so that
/// `-1d`/`+30d` keep meaning roughly what they say.
const MAX_AGE_SECONDS: i64 = 12 * 3600;

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    format: u32,
    entities: BTreeMap<String, Record>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    spec: String,
    pub(crate) key: KeyKind,
    issued_at: i64,
    files: String,
}

impl Manifest {
    /// The manifest at `path`; missing, unreadable or from another format means
    /// empty, which only costs a regeneration.
    pub(crate) fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok())
            .filter(|m| m.format == FORMAT)
            .unwrap_or_default()
    }

    /// An empty manifest of the current format.
    pub(crate) fn new() -> Self {
        Self {
            format: FORMAT,
            ..Self::default()
        }
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("the manifest serializes")
    }

    pub(crate) fn record(&self, name: &str) -> Option<&Record> {
        self.entities.get(name)
    }

    pub(crate) fn insert(&mut self, name: &str, record: Record) {
        self.entities.insert(name.to_owned(), record);
    }
}

impl Record {
    pub(crate) fn new(spec: String, key: KeyKind, issued_at: i64, files: String) -> Self {
        Self {
            spec,
            key,
            issued_at,
            files,
        }
    }

    /// Whether the certificate this record describes is still what `entity` (whose
    /// chained hash is `spec`) asks for at `now`, given the files' digest.
    pub(crate) fn is_current(&self, entity: &Entity, spec: &str, files: &str, now: i64) -> bool {
        let aged = entity.has_relative_validity() && (now - self.issued_at).abs() > MAX_AGE_SECONDS;
        self.spec == spec && self.files == files && !aged
    }
}

/// The entity's spec hash, chained with its issuer's.
pub(crate) fn spec_hash(entity: &Entity, issuer: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(entity).expect("entities serialize"));
    hasher.update(issuer.unwrap_or_default());
    hex(&hasher.finalize())
}

/// Digest of the concatenation of `parts`.
pub(crate) fn digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
