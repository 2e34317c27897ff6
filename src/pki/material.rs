//! One entity's material: built from its certificate and its issuer's material,
//! read from and written to `out_dir/NAME/`.

use std::fs;
use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};

use super::export::{self, Access, CERTIFICATE, PRIVATE_KEY};
use super::PkiError;

/// Generated material for one entity.
#[derive(Debug)]
pub struct Material {
    /// entity name
    pub name: String,
    /// certificate
    pub cert: CertificateDer<'static>,
    /// PKCS#8 private key
    pub key: PrivatePkcs8KeyDer<'static>,
    /// issuers from the direct issuer up to, not including, the self-signed root
    pub intermediates: Vec<CertificateDer<'static>>,
    /// the self-signed root at the top of the chain (the entity itself when it is a root)
    pub root: CertificateDer<'static>,
    /// DER of the subject Name (for CertificateRequest CA hints)
    pub subject_der: Vec<u8>,
    /// subject as a readable string (RFC 4514)
    pub subject: String,
    /// key.pem (0600)
    pub key_pem: PathBuf,
    /// cert.pem
    pub cert_pem: PathBuf,
    /// chain.pem: cert then intermediates
    pub chain_pem: PathBuf,
    /// PKCS#12 keystore `NAME.p12`: key and chain up to and including the root,
    /// alias NAME, password [`P12_PASSWORD`](super::P12_PASSWORD). Written for every
    /// entity, CAs included, so the path always exists.
    pub p12: PathBuf,
}

impl Material {
    /// The certificate followed by its intermediates: what a server sends.
    pub fn chain_der(&self) -> Vec<CertificateDer<'static>> {
        std::iter::once(&self.cert)
            .chain(&self.intermediates)
            .cloned()
            .collect()
    }

    /// Assemble the material of `name` from its certificate, key and issuer.
    pub(crate) fn new(
        out_dir: &Path,
        name: &str,
        cert: CertificateDer<'static>,
        key: Vec<u8>,
        issuer: Option<&Material>,
    ) -> Result<Self, String> {
        let parsed = x509_cert::Certificate::from_der(&cert)
            .map_err(|e| format!("unreadable certificate: {e}"))?;
        let subject = &parsed.tbs_certificate.subject;
        let subject_der = subject.to_der().map_err(|e| e.to_string())?;
        let (intermediates, root) = match issuer {
            None => (Vec::new(), cert.clone()),
            Some(issuer) if issuer.is_root() => (Vec::new(), issuer.cert.clone()),
            Some(issuer) => (issuer.chain_der(), issuer.root.clone()),
        };
        let dir = out_dir.join(name);
        Ok(Self {
            name: name.to_owned(),
            subject: subject.to_string(),
            subject_der,
            key: key.into(),
            intermediates,
            root,
            key_pem: dir.join("key.pem"),
            cert_pem: dir.join("cert.pem"),
            chain_pem: dir.join("chain.pem"),
            p12: dir.join(format!("{name}.p12")),
            cert,
        })
    }

    /// Read what a previous run wrote for `name`; any missing or unreadable file is
    /// an error, which the caller answers by regenerating.
    pub(crate) fn load(
        out_dir: &Path,
        name: &str,
        issuer: Option<&Material>,
    ) -> Result<Self, String> {
        let dir = out_dir.join(name);
        let key = read_pem(&dir.join("key.pem"), PRIVATE_KEY)?;
        let cert = read_pem(&dir.join("cert.pem"), CERTIFICATE)?;
        let material = Self::new(out_dir, name, cert.into(), key, issuer)?;
        for path in [&material.chain_pem, &material.p12] {
            if !path.is_file() {
                return Err(format!("{} is missing", path.display()));
            }
        }
        Ok(material)
    }

    /// The PKCS#8 DER in `key.pem`.
    pub(crate) fn read_key(out_dir: &Path, name: &str) -> Result<Vec<u8>, String> {
        read_pem(&out_dir.join(name).join("key.pem"), PRIVATE_KEY)
    }

    /// Write every file; `key.pem` only when `with_key`, since a kept key is already there.
    pub(crate) fn write(&self, with_key: bool) -> Result<(), PkiError> {
        let dir = self
            .key_pem
            .parent()
            .expect("material files live in a directory");
        fs::create_dir_all(dir).map_err(|source| PkiError::Write {
            path: dir.to_owned(),
            source,
        })?;
        if with_key {
            let pem = export::pem_encode(PRIVATE_KEY, self.key.secret_pkcs8_der());
            export::write_atomic(&self.key_pem, pem.as_bytes(), Access::Private)?;
        }
        let cert = export::pem_encode(CERTIFICATE, &self.cert);
        export::write_atomic(&self.cert_pem, cert.as_bytes(), Access::Public)?;

        let chain = self.chain_der();
        let chain_pem: String = chain
            .iter()
            .map(|c| export::pem_encode(CERTIFICATE, c))
            .collect();
        export::write_atomic(&self.chain_pem, chain_pem.as_bytes(), Access::Public)?;

        let full_chain = if self.is_root() {
            chain
        } else {
            [chain, vec![self.root.clone()]].concat()
        };
        let p12 = export::keystore(&self.name, self.key.secret_pkcs8_der(), &full_chain)
            .map_err(|m| PkiError::generate(&self.name, m))?;
        // The keystore holds the private key, so it is as private as key.pem.
        export::write_atomic(&self.p12, &p12, Access::Private)
    }

    /// Digest of the key and certificate, to notice files changed behind our back.
    pub(crate) fn digest(&self) -> String {
        super::cache::digest(&[self.key.secret_pkcs8_der(), &self.cert])
    }

    fn is_root(&self) -> bool {
        self.root == self.cert
    }
}

fn read_pem(path: &Path, label: &str) -> Result<Vec<u8>, String> {
    let pem = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    export::pem_decode(label, &pem).map_err(|e| format!("{}: {e}", path.display()))
}
