//! Alerts: level, description, the two-byte message and the whole alert record.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::{Codec, ContentType, DecodeError, ProtocolVersion, Reader, RecordHeader};

wire_enum! {
    /// Alert level (RFC 5246 §7.2); TLS 1.3 ignores it but still sends it.
    AlertLevel(u8) as "alert level", code "{}";
    WARNING = 1 => "warning",
    FATAL = 2 => "fatal",
}

wire_enum! {
    /// Alert description: every value of RFC 8446 §6 and RFC 5246 §7.2, plus later
    /// registrations (IANA "TLS Alerts").
    AlertDescription(u8) as "alert description", code "{}";
    CLOSE_NOTIFY = 0 => "close_notify",
    UNEXPECTED_MESSAGE = 10 => "unexpected_message",
    BAD_RECORD_MAC = 20 => "bad_record_mac",
    DECRYPTION_FAILED = 21 => "decryption_failed",
    RECORD_OVERFLOW = 22 => "record_overflow",
    DECOMPRESSION_FAILURE = 30 => "decompression_failure",
    HANDSHAKE_FAILURE = 40 => "handshake_failure",
    NO_CERTIFICATE = 41 => "no_certificate",
    BAD_CERTIFICATE = 42 => "bad_certificate",
    UNSUPPORTED_CERTIFICATE = 43 => "unsupported_certificate",
    CERTIFICATE_REVOKED = 44 => "certificate_revoked",
    CERTIFICATE_EXPIRED = 45 => "certificate_expired",
    CERTIFICATE_UNKNOWN = 46 => "certificate_unknown",
    ILLEGAL_PARAMETER = 47 => "illegal_parameter",
    UNKNOWN_CA = 48 => "unknown_ca",
    ACCESS_DENIED = 49 => "access_denied",
    DECODE_ERROR = 50 => "decode_error",
    DECRYPT_ERROR = 51 => "decrypt_error",
    EXPORT_RESTRICTION = 60 => "export_restriction",
    PROTOCOL_VERSION = 70 => "protocol_version",
    INSUFFICIENT_SECURITY = 71 => "insufficient_security",
    INTERNAL_ERROR = 80 => "internal_error",
    INAPPROPRIATE_FALLBACK = 86 => "inappropriate_fallback",
    USER_CANCELED = 90 => "user_canceled",
    NO_RENEGOTIATION = 100 => "no_renegotiation",
    MISSING_EXTENSION = 109 => "missing_extension",
    UNSUPPORTED_EXTENSION = 110 => "unsupported_extension",
    CERTIFICATE_UNOBTAINABLE = 111 => "certificate_unobtainable",
    UNRECOGNIZED_NAME = 112 => "unrecognized_name",
    BAD_CERTIFICATE_STATUS_RESPONSE = 113 => "bad_certificate_status_response",
    BAD_CERTIFICATE_HASH_VALUE = 114 => "bad_certificate_hash_value",
    UNKNOWN_PSK_IDENTITY = 115 => "unknown_psk_identity",
    CERTIFICATE_REQUIRED = 116 => "certificate_required",
    NO_APPLICATION_PROTOCOL = 120 => "no_application_protocol",
    ECH_REQUIRED = 121 => "ech_required",
}

/// A TLS alert message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Warning or fatal (or an unknown value a peer sent).
    pub level: AlertLevel,
    /// What went wrong.
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert with `description`.
    pub fn fatal(description: AlertDescription) -> Self {
        Self {
            level: AlertLevel::FATAL,
            description,
        }
    }

    /// The complete plaintext alert record (header and message) for `version`.
    pub fn to_record(&self, version: ProtocolVersion) -> Vec<u8> {
        let mut out = Vec::with_capacity(RecordHeader::LEN + 2);
        RecordHeader {
            content_type: ContentType::ALERT,
            version,
            length: 2,
        }
        .encode(&mut out);
        self.encode(&mut out);
        out
    }

    /// Decode exactly one plaintext alert record, returning its record version.
    pub fn from_record(bytes: &[u8]) -> Result<(ProtocolVersion, Self), DecodeError> {
        let mut r = Reader::new(bytes);
        let header = RecordHeader::read(&mut r)?;
        if header.content_type != ContentType::ALERT {
            return Err(DecodeError::Invalid {
                what: "alert record",
                reason: format!("content type is {}, not alert(21)", header.content_type),
            });
        }
        let alert = Self::from_bytes(r.take(usize::from(header.length), "alert record")?)?;
        r.expect_empty("alert record")?;
        Ok((header.version, alert))
    }
}

