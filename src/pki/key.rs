//! Key pairs: generation, PKCS#8 loading, and the one RustCrypto signer used for
//! signatures rcgen's algorithm table cannot express.
//!
//! aws-lc (through rcgen) generates every key it can because it is fast; it refuses
//! RSA keys below 2048 bits both for generation and for loading, so RSA-1024 keys
//! come from the `rsa` crate and are only ever used through [`SoftKey`].

use der::asn1::{AnyRef, ObjectIdentifier};
use p256::pkcs8::DecodePrivateKey;
use rcgen::{KeyPair, PublicKeyData, RsaKeySize, SignatureAlgorithm};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::Pkcs1v15Sign;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// Key algorithm of an entity (`key:` in the spec).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum KeyKind {
    /// ECDSA on P-256.
    #[default]
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    /// ECDSA on P-384.
    #[serde(rename = "ecdsa-p384")]
    EcdsaP384,
    /// Ed25519.
    #[serde(rename = "ed25519")]
    Ed25519,
    /// RSA, 1024 bits (deliberately weak; generated with RustCrypto).
    #[serde(rename = "rsa-1024")]
    Rsa1024,
    /// RSA, 2048 bits.
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    /// RSA, 3072 bits.
    #[serde(rename = "rsa-3072")]
    Rsa3072,
    /// RSA, 4096 bits.
    #[serde(rename = "rsa-4096")]
    Rsa4096,
}

impl KeyKind {
    /// Whether this is an RSA key of any size.
    pub(crate) fn is_rsa(self) -> bool {
        self.rsa_bits().is_some()
    }

    fn rsa_bits(self) -> Option<usize> {
        match self {
            Self::Rsa1024 => Some(1024),
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            Self::EcdsaP256 | Self::EcdsaP384 | Self::Ed25519 => None,
        }
    }

    /// The hash an issuer with this key signs with unless the spec says otherwise.
    pub(crate) fn default_hash(self) -> SignatureHash {
        match self {
            Self::EcdsaP384 => SignatureHash::Sha384,
            _ => SignatureHash::Sha256,
        }
    }

    /// Whether this key can sign a certificate with `hash`. Ed25519 has its hash
    /// built in (the spec's `signature_hash` is ignored), except that asking for
    /// SHA-1 is refused rather than silently ignored. ECDSA needs a digest of at
    /// least half the curve size, which rules out SHA-1 on P-384.
    pub(crate) fn can_sign_with(self, hash: SignatureHash) -> bool {
        hash != SignatureHash::Sha1 || !matches!(self, Self::Ed25519 | Self::EcdsaP384)
    }

    /// The rcgen algorithm whose SubjectPublicKeyInfo matches this key. For RSA the
    /// hash in the constant is irrelevant: only the `rsaEncryption` key OID is used.
    fn spki_algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::Ed25519 => &rcgen::PKCS_ED25519,
            Self::Rsa1024 | Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => {
                &rcgen::PKCS_RSA_SHA256
            }
        }
    }

    /// The rcgen (aws-lc) algorithm that signs with this key and `hash`, if rcgen
    /// has one; `None` sends the certificate down the RustCrypto path.
    pub(crate) fn rcgen_algorithm(
        self,
        hash: SignatureHash,
    ) -> Option<&'static SignatureAlgorithm> {
        use SignatureHash::*;
        match (self, hash) {
            (Self::Ed25519, _) => Some(&rcgen::PKCS_ED25519),
            (Self::EcdsaP256, Sha256) => Some(&rcgen::PKCS_ECDSA_P256_SHA256),
            (Self::EcdsaP384, Sha384) => Some(&rcgen::PKCS_ECDSA_P384_SHA384),
            (Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096, Sha256) => {
                Some(&rcgen::PKCS_RSA_SHA256)
            }
            (Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096, Sha384) => {
                Some(&rcgen::PKCS_RSA_SHA384)
            }
            (Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096, Sha512) => {
                Some(&rcgen::PKCS_RSA_SHA512)
            }
            _ => None,
        }
    }

    /// The AlgorithmIdentifier of a certificate signed by this key with `hash`.
    pub(crate) fn signature_algorithm(self, hash: SignatureHash) -> AlgorithmIdentifierOwned {
        use SignatureHash::*;
        let (oid, null_parameters) = match (self, hash) {
            (Self::Ed25519, _) => ("1.3.101.112", false),
            (Self::EcdsaP256 | Self::EcdsaP384, Sha1) => ("1.2.840.10045.4.1", false),
            (Self::EcdsaP256 | Self::EcdsaP384, Sha256) => ("1.2.840.10045.4.3.2", false),
            (Self::EcdsaP256 | Self::EcdsaP384, Sha384) => ("1.2.840.10045.4.3.3", false),
            (Self::EcdsaP256 | Self::EcdsaP384, Sha512) => ("1.2.840.10045.4.3.4", false),
            // RFC 4055: the RSA PKCS#1 v1.5 identifiers carry an explicit NULL.
            (_, Sha1) => ("1.2.840.113549.1.1.5", true),
            (_, Sha256) => ("1.2.840.113549.1.1.11", true),
            (_, Sha384) => ("1.2.840.113549.1.1.12", true),
            (_, Sha512) => ("1.2.840.113549.1.1.13", true),
        };
        AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(oid),
            parameters: null_parameters.then(|| AnyRef::NULL.into()),
        }
    }
}

