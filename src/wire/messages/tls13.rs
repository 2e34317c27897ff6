//! The TLS 1.3 handshake messages (RFC 8446 §4): EncryptedExtensions, Certificate and
//! CertificateRequest with their request context and extensions, KeyUpdate,
//! NewSessionTicket; and the ClientHello's extensions, which the server reads for
//! key_share, supported_versions and cookie.

use super::certificate::{put_opaque_list, read_opaque_list};
use super::HandshakePayload;
use crate::wire::codec::{put_list, put_opaque, put_prefixed, read_list};
use crate::wire::{
    Codec, DecodeError, Extension, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion,
    Reader, SignatureScheme,
};

/// EncryptedExtensions (RFC 8446 §4.3.1): the extensions that need no key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EncryptedExtensions {
    /// The extensions, as sent.
    pub extensions: Vec<Extension>,
}

impl HandshakePayload for EncryptedExtensions {
    const TYPE: HandshakeType = HandshakeType::ENCRYPTED_EXTENSIONS;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        put_list::<2, _>(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        Ok(Self {
            extensions: read_list(r.take_u16_prefixed("extensions")?)?,
        })
    }
}

/// One certificate of a TLS 1.3 Certificate message, with its own extensions
/// (OCSP status, SCTs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEntry {
    /// The DER certificate.
    pub cert: Vec<u8>,
    /// The entry's extensions.
    pub extensions: Vec<Extension>,
}

impl Codec for CertificateEntry {
    const WHAT: &'static str = "certificate entry";

    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque::<3>(out, &self.cert);
        put_list::<2, _>(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            cert: r.take_u24_prefixed("cert_data")?.to_vec(),
            extensions: read_list(r.take_u16_prefixed("extensions")?)?,
        })
    }
}

/// Certificate in TLS 1.3 (RFC 8446 §4.4.2): the request context (empty in the
/// handshake, the CertificateRequest's after it) and the entries, leaf first. A client
/// without a certificate sends no entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate13 {
    /// `certificate_request_context`.
    pub context: Vec<u8>,
    /// `certificate_list`.
    pub entries: Vec<CertificateEntry>,
}

impl Certificate13 {
    /// A chain without per-entry extensions.
    pub fn from_chain(context: &[u8], chain: &[Vec<u8>]) -> Self {
        Self {
            context: context.to_vec(),
            entries: chain
                .iter()
                .map(|cert| CertificateEntry {
                    cert: cert.clone(),
                    extensions: Vec::new(),
                })
                .collect(),
        }
    }

    /// The DER certificates, in the order sent.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        self.entries.iter().map(|e| e.cert.clone()).collect()
    }
}

impl HandshakePayload for Certificate13 {
    const TYPE: HandshakeType = HandshakeType::CERTIFICATE;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque::<1>(out, &self.context);
        put_list::<3, _>(out, &self.entries);
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        Ok(Self {
            context: r.take_u8_prefixed("certificate_request_context")?.to_vec(),
            entries: read_list(r.take_u24_prefixed("certificate_list")?)?,
        })
    }
}

/// CertificateRequest in TLS 1.3 (RFC 8446 §4.3.2): a context the client echoes and
/// extensions (signature_algorithms, certificate_authorities, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateRequest13 {
    /// `certificate_request_context`: empty in the handshake, unique after it.
    pub context: Vec<u8>,
    /// The extensions, as sent.
    pub extensions: Vec<Extension>,
}

impl HandshakePayload for CertificateRequest13 {
    const TYPE: HandshakeType = HandshakeType::CERTIFICATE_REQUEST;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque::<1>(out, &self.context);
        put_list::<2, _>(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        Ok(Self {
            context: r.take_u8_prefixed("certificate_request_context")?.to_vec(),
            extensions: read_list(r.take_u16_prefixed("extensions")?)?,
        })
    }
}

