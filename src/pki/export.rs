//! Files on disk: PEM encode/decode, atomic writes (0600 for keys), PKCS#12
//! keystores and truststores, and the lock that serialises generators.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use der::pem::LineEnding;
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
    PrivateKeyChain,
};
use rustls::pki_types::CertificateDer;
use sha1::Digest;

use super::{PkiError, P12_PASSWORD};

pub(crate) const CERTIFICATE: &str = "CERTIFICATE";
pub(crate) const PRIVATE_KEY: &str = "PRIVATE KEY";

pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, LineEnding::LF, der)
        .expect("PEM encoding into a String cannot fail for valid labels")
}

/// The DER inside a single PEM document labelled `label`.
pub(crate) fn pem_decode(label: &str, pem: &[u8]) -> Result<Vec<u8>, String> {
    let (found, der) = der::pem::decode_vec(pem).map_err(|e| format!("bad PEM: {e}"))?;
    if found != label {
        return Err(format!("expected PEM `{label}`, found `{found}`"));
    }
    Ok(der)
}

/// Who may read a written file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Public,
    /// Owner only (0600), set when the file is created so it is never readable by others.
    Private,
}

/// Write `bytes` to `path` via a temporary file in the same directory and a rename,
/// so a reader (or a failed run) never sees a half-written file. There is no fsync:
/// the material is regenerable, and the manifest check catches torn sets.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], access: Access) -> Result<(), PkiError> {
    let write_error = |source| PkiError::Write {
        path: path.to_owned(),
        source,
    };
    let name = path.file_name().expect("output paths name a file");
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    // A leftover from a killed run could have a looser mode, which `mode()` below
    // would not fix because it only applies on creation.
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(write_error(e)),
        _ => {}
    }
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        if access == Access::Private {
            options.mode(0o600);
        }
        options.open(&tmp)?.write_all(bytes)?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(write_error)
}

/// A PKCS#12 keystore holding `key` under `alias` with `chain` (entity first, root last).
pub(crate) fn keystore(
    alias: &str,
    key: &[u8],
    chain: &[CertificateDer<'_>],
) -> Result<Vec<u8>, String> {
    let p12_error = |e: p12_keystore::error::Error| format!("pkcs12: {e}");
    let certs = chain
        .iter()
        .map(|c| Certificate::from_der(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(p12_error)?;
    // The localKeyId links the key to its certificate; OpenSSL uses the
    // certificate's SHA-1 fingerprint, and so do we.
    let local_key_id = sha1::Sha1::digest(&chain[0]).to_vec();
    let key = PrivateKey::from_der(key).map_err(p12_error)?;
    let mut store = KeyStore::new();
    store.add_entry(
        alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certs)),
    );
    write_p12(&store).map_err(p12_error)
}

/// A PKCS#12 truststore: each root a certificate entry that p12-keystore marks with
/// Oracle's trusted-key-usage attribute, which Java lists as `trustedCertEntry`.
pub(crate) fn truststore(roots: &[(&str, &CertificateDer<'_>)]) -> Result<Vec<u8>, String> {
    let p12_error = |e: p12_keystore::error::Error| format!("pkcs12: {e}");
    let mut store = KeyStore::new();
    for (alias, cert) in roots {
        let cert = Certificate::from_der(cert).map_err(p12_error)?;
        store.add_entry(alias, KeyStoreEntry::Certificate(cert));
    }
    write_p12(&store).map_err(p12_error)
}

fn write_p12(store: &KeyStore) -> p12_keystore::Result<Vec<u8>> {
    store
        .writer(P12_PASSWORD)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .write()
}

/// An exclusive lock on an output directory, held while `ensure` runs so that
/// concurrent generators (test threads, nextest processes, a running server) never
/// pair one run's key with another run's certificate. Released on drop.
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<Self, PkiError> {
        let path = dir.join(".lock");
        let lock_error = |source| PkiError::Write {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(lock_error)?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| lock_error(e.into()))?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn pem_round_trips_and_checks_the_label() {
        let der = [0x30, 0x03, 0x02, 0x01, 0x05];
        let pem = pem_encode(CERTIFICATE, &der);
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(pem_decode(CERTIFICATE, pem.as_bytes()).unwrap(), der);
        let e = pem_decode(PRIVATE_KEY, pem.as_bytes()).unwrap_err();
        assert_eq!(e, "expected PEM `PRIVATE KEY`, found `CERTIFICATE`");
    }

    #[test]
    fn atomic_write_creates_private_files_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write_atomic(&path, b"one", Access::Private).unwrap();
        write_atomic(&path, b"two", Access::Private).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["key.pem"]);
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails after the temp file exists.
        let path = dir.path().join("occupied");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), b"x").unwrap();
        let e = write_atomic(&path, b"data", Access::Public).unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["occupied"]);
    }
}
