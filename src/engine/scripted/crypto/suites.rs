//! The cipher suites the scripted engine can negotiate, and what each one is made of.

use super::hmac::HmacHash;
use crate::wire::{CipherSuite, ProtocolVersion};

/// How the premaster secret is established and the server authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kx {
    /// The client encrypts the premaster secret to the server's RSA key.
    Rsa,
    /// Ephemeral ECDH, the parameters signed with the server's RSA key.
    EcdheRsa,
    /// Ephemeral ECDH, the parameters signed with the server's ECDSA key.
    EcdheEcdsa,
    /// TLS 1.3: key exchange and signature are negotiated apart from the suite.
    Tls13,
}

/// The record cipher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bulk {
    /// AES-128 in GCM (RFC 5288).
    Aes128Gcm,
    /// AES-256 in GCM (RFC 5288).
    Aes256Gcm,
    /// AES-128 in CBC mode.
    Aes128Cbc,
    /// AES-256 in CBC mode.
    Aes256Cbc,
    /// Three-key triple DES (EDE) in CBC mode.
    TripleDesCbc,
    /// RC4 with a 128-bit key.
    Rc4_128,
    /// ChaCha20-Poly1305 (RFC 8439), in TLS 1.3 only.
    Chacha20Poly1305,
}

impl Bulk {
    /// Length of the write key this cipher takes from the key block.
    pub(crate) fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes128Cbc | Self::Rc4_128 => 16,
            Self::TripleDesCbc => 24,
            Self::Aes256Gcm | Self::Aes256Cbc | Self::Chacha20Poly1305 => 32,
        }
    }
}

/// How records are authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mac {
    /// By the AEAD cipher itself.
    Aead,
    /// By an HMAC over the record (MAC-then-encrypt).
    Hmac(HmacHash),
}

/// The hash of the TLS 1.2 PRF and of TLS 1.3's HKDF (TLS 1.0 and 1.1 always use MD5
/// and SHA-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PrfHash {
    /// P_SHA256: every suite that does not name SHA-384.
    Sha256,
    /// P_SHA384.
    Sha384,
}

/// One cipher suite.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SuiteSpec {
    /// The code point.
    pub(crate) id: CipherSuite,
    /// The IANA name.
    pub(crate) name: &'static str,
    /// Key exchange and server authentication.
    pub(crate) kx: Kx,
    /// Record cipher.
    pub(crate) bulk: Bulk,
    /// Record authentication.
    pub(crate) mac: Mac,
    /// The PRF hash in TLS 1.2, the HKDF hash in TLS 1.3.
    pub(crate) prf: PrfHash,
    /// The oldest version the suite is defined for: TLS 1.2 for AEAD and SHA-2 MAC
    /// suites (RFC 5246, 5288, 5289), TLS 1.0 otherwise, TLS 1.3 for its own.
    pub(crate) min_version: ProtocolVersion,
    /// The newest: TLS 1.2, or TLS 1.3 for TLS 1.3's own suites (RFC 8446 §B.4).
    pub(crate) max_version: ProtocolVersion,
}

impl SuiteSpec {
    /// Whether the suite may be negotiated at `version`.
    pub(crate) fn supports(&self, version: ProtocolVersion) -> bool {
        (self.min_version..=self.max_version).contains(&version)
    }

    /// A TLS 1.3 suite (RFC 8446 §B.4): an AEAD and the HKDF hash.
    const fn tls13(id: u16, name: &'static str, bulk: Bulk, prf: PrfHash) -> Self {
        Self {
            id: CipherSuite(id),
            name,
            kx: Kx::Tls13,
            bulk,
            mac: Mac::Aead,
            prf,
            min_version: ProtocolVersion::TLS13,
            max_version: ProtocolVersion::TLS13,
        }
    }