wire_enum! {
    /// Whether the receiver of a KeyUpdate must update its own keys (RFC 8446 §4.6.3).
    KeyUpdateRequest(u8) as "key update request", code "{}";
    UPDATE_NOT_REQUESTED = 0 => "update_not_requested",
    UPDATE_REQUESTED = 1 => "update_requested",
}

/// KeyUpdate (RFC 8446 §4.6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUpdate {
    /// `request_update`.
    pub request: KeyUpdateRequest,
}

impl HandshakePayload for KeyUpdate {
    const TYPE: HandshakeType = HandshakeType::KEY_UPDATE;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        self.request.encode(out);
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        Ok(Self {
            request: KeyUpdateRequest::read(r)?,
        })
    }
}

/// NewSessionTicket in TLS 1.3 (RFC 8446 §4.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    /// `ticket_lifetime` in seconds.
    pub lifetime: u32,
    /// `ticket_age_add`.
    pub age_add: u32,
    /// `ticket_nonce`.
    pub nonce: Vec<u8>,
    /// `ticket`.
    pub ticket: Vec<u8>,
    /// The extensions (early_data), as sent.
    pub extensions: Vec<Extension>,
}

impl HandshakePayload for NewSessionTicket13 {
    const TYPE: HandshakeType = HandshakeType::NEW_SESSION_TICKET;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        out.extend_from_slice(&self.age_add.to_be_bytes());
        put_opaque::<1>(out, &self.nonce);
        put_opaque::<2>(out, &self.ticket);
        put_list::<2, _>(out, &self.extensions);
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        Ok(Self {
            lifetime: u32::from_be_bytes(r.take_array("ticket_lifetime")?),
            age_add: u32::from_be_bytes(r.take_array("ticket_age_add")?),
            nonce: r.take_u8_prefixed("ticket_nonce")?.to_vec(),
            ticket: r.take_u16_prefixed("ticket")?.to_vec(),
            extensions: read_list(r.take_u16_prefixed("extensions")?)?,
        })
    }
}

/// One key share (RFC 8446 §4.2.8): the group and the public value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group.
    pub group: NamedGroup,
    /// `key_exchange`.
    pub key: Vec<u8>,
}

impl Codec for KeyShareEntry {
    const WHAT: &'static str = "key share entry";

    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        put_opaque::<2>(out, &self.key);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            group: NamedGroup::read(r)?,
            key: r.take_u16_prefixed("key_exchange")?.to_vec(),
        })
    }
}

/// The client's key_share extension data (RFC 8446 §4.2.8): its shares.
pub fn client_key_shares(data: &[u8]) -> Result<Vec<KeyShareEntry>, DecodeError> {
    let mut r = Reader::new(data);
    let shares = read_list(r.take_u16_prefixed("client_shares")?)?;
    r.expect_empty("key_share")?;
    Ok(shares)
}

/// The extensions of a ClientHello body (after its handshake header), in order; the
/// fixed fields before them are skipped, not judged.
pub fn client_hello_extensions(body: &[u8]) -> Result<Vec<Extension>, DecodeError> {
    const WHAT: &str = "client_hello";
    let mut r = Reader::new(body);
    r.take(2 + 32, WHAT)?;
    r.take_u8_prefixed("session_id")?;
    r.take_u16_prefixed("cipher_suites")?;
    r.take_u8_prefixed("compression_methods")?;
    if r.remaining().is_empty() {
        return Ok(Vec::new());
    }
    let extensions = read_list(r.take_u16_prefixed("extensions")?)?;
    r.expect_empty(WHAT)?;
    Ok(extensions)
}

impl Extension {
    /// supported_versions in a ServerHello (RFC 8446 §4.2.1): the selected version.
    pub fn selected_version(version: ProtocolVersion) -> Self {
        Self {
            typ: ExtensionType::SUPPORTED_VERSIONS,
            data: version.to_bytes(),
        }
    }

