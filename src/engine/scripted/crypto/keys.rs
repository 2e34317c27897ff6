//! The server's private key, parsed once: RSA premaster decryption and the
//! ServerKeyExchange signature.
//!
//! RSA keys of 2048 bits and more go through aws-lc (the benchmarked static-RSA and
//! ECDHE_RSA handshakes); RustCrypto handles what aws-lc refuses: keys below 2048
//! bits, and the TLS 1.0/1.1 MD5+SHA-1 signature and rsa_pkcs1_sha1 for every size.
//! ECDSA keys (P-256, P-384) sign with RustCrypto, which signs any digest, SHA-1
//! included.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use aws_lc_rs::signature::{self as aws, Ed25519KeyPair, RsaEncoding};
use p256::ecdsa::signature::hazmat::PrehashSigner;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};

use super::hash::Hash;
use super::sig::{ecdsa_prehash, pkcs1, pss, SigAlg};
use super::CryptoError;
use crate::wire::{ProtocolVersion, SignatureScheme};

/// A server private key.
pub(crate) struct ServerKey(Key);

enum Key {
    Rsa(Box<RsaKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(Ed25519KeyPair),
}

struct RsaKey {
    /// Every RSA key, for what aws-lc cannot do.
    soft: RsaPrivateKey,
    /// Keys of 2048 bits and more.
    fast: Option<FastRsa>,
}

struct FastRsa {
    signer: KeyPair,
    decrypter: Pkcs1PrivateDecryptingKey,
}

impl FastRsa {
    /// `None` for keys aws-lc refuses (below 2048 bits).
    fn from_pkcs8(der: &[u8]) -> Option<Self> {
        let decrypter = PrivateDecryptingKey::from_pkcs8(der).ok()?;
        Some(Self {
            signer: KeyPair::from_pkcs8(der).ok()?,
            decrypter: Pkcs1PrivateDecryptingKey::new(decrypter).ok()?,
        })
    }
}

impl ServerKey {
    /// Parse a PKCS#8 (DER) RSA key of any size, ECDSA key on P-256 or P-384, or
    /// Ed25519 key.
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<Self, CryptoError> {
        let key = if let Ok(soft) = RsaPrivateKey::from_pkcs8_der(der) {
            let fast = FastRsa::from_pkcs8(der);
            Key::Rsa(Box::new(RsaKey { soft, fast }))
        } else if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            Key::P256(key)
        } else if let Ok(key) = p384::ecdsa::SigningKey::from_pkcs8_der(der) {
            Key::P384(key)
        } else if let Ok(key) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            Key::Ed25519(key)
        } else {
            return Err(CryptoError::UnsupportedKey);
        };
        Ok(Self(key))
    }

    /// Whether this is an RSA key (static RSA and ECDHE_RSA suites).
    pub(crate) fn is_rsa(&self) -> bool {
        matches!(self.0, Key::Rsa(_))
    }

    /// Whether this is an ECDSA key (ECDHE_ECDSA suites).
    pub(crate) fn is_ecdsa(&self) -> bool {
        matches!(self.0, Key::P256(_) | Key::P384(_))
    }

    /// The scheme to sign a TLS 1.3 CertificateVerify with: the first of the client's
    /// `signature_algorithms` this key can make under TLS 1.3's rules.
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.3
    //# RSASSA-PKCS1-v1_5 algorithms:  Indicates a signature algorithm using
    //#    RSASSA-PKCS1-v1_5 [RFC8017] with the corresponding hash algorithm
    //#    as defined in [SHS].  These values refer solely to signatures
    //#    which appear in certificates (see Section 4.4.2.2) and are not
    //#    defined for use in signed TLS handshake messages, although they
    //#    MAY appear in "signature_algorithms" and
    //#    "signature_algorithms_cert" for backward compatibility with
    //#    TLS 1.2.
    pub(crate) fn choose_tls13_scheme(
        &self,
        client_sigalgs: &[SignatureScheme],
    ) -> Option<SignatureScheme> {
        type S = SignatureScheme;
        // In TLS 1.3 an ECDSA scheme names the curve too.
        let fits = |scheme: S| match (&self.0, scheme) {
            (
                Key::Rsa(_),
                S::RSA_PSS_RSAE_SHA256 | S::RSA_PSS_RSAE_SHA384 | S::RSA_PSS_RSAE_SHA512,
            ) => SigAlg::from_scheme(scheme).is_some_and(|alg| self.can_sign(alg)),
            (Key::P256(_), S::ECDSA_SECP256R1_SHA256)
            | (Key::P384(_), S::ECDSA_SECP384R1_SHA384)
            | (Key::Ed25519(_), S::ED25519) => true,
            _ => false,
        };
        client_sigalgs.iter().copied().find(|&s| fits(s))
    }

    /// The premaster secret the client encrypted (PKCS#1 v1.5) in ClientKeyExchange;
    /// an error when it does not decrypt to 48 bytes or the key is not RSA.
    pub(crate) fn decrypt_premaster(&self, ciphertext: &[u8]) -> Result<[u8; 48], CryptoError> {
        let Key::Rsa(key) = &self.0 else {
            return Err(CryptoError::Decrypt);
        };
        let plaintext = match &key.fast {
            Some(fast) => {
                let mut out = vec![0; fast.decrypter.min_output_size()];
                let len = fast
                    .decrypter
                    .decrypt(ciphertext, &mut out)
                    .map_err(|_| CryptoError::Decrypt)?
                    .len();
                out.truncate(len);
                out
            }
            None => key
                .soft
                .decrypt_blinded(&mut rand::thread_rng(), Pkcs1v15Encrypt, ciphertext)
                .map_err(|_| CryptoError::Decrypt)?,
        };
        plaintext.try_into().map_err(|_| CryptoError::Decrypt)
    }

    /// The premaster secret as RFC 5246 §7.4.7.1 asks a server to take it: when the
    /// ciphertext does not decrypt to 48 bytes starting with `client_hello_version`
    /// (the version ClientHello offered), a random premaster with that version
    /// instead, so that the handshake fails at Finished and not before.
    pub(crate) fn decrypt_premaster_or_random(
        &self,
        ciphertext: &[u8],
        client_hello_version: ProtocolVersion,
    ) -> [u8; 48] {
        let mut random = [0; 48];
        random[..2].copy_from_slice(&client_hello_version.0.to_be_bytes());
        aws_lc_rs::rand::fill(&mut random[2..]).expect("the system RNG works");
        match self.decrypt_premaster(ciphertext) {
            Ok(premaster) if premaster[..2] == random[..2] => premaster,
            _ => random,
        }
    }

    /// The scheme to sign ServerKeyExchange with in TLS 1.2: the first of the
    /// client's `signature_algorithms` this key can make. An empty list stands for a
    /// client that sent no such extension: RFC 5246 §7.4.1.4.1 then implies SHA-1.
    pub(crate) fn choose_scheme(
        &self,
        client_sigalgs: &[SignatureScheme],
    ) -> Option<SignatureScheme> {
        if client_sigalgs.is_empty() {
            return Some(match self.is_rsa() {
                true => SignatureScheme::RSA_PKCS1_SHA1,
                false => SignatureScheme::ECDSA_SHA1,
            });
        }
        client_sigalgs
            .iter()
            .copied()
            .find(|&scheme| SigAlg::from_scheme(scheme).is_some_and(|alg| self.can_sign(alg)))
    }

    /// Whether this key can make `alg` signatures: the key type must match, and a
    /// PSS signature needs room for two hashes and two bytes (RFC 8017 §9.1.1).
    fn can_sign(&self, alg: SigAlg) -> bool {
        match (&self.0, alg) {
            (Key::Rsa(key), SigAlg::RsaPss(hash)) => key.soft.size() >= 2 * hash.output_len() + 2,
            (Key::Rsa(_), alg) => alg.is_rsa(),
            (Key::P256(_) | Key::P384(_), alg) => !alg.is_rsa(),
            (Key::Ed25519(_), _) => false,
        }
    }

    /// Sign `message` (for ServerKeyExchange: client random || server random ||
    /// params) with `scheme` in TLS 1.2, or with `None` the TLS 1.0/1.1 way: RSA over
    /// MD5 || SHA-1 without DigestInfo, or ECDSA over SHA-1.
    pub(crate) fn sign(
        &self,
        scheme: Option<SignatureScheme>,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if let Key::Ed25519(key) = &self.0 {
            return match scheme {
                Some(SignatureScheme::ED25519) => Ok(key.sign(message).as_ref().to_vec()),
                other => Err(CryptoError::UnsupportedScheme(
                    other.unwrap_or(SignatureScheme::ECDSA_SHA1),
                )),
            };
        }
        let alg = match scheme {
            None => SigAlg::legacy(self.is_rsa()),
            Some(scheme) => SigAlg::from_scheme(scheme)
                .filter(|&alg| self.can_sign(alg))
                .ok_or(CryptoError::UnsupportedScheme(scheme))?,
        };
        match &self.0 {
            Key::Rsa(key) => key.sign(alg, message),
            Key::P256(key) => {
                let sig: p256::ecdsa::Signature = key
                    .sign_prehash(&ecdsa_prehash(alg.hash(), message, 32))
                    .map_err(|_| CryptoError::Internal)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Key::P384(key) => {
                let sig: p384::ecdsa::Signature = key
                    .sign_prehash(&ecdsa_prehash(alg.hash(), message, 48))
                    .map_err(|_| CryptoError::Internal)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Key::Ed25519(_) => Err(CryptoError::UnsupportedScheme(SignatureScheme::ED25519)),
        }
    }
}

impl RsaKey {
    fn sign(&self, alg: SigAlg, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if let (Some(fast), Some(encoding)) = (&self.fast, aws_encoding(alg)) {
            let mut sig = vec![0; fast.signer.public_modulus_len()];
            fast.signer
                .sign(encoding, &SystemRandom::new(), message, &mut sig)
                .map_err(|_| CryptoError::Internal)?;
            return Ok(sig);
        }
        let digest = alg.hash().digest(message);
        let sig = match alg {
            SigAlg::RsaPss(hash) => {
                self.soft
                    .sign_with_rng(&mut rand::thread_rng(), pss(hash), &digest)
            }
            _ => self.soft.sign(pkcs1(alg.hash()), &digest),
        };
        sig.map_err(|_| CryptoError::Internal)
    }
}

/// aws-lc's encoding for `alg`, if it has one (not for SHA-1 or MD5 + SHA-1).
fn aws_encoding(alg: SigAlg) -> Option<&'static dyn RsaEncoding> {
    Some(match alg {
        SigAlg::RsaPkcs1(Hash::Sha256) => &aws::RSA_PKCS1_SHA256,
        SigAlg::RsaPkcs1(Hash::Sha384) => &aws::RSA_PKCS1_SHA384,
        SigAlg::RsaPkcs1(Hash::Sha512) => &aws::RSA_PKCS1_SHA512,
        SigAlg::RsaPss(Hash::Sha256) => &aws::RSA_PSS_SHA256,
        SigAlg::RsaPss(Hash::Sha384) => &aws::RSA_PSS_SHA384,
        SigAlg::RsaPss(Hash::Sha512) => &aws::RSA_PSS_SHA512,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