/// Hash an issuer signs a certificate with (`signature_hash:` in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SignatureHash {
    /// SHA-1 (deliberately weak).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl SignatureHash {
    fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(msg).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(msg).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(msg).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(msg).to_vec(),
        }
    }

    fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            Self::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
            Self::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
            Self::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
            Self::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        }
    }
}

/// A private key as written to `key.pem`, plus the raw public key rcgen embeds in
/// certificates (as the subject key, and hashed into key identifiers).
pub(crate) struct Key {
    kind: KeyKind,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl Key {
    /// Generate a fresh key.
    pub(crate) fn generate(kind: KeyKind) -> Result<Self, String> {
        let rcgen_key = |generated: Result<KeyPair, rcgen::Error>| {
            let pair = generated.map_err(|e| format!("key generation failed: {e}"))?;
            Ok(Self {
                kind,
                pkcs8: pair.serialize_der(),
                public: pair.public_key_raw().to_vec(),
            })
        };
        let rsa = |size| KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size);
        match kind {
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::Ed25519 => {
                rcgen_key(KeyPair::generate_for(kind.spki_algorithm()))
            }
            KeyKind::Rsa2048 => rcgen_key(rsa(RsaKeySize::_2048)),
            KeyKind::Rsa3072 => rcgen_key(rsa(RsaKeySize::_3072)),
            KeyKind::Rsa4096 => rcgen_key(rsa(RsaKeySize::_4096)),
            KeyKind::Rsa1024 => {
                let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024)
                    .map_err(|e| format!("rsa-1024 key generation failed: {e}"))?;
                let pkcs8 = key.to_pkcs8_der().map_err(|e| e.to_string())?;
                Self::from_pkcs8(kind, pkcs8.as_bytes().to_vec())
            }
        }
    }

    /// Load a key from its PKCS#8 DER, deriving the public key.
    pub(crate) fn from_pkcs8(kind: KeyKind, pkcs8: Vec<u8>) -> Result<Self, String> {
        let public = SoftKey::from_pkcs8(kind, &pkcs8)?.public_key_raw()?;
        Ok(Self {
            kind,
            pkcs8,
            public,
        })
    }

    pub(crate) fn kind(&self) -> KeyKind {
        self.kind
    }

    pub(crate) fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// This key as an rcgen (aws-lc) signer for `alg`.
    pub(crate) fn rcgen_signer(&self, alg: &'static SignatureAlgorithm) -> Result<KeyPair, String> {
        KeyPair::from_pkcs8_der_and_sign_algo(&self.pkcs8.as_slice().into(), alg)
            .map_err(|e| format!("cannot load {:?} key for signing: {e}", self.kind))
    }

    /// Sign `msg` with RustCrypto: the signer for everything rcgen cannot sign
    /// (SHA-1, ECDSA with a non-native hash, RSA-1024 issuers, re-signed v1 certs).
    /// The matching AlgorithmIdentifier is [`KeyKind::signature_algorithm`].
    pub(crate) fn sign(&self, hash: SignatureHash, msg: &[u8]) -> Result<Vec<u8>, String> {
        SoftKey::from_pkcs8(self.kind, &self.pkcs8)?.sign(hash, msg)
    }
}

impl PublicKeyData for Key {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.kind.spki_algorithm()
    }
}

