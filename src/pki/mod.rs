//! STUB (helper B replaces the bodies; the public signatures are the contract).
use std::path::{Path, PathBuf};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};

/// Password of every generated PKCS#12 file.
pub const P12_PASSWORD: &str = "changeit";

/// PKI error.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// unknown entity
    #[error("unknown pki entity `{0}`")]
    UnknownEntity(String),
}

/// The parsed, validated `certs/pki.yaml`.
#[derive(Debug, Clone)]
pub struct PkiSpec;
impl PkiSpec {
    /// Load and validate a spec file.
    pub fn load(path: &Path) -> Result<Self, PkiError> { let _ = path; Ok(Self) }
    /// Whether an entity of that name exists.
    pub fn contains(&self, name: &str) -> bool { let _ = name; true }
    /// Whether the entity is a CA.
    pub fn is_ca(&self, name: &str) -> bool { let _ = name; false }
    /// DNS SANs of the entity, in spec order.
    pub fn dns_names(&self, name: &str) -> Vec<String> { let _ = name; vec![] }
    /// Entity names in spec order.
    pub fn names(&self) -> Vec<String> { vec![] }
}

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
    /// PKCS#12 keystore (key + chain), for leaves
    pub p12: PathBuf,
}

/// A generated PKI on disk.
#[derive(Debug)]
pub struct Pki;
impl Pki {
    /// Generate what is missing or stale under `out_dir`; reuse the rest.
    pub fn ensure(spec: &PkiSpec, out_dir: &Path) -> Result<Self, PkiError> { let _ = (spec, out_dir); Ok(Self) }
    /// Material of one entity.
    pub fn entity(&self, name: &str) -> Result<&Material, PkiError> { Err(PkiError::UnknownEntity(name.into())) }
    /// PEM bundle of every root CA.
    pub fn ca_bundle(&self) -> PathBuf { PathBuf::new() }
    /// PKCS#12 truststore with every root CA as a trusted-cert entry.
    pub fn truststore(&self) -> PathBuf { PathBuf::new() }
}
