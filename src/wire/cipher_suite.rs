//! Cipher suites, named from tls-parser's copy of the IANA registry.

use tls_parser::TlsCipherSuite;

wire_newtype! {
    /// Cipher suite (IANA "TLS Cipher Suites"); names are the IANA ones.
    CipherSuite(u16) as "cipher suite", code "0x{:04x}"
}

impl_grease!(CipherSuite);

impl CipherSuite {
    /// Signals secure renegotiation support (RFC 5746) in place of the extension.
    pub const TLS_EMPTY_RENEGOTIATION_INFO_SCSV: Self = Self(0x00ff);
    /// Signals a version-fallback retry (RFC 7507).
    pub const TLS_FALLBACK_SCSV: Self = Self(0x5600);

    /// The IANA name, e.g. `TLS_AES_128_GCM_SHA256`.
    pub fn name(self) -> Option<&'static str> {
        TlsCipherSuite::from_id(self.0).map(|suite| suite.name)
    }

    /// The suite registered under exactly `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        TlsCipherSuite::from_name(name).map(|suite| Self(suite.id.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::macros::check_registry;

    #[test]
    fn iana_names_round_trip() {
        let known = [
            CipherSuite(0x1301),
            CipherSuite(0xc02f),
            CipherSuite(0x000a),
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
            CipherSuite::TLS_FALLBACK_SCSV,
        ];
        check_registry(&known, CipherSuite::name, CipherSuite::from_name);
        assert_eq!(
            CipherSuite(0x1301).to_string(),
            "TLS_AES_128_GCM_SHA256(0x1301)"
        );
        assert_eq!(
            CipherSuite::from_name("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            Some(CipherSuite(0xc02f))
        );
        assert_eq!(
            CipherSuite::TLS_FALLBACK_SCSV.name(),
            Some("TLS_FALLBACK_SCSV")
        );
    }

    #[test]
    fn grease_and_unknown_suites_are_labelled() {
        assert!(CipherSuite(0xdada).is_grease());
        assert_eq!(CipherSuite(0xdada).to_string(), "GREASE(0xdada)");
        assert_eq!(
            serde_json::to_string(&CipherSuite(0x0a0a)).unwrap(),
            r#"{"code":2570,"name":"GREASE"}"#
        );
        assert_eq!(CipherSuite(0xfefe).to_string(), "unknown(0xfefe)");
    }
}
