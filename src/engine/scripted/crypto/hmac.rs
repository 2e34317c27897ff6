//! HMAC, for the PRF's `P_hash` and the record MAC: aws-lc for the SHA family,
//! RustCrypto for MD5 (aws-lc has no HMAC-MD5).

use ::hmac::{Hmac, Mac as _};
use aws_lc_rs::hmac as aws;
use md5::Md5;

/// The hash inside an HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HmacHash {
    /// HMAC-MD5 (RC4-MD5 suites, half of the TLS 1.0 PRF).
    Md5,
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA384.
    Sha384,
}

impl HmacHash {
    /// Length of the tag (and of a record MAC key).
    pub(super) fn len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }
}

/// A keyed HMAC.
pub(super) enum HmacKey {
    Md5(Hmac<Md5>),
    Aws(Box<aws::Key>),
}

impl HmacKey {
    /// The HMAC with `hash` keyed by `key` (any length).
    pub(super) fn new(hash: HmacHash, key: &[u8]) -> Self {
        let alg = match hash {
            HmacHash::Md5 => {
                return Self::Md5(Hmac::new_from_slice(key).expect("HMAC takes any key length"))
            }
            HmacHash::Sha1 => aws::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            HmacHash::Sha256 => aws::HMAC_SHA256,
            HmacHash::Sha384 => aws::HMAC_SHA384,
        };
        Self::Aws(Box::new(aws::Key::new(alg, key)))
    }

    /// The tag over the concatenation of `parts`.
    pub(super) fn sign(&self, parts: &[&[u8]]) -> Vec<u8> {
        match self {
            Self::Md5(key) => {
                let mut mac = key.clone();
                parts.iter().for_each(|part| mac.update(part));
                mac.finalize().into_bytes().to_vec()
            }
            Self::Aws(key) => {
                let mut ctx = aws::Context::with_key(key);
                parts.iter().for_each(|part| ctx.update(part));
                ctx.sign().as_ref().to_vec()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2202 test case 2 (HMAC-MD5 and HMAC-SHA1) and RFC 4231 test case 2
    /// (HMAC-SHA256 and HMAC-SHA384): key "Jefe", data "what do ya want for nothing?",
    /// here split in two parts to check the concatenation.
    #[test]
    fn rfc_2202_and_4231_vectors() {
        let cases = [
            (HmacHash::Md5, "750c783e6ab0b503eaa86e310a5db738"),
            (HmacHash::Sha1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            (
                HmacHash::Sha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                HmacHash::Sha384,
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                 8e2240ca5e69e2c78b3239ecfab21649",
            ),
        ];
        for (hash, want) in cases {
            let tag = HmacKey::new(hash, b"Jefe").sign(&[b"what do ya want ", b"for nothing?"]);
            assert_eq!(hex::encode(&tag), want, "{hash:?}");
            assert_eq!(tag.len(), hash.len());
        }
    }
}
