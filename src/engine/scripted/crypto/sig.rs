//! What a TLS signature is made of: its digest and algorithm (RFC 5246 §7.4.1.4.1 and
//! §7.4.3; RSA-PSS schemes from RFC 8446 §4.2.3, which TLS 1.2 stacks use too), and
//! the RustCrypto pieces that signing and verifying share.

use rsa::{Pkcs1v15Sign, Pss};
use sha2::{Sha256, Sha384, Sha512};

use super::hash::Hash;
use crate::wire::SignatureScheme;

/// A signature algorithm with its digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SigAlg {
    /// RSASSA-PKCS1-v1_5; over [`Hash::Md5Sha1`] the digest goes in bare, without a
    /// DigestInfo (TLS 1.0/1.1).
    RsaPkcs1(Hash),
    /// RSASSA-PSS, MGF1 with the same hash, salt as long as the hash.
    RsaPss(Hash),
    /// ECDSA, the signature DER-encoded.
    Ecdsa(Hash),
}

impl SigAlg {
    /// The signature TLS 1.0 and 1.1 use for an RSA or an ECDSA key (RFC 4346
    /// §7.4.3, RFC 4492 §5.4).
    pub(super) fn legacy(rsa: bool) -> Self {
        if rsa {
            Self::RsaPkcs1(Hash::Md5Sha1)
        } else {
            Self::Ecdsa(Hash::Sha1)
        }
    }

    /// The algorithm of a TLS 1.2 signature scheme. In TLS 1.2 an ECDSA scheme names
    /// the hash only: its curve need not match the key's.
    pub(super) fn from_scheme(scheme: SignatureScheme) -> Option<Self> {
        type S = SignatureScheme;
        Some(match scheme {
            S::RSA_PKCS1_SHA1 => Self::RsaPkcs1(Hash::Sha1),
            S::RSA_PKCS1_SHA256 => Self::RsaPkcs1(Hash::Sha256),
            S::RSA_PKCS1_SHA384 => Self::RsaPkcs1(Hash::Sha384),
            S::RSA_PKCS1_SHA512 => Self::RsaPkcs1(Hash::Sha512),
            S::RSA_PSS_RSAE_SHA256 => Self::RsaPss(Hash::Sha256),
            S::RSA_PSS_RSAE_SHA384 => Self::RsaPss(Hash::Sha384),
            S::RSA_PSS_RSAE_SHA512 => Self::RsaPss(Hash::Sha512),
            S::ECDSA_SHA1 => Self::Ecdsa(Hash::Sha1),
            S::ECDSA_SECP256R1_SHA256 => Self::Ecdsa(Hash::Sha256),
            S::ECDSA_SECP384R1_SHA384 => Self::Ecdsa(Hash::Sha384),
            S::ECDSA_SECP521R1_SHA512 => Self::Ecdsa(Hash::Sha512),
            _ => return None,
        })
    }

    /// Whether this is an RSA algorithm (else ECDSA).
    pub(super) fn is_rsa(self) -> bool {
        !matches!(self, Self::Ecdsa(_))
    }

    /// The digest signed.
    pub(super) fn hash(self) -> Hash {
        match self {
            Self::RsaPkcs1(hash) | Self::RsaPss(hash) | Self::Ecdsa(hash) => hash,
        }
    }
}

/// RustCrypto's PKCS#1 v1.5 signature padding for `hash`.
pub(super) fn pkcs1(hash: Hash) -> Pkcs1v15Sign {
    match hash {
        Hash::Md5Sha1 => Pkcs1v15Sign::new_unprefixed(),
        Hash::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
        Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
        Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
    }
}

/// RustCrypto's PSS for `hash`, salt as long as the hash. No TLS scheme pairs PSS
/// with SHA-1 or MD5+SHA-1; those map to PSS-SHA-1 only to keep the match total.
pub(super) fn pss(hash: Hash) -> Pss {
    match hash {
        Hash::Md5Sha1 | Hash::Sha1 => Pss::new::<sha1::Sha1>(),
        Hash::Sha256 => Pss::new::<Sha256>(),
        Hash::Sha384 => Pss::new::<Sha384>(),
        Hash::Sha512 => Pss::new::<Sha512>(),
    }
}

/// The digest of `message` as RustCrypto's ECDSA takes it on a curve of `field_len`
/// bytes. RustCrypto refuses digests shorter than half the field (SHA-1 on P-384);
/// zeros on the left leave the integer, and so the signature, unchanged (SEC 1
/// §4.1.3 step 5).
pub(super) fn ecdsa_prehash(hash: Hash, message: &[u8], field_len: usize) -> Vec<u8> {
    let digest = hash.digest(message);
    let mut out = vec![0; field_len.saturating_sub(digest.len())];
    out.extend(digest);
    out
}
