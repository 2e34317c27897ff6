//! Hello extension types.

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

#[cfg(test)]
mod tests {
    use super::*;
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
}
