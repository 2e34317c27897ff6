//! The scripted engine's cryptography: the cipher-suite table, the TLS 1.0–1.2 PRF,
//! handshake transcripts, record protection, the server's private-key operations and
//! ECDHE.
//!
//! aws-lc-rs does the work wherever it can (RSA-2048+ decryption and signatures, ECDH,
//! AES-GCM, AES and 3DES CBC, SHA-1/SHA-2 and their HMACs: fast and constant-time);
//! RustCrypto covers what aws-lc refuses or lacks: MD5 and HMAC-MD5, RC4, RSA keys
//! below 2048 bits and the TLS 1.0/1.1 MD5+SHA-1 RSA signature, ECDSA signing (over
//! any digest: TLS 1.0/1.1 sign SHA-1) and checking the peer's signatures.
//!
//! Everything that reads peer bytes returns an error instead of panicking.

pub(crate) mod hash;
pub(crate) mod hkdf;
mod hmac;
pub(crate) mod keys;
pub(crate) mod kx;
pub(crate) mod prf;
pub(crate) mod protect;
mod sig;
pub(crate) mod suites;
pub(crate) mod verify;

#[cfg(test)]
mod openssl_tests;

use crate::wire::{AlertDescription, NamedGroup, SignatureScheme};

/// Why a key, signature or key-exchange operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CryptoError {
    /// The private key is not one the engine can use.
    #[error("unsupported private key: expected PKCS#8 RSA, or ECDSA on P-256 or P-384")]
    UnsupportedKey,
    /// The signature scheme does not fit the key (or is not one TLS 1.2 defines for it).
    #[error("signature scheme {0} cannot be used with this key")]
    UnsupportedScheme(SignatureScheme),
    /// The crypto library failed (a signature or key generation; not caused by peer input).
    #[error("internal error in the crypto library")]
    Internal,
    /// The RSA-encrypted premaster secret does not decrypt to 48 bytes.
    #[error("the encrypted premaster secret does not decrypt (PKCS#1 v1.5) to 48 bytes")]
    Decrypt,
    /// The peer's certificate cannot be parsed or carries an unsupported public key.
    #[error("bad certificate: not DER X.509, or its key is not RSA, P-256 or P-384")]
    BadCertificate,
    /// The peer's signature does not verify.
    #[error("the signature does not verify against the certificate's key")]
    BadSignature,
    /// The group is not one [`kx::GROUPS`] lists.
    #[error(
        "named group {0} is not supported (use x25519, secp256r1 or secp384r1; in tls1.3 also X25519MLKEM768)"
    )]
    UnsupportedGroup(NamedGroup),
    /// The peer's ECDHE public value is not a valid point (or gives a zero secret).
    #[error("the peer's ECDHE public key is not valid for the group")]
    BadKeyShare,
}

impl CryptoError {
    /// The alert a server sends when this error ends the handshake.
    pub(crate) fn alert(self) -> AlertDescription {
        match self {
            Self::UnsupportedKey | Self::Internal => AlertDescription::INTERNAL_ERROR,
            Self::UnsupportedScheme(_) | Self::UnsupportedGroup(_) => {
                AlertDescription::HANDSHAKE_FAILURE
            }
            Self::Decrypt | Self::BadSignature => AlertDescription::DECRYPT_ERROR,
            Self::BadCertificate => AlertDescription::BAD_CERTIFICATE,
            Self::BadKeyShare => AlertDescription::ILLEGAL_PARAMETER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connections run on tokio tasks; the server key is shared between them.
    #[test]
    fn state_can_cross_threads() {
        fn send<T: Send>() {}
        fn shared<T: Send + Sync>() {}
        send::<protect::Protection>();
        send::<hash::Transcript>();
        send::<kx::EphemeralKey>();
        shared::<keys::ServerKey>();
    }

    #[test]
    fn errors_map_to_alerts() {
        assert_eq!(
            CryptoError::BadSignature.alert(),
            AlertDescription::DECRYPT_ERROR
        );
        assert_eq!(
            CryptoError::BadKeyShare.alert(),
            AlertDescription::ILLEGAL_PARAMETER
        );
        assert_eq!(
            CryptoError::UnsupportedScheme(SignatureScheme::ED25519).to_string(),
            "signature scheme ed25519(0x0807) cannot be used with this key"
        );
    }
}
