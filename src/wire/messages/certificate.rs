//! Certificate (either side's) and CertificateRequest.

use super::signed::names_schemes;
use super::HandshakePayload;
use crate::wire::codec::{put_list, put_opaque, put_prefixed, read_list};
use crate::wire::{DecodeError, HandshakeType, ProtocolVersion, Reader, SignatureScheme};

wire_enum! {
    /// Certificate type a CertificateRequest accepts (IANA "TLS ClientCertificateType
    /// Identifiers").
    ClientCertificateType(u8) as "client certificate type", code "{}";
    RSA_SIGN = 1 => "rsa_sign",
    DSS_SIGN = 2 => "dss_sign",
    RSA_FIXED_DH = 3 => "rsa_fixed_dh",
    DSS_FIXED_DH = 4 => "dss_fixed_dh",
    RSA_EPHEMERAL_DH = 5 => "rsa_ephemeral_dh_RESERVED",
    DSS_EPHEMERAL_DH = 6 => "dss_ephemeral_dh_RESERVED",
    FORTEZZA_DMS = 20 => "fortezza_dms_RESERVED",
    ECDSA_SIGN = 64 => "ecdsa_sign",
    RSA_FIXED_ECDH = 65 => "rsa_fixed_ecdh",
    ECDSA_FIXED_ECDH = 66 => "ecdsa_fixed_ecdh",
    GOST_SIGN256 = 67 => "gost_sign256",
    GOST_SIGN512 = 68 => "gost_sign512",
}

/// Certificate (RFC 5246 §7.4.2 and §7.4.6): a chain of DER certificates, leaf first.
/// A client without a certificate sends an empty chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    /// DER certificates, in the order sent.
    pub chain: Vec<Vec<u8>>,
}

impl HandshakePayload for Certificate {
    const TYPE: HandshakeType = HandshakeType::CERTIFICATE;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque_list::<3, 3>(out, &self.chain);
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        let list = r.take_u24_prefixed("certificate_list")?;
        Ok(Self {
            chain: read_opaque_list::<3>(list, "certificate")?,
        })
    }
}

/// CertificateRequest (RFC 5246 §7.4.4; RFC 4346 §7.4.4 before TLS 1.2). Decoding
/// takes the negotiated version, which decides whether the schemes are present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    /// `certificate_types`.
    pub cert_types: Vec<ClientCertificateType>,
    /// `supported_signature_algorithms`: TLS 1.2 only (written whenever `Some`).
    pub sig_schemes: Option<Vec<SignatureScheme>>,
    /// `certificate_authorities`: the DER of each DistinguishedName. Empty means
    /// "any CA" and is sent as an empty list (`00 00`).
    pub ca_names: Vec<Vec<u8>>,
}

impl HandshakePayload for CertificateRequest {
    const TYPE: HandshakeType = HandshakeType::CERTIFICATE_REQUEST;
    type Context = ProtocolVersion;

    fn encode(&self, out: &mut Vec<u8>) {
        put_list::<1, _>(out, &self.cert_types);
        if let Some(schemes) = &self.sig_schemes {
            put_list::<2, _>(out, schemes);
        }
        put_opaque_list::<2, 2>(out, &self.ca_names);
    }

    fn read(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let cert_types = read_list(r.take_u8_prefixed("certificate_types")?)?;
        let sig_schemes = if names_schemes(version) {
            Some(read_list(
                r.take_u16_prefixed("supported_signature_algorithms")?,
            )?)
        } else {
            None
        };
        let names = r.take_u16_prefixed("certificate_authorities")?;
        Ok(Self {
            cert_types,
            sig_schemes,
            ca_names: read_opaque_list::<2>(names, "distinguished name")?,
        })
    }
}

/// A list (length in `L` bytes) of opaque items (each behind a length in `I` bytes).
pub(super) fn put_opaque_list<const L: usize, const I: usize>(
    out: &mut Vec<u8>,
    items: &[Vec<u8>],
) {
    put_prefixed::<L>(out, |list| {
        items.iter().for_each(|item| put_opaque::<I>(list, item))
    });
}

/// The items of an opaque list's body, each behind a length in `I` bytes.
pub(super) fn read_opaque_list<const I: usize>(
    list: &[u8],
    what: &'static str,
) -> Result<Vec<Vec<u8>>, DecodeError> {
    let mut r = Reader::new(list);
    let mut items = Vec::new();
    while !r.remaining().is_empty() {
        items.push(r.take_prefixed::<I>(what)?.to_vec());
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::macros::check_registry;
    use crate::wire::messages::check::check_payload;

    #[test]
    fn registry_round_trips() {
        check_registry(
            ClientCertificateType::KNOWN,
            ClientCertificateType::name,
            ClientCertificateType::from_name,
        );
        assert_eq!(ClientCertificateType(99).to_string(), "unknown(99)");
    }

    #[test]
    fn chains_round_trip_and_an_empty_one_is_three_zero_bytes() {
        check_payload(
            &Certificate {
                chain: vec![vec![0x30; 300], vec![0x30, 0], vec![]],
            },
            (),
        );
        let empty = Certificate::default();
        check_payload(&empty, ());
        assert_eq!(empty.to_message().body, [0, 0, 0]);
    }

    fn request(sig_schemes: Option<Vec<SignatureScheme>>) -> CertificateRequest {
        CertificateRequest {
            cert_types: vec![
                ClientCertificateType::RSA_SIGN,
                ClientCertificateType::ECDSA_SIGN,
                ClientCertificateType(200),
            ],
            sig_schemes,
            ca_names: vec![
                b"0\x0e1\x0c0\n\x06\x03U\x04\x03\x0c\x03CA1".to_vec(),
                vec![0x30, 0],
            ],
        }
    }

    #[test]
    fn requests_round_trip_in_each_version() {
        let v12 = request(Some(vec![
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme(0xfefe),
        ]));
        check_payload(&v12, ProtocolVersion::TLS12);
        check_payload(&request(None), ProtocolVersion::TLS10);
        check_payload(&request(None), ProtocolVersion::TLS11);
        check_payload(&request(Some(vec![])), ProtocolVersion::TLS12);
    }

    #[test]
    fn an_empty_ca_list_is_two_zero_bytes() {
        let any_ca = CertificateRequest {
            cert_types: vec![ClientCertificateType::RSA_SIGN],
            sig_schemes: Some(vec![SignatureScheme::RSA_PKCS1_SHA256]),
            ca_names: vec![],
        };
        check_payload(&any_ca, ProtocolVersion::TLS12);
        assert_eq!(any_ca.to_message().body, [1, 1, 0, 2, 4, 1, 0, 0]);
    }

    #[test]
    fn ca_names_decode_to_the_same_der() {
        let sent = request(None);
        let body = sent.to_message().body;
        let got = CertificateRequest::from_body(&body, ProtocolVersion::TLS10).unwrap();
        assert_eq!(got.ca_names, sent.ca_names);
        // Read as TLS 1.2, the CA list is taken for the schemes and the names are missing.
        assert!(CertificateRequest::from_body(&body, ProtocolVersion::TLS12).is_err());
    }
}
