//! ServerKeyExchange (ECDHE) and ClientKeyExchange (RSA or ECDHE).

use super::signed::DigitallySigned;
use super::HandshakePayload;
use crate::wire::codec::put_opaque;
use crate::wire::{Codec, DecodeError, HandshakeType, NamedGroup, ProtocolVersion, Reader};

/// `ServerECDHParams` with a named curve (RFC 8422 §5.4): the group and the server's
/// ephemeral public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcdheParams {
    /// The group (`namedcurve`).
    pub group: NamedGroup,
    /// The encoded public key: an uncompressed point, or 32 bytes for X25519.
    pub public: Vec<u8>,
}

impl EcdheParams {
    /// `ECCurveType.named_curve`, the only curve type written or accepted.
    pub const NAMED_CURVE: u8 = 3;

    /// The bytes the server signs: `client_random || server_random || params`
    /// (RFC 8422 §5.4).
    pub fn signed_message(&self, client_random: &[u8; 32], server_random: &[u8; 32]) -> Vec<u8> {
        let mut out = [client_random.as_slice(), server_random].concat();
        self.encode(&mut out);
        out
    }
}

impl Codec for EcdheParams {
    const WHAT: &'static str = "ECDH parameters";

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(Self::NAMED_CURVE);
        self.group.encode(out);
        put_opaque::<1>(out, &self.public);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.take_array("curve_type")? {
            [Self::NAMED_CURVE] => {}
            [other] => {
                return Err(DecodeError::Invalid {
                    what: Self::WHAT,
                    reason: format!("curve type {other}: only named_curve(3) is supported"),
                })
            }
        }
        Ok(Self {
            group: NamedGroup::read(r)?,
            public: r.take_u8_prefixed("public key")?.to_vec(),
        })
    }
}

/// ServerKeyExchange for ECDHE (RFC 8422 §5.4): the parameters and the signature
/// over [`EcdheParams::signed_message`]. Decoding takes the negotiated version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The ephemeral key.
    pub params: EcdheParams,
    /// The server's signature.
    pub signature: DigitallySigned,
}

impl HandshakePayload for ServerKeyExchange {
    const TYPE: HandshakeType = HandshakeType::SERVER_KEY_EXCHANGE;
    type Context = ProtocolVersion;

    fn encode(&self, out: &mut Vec<u8>) {
        self.params.encode(out);
        self.signature.encode(out);
    }

    fn read(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        Ok(Self {
            params: EcdheParams::read(r)?,
            signature: DigitallySigned::read(r, version)?,
        })
    }
}

/// The key exchange of the negotiated suite, as far as the ClientKeyExchange form
/// depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchangeKind {
    /// Static RSA: the client encrypts the premaster secret to the server's key.
    Rsa,
    /// ECDHE (with RSA or ECDSA signatures): the client sends its ephemeral key.
    Ecdhe,
}

/// ClientKeyExchange (RFC 5246 §7.4.7, RFC 8422 §5.7). Decoding takes the
/// [`KeyExchangeKind`]: the body alone does not say which form it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKeyExchange {
    /// The RSA-encrypted premaster secret (behind a `u16` length since TLS 1.0).
    EncryptedPreMaster(Vec<u8>),
    /// The client's ephemeral ECDH public key (behind a `u8` length).
    EcdhPublic(Vec<u8>),
}

impl HandshakePayload for ClientKeyExchange {
    const TYPE: HandshakeType = HandshakeType::CLIENT_KEY_EXCHANGE;
    type Context = KeyExchangeKind;

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::EncryptedPreMaster(encrypted) => put_opaque::<2>(out, encrypted),
            Self::EcdhPublic(public) => put_opaque::<1>(out, public),
        }
    }

    fn read(r: &mut Reader<'_>, kind: KeyExchangeKind) -> Result<Self, DecodeError> {
        Ok(match kind {
            KeyExchangeKind::Rsa => {
                Self::EncryptedPreMaster(r.take_u16_prefixed("encrypted premaster")?.to_vec())
            }
            KeyExchangeKind::Ecdhe => {
                Self::EcdhPublic(r.take_u8_prefixed("ECDH public key")?.to_vec())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::check_codec;
    use crate::wire::messages::check::check_payload;
    use crate::wire::SignatureScheme;

    fn params() -> EcdheParams {
        EcdheParams {
            group: NamedGroup::X25519,
            public: vec![0x42; 32],
        }
    }

    #[test]
    fn params_use_named_curves_only() {
        check_codec(&params());
        check_codec(&EcdheParams {
            group: NamedGroup(0x7777),
            public: vec![],
        });
        let bytes = params().to_bytes();
        assert_eq!(bytes[..4], [3, 0, 29, 32]);
        let mut explicit = bytes;
        explicit[0] = 1;
        assert!(matches!(
            EcdheParams::from_bytes(&explicit),
            Err(DecodeError::Invalid { .. })
        ));
    }

    #[test]
    fn the_signed_message_is_both_randoms_then_the_params() {
        let signed = params().signed_message(&[1; 32], &[2; 32]);
        assert_eq!(signed[..32], [1; 32]);
        assert_eq!(signed[32..64], [2; 32]);
        assert_eq!(signed[64..], params().to_bytes());
    }

    #[test]
    fn server_key_exchange_round_trips_in_each_version() {
        let v12 = ServerKeyExchange {
            params: params(),
            signature: DigitallySigned {
                scheme: Some(SignatureScheme::RSA_PSS_RSAE_SHA256),
                sig: vec![5; 256],
            },
        };
        check_payload(&v12, ProtocolVersion::TLS12);
        let v10 = ServerKeyExchange {
            signature: DigitallySigned {
                scheme: None,
                sig: vec![5; 128],
            },
            ..v12
        };
        check_payload(&v10, ProtocolVersion::TLS10);
        assert_eq!(v10.to_message().body[36..38], [0, 128]);
    }

    #[test]
    fn client_key_exchange_form_follows_the_kind() {
        let rsa = ClientKeyExchange::EncryptedPreMaster(vec![9; 256]);
        check_payload(&rsa, KeyExchangeKind::Rsa);
        assert_eq!(rsa.to_message().body[..2], [1, 0]);
        let ecdh = ClientKeyExchange::EcdhPublic(vec![4; 65]);
        check_payload(&ecdh, KeyExchangeKind::Ecdhe);
        assert_eq!(ecdh.to_message().body[0], 65);
        // The kind decides: the ECDH body read as RSA is a different, truncated length.
        assert!(
            ClientKeyExchange::from_body(&ecdh.to_message().body, KeyExchangeKind::Rsa).is_err()
        );
    }
}
