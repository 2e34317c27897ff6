//! Ephemeral ECDH (RFC 8422 §5.4, RFC 7748 for X25519) and, in TLS 1.3, the
//! X25519MLKEM768 hybrid (draft-ietf-tls-ecdhe-mlkem), with aws-lc.

use aws_lc_rs::agreement::{self, Algorithm, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::kem::{EncapsulationKey, ML_KEM_768};

use super::CryptoError;
use crate::wire::NamedGroup;

/// The groups the engine offers, in its order of preference.
pub(crate) const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

/// The groups the engine offers in TLS 1.3, in its order of preference.
pub(crate) const TLS13_GROUPS: [NamedGroup; 4] = [
    NamedGroup::X25519MLKEM768,
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

/// ML-KEM-768's encapsulation key and ciphertext lengths (FIPS 203 §8).
const MLKEM768_EK_LEN: usize = 1184;

/// The server's TLS 1.3 key exchange on the client's `share`: the server's share and
/// the shared secret (RFC 8446 §4.2.8; for the hybrid, the ML-KEM ciphertext then the
/// X25519 share, and the ML-KEM secret then the X25519 one).
pub(crate) fn respond(group: NamedGroup, share: &[u8]) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    if group != NamedGroup::X25519MLKEM768 {
        let (key, public) = EphemeralKey::generate(group)?;
        return Ok((public, key.agree(share)?));
    }
    if share.len() != MLKEM768_EK_LEN + 32 {
        return Err(CryptoError::BadKeyShare);
    }
    let (ek, x25519) = share.split_at(MLKEM768_EK_LEN);
    let ek = EncapsulationKey::new(&ML_KEM_768, ek).map_err(|_| CryptoError::BadKeyShare)?;
    let (ciphertext, mlkem_secret) = ek.encapsulate().map_err(|_| CryptoError::Internal)?;
    let (key, public) = EphemeralKey::generate(NamedGroup::X25519)?;
    let x25519_secret = key.agree(x25519)?;
    Ok((
        [ciphertext.as_ref(), &public].concat(),
        [mlkem_secret.as_ref(), &x25519_secret].concat(),
    ))
}

fn algorithm(group: NamedGroup) -> Result<&'static Algorithm, CryptoError> {
    match group {
        NamedGroup::X25519 => Ok(&agreement::X25519),
        NamedGroup::SECP256R1 => Ok(&agreement::ECDH_P256),
        NamedGroup::SECP384R1 => Ok(&agreement::ECDH_P384),
        other => Err(CryptoError::UnsupportedGroup(other)),
    }
}

/// The server's half of one ECDHE exchange; used once.
pub(crate) struct EphemeralKey(PrivateKey);

impl EphemeralKey {
    /// A fresh key on `group` and its public value as ServerKeyExchange carries it
    /// (32 bytes for X25519, an uncompressed point for the NIST curves).
    pub(crate) fn generate(group: NamedGroup) -> Result<(Self, Vec<u8>), CryptoError> {
        let key = PrivateKey::generate(algorithm(group)?).map_err(|_| CryptoError::Internal)?;
        let public = key
            .compute_public_key()
            .map_err(|_| CryptoError::Internal)?;
        Ok((Self(key), public.as_ref().to_vec()))
    }

    /// The premaster secret from the client's public value (ClientKeyExchange): the
    /// shared X coordinate or X25519 output. Invalid points, and X25519 values that
    /// give the all-zero secret, are [`CryptoError::BadKeyShare`].
    pub(crate) fn agree(self, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let peer = UnparsedPublicKey::new(self.0.algorithm(), peer_public);
        agreement::agree(&self.0, peer, CryptoError::BadKeyShare, |secret| {
            Ok(secret.to_vec())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_on_every_group() {
        // (public value, shared secret) lengths.
        let lens = [(32, 32), (65, 32), (97, 48)];
        for (group, (public_len, secret_len)) in GROUPS.into_iter().zip(lens) {
            let (server, server_public) = EphemeralKey::generate(group).unwrap();
            let (client, client_public) = EphemeralKey::generate(group).unwrap();
            assert_eq!(server_public.len(), public_len, "{group}");
            let secret = server.agree(&client_public).unwrap();
            assert_eq!(secret.len(), secret_len, "{group}");
            assert_eq!(secret, client.agree(&server_public).unwrap(), "{group}");
        }
    }

    /// RFC 7748 §6.1: Alice's private key with Bob's public key.
    #[test]
    fn x25519_rfc7748_vector() {
        let alice = hex::decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
            .unwrap();
        let bob_public =
            hex::decode("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
                .unwrap();
        let key = EphemeralKey(PrivateKey::from_private_key(&agreement::X25519, &alice).unwrap());
        assert_eq!(
            hex::encode(key.agree(&bob_public).unwrap()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        );
    }

    /// The client's half of X25519MLKEM768 against `respond`: both get one secret.
    #[test]
    fn hybrid_shares_agree() {
        use aws_lc_rs::kem::{Ciphertext, DecapsulationKey};
        let dk = DecapsulationKey::generate(&ML_KEM_768).unwrap();
        let ek = dk.encapsulation_key().unwrap().key_bytes().unwrap();
        let (x, x_public) = EphemeralKey::generate(NamedGroup::X25519).unwrap();
        let share = [ek.as_ref(), &x_public].concat();
        let (server_share, secret) = respond(NamedGroup::X25519MLKEM768, &share).unwrap();
        assert_eq!((server_share.len(), secret.len()), (1088 + 32, 64));
        let (ct, server_x) = server_share.split_at(1088);
        let mlkem = dk.decapsulate(Ciphertext::from(ct)).unwrap();
        let client_secret = [mlkem.as_ref(), &x.agree(server_x).unwrap()].concat();
        assert_eq!(secret, client_secret);
        for bad in [&share[..100], &[0; 1216][..], &[]] {
            assert!(respond(NamedGroup::X25519MLKEM768, bad).is_err());
        }
        let (x_share, x_secret) = respond(NamedGroup::X25519, &x_public).unwrap();
        assert_eq!((x_share.len(), x_secret.len()), (32, 32));
    }

    #[test]
    fn bad_peer_values_are_errors() {
        for group in GROUPS {
            for peer in [&[][..], &[4; 65], &[0; 32], &[0xff; 97], &[5; 33]] {
                let (key, _) = EphemeralKey::generate(group).unwrap();
                assert_eq!(
                    key.agree(peer),
                    Err(CryptoError::BadKeyShare),
                    "{group} {}",
                    hex::encode(peer)
                );
            }
        }
        for group in [
            NamedGroup::SECP521R1,
            NamedGroup::FFDHE2048,
            NamedGroup(0x1234),
        ] {
            assert_eq!(
                EphemeralKey::generate(group).err(),
                Some(CryptoError::UnsupportedGroup(group))
            );
        }
    }
}
