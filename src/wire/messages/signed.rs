//! Signatures in handshake messages, whose form changed in TLS 1.2: from a bare
//! signature to one that names its [`SignatureScheme`].

use super::HandshakePayload;
use crate::wire::codec::put_opaque;
use crate::wire::{Codec, DecodeError, HandshakeType, ProtocolVersion, Reader, SignatureScheme};

/// Whether signatures (and certificate requests) name signature schemes in `version`:
/// from TLS 1.2 on (RFC 5246 §7.4.1.4.1).
pub(super) fn names_schemes(version: ProtocolVersion) -> bool {
    version >= ProtocolVersion::TLS12
}

/// A signature as carried in ServerKeyExchange and CertificateVerify (RFC 5246
/// §4.7): TLS 1.2 precedes it with the scheme, TLS 1.0 and 1.1 do not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitallySigned {
    /// The scheme, present in TLS 1.2 only (written whenever it is `Some`).
    pub scheme: Option<SignatureScheme>,
    /// The signature bytes.
    pub sig: Vec<u8>,
}

impl DigitallySigned {
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        if let Some(scheme) = self.scheme {
            scheme.encode(out);
        }
        put_opaque::<2>(out, &self.sig);
    }

    /// Read a signature of a `version` handshake.
    pub(super) fn read(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        Ok(Self {
            scheme: if names_schemes(version) {
                Some(SignatureScheme::read(r)?)
            } else {
                None
            },
            sig: r.take_u16_prefixed("signature")?.to_vec(),
        })
    }
}

/// CertificateVerify (RFC 5246 §7.4.8): the client's signature over the transcript.
/// Decoding takes the negotiated version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateVerify(pub DigitallySigned);

impl HandshakePayload for CertificateVerify {
    const TYPE: HandshakeType = HandshakeType::CERTIFICATE_VERIFY;
    type Context = ProtocolVersion;

    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }

    fn read(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        DigitallySigned::read(r, version).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::messages::check::check_payload;

    #[test]
    fn tls12_names_the_scheme_and_earlier_versions_do_not() {
        let v12 = CertificateVerify(DigitallySigned {
            scheme: Some(SignatureScheme::ECDSA_SECP256R1_SHA256),
            sig: vec![0x30, 1, 2],
        });
        check_payload(&v12, ProtocolVersion::TLS12);
        assert_eq!(v12.to_message().body, [4, 3, 0, 3, 0x30, 1, 2]);

        for version in [ProtocolVersion::TLS10, ProtocolVersion::TLS11] {
            let old = CertificateVerify(DigitallySigned {
                scheme: None,
                sig: vec![7; 36],
            });
            check_payload(&old, version);
            assert_eq!(old.to_message().body[..2], [0, 36]);
        }
        // The same bytes read as a TLS 1.2 signature lose their first two bytes to the
        // scheme and then miss the rest.
        let body = CertificateVerify(DigitallySigned {
            scheme: None,
            sig: vec![7; 2],
        })
        .to_message()
        .body;
        assert!(matches!(
            CertificateVerify::from_body(&body, ProtocolVersion::TLS12),
            Err(DecodeError::Truncated { .. })
        ));
    }
}
