use std::sync::OnceLock;

use proptest::prelude::*;
use rcgen::{CertificateParams, KeyPair, RsaKeySize};
use rsa::pkcs8::EncodePrivateKey;
use rsa::RsaPublicKey;

use super::*;
use crate::engine::scripted::crypto::verify::verify_signature;

type S = SignatureScheme;

/// A test key: its PKCS#8 and, where rcgen can make one, a self-signed certificate.
struct Fixture {
    name: &'static str,
    pkcs8: Vec<u8>,
    cert: Option<Vec<u8>>,
}

/// RSA-2048, RSA-1024, P-256 and P-384 keys, generated once per test run.
fn fixtures() -> &'static [Fixture] {
    static KEYS: OnceLock<Vec<Fixture>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rcgen = |name, pair: KeyPair| Fixture {
            name,
            pkcs8: pair.serialize_der(),
            cert: Some(
                CertificateParams::new(Vec::<String>::new())
                    .unwrap()
                    .self_signed(&pair)
                    .unwrap()
                    .der()
                    .to_vec(),
            ),
        };
        let rsa1024 = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
        vec![
            rcgen(
                "rsa-2048",
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048).unwrap(),
            ),
            Fixture {
                name: "rsa-1024",
                pkcs8: rsa1024.to_pkcs8_der().unwrap().as_bytes().to_vec(),
                cert: None,
            },
            rcgen(
                "p-256",
                KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
            ),
            rcgen(
                "p-384",
                KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
            ),
        ]
    })
}

fn key(name: &str) -> (ServerKey, &'static Fixture) {
    let fixture = fixtures().iter().find(|f| f.name == name).unwrap();
    (ServerKey::from_pkcs8(&fixture.pkcs8).unwrap(), fixture)
}

fn rsa_public(fixture: &Fixture) -> RsaPublicKey {
    RsaPrivateKey::from_pkcs8_der(&fixture.pkcs8)
        .unwrap()
        .to_public_key()
}

const RSA_SCHEMES: [S; 7] = [
    S::RSA_PKCS1_SHA1,
    S::RSA_PKCS1_SHA256,
    S::RSA_PKCS1_SHA384,
    S::RSA_PKCS1_SHA512,
    S::RSA_PSS_RSAE_SHA256,
    S::RSA_PSS_RSAE_SHA384,
    S::RSA_PSS_RSAE_SHA512,
];
const ECDSA_SCHEMES: [S; 4] = [
    S::ECDSA_SHA1,
    S::ECDSA_SECP256R1_SHA256,
    S::ECDSA_SECP384R1_SHA384,
    S::ECDSA_SECP521R1_SHA512,
];

#[test]
fn loads_rsa_of_any_size_ecdsa_on_p256_and_p384_and_ed25519() {
    for (name, rsa, fast) in [
        ("rsa-2048", true, true),
        ("rsa-1024", true, false),
        ("p-256", false, false),
        ("p-384", false, false),
    ] {
        let (key, _) = key(name);
        assert_eq!((key.is_rsa(), key.is_ecdsa()), (rsa, !rsa), "{name}");
        if let Key::Rsa(rsa) = &key.0 {
            assert_eq!(
                rsa.fast.is_some(),
                fast,
                "{name}: aws-lc takes 2048 bits and up"
            );
        }
    }
    let ed25519 = KeyPair::generate_for(&rcgen::PKCS_ED25519)
        .unwrap()
        .serialize_der();
    let key = ServerKey::from_pkcs8(&ed25519).unwrap();
    assert_eq!((key.is_rsa(), key.is_ecdsa()), (false, false));
    assert_eq!(
        key.choose_tls13_scheme(&[
            SignatureScheme::ECDSA_SECP256R1_SHA256,
            SignatureScheme::ED25519
        ]),
        Some(SignatureScheme::ED25519)
    );
    assert_eq!(
        key.sign(Some(SignatureScheme::ED25519), b"m")
            .unwrap()
            .len(),
        64
    );
    assert!(key
        .sign(Some(SignatureScheme::ECDSA_SECP256R1_SHA256), b"m")
        .is_err());
    for bad in [&b""[..], b"\x30\x03\x02\x01\x00"] {
        assert_eq!(
            ServerKey::from_pkcs8(bad).err(),
            Some(CryptoError::UnsupportedKey)
        );
    }
}

