//! The test PKI: `certs/pki.yaml` → keys, certificates, chains and keystores on disk.
//!
//! [`PkiSpec`] is the validated spec; [`Pki::ensure`] makes the material under an
//! output directory, reusing whatever a previous run left that still matches:
//!
//! ```text
//! out_dir/NAME/key.pem      PKCS#8, mode 0600
//! out_dir/NAME/cert.pem
//! out_dir/NAME/chain.pem    cert + intermediates (no root)
//! out_dir/NAME/NAME.p12     key + chain incl. root, alias NAME, password P12_PASSWORD
//! out_dir/ca-bundle.pem     every trusted root
//! out_dir/truststore.p12    every trusted root as a Java trustedCertEntry
//! out_dir/manifest.json     what was generated from which spec, and when
//! ```

mod cache;
mod entity;
mod error;
mod export;
mod generate;
mod issue;
mod key;
mod material;
mod spec;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;

pub use error::PkiError;
pub use material::Material;
pub use spec::PkiSpec;

/// Password of every generated PKCS#12 file.
pub const P12_PASSWORD: &str = "changeit";

/// The spec shipped with the crate: `certs/pki.yaml`.
pub fn default_spec_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/certs/pki.yaml"))
}

/// Where generated material goes by default: `certs/generated` (ignored by git).
pub fn default_out_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/certs/generated"))
}

/// A generated PKI on disk.
#[derive(Debug)]
pub struct Pki {
    out_dir: PathBuf,
    materials: HashMap<String, Material>,
    roots: Vec<CertificateDer<'static>>,
}

impl Pki {
    /// Generate what is missing or stale under `out_dir`; reuse the rest.
    ///
    /// An entity is re-issued when its spec or an issuer's changed, its files are
    /// missing or altered, or it has relative validity and was issued over 12 hours
    /// ago; its key is kept unless the key type changed. Concurrent calls on the same
    /// directory (threads or processes) are serialised by a lock file.
    pub fn ensure(spec: &PkiSpec, out_dir: &Path) -> Result<Self, PkiError> {
        let (materials, roots) = generate::ensure(spec, out_dir)?;
        Ok(Self {
            out_dir: out_dir.to_owned(),
            materials,
            roots,
        })
    }

    /// Material of one entity.
    pub fn entity(&self, name: &str) -> Result<&Material, PkiError> {
        self.materials
            .get(name)
            .ok_or_else(|| PkiError::UnknownEntity(name.into()))
    }

    /// PEM bundle of every root CA.
    pub fn ca_bundle(&self) -> PathBuf {
        self.out_dir.join(generate::CA_BUNDLE)
    }

    /// PKCS#12 truststore with every root CA as a trusted-cert entry.
    pub fn truststore(&self) -> PathBuf {
        self.out_dir.join(generate::TRUSTSTORE)
    }

    /// The trusted roots (those in [`ca_bundle`](Self::ca_bundle)), in spec order.
    pub fn roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }
}
