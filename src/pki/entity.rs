//! One entity of the spec with every default applied: what the generator reads.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::key::{KeyKind, SignatureHash};

/// One entity with every default applied. Serialized only to hash it for the cache.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entity {
    pub(crate) name: String,
    /// `None` for a self-signed certificate.
    pub(crate) issuer: Option<String>,
    pub(crate) subject: Subject,
    pub(crate) key: KeyKind,
    pub(crate) role: Role,
    pub(crate) not_before: Time,
    pub(crate) not_after: Time,
    pub(crate) sans: Vec<San>,
    pub(crate) key_usage: Vec<KeyUsage>,
    pub(crate) eku: Vec<Eku>,
    /// X.509 version 1: no extensions at all (so `sans`, `key_usage`, `eku` are empty).
    pub(crate) v1: bool,
    /// What the issuer signs this certificate with.
    pub(crate) signature_hash: SignatureHash,
    /// A self-signed root that goes into the CA bundle and truststore.
    pub(crate) trusted: bool,
}

impl Entity {
    pub(crate) fn is_ca(&self) -> bool {
        matches!(self.role, Role::Ca { .. })
    }

    /// Whether a validity end is relative to the time of issue, so that the
    /// certificate drifts from its spec as it ages.
    pub(crate) fn has_relative_validity(&self) -> bool {
        matches!(self.not_before, Time::Relative { .. })
            || matches!(self.not_after, Time::Relative { .. })
    }
}

/// `subject:`; `cn` defaults to the entity name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Subject {
    pub(crate) cn: Option<String>,
    pub(crate) o: Option<String>,
    pub(crate) ou: Option<String>,
    pub(crate) c: Option<String>,
    pub(crate) l: Option<String>,
    pub(crate) st: Option<String>,
}

/// `ca:` — absent or `false` is a leaf, `true` a CA, `{ path_len: N }` a constrained CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Role {
    Leaf,
    Ca { path_len: Option<u8> },
}

/// A validity bound: relative to the time of issue, or absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Time {
    Relative { seconds: i64 },
    Absolute { unix: i64 },
}

impl Time {
    /// `-1d`, `+365d`, `12h`, or RFC 3339 like `2030-01-01T00:00:00Z`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
            return Some(Self::Absolute {
                unix: at.unix_timestamp(),
            });
        }
        let unit = match text.chars().last()? {
            'd' => 86_400,
            'h' => 3_600,
            _ => return None,
        };
        let amount = &text[..text.len() - 1];
        let digits = amount.strip_prefix(['+', '-']).unwrap_or(amount);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let seconds = amount.parse::<i64>().ok()?.checked_mul(unit)?;
        Some(Self::Relative { seconds })
    }

    /// The instant this bound means for a certificate issued at `now`.
    pub(crate) fn at(self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let at = match self {
            Self::Relative { seconds } => now.checked_add(Duration::seconds(seconds))?,
            Self::Absolute { unix } => OffsetDateTime::from_unix_timestamp(unix).ok()?,
        };
        // GeneralizedTime has four year digits.
        (0..=9999).contains(&at.year()).then_some(at)
    }
}

/// A subjectAltName entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) enum San {
    Dns(String),
    Ip(IpAddr),
}

/// `key_usage:` entries (RFC 5280 KeyUsage bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum KeyUsage {
    DigitalSignature,
    #[serde(alias = "non_repudiation")]
    ContentCommitment,
    KeyEncipherment,
    DataEncipherment,
    KeyAgreement,
    KeyCertSign,
    CrlSign,
    EncipherOnly,
    DecipherOnly,
}

/// `eku:` entries (extended key usage purposes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Eku {
    ServerAuth,
    ClientAuth,
    CodeSigning,
    EmailProtection,
    TimeStamping,
    OcspSigning,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_accepts_offsets_and_rfc3339() {
        assert_eq!(
            Time::parse("-1d"),
            Some(Time::Relative { seconds: -86_400 })
        );
        assert_eq!(
            Time::parse("+12h"),
            Some(Time::Relative { seconds: 43_200 })
        );
        assert_eq!(Time::parse("3d"), Some(Time::Relative { seconds: 259_200 }));
        assert_eq!(
            Time::parse("2030-01-01T00:00:00Z"),
            Some(Time::Absolute {
                unix: 1_893_456_000
            })
        );
        for bad in ["", "d", "-d", "1w", "1.5d", "+-1d", "2030-01-01"] {
            assert_eq!(Time::parse(bad), None, "{bad}");
        }
    }
}