/// Every scheme each key can make verifies against its certificate (RSA-1024 against
/// its public key); a flipped bit does not.
#[test]
fn signatures_verify_for_every_scheme() {
    let message = b"client random || server random || ECDHE params";
    for fixture in fixtures() {
        let (key, _) = key(fixture.name);
        let schemes: Vec<_> = if key.is_rsa() {
            RSA_SCHEMES.to_vec()
        } else {
            ECDSA_SCHEMES.to_vec()
        };
        for scheme in schemes.into_iter().map(Some).chain([None]) {
            let what = format!("{} {scheme:?}", fixture.name);
            if fixture.name == "rsa-1024" && scheme == Some(S::RSA_PSS_RSAE_SHA512) {
                assert_eq!(
                    key.sign(scheme, message),
                    Err(CryptoError::UnsupportedScheme(S::RSA_PSS_RSAE_SHA512))
                );
                continue;
            }
            let mut sig = key.sign(scheme, message).unwrap();
            match &fixture.cert {
                Some(cert) => {
                    assert_eq!(
                        verify_signature(cert, scheme, message, &sig),
                        Ok(()),
                        "{what}"
                    );
                    assert_eq!(
                        verify_signature(cert, scheme, b"other", &sig),
                        Err(CryptoError::BadSignature),
                        "{what}"
                    );
                    let last = sig.len() - 1;
                    sig[last] ^= 1;
                    assert_eq!(
                        verify_signature(cert, scheme, message, &sig),
                        Err(CryptoError::BadSignature),
                        "{what}"
                    );
                }
                None => {
                    let alg =
                        scheme.map_or(SigAlg::legacy(true), |s| SigAlg::from_scheme(s).unwrap());
                    let digest = alg.hash().digest(message);
                    let public = rsa_public(fixture);
                    let result = match alg {
                        SigAlg::RsaPss(hash) => public.verify(pss(hash), &digest, &sig),
                        _ => public.verify(pkcs1(alg.hash()), &digest, &sig),
                    };
                    assert!(result.is_ok(), "{what}");
                }
            }
        }
    }
}

/// aws-lc (fast path) and RustCrypto (the path for small keys) make the same
/// deterministic PKCS#1 v1.5 signatures with the same key.
#[test]
fn aws_lc_and_rustcrypto_agree_on_pkcs1() {
    let (key, fixture) = key("rsa-2048");
    let Key::Rsa(rsa) = &key.0 else {
        unreachable!()
    };
    let soft = RsaKey {
        soft: rsa.soft.clone(),
        fast: None,
    };
    for scheme in [
        S::RSA_PKCS1_SHA256,
        S::RSA_PKCS1_SHA384,
        S::RSA_PKCS1_SHA512,
    ] {
        let alg = SigAlg::from_scheme(scheme).unwrap();
        assert!(aws_encoding(alg).is_some());
        assert_eq!(
            rsa.sign(alg, b"msg").unwrap(),
            soft.sign(alg, b"msg").unwrap(),
            "{scheme}"
        );
    }
    // And the fast path decrypts what RustCrypto encrypts.
    let ciphertext = rsa_public(fixture)
        .encrypt(&mut rand::thread_rng(), Pkcs1v15Encrypt, &[3; 48])
        .unwrap();
    assert_eq!(key.decrypt_premaster(&ciphertext), Ok([3; 48]));
}

#[test]
fn sign_refuses_schemes_the_key_cannot_make() {
    let (rsa, _) = key("rsa-2048");
    let (ecdsa, _) = key("p-256");
    for scheme in [
        S::ECDSA_SECP256R1_SHA256,
        S::ED25519,
        S::RSA_PSS_PSS_SHA256,
        S::RSA_PKCS1_MD5,
    ] {
        assert_eq!(
            rsa.sign(Some(scheme), b"m"),
            Err(CryptoError::UnsupportedScheme(scheme))
        );
    }
    for scheme in [S::RSA_PKCS1_SHA256, S::RSA_PSS_RSAE_SHA256, S::ED25519] {
        assert_eq!(
            ecdsa.sign(Some(scheme), b"m"),
            Err(CryptoError::UnsupportedScheme(scheme))
        );
    }
}