    /// key_share in a ServerHello (RFC 8446 §4.2.8): the server's share.
    pub fn server_key_share(share: &KeyShareEntry) -> Self {
        Self {
            typ: ExtensionType::KEY_SHARE,
            data: share.to_bytes(),
        }
    }

    /// key_share in a HelloRetryRequest (RFC 8446 §4.2.8): the group to retry with.
    pub fn selected_group(group: NamedGroup) -> Self {
        Self {
            typ: ExtensionType::KEY_SHARE,
            data: group.to_bytes(),
        }
    }

    /// server_name acknowledged (RFC 6066 §3): empty data.
    pub fn server_name_ack() -> Self {
        Self {
            typ: ExtensionType::SERVER_NAME,
            data: Vec::new(),
        }
    }

    /// supported_groups listing `groups` (RFC 8446 §4.2.7).
    pub fn supported_groups(groups: &[NamedGroup]) -> Self {
        let mut data = Vec::new();
        put_list::<2, _>(&mut data, groups);
        Self {
            typ: ExtensionType::SUPPORTED_GROUPS,
            data,
        }
    }

    /// signature_algorithms listing `schemes` (RFC 8446 §4.2.3).
    pub fn signature_algorithms(schemes: &[SignatureScheme]) -> Self {
        let mut data = Vec::new();
        put_list::<2, _>(&mut data, schemes);
        Self {
            typ: ExtensionType::SIGNATURE_ALGORITHMS,
            data,
        }
    }

    /// certificate_authorities naming each DER DistinguishedName (RFC 8446 §4.2.4).
    pub fn certificate_authorities(names: &[Vec<u8>]) -> Self {
        let mut data = Vec::new();
        put_opaque_list::<2, 2>(&mut data, names);
        Self {
            typ: ExtensionType::CERTIFICATE_AUTHORITIES,
            data,
        }
    }

    /// The DistinguishedNames of certificate_authorities data.
    pub fn read_certificate_authorities(data: &[u8]) -> Result<Vec<Vec<u8>>, DecodeError> {
        let mut r = Reader::new(data);
        let names =
            read_opaque_list::<2>(r.take_u16_prefixed("authorities")?, "distinguished name")?;
        r.expect_empty("certificate_authorities")?;
        Ok(names)
    }

