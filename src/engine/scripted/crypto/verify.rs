//! Checking a peer's signature against its certificate: the client's
//! CertificateVerify (and, in tests, a real server's ServerKeyExchange).
//!
//! RustCrypto does the checking: unlike aws-lc it takes RSA keys below 2048 bits with
//! PSS, bare MD5+SHA-1 digests and SHA-1 on P-384, and a verification is cheap.

use der::{Decode, Encode};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use x509_cert::Certificate;

use super::sig::{ecdsa_prehash, pkcs1, pss, SigAlg};
use super::CryptoError;
use crate::wire::SignatureScheme;

/// The public key of a certificate.
enum PublicKey {
    Rsa(RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    fn from_certificate(cert_der: &[u8]) -> Result<Self, CryptoError> {
        let cert = Certificate::from_der(cert_der).map_err(|_| CryptoError::BadCertificate)?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|_| CryptoError::BadCertificate)?;
        if let Ok(key) = RsaPublicKey::from_public_key_der(&spki) {
            Ok(Self::Rsa(key))
        } else if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(&spki) {
            Ok(Self::P256(key))
        } else if let Ok(key) = p384::ecdsa::VerifyingKey::from_public_key_der(&spki) {
            Ok(Self::P384(key))
        } else {
            Err(CryptoError::BadCertificate)
        }
    }
}

/// Check `signature` over `message` with the key of the DER certificate `cert_der`.
/// `scheme` is the TLS 1.2 signature scheme; `None` means TLS 1.0/1.1 (RSA over
/// MD5 || SHA-1 without DigestInfo, ECDSA over SHA-1). For CertificateVerify,
/// `message` is the handshake messages so far ([`Transcript::messages`]).
///
/// [`Transcript::messages`]: super::hash::Transcript::messages
pub(crate) fn verify_signature(
    cert_der: &[u8],
    scheme: Option<SignatureScheme>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let key = PublicKey::from_certificate(cert_der)?;
    let rsa = matches!(key, PublicKey::Rsa(_));
    let alg = match scheme {
        None => SigAlg::legacy(rsa),
        Some(scheme) => SigAlg::from_scheme(scheme)
            .filter(|alg| alg.is_rsa() == rsa)
            .ok_or(CryptoError::UnsupportedScheme(scheme))?,
    };
    let hash = alg.hash();
    let verified = match &key {
        PublicKey::Rsa(key) => {
            let digest = hash.digest(message);
            match alg {
                SigAlg::RsaPss(_) => key.verify(pss(hash), &digest, signature),
                _ => key.verify(pkcs1(hash), &digest, signature),
            }
            .is_ok()
        }
        PublicKey::P256(key) => p256::ecdsa::Signature::from_der(signature)
            .and_then(|sig| key.verify_prehash(&ecdsa_prehash(hash, message, 32), &sig))
            .is_ok(),
        PublicKey::P384(key) => p384::ecdsa::Signature::from_der(signature)
            .and_then(|sig| key.verify_prehash(&ecdsa_prehash(hash, message, 48), &sig))
            .is_ok(),
    };
    verified.then_some(()).ok_or(CryptoError::BadSignature)
}