impl Codec for Alert {
    const WHAT: &'static str = "alert";

    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            level: AlertLevel::read(r)?,
            description: AlertDescription::read(r)?,
        })
    }
}

/// `fatal unrecognized_name(112)`; an unknown level shows its number.
impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level.name() {
            Some(level) => write!(f, "{level} {}", self.description),
            None => write!(f, "{} {}", self.level, self.description),
        }
    }
}

/// `{"level":"fatal","description":"unrecognized_name","code":112}`.
impl Serialize for Alert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let level = match self.level.name() {
            Some(name) => name.to_string(),
            None => self.level.to_string(),
        };
        let mut st = s.serialize_struct("Alert", 3)?;
        st.serialize_field("level", &level)?;
        st.serialize_field("description", self.description.name().unwrap_or("unknown"))?;
        st.serialize_field("code", &self.description.0)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::check_codec;
    use crate::wire::macros::check_registry;

    #[test]
    fn registries_round_trip() {
        check_registry(AlertLevel::KNOWN, AlertLevel::name, AlertLevel::from_name);
        check_registry(
            AlertDescription::KNOWN,
            AlertDescription::name,
            AlertDescription::from_name,
        );
        assert_eq!(AlertDescription::KNOWN.len(), 35);
    }

    #[test]
    fn names_are_the_iana_snake_case_ones() {
        assert_eq!(
            AlertDescription::UNRECOGNIZED_NAME.name(),
            Some("unrecognized_name")
        );
        assert_eq!(
            AlertDescription::from_name("bad_certificate"),
            Some(AlertDescription(42))
        );
        assert_eq!(
            AlertDescription::from_name("handshake_failure"),
            Some(AlertDescription(40))
        );
        assert_eq!(
            AlertDescription::UNRECOGNIZED_NAME.to_string(),
            "unrecognized_name(112)"
        );
        assert_eq!(AlertDescription(201).to_string(), "unknown(201)");
    }

    #[test]
    fn alerts_round_trip_including_unknown_values() {
        check_codec(&Alert::fatal(AlertDescription::UNRECOGNIZED_NAME));
        check_codec(&Alert {
            level: AlertLevel(7),
            description: AlertDescription(201),
        });
    }

    #[test]
    fn alert_records_round_trip_and_reject_anything_else() {
        let alert = Alert::fatal(AlertDescription::UNRECOGNIZED_NAME);
        let record = alert.to_record(ProtocolVersion::TLS12);
        assert_eq!(record, [21, 3, 3, 0, 2, 2, 112]);
        assert_eq!(
            Alert::from_record(&record),
            Ok((ProtocolVersion::TLS12, alert))
        );
        for cut in 0..record.len() {
            assert!(
                matches!(
                    Alert::from_record(&record[..cut]),
                    Err(DecodeError::Truncated { .. })
                ),
                "prefix {cut}"
            );
        }
        let mut handshake = record.clone();
        handshake[0] = 22;
        assert!(matches!(
            Alert::from_record(&handshake),
            Err(DecodeError::Invalid { .. })
        ));
        let long_body = [21, 3, 3, 0, 3, 2, 112, 0];
        assert!(matches!(
            Alert::from_record(&long_body),
            Err(DecodeError::Trailing { .. })
        ));
        let mut trailing = record;
        trailing.push(0);
        assert!(matches!(
            Alert::from_record(&trailing),
            Err(DecodeError::Trailing { .. })
        ));
    }

    #[test]
    fn display_and_json() {
        let alert = Alert::fatal(AlertDescription::UNRECOGNIZED_NAME);
        assert_eq!(alert.to_string(), "fatal unrecognized_name(112)");
        assert_eq!(
            serde_json::to_string(&alert).unwrap(),
            r#"{"level":"fatal","description":"unrecognized_name","code":112}"#
        );
        let odd = Alert {
            level: AlertLevel(9),
            description: AlertDescription(201),
        };
        assert_eq!(odd.to_string(), "unknown(9) unknown(201)");
        assert_eq!(
            serde_json::to_string(&odd).unwrap(),
            r#"{"level":"unknown(9)","description":"unknown","code":201}"#
        );
    }
}
