//! Hello extensions: their types, and raw extensions as a server sends them.

use super::codec::{put_list, put_opaque, put_prefixed};
use super::{Codec, DecodeError, ECPointFormat, Reader};

wire_enum! {
    /// Extension type (IANA "TLS ExtensionType Values", plus code points browsers send
    /// before registration).
    ExtensionType(u16) as "extension type", code "{}";
    SERVER_NAME = 0 => "server_name",
    MAX_FRAGMENT_LENGTH = 1 => "max_fragment_length",
    CLIENT_CERTIFICATE_URL = 2 => "client_certificate_url",
    TRUSTED_CA_KEYS = 3 => "trusted_ca_keys",
    TRUNCATED_HMAC = 4 => "truncated_hmac",
    STATUS_REQUEST = 5 => "status_request",
    USER_MAPPING = 6 => "user_mapping",
    CLIENT_AUTHZ = 7 => "client_authz",
    SERVER_AUTHZ = 8 => "server_authz",
    CERT_TYPE = 9 => "cert_type",
    SUPPORTED_GROUPS = 10 => "supported_groups",
    EC_POINT_FORMATS = 11 => "ec_point_formats",
    SRP = 12 => "srp",
    SIGNATURE_ALGORITHMS = 13 => "signature_algorithms",
    USE_SRTP = 14 => "use_srtp",
    HEARTBEAT = 15 => "heartbeat",
    ALPN = 16 => "application_layer_protocol_negotiation",
    STATUS_REQUEST_V2 = 17 => "status_request_v2",
    SIGNED_CERTIFICATE_TIMESTAMP = 18 => "signed_certificate_timestamp",
    CLIENT_CERTIFICATE_TYPE = 19 => "client_certificate_type",
    SERVER_CERTIFICATE_TYPE = 20 => "server_certificate_type",
    PADDING = 21 => "padding",
    ENCRYPT_THEN_MAC = 22 => "encrypt_then_mac",
    EXTENDED_MASTER_SECRET = 23 => "extended_master_secret",
    TOKEN_BINDING = 24 => "token_binding",
    CACHED_INFO = 25 => "cached_info",
    COMPRESS_CERTIFICATE = 27 => "compress_certificate",
    RECORD_SIZE_LIMIT = 28 => "record_size_limit",
    DELEGATED_CREDENTIAL = 34 => "delegated_credential",
    SESSION_TICKET = 35 => "session_ticket",
    PRE_SHARED_KEY = 41 => "pre_shared_key",
    EARLY_DATA = 42 => "early_data",
    SUPPORTED_VERSIONS = 43 => "supported_versions",
    COOKIE = 44 => "cookie",
    PSK_KEY_EXCHANGE_MODES = 45 => "psk_key_exchange_modes",
    CERTIFICATE_AUTHORITIES = 47 => "certificate_authorities",
    OID_FILTERS = 48 => "oid_filters",
    POST_HANDSHAKE_AUTH = 49 => "post_handshake_auth",
    SIGNATURE_ALGORITHMS_CERT = 50 => "signature_algorithms_cert",
    KEY_SHARE = 51 => "key_share",
    QUIC_TRANSPORT_PARAMETERS = 57 => "quic_transport_parameters",
    NEXT_PROTOCOL_NEGOTIATION = 13172 => "next_protocol_negotiation",
    APPLICATION_SETTINGS = 17613 => "application_settings",
    ECH_OUTER_EXTENSIONS = 64768 => "ech_outer_extensions",
    ENCRYPTED_CLIENT_HELLO = 65037 => "encrypted_client_hello",
    RENEGOTIATION_INFO = 65281 => "renegotiation_info",
}

impl_grease!(ExtensionType);

/// One extension, its data kept raw so a server can send any extension, well-formed
/// or not; the constructors build the ones a TLS 1.0–1.2 server answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension type.
    pub typ: ExtensionType,
    /// `extension_data`, without its length.
    pub data: Vec<u8>,
}

impl Extension {
    /// `renegotiation_info` (RFC 5746 §3.2) carrying `renegotiated_connection`: empty
    /// on an initial handshake, client then server verify_data on a renegotiation.
    pub fn renegotiation_info(renegotiated_connection: &[u8]) -> Self {
        let mut data = Vec::new();
        put_opaque::<1>(&mut data, renegotiated_connection);
        Self {
            typ: ExtensionType::RENEGOTIATION_INFO,
            data,
        }
    }

    /// `extended_master_secret` (RFC 7627): empty data.
    pub fn extended_master_secret() -> Self {
        Self {
            typ: ExtensionType::EXTENDED_MASTER_SECRET,
            data: Vec::new(),
        }
    }

    /// `ec_point_formats` (RFC 8422 §5.2) listing `formats`.
    pub fn ec_point_formats(formats: &[ECPointFormat]) -> Self {
        let mut data = Vec::new();
        put_list::<1, _>(&mut data, formats);
        Self {
            typ: ExtensionType::EC_POINT_FORMATS,
            data,
        }
    }

    /// ALPN (RFC 7301 §3.1) selecting `protocol`: a list of exactly one name.
    pub fn alpn(protocol: &[u8]) -> Self {
        let mut data = Vec::new();
        put_prefixed::<2>(&mut data, |list| put_opaque::<1>(list, protocol));
        Self {
            typ: ExtensionType::ALPN,
            data,
        }
    }
}

impl Codec for Extension {
    const WHAT: &'static str = "extension";

    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        put_opaque::<2>(out, &self.data);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            typ: ExtensionType::read(r)?,
            data: r.take_u16_prefixed(Self::WHAT)?.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::check_codec;
    use crate::wire::macros::check_registry;

    #[test]
    fn registry_round_trips() {
        check_registry(
            ExtensionType::KNOWN,
            ExtensionType::name,
            ExtensionType::from_name,
        );
        assert_eq!(ExtensionType::SERVER_NAME.to_string(), "server_name(0)");
        assert_eq!(ExtensionType(0x2a2a).to_string(), "GREASE(10794)");
        assert_eq!(ExtensionType(17513).to_string(), "unknown(17513)");
    }

    #[test]
    fn extensions_round_trip_with_raw_data() {
        check_codec(&Extension {
            typ: ExtensionType(0x1234),
            data: vec![1, 2, 3],
        });
        check_codec(&Extension::extended_master_secret());
    }

    #[test]
    fn server_extensions_have_their_rfc_encodings() {
        let bytes = |e: Extension| e.to_bytes();
        assert_eq!(
            bytes(Extension::renegotiation_info(&[])),
            [0xff, 0x01, 0, 1, 0]
        );
        assert_eq!(
            bytes(Extension::renegotiation_info(&[1, 2, 3, 4])),
            [0xff, 0x01, 0, 5, 4, 1, 2, 3, 4]
        );
        assert_eq!(bytes(Extension::extended_master_secret()), [0, 23, 0, 0]);
        assert_eq!(
            bytes(Extension::ec_point_formats(&[ECPointFormat::UNCOMPRESSED])),
            [0, 11, 0, 2, 1, 0]
        );
        assert_eq!(
            bytes(Extension::alpn(b"h2")),
            [0, 16, 0, 5, 0, 3, 2, b'h', b'2']
        );
    }
}
