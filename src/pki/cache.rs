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

use super::entity::Entity;
use super::key::KeyKind;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::PkiSpec;

    #[test]
    fn records_age_out_only_with_relative_validity() {
        let spec = PkiSpec::from_str(
            "entities:
  relative: {}
  absolute:
    validity: { not_before: 2020-01-01T00:00:00Z, not_after: 2040-01-01T00:00:00Z }
",
            "t.yaml",
        )
        .unwrap();
        for (name, ages) in [("relative", true), ("absolute", false)] {
            let entity = spec.entity(name).unwrap();
            let hash = spec_hash(entity, None);
            let record = Record::new(hash.clone(), entity.key, 0, "files".into());
            assert!(record.is_current(entity, &hash, "files", MAX_AGE_SECONDS));
            let later = record.is_current(entity, &hash, "files", MAX_AGE_SECONDS + 1);
            assert_eq!(later, !ages, "{name}");
            assert!(!record.is_current(entity, &spec_hash(entity, Some(&hash)), "files", 0));
            assert!(!record.is_current(entity, &hash, "other files", 0));
        }
    }

    #[test]
    fn manifest_round_trips_and_garbage_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let mut manifest = Manifest::new();
        manifest.insert(
            "a",
            Record::new("h".into(), KeyKind::Rsa1024, 7, "d".into()),
        );
        std::fs::write(&path, manifest.to_json()).unwrap();
        assert_eq!(Manifest::load(&path), manifest);
        std::fs::write(&path, b"{ not json").unwrap();
        assert_eq!(Manifest::load(&path), Manifest::default());
        assert_ne!(Manifest::load(&path), Manifest::new());
    }
}