    /// cookie (RFC 8446 §4.2.2) carrying `cookie`.
    pub fn cookie(cookie: &[u8]) -> Self {
        let mut data = Vec::new();
        put_prefixed::<2>(&mut data, |out| out.extend_from_slice(cookie));
        Self {
            typ: ExtensionType::COOKIE,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::{check_codec, check_decoder};
    use crate::wire::macros::check_registry;
    use crate::wire::messages::check::check_payload;

    fn ext(typ: u16, data: &[u8]) -> Extension {
        Extension {
            typ: ExtensionType(typ),
            data: data.to_vec(),
        }
    }

    #[test]
    fn encrypted_extensions_round_trip() {
        check_payload(&EncryptedExtensions::default(), ());
        check_payload(
            &EncryptedExtensions {
                extensions: vec![Extension::alpn(b"h2"), Extension::server_name_ack()],
            },
            (),
        );
        assert_eq!(
            EncryptedExtensions::default().to_message().to_bytes(),
            [8, 0, 0, 2, 0, 0]
        );
    }

    #[test]
    fn certificates_carry_context_and_entry_extensions() {
        let cert = Certificate13 {
            context: vec![1, 2, 3],
            entries: vec![
                CertificateEntry {
                    cert: vec![0x30; 40],
                    extensions: vec![ext(5, &[1, 0, 0, 0])],
                },
                CertificateEntry {
                    cert: vec![0x30, 0],
                    extensions: vec![],
                },
            ],
        };
        check_payload(&cert, ());
        assert_eq!(cert.chain(), vec![vec![0x30; 40], vec![0x30, 0]]);
        let empty = Certificate13::default();
        check_payload(&empty, ());
        assert_eq!(empty.to_message().body, [0, 0, 0, 0]);
        assert_eq!(
            Certificate13::from_chain(&[], &[vec![7]]).to_message().body,
            [0, 0, 0, 6, 0, 0, 1, 7, 0, 0]
        );
    }

    #[test]
    fn certificate_requests_round_trip() {
        check_payload(&CertificateRequest13::default(), ());
        let request = CertificateRequest13 {
            context: vec![9; 8],
            extensions: vec![
                Extension::signature_algorithms(&[SignatureScheme::ED25519]),
                Extension::certificate_authorities(&[vec![0x30, 0]]),
            ],
        };
        check_payload(&request, ());
        assert_eq!(
            Extension::read_certificate_authorities(&request.extensions[1].data),
            Ok(vec![vec![0x30, 0]])
        );
        check_decoder(
            &vec![vec![0x30, 1, 5]],
            &Extension::certificate_authorities(&[vec![0x30, 1, 5]]).data,
            "certificate_authorities",
            Extension::read_certificate_authorities,
        );
    }

    #[test]
    fn key_updates_and_tickets_round_trip() {
        check_registry(
            KeyUpdateRequest::KNOWN,
            KeyUpdateRequest::name,
            KeyUpdateRequest::from_name,
        );
        for request in [0, 1, 7] {
            check_payload(
                &KeyUpdate {
                    request: KeyUpdateRequest(request),
                },
                (),
            );
        }
        let ticket = NewSessionTicket13 {
            lifetime: 7200,
            age_add: 0xdead_beef,
            nonce: vec![0],
            ticket: vec![5; 100],
            extensions: vec![ext(42, &[0, 0, 0x40, 0])],
        };
        check_payload(&ticket, ());
        assert_eq!(
            &ticket.to_message().body[..8],
            [0, 0, 0x1c, 0x20, 0xde, 0xad, 0xbe, 0xef]
        );
    }

    #[test]
    fn key_shares_round_trip() {
        let share = KeyShareEntry {
            group: NamedGroup::X25519,
            key: vec![4; 32],
        };
        check_codec(&share);
        let mut data = Vec::new();
        put_list::<2, _>(&mut data, &[share.clone(), share.clone()]);
        check_decoder(
            &vec![share.clone(), share.clone()],
            &data,
            "key_share",
            client_key_shares,
        );
        assert_eq!(
            Extension::server_key_share(&share).to_bytes()[..8],
            [0, 51, 0, 36, 0, 29, 0, 32]
        );
        assert_eq!(
            Extension::selected_group(NamedGroup::SECP256R1).to_bytes(),
            [0, 51, 0, 2, 0, 23]
        );
        assert_eq!(
            Extension::selected_version(ProtocolVersion::TLS13).to_bytes(),
            [0, 43, 0, 2, 3, 4]
        );
        assert_eq!(
            Extension::cookie(&[1, 2]).to_bytes(),
            [0, 44, 0, 4, 0, 2, 1, 2]
        );
    }

    #[test]
    fn client_hello_extensions_follow_the_fixed_fields() {
        let mut body = vec![3, 3];
        body.extend([1; 32]);
        put_opaque::<1>(&mut body, &[2; 32]);
        put_opaque::<2>(&mut body, &[0x13, 1]);
        put_opaque::<1>(&mut body, &[0]);
        let without = body.clone();
        let extensions = vec![ext(43, &[2, 3, 4]), ext(0xfafa, &[])];
        put_list::<2, _>(&mut body, &extensions);
        check_decoder(&extensions, &body[..], "client_hello", |b| {
            // The prefix that ends before the block is a hello without extensions.
            match client_hello_extensions(b) {
                Ok(e) if e.is_empty() && b.len() == without.len() => Err(DecodeError::Truncated {
                    what: "client_hello",
                    needed: 1,
                }),
                other => other,
            }
        });
        assert_eq!(client_hello_extensions(&without), Ok(vec![]));
    }
}
