//! The record layer: content types, protocol versions and the 5-byte record header.

use super::{Codec, DecodeError, Reader};

wire_enum! {
    /// Record content type (RFC 8446 §5.1).
    ContentType(u8) as "content type", code "{}";
    CHANGE_CIPHER_SPEC = 20 => "change_cipher_spec",
    ALERT = 21 => "alert",
    HANDSHAKE = 22 => "handshake",
    APPLICATION_DATA = 23 => "application_data",
    HEARTBEAT = 24 => "heartbeat",
}

wire_enum! {
    /// Protocol version as carried in records, hellos and `supported_versions`.
    #[derive(Default)]
    ProtocolVersion(u16) as "protocol version", code "0x{:04x}";
    SSL2 = 0x0002 => "SSL 2.0",
    SSL3 = 0x0300 => "SSL 3.0",
    TLS10 = 0x0301 => "TLS 1.0",
    TLS11 = 0x0302 => "TLS 1.1",
    TLS12 = 0x0303 => "TLS 1.2",
    TLS13 = 0x0304 => "TLS 1.3",
    DTLS10 = 0xfeff => "DTLS 1.0",
    DTLS12 = 0xfefd => "DTLS 1.2",
    DTLS13 = 0xfefc => "DTLS 1.3",
}

impl_grease!(ProtocolVersion);

/// The 5-byte header in front of every TLS record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// What the record carries.
    pub content_type: ContentType,
    /// Record-layer version (`legacy_record_version` in TLS 1.3).
    pub version: ProtocolVersion,
    /// Length of the fragment that follows.
    pub length: u16,
}

impl RecordHeader {
    /// Encoded size of a header.
    pub const LEN: usize = 5;
    /// Largest plaintext fragment a peer may send (2^14, RFC 8446 §5.1).
    pub const MAX_PLAINTEXT: usize = 1 << 14;
}

impl Codec for RecordHeader {
    const WHAT: &'static str = "record header";

    fn encode(&self, out: &mut Vec<u8>) {
        self.content_type.encode(out);
        self.version.encode(out);
        out.extend_from_slice(&self.length.to_be_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            content_type: ContentType::read(r)?,
            version: ProtocolVersion::read(r)?,
            length: u16::from_be_bytes(r.take_array(Self::WHAT)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::check_codec;
    use crate::wire::macros::check_registry;

    #[test]
    fn registries_round_trip() {
        check_registry(
            ContentType::KNOWN,
            ContentType::name,
            ContentType::from_name,
        );
        check_registry(
            ProtocolVersion::KNOWN,
            ProtocolVersion::name,
            ProtocolVersion::from_name,
        );
    }

    #[test]
    fn versions_display_in_hex_and_flag_grease() {
        assert_eq!(ProtocolVersion::TLS12.to_string(), "TLS 1.2(0x0303)");
        assert_eq!(ProtocolVersion(0x7a7a).to_string(), "GREASE(0x7a7a)");
        assert!(ProtocolVersion(0x7a7a).is_grease());
        assert_eq!(ProtocolVersion(0x0305).to_string(), "unknown(0x0305)");
        assert_eq!(ContentType(99).to_string(), "unknown(99)");
    }

    #[test]
    fn header_round_trips_including_unknown_values() {
        check_codec(&RecordHeader {
            content_type: ContentType::HANDSHAKE,
            version: ProtocolVersion::TLS10,
            length: 512,
        });
        let odd = RecordHeader {
            content_type: ContentType(0xff),
            version: ProtocolVersion(0x1234),
            length: u16::MAX,
        };
        check_codec(&odd);
        assert_eq!(odd.to_bytes(), [0xff, 0x12, 0x34, 0xff, 0xff]);
    }

    #[test]
    fn versions_serialize_with_code_and_name() {
        let json = serde_json::to_string(&ProtocolVersion::TLS13).unwrap();
        assert_eq!(json, r#"{"code":772,"name":"TLS 1.3"}"#);
    }
}