    const fn new(id: u16, name: &'static str, kx: Kx, bulk: Bulk, mac: Mac) -> Self {
        let sha384 = matches!(mac, Mac::Hmac(HmacHash::Sha384)) || matches!(bulk, Bulk::Aes256Gcm);
        let tls12_only = matches!(
            mac,
            Mac::Aead | Mac::Hmac(HmacHash::Sha256) | Mac::Hmac(HmacHash::Sha384)
        );
        Self {
            id: CipherSuite(id),
            name,
            kx,
            bulk,
            mac,
            prf: if sha384 {
                PrfHash::Sha384
            } else {
                PrfHash::Sha256
            },
            min_version: if tls12_only {
                ProtocolVersion::TLS12
            } else {
                ProtocolVersion::TLS10
            },
            max_version: ProtocolVersion::TLS12,
        }
    }
}

use Bulk::*;
use HmacHash::{Md5, Sha1, Sha256, Sha384};
use Kx::*;
use Mac::{Aead, Hmac};

/// Every suite, static RSA first, then ECDHE_RSA, then ECDHE_ECDSA, then TLS 1.3's;
/// within each group ordered by code point.
#[rustfmt::skip]
static SUITES: [SuiteSpec; 28] = [
    SuiteSpec::new(0x0004, "TLS_RSA_WITH_RC4_128_MD5", Rsa, Rc4_128, Hmac(Md5)),
    SuiteSpec::new(0x0005, "TLS_RSA_WITH_RC4_128_SHA", Rsa, Rc4_128, Hmac(Sha1)),
    SuiteSpec::new(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Rsa, TripleDesCbc, Hmac(Sha1)),
    SuiteSpec::new(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", Rsa, Aes128Cbc, Hmac(Sha1)),
    SuiteSpec::new(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", Rsa, Aes256Cbc, Hmac(Sha1)),
    SuiteSpec::new(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", Rsa, Aes128Cbc, Hmac(Sha256)),
    SuiteSpec::new(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", Rsa, Aes256Cbc, Hmac(Sha256)),
    SuiteSpec::new(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", Rsa, Aes128Gcm, Aead),
    SuiteSpec::new(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", Rsa, Aes256Gcm, Aead),
    SuiteSpec::new(0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", EcdheRsa, Rc4_128, Hmac(Sha1)),
    SuiteSpec::new(0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", EcdheRsa, TripleDesCbc, Hmac(Sha1)),
    SuiteSpec::new(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", EcdheRsa, Aes128Cbc, Hmac(Sha1)),
    SuiteSpec::new(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", EcdheRsa, Aes256Cbc, Hmac(Sha1)),
    SuiteSpec::new(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", EcdheRsa, Aes128Cbc, Hmac(Sha256)),
    SuiteSpec::new(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", EcdheRsa, Aes256Cbc, Hmac(Sha384)),
    SuiteSpec::new(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", EcdheRsa, Aes128Gcm, Aead),
    SuiteSpec::new(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", EcdheRsa, Aes256Gcm, Aead),
    SuiteSpec::new(0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", EcdheEcdsa, Rc4_128, Hmac(Sha1)),
    SuiteSpec::new(0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", EcdheEcdsa, TripleDesCbc, Hmac(Sha1)),
    SuiteSpec::new(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", EcdheEcdsa, Aes128Cbc, Hmac(Sha1)),
    SuiteSpec::new(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", EcdheEcdsa, Aes256Cbc, Hmac(Sha1)),
    SuiteSpec::new(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", EcdheEcdsa, Aes128Cbc, Hmac(Sha256)),
    SuiteSpec::new(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", EcdheEcdsa, Aes256Cbc, Hmac(Sha384)),
    SuiteSpec::new(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", EcdheEcdsa, Aes128Gcm, Aead),
    SuiteSpec::new(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", EcdheEcdsa, Aes256Gcm, Aead),
    SuiteSpec::tls13(0x1301, "TLS_AES_128_GCM_SHA256", Aes128Gcm, PrfHash::Sha256),
    SuiteSpec::tls13(0x1302, "TLS_AES_256_GCM_SHA384", Aes256Gcm, PrfHash::Sha384),
    SuiteSpec::tls13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", Chacha20Poly1305, PrfHash::Sha256),
];

/// Every suite the engine implements.
pub(crate) fn all() -> &'static [SuiteSpec] {
    &SUITES
}

/// The suite with code point `id`, if the engine implements it.
pub(crate) fn suite(id: CipherSuite) -> Option<&'static SuiteSpec> {
    SUITES.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_iana_ones() {
        for spec in all() {
            assert_eq!(spec.id.name(), Some(spec.name), "{:?}", spec.id);
        }
    }

    #[test]
    fn code_points_are_unique_and_found() {
        for spec in all() {
            assert!(std::ptr::eq(suite(spec.id).unwrap(), spec), "{}", spec.name);
        }
        assert_eq!(suite(CipherSuite(0x1304)), None);
        assert_eq!(suite(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV), None);
    }

    /// The name spells out what the table says: the derived fields agree with it.
    #[test]
    fn fields_agree_with_the_name() {
        for s in all() {
            let kx = match s.kx {
                Kx::Rsa => "TLS_RSA_WITH_",
                Kx::EcdheRsa => "TLS_ECDHE_RSA_WITH_",
                Kx::EcdheEcdsa => "TLS_ECDHE_ECDSA_WITH_",
                Kx::Tls13 => "TLS_",
            };
            let bulk = match s.bulk {
                Bulk::Aes128Gcm => "AES_128_GCM_",
                Bulk::Aes256Gcm => "AES_256_GCM_",
                Bulk::Aes128Cbc => "AES_128_CBC_",
                Bulk::Aes256Cbc => "AES_256_CBC_",
                Bulk::TripleDesCbc => "3DES_EDE_CBC_",
                Bulk::Rc4_128 => "RC4_128_",
                Bulk::Chacha20Poly1305 => "CHACHA20_POLY1305_",
            };
            let hash = match (s.mac, s.prf) {
                (Mac::Aead, PrfHash::Sha256) => "SHA256",
                (Mac::Aead, PrfHash::Sha384) => "SHA384",
                (Mac::Hmac(HmacHash::Md5), _) => "MD5",
                (Mac::Hmac(HmacHash::Sha1), _) => "SHA",
                (Mac::Hmac(HmacHash::Sha256), _) => "SHA256",
                (Mac::Hmac(HmacHash::Sha384), _) => "SHA384",
            };
            assert_eq!(s.name, format!("{kx}{bulk}{hash}"));
            assert_eq!(
                s.prf == PrfHash::Sha384,
                s.name.ends_with("SHA384"),
                "{}",
                s.name
            );
            let legacy = s.name.ends_with("_SHA") || s.name.ends_with("_MD5");
            let tls13 = !s.name.contains("_WITH_");
            assert_eq!(s.kx == Kx::Tls13, tls13, "{}", s.name);
            assert_eq!(s.supports(ProtocolVersion::TLS10), legacy, "{}", s.name);
            assert_eq!(s.supports(ProtocolVersion::TLS11), legacy, "{}", s.name);
            assert_eq!(s.supports(ProtocolVersion::TLS12), !tls13, "{}", s.name);
            assert_eq!(s.supports(ProtocolVersion::TLS13), tls13, "{}", s.name);
            assert!(!s.supports(ProtocolVersion::SSL3), "{}", s.name);
        }
    }

    #[test]
    fn covers_the_suites_the_scenarios_name() {
        for name in [
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_CBC_SHA256",
            "TLS_RSA_WITH_AES_128_CBC_SHA256",
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_RC4_128_MD5",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ] {
            let id = CipherSuite::from_name(name).unwrap();
            assert_eq!(suite(id).map(|s| s.name), Some(name));
        }
    }
}