#[test]
fn choose_scheme_takes_the_clients_first_usable_one() {
    let (rsa, _) = key("rsa-2048");
    let (rsa1024, _) = key("rsa-1024");
    let (p384, _) = key("p-384");
    let offered = [
        S::ED25519,
        S::ECDSA_SECP384R1_SHA384,
        S::RSA_PSS_RSAE_SHA512,
        S::RSA_PKCS1_SHA512,
    ];
    assert_eq!(rsa.choose_scheme(&offered), Some(S::RSA_PSS_RSAE_SHA512));
    // 1024 bits leave no room for PSS with SHA-512.
    assert_eq!(rsa1024.choose_scheme(&offered), Some(S::RSA_PKCS1_SHA512));
    assert_eq!(
        p384.choose_scheme(&offered),
        Some(S::ECDSA_SECP384R1_SHA384)
    );
    assert_eq!(
        rsa.choose_scheme(&[S::ED25519, SignatureScheme(0x0a0a)]),
        None
    );
    // No signature_algorithms extension: RFC 5246's SHA-1 default.
    assert_eq!(rsa.choose_scheme(&[]), Some(S::RSA_PKCS1_SHA1));
    assert_eq!(p384.choose_scheme(&[]), Some(S::ECDSA_SHA1));
}

#[test]
fn premaster_decrypts_with_large_and_small_keys() {
    for name in ["rsa-2048", "rsa-1024"] {
        let (key, fixture) = key(name);
        let public = rsa_public(fixture);
        let encrypt = |m: &[u8]| {
            public
                .encrypt(&mut rand::thread_rng(), Pkcs1v15Encrypt, m)
                .unwrap()
        };
        let mut premaster = [0x42; 48];
        premaster[..2].copy_from_slice(&[3, 3]);
        let good = encrypt(&premaster);
        assert_eq!(key.decrypt_premaster(&good), Ok(premaster), "{name}");
        assert_eq!(
            key.decrypt_premaster_or_random(&good, ProtocolVersion::TLS12),
            premaster,
            "{name}"
        );
        // Wrong version, wrong length, garbage: a random premaster carrying the
        // ClientHello version, different every time.
        let wrong_version = key.decrypt_premaster_or_random(&good, ProtocolVersion::TLS11);
        let short = encrypt(&premaster[..47]);
        assert_eq!(
            key.decrypt_premaster(&short),
            Err(CryptoError::Decrypt),
            "{name}"
        );
        let garbage = vec![0xff; good.len()];
        for ciphertext in [&good[..], &short[..], &good[1..], &[][..], &garbage[..]] {
            let version = if ciphertext == &good[..] {
                ProtocolVersion::TLS11
            } else {
                ProtocolVersion::TLS12
            };
            let random = key.decrypt_premaster_or_random(ciphertext, version);
            assert_eq!(random[..2], version.0.to_be_bytes(), "{name}");
            assert_ne!(random, premaster, "{name}");
            assert_ne!(
                random,
                key.decrypt_premaster_or_random(ciphertext, version),
                "{name}"
            );
        }
        assert_ne!(wrong_version, premaster);
    }
    let (ecdsa, _) = key("p-256");
    assert_eq!(
        ecdsa.decrypt_premaster(&[0; 256]),
        Err(CryptoError::Decrypt)
    );
}

#[test]
fn verify_rejects_bad_certificates_and_mismatched_schemes() {
    let rsa_cert = key("rsa-2048").1.cert.as_deref().unwrap();
    let ecdsa_cert = key("p-256").1.cert.as_deref().unwrap();
    assert_eq!(
        verify_signature(b"not a certificate", None, b"m", b"s"),
        Err(CryptoError::BadCertificate)
    );
    assert_eq!(
        verify_signature(&rsa_cert[..100], None, b"m", b"s"),
        Err(CryptoError::BadCertificate)
    );
    assert_eq!(
        verify_signature(rsa_cert, Some(S::ECDSA_SECP256R1_SHA256), b"m", b"s"),
        Err(CryptoError::UnsupportedScheme(S::ECDSA_SECP256R1_SHA256))
    );
    assert_eq!(
        verify_signature(ecdsa_cert, Some(S::RSA_PKCS1_SHA256), b"m", b"s"),
        Err(CryptoError::UnsupportedScheme(S::RSA_PKCS1_SHA256))
    );
    let ed25519 = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let ed_cert = CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .self_signed(&ed25519)
        .unwrap();
    assert_eq!(
        verify_signature(ed_cert.der(), Some(S::ED25519), b"m", b"s"),
        Err(CryptoError::BadCertificate)
    );
}

proptest! {
    #[test]
    fn verify_never_panics_on_peer_signatures(signature in proptest::collection::vec(any::<u8>(), 0..300), scheme: u16) {
        for fixture in fixtures().iter().filter(|f| f.cert.is_some()) {
            let cert = fixture.cert.as_deref().unwrap();
            let _ = verify_signature(cert, Some(SignatureScheme(scheme)), b"m", &signature);
            prop_assert!(verify_signature(cert, None, b"m", &signature).is_err());
        }
    }
}
