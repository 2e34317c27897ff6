//! `Pki::ensure`: walk the spec issuers-first, reuse what the manifest vouches for,
//! (re)issue the rest, and refresh the CA bundle and truststore.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;

use super::cache::{self, Manifest, Record};
use super::entity::Entity;
use super::export::{self, Access, CERTIFICATE};
use super::issue::issue;
use super::key::Key;
use super::spec::PkiSpec;
use super::{Material, PkiError};

pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const CA_BUNDLE: &str = "ca-bundle.pem";
pub(crate) const TRUSTSTORE: &str = "truststore.p12";

/// Every entity's material plus the trusted roots (spec order), up to date on disk.
pub(crate) fn ensure(
    spec: &PkiSpec,
    out_dir: &Path,
) -> Result<(HashMap<String, Material>, Vec<CertificateDer<'static>>), PkiError> {
    fs::create_dir_all(out_dir).map_err(|source| PkiError::Write {
        path: out_dir.to_owned(),
        source,
    })?;
    let _lock = export::DirLock::acquire(out_dir)?;
    let manifest_path = out_dir.join(MANIFEST);
    let previous = Manifest::load(&manifest_path);
    let mut manifest = Manifest::new();
    let now = OffsetDateTime::now_utc();

    let mut materials: HashMap<String, Material> = HashMap::new();
    let mut hashes: HashMap<&str, String> = HashMap::new();
    let mut reissued: HashSet<&str> = HashSet::new();
    for entity in spec.in_issue_order() {
        let name = entity.name.as_str();
        let issuer_name = entity.issuer.as_deref();
        let issuer = issuer_name.map(|i| &materials[i]);
        let hash = cache::spec_hash(entity, issuer_name.map(|i| hashes[i].as_str()));
        // A re-issued issuer means a new certificate above this one in every chain.
        let reusable = !issuer_name.is_some_and(|i| reissued.contains(i));
        let cached = previous
            .record(name)
            .filter(|_| reusable)
            .and_then(|record| {
                let material = Material::load(out_dir, name, issuer).ok()?;
                let current =
                    record.is_current(entity, &hash, &material.digest(), now.unix_timestamp());
                current.then(|| (record.clone(), material))
            });
        let (record, material) = match cached {
            Some(cached) => cached,
            None => {
                reissued.insert(name);
                let material = reissue(spec, entity, out_dir, issuer, previous.record(name), now)?;
                let record = Record::new(
                    hash.clone(),
                    entity.key,
                    now.unix_timestamp(),
                    material.digest(),
                );
                (record, material)
            }
        };
        manifest.insert(name, record);
        hashes.insert(name, hash);
        materials.insert(name.to_owned(), material);
    }

    let roots: Vec<(&str, CertificateDer<'static>)> = spec
        .entities()
        .iter()
        .filter(|e| e.trusted)
        .map(|e| (e.name.as_str(), materials[&e.name].cert.clone()))
        .collect();
    write_trust(out_dir, &roots)?;
    if manifest != previous {
        export::write_atomic(&manifest_path, &manifest.to_json(), Access::Public)?;
    }
    Ok((materials, roots.into_iter().map(|(_, cert)| cert).collect()))
}

/// Issue a new certificate for `entity`, with a new key only when the key type
/// changed or the old key is unusable: keys are the expensive part.
fn reissue(
    spec: &PkiSpec,
    entity: &Entity,
    out_dir: &Path,
    issuer: Option<&Material>,
    previous: Option<&Record>,
    now: OffsetDateTime,
) -> Result<Material, PkiError> {
    let name = entity.name.as_str();
    let fail = |message: String| PkiError::generate(name, message);
    let kept = previous
        .filter(|record| record.key == entity.key)
        .and_then(|_| Material::read_key(out_dir, name).ok())
        .and_then(|der| Key::from_pkcs8(entity.key, der).ok());
    let new_key = kept.is_none();
    let key = match kept {
        Some(key) => key,
        None => Key::generate(entity.key).map_err(fail)?,
    };
    let signer = match (&entity.issuer, issuer) {
        (Some(issuer_name), Some(issuer)) => {
            let issuer_entity = spec.entity(issuer_name).expect("issuers are validated");
            let der = issuer.key.secret_pkcs8_der().to_vec();
            Some((
                issuer_entity,
                Key::from_pkcs8(issuer_entity.key, der).map_err(fail)?,
            ))
        }
        _ => None,
    };
    let cert = issue(entity, &key, signer.as_ref().map(|(e, k)| (*e, k)), now).map_err(fail)?;
    let material =
        Material::new(out_dir, name, cert, key.pkcs8().to_vec(), issuer).map_err(fail)?;
    material.write(new_key)?;
    tracing::debug!(entity = name, new_key, "issued certificate");
    Ok(material)
}

/// `ca-bundle.pem` and `truststore.p12` for `roots`, rewritten only when the bundle
/// differs. The truststore goes first: if a run dies in between, the stale bundle
/// makes the next run redo both.
fn write_trust(out_dir: &Path, roots: &[(&str, CertificateDer<'static>)]) -> Result<(), PkiError> {
    let bundle: String = roots
        .iter()
        .map(|(_, cert)| export::pem_encode(CERTIFICATE, cert))
        .collect();
    let (bundle_path, truststore_path) = (out_dir.join(CA_BUNDLE), out_dir.join(TRUSTSTORE));
    let unchanged = fs::read(&bundle_path).is_ok_and(|old| old == bundle.as_bytes());
    if unchanged && truststore_path.is_file() {
        return Ok(());
    }
    let entries: Vec<(&str, &CertificateDer)> = roots.iter().map(|(n, c)| (*n, c)).collect();
    let truststore = export::truststore(&entries).map_err(|m| PkiError::generate(TRUSTSTORE, m))?;
    export::write_atomic(&truststore_path, &truststore, Access::Public)?;
    export::write_atomic(&bundle_path, bundle.as_bytes(), Access::Public)
}