/// RustCrypto view of a PKCS#8 private key.
enum SoftKey {
    Rsa(rsa::RsaPrivateKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SoftKey {
    fn from_pkcs8(kind: KeyKind, der: &[u8]) -> Result<Self, String> {
        let parsed = match kind {
            KeyKind::EcdsaP256 => p256::ecdsa::SigningKey::from_pkcs8_der(der).map(Self::P256),
            KeyKind::EcdsaP384 => p384::ecdsa::SigningKey::from_pkcs8_der(der).map(Self::P384),
            KeyKind::Ed25519 => ed25519_dalek::SigningKey::from_pkcs8_der(der).map(Self::Ed25519),
            _ => rsa::RsaPrivateKey::from_pkcs8_der(der).map(Self::Rsa),
        }
        .map_err(|e| format!("not a {kind:?} PKCS#8 key: {e}"))?;
        // Every RSA size parses as RSA; a kept key must also have the size asked for.
        if let (Self::Rsa(key), Some(bits)) = (&parsed, kind.rsa_bits()) {
            if key.size() * 8 != bits {
                return Err(format!("a {}-bit RSA key is not {kind:?}", key.size() * 8));
            }
        }
        Ok(parsed)
    }

    /// The public key as it appears in subjectPublicKey: PKCS#1 RSAPublicKey for
    /// RSA, the uncompressed point for ECDSA, the 32 raw bytes for Ed25519.
    fn public_key_raw(&self) -> Result<Vec<u8>, String> {
        Ok(match self {
            Self::Rsa(key) => key
                .to_public_key()
                .to_pkcs1_der()
                .map_err(|e| e.to_string())?
                .into_vec(),
            Self::P256(key) => key
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Self::P384(key) => key
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Self::Ed25519(key) => key.verifying_key().to_bytes().to_vec(),
        })
    }

    fn sign(&self, hash: SignatureHash, msg: &[u8]) -> Result<Vec<u8>, String> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        use p256::ecdsa::signature::Signer;
        let failed = |e: &dyn std::fmt::Display| format!("signing with {hash:?} failed: {e}");
        match self {
            Self::Rsa(key) => key
                .sign_with_rng(&mut rand::rngs::OsRng, hash.pkcs1v15(), &hash.digest(msg))
                .map_err(|e| failed(&e)),
            Self::P256(key) => {
                let sig: p256::ecdsa::DerSignature = key
                    .sign_prehash(&hash.digest(msg))
                    .map_err(|e| failed(&e))?;
                Ok(sig.as_bytes().to_vec())
            }
            Self::P384(key) => {
                let sig: p384::ecdsa::DerSignature = key
                    .sign_prehash(&hash.digest(msg))
                    .map_err(|e| failed(&e))?;
                Ok(sig.as_bytes().to_vec())
            }
            Self::Ed25519(key) => Ok(key.sign(msg).to_bytes().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [KeyKind; 7] = [
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::Ed25519,
        KeyKind::Rsa1024,
        KeyKind::Rsa2048,
        KeyKind::Rsa3072,
        KeyKind::Rsa4096,
    ];

    /// Reloading a generated key from its PKCS#8 must reproduce the public key
    /// rcgen reported, or certificates issued from a cached key would not match.
    #[test]
    fn reloaded_key_has_the_generated_public_key() {
        for kind in ALL {
            let key = Key::generate(kind).unwrap();
            let reloaded = Key::from_pkcs8(kind, key.pkcs8().to_vec()).unwrap();
            assert_eq!(reloaded.public, key.public, "{kind:?}");
        }
    }

    #[test]
    fn a_key_of_another_rsa_size_is_rejected() {
        let key = Key::generate(KeyKind::Rsa1024).unwrap();
        let e = Key::from_pkcs8(KeyKind::Rsa2048, key.pkcs8().to_vec())
            .err()
            .unwrap();
        assert_eq!(e, "a 1024-bit RSA key is not Rsa2048");
    }

    /// The reason RSA-1024 goes through RustCrypto: aws-lc refuses to load it.
    #[test]
    fn aws_lc_refuses_rsa_1024_as_a_signer() {
        let key = Key::generate(KeyKind::Rsa1024).unwrap();
        assert!(key.rcgen_signer(&rcgen::PKCS_RSA_SHA256).is_err());
        assert_eq!(
            KeyKind::Rsa1024.rcgen_algorithm(SignatureHash::Sha256),
            None
        );
    }

    #[test]
    fn soft_signatures_verify() {
        use p256::ecdsa::signature::Verifier;
        let msg = b"tbs";
        let p256 = Key::generate(KeyKind::EcdsaP256).unwrap();
        let sig = p256.sign(SignatureHash::Sha256, msg).unwrap();
        let SoftKey::P256(sk) = SoftKey::from_pkcs8(KeyKind::EcdsaP256, p256.pkcs8()).unwrap()
        else {
            unreachable!()
        };
        let sig = p256::ecdsa::DerSignature::try_from(sig.as_slice()).unwrap();
        sk.verifying_key().verify(msg, &sig).unwrap();

        let rsa = Key::generate(KeyKind::Rsa1024).unwrap();
        let sig = rsa.sign(SignatureHash::Sha1, msg).unwrap();
        let SoftKey::Rsa(sk) = SoftKey::from_pkcs8(KeyKind::Rsa1024, rsa.pkcs8()).unwrap() else {
            unreachable!()
        };
        let digest = SignatureHash::Sha1.digest(msg);
        sk.to_public_key()
            .verify(SignatureHash::Sha1.pkcs1v15(), &digest, &sig)
            .unwrap();
    }

    #[test]
    fn p384_cannot_sign_sha1() {
        assert!(!KeyKind::EcdsaP384.can_sign_with(SignatureHash::Sha1));
        let key = Key::generate(KeyKind::EcdsaP384).unwrap();
        assert!(key.sign(SignatureHash::Sha1, b"x").is_err());
        assert!(KeyKind::EcdsaP256.can_sign_with(SignatureHash::Sha1));
    }
}
