//! Message-level faults of the scripted engine: where (`at`) and what (`do`), in a
//! compact text form (`truncate 30`, `alert_before fatal 201`) parsed by `FromStr`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// One fault: an action applied to one server message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// The server message it applies to.
    pub at: Step,
    /// What happens to it.
    pub action: FaultAction,
}

/// A server message the scripted engine sends.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// ServerHello.
    ServerHello,
    /// HelloRetryRequest (TLS 1.3).
    HelloRetryRequest,
    /// EncryptedExtensions (TLS 1.3).
    EncryptedExtensions,
    /// The server's Certificate.
    Certificate,
    /// ServerKeyExchange (ECDHE suites).
    ServerKeyExchange,
    /// CertificateRequest (client auth).
    CertificateRequest,
    /// ServerHelloDone.
    ServerHelloDone,
    /// The server's CertificateVerify (TLS 1.3).
    CertificateVerify,
    /// The server's ChangeCipherSpec.
    ChangeCipherSpec,
    /// The server's Finished.
    Finished,
    /// The first application-data record.
    ApplicationData,
}

/// What a fault does to its message. Defaults: none; every number is explicit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Do not send it.
    Drop,
    /// Send it twice.
    Duplicate,
    /// Send it after the next message of the same flight.
    Reorder,
    /// XOR the byte at `offset` (of the message, handshake header included) with `xor`.
    Corrupt {
        /// Byte offset.
        offset: usize,
        /// XOR mask.
        xor: u8,
    },
    /// Keep the first `len` bytes; the handshake header's length is rewritten to match,
    /// so the peer parses a short message instead of waiting for the rest.
    Truncate {
        /// Bytes kept.
        len: usize,
    },
    /// Split it across records of at most `size` bytes.
    Fragment {
        /// Record payload size.
        size: usize,
    },
    /// Wait before sending it.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Send an alert (any level and description, known or not) just before it.
    AlertBefore {
        /// Alert level byte.
        level: u8,
        /// Alert description byte.
        description: u8,
    },
    /// Send an alert just after it.
    AlertAfter {
        /// Alert level byte.
        level: u8,
        /// Alert description byte.
        description: u8,
    },
    /// Close the connection instead of sending it.
    Close,
    /// Reset the connection instead of sending it.
    Reset,
    /// The record header carries this version.
    RecordVersion {
        /// Version on the wire, e.g. 0x0300.
        version: u16,
    },
    /// ServerHello: claim this version.
    HelloVersion {
        /// Version in ServerHello, e.g. 0x0302.
        version: u16,
    },
    /// ServerHello: name this cipher suite instead of the negotiated one.
    CipherSuite {
        /// Suite code point.
        suite: u16,
    },
    /// ServerHello: name this compression method.
    Compression {
        /// Method byte (1 = DEFLATE).
        method: u8,
    },
    /// ServerHello: add an extension the client never offered.
    UnknownExtension {
        /// Extension type.
        typ: u16,
    },
    /// Finished: send wrong verify_data.
    WrongVerifyData,
    /// Application data: break the record's MAC (flip its last byte).
    BadRecordMac,
    /// Application data: a HelloRequest before every application record (a storm).
    HelloRequestStorm,
    /// Application data: send a record of this many bytes (over 2^14+2048 is oversized).
    Oversized {
        /// Record payload length.
        len: usize,
    },
}

/// Why a fault's text form did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultParseError(String);

fn number<T: FromStr>(word: Option<&str>, what: &str) -> Result<T, FaultParseError> {
    let word = word.ok_or_else(|| FaultParseError(format!("missing {what}")))?;
    let parsed = match word.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16)
            .ok()
            .and_then(|n| n.to_string().parse().ok()),
        None => word.parse().ok(),
    };
    parsed.ok_or_else(|| FaultParseError(format!("`{word}` is not a valid {what}")))
}

fn level(word: Option<&str>) -> Result<u8, FaultParseError> {
    match word {
        Some("warning") => Ok(1),
        Some("fatal") => Ok(2),
        other => number(other, "alert level (warning, fatal or a number)"),
    }
}

fn description(word: Option<&str>) -> Result<u8, FaultParseError> {
    match word.and_then(crate::wire::AlertDescription::from_name) {
        Some(d) => Ok(d.0),
        None => number(word, "alert description (a name or a number)"),
    }
}

impl FromStr for FaultAction {
    type Err = FaultParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut words = s.split_whitespace();
        let verb = words.next().unwrap_or("");
        let action = match verb {
            "drop" => Self::Drop,
            "duplicate" => Self::Duplicate,
            "reorder" => Self::Reorder,
            "corrupt" => Self::Corrupt {
                offset: number(words.next(), "byte offset")?,
                xor: number(words.next(), "xor mask")?,
            },
            "truncate" => Self::Truncate {
                len: number(words.next(), "length")?,
            },
            "fragment" => Self::Fragment {
                size: match number(words.next(), "fragment size")? {
                    0 => return Err(FaultParseError("fragment size must be at least 1".into())),
                    n => n,
                },
            },
            "delay" => Self::Delay {
                ms: number(words.next(), "delay in milliseconds")?,
            },
            "alert_before" => Self::AlertBefore {
                level: level(words.next())?,
                description: description(words.next())?,
            },
            "alert_after" => Self::AlertAfter {
                level: level(words.next())?,
                description: description(words.next())?,
            },
            "close" => Self::Close,
            "reset" => Self::Reset,
            "record_version" => Self::RecordVersion {
                version: number(words.next(), "version")?,
            },
            "hello_version" => Self::HelloVersion {
                version: number(words.next(), "version")?,
            },
            "cipher_suite" => Self::CipherSuite {
                suite: number(words.next(), "cipher suite")?,
            },
            "compression" => Self::Compression {
                method: number(words.next(), "compression method")?,
            },
            "unknown_extension" => Self::UnknownExtension {
                typ: number(words.next(), "extension type")?,
            },
            "wrong_verify_data" => Self::WrongVerifyData,
            "bad_record_mac" => Self::BadRecordMac,
            "hello_request_storm" => Self::HelloRequestStorm,
            "oversized" => Self::Oversized {
                len: number(words.next(), "record length")?,
            },
            other => {
                return Err(FaultParseError(format!(
                "unknown fault `{other}`; one of: drop, duplicate, reorder, corrupt OFFSET XOR, \
                     truncate LEN, fragment SIZE, delay MS, alert_before LEVEL DESC, \
                     alert_after LEVEL DESC, close, reset, record_version V, hello_version V, \
                     cipher_suite ID, compression M, unknown_extension TYPE, wrong_verify_data, \
                     bad_record_mac, hello_request_storm, oversized LEN"
            )))
            }
        };
        match words.next() {
            Some(extra) => Err(FaultParseError(format!(
                "unexpected `{extra}` after `{verb}`"
            ))),
            None => Ok(action),
        }
    }
}

impl FaultAction {
    /// Whether the action makes sense at `step` (ServerHello fields only at server_hello,
    /// and so on).
    pub fn fits(&self, step: Step) -> bool {
        match self {
            Self::HelloVersion { .. }
            | Self::CipherSuite { .. }
            | Self::Compression { .. }
            | Self::UnknownExtension { .. } => step == Step::ServerHello,
            Self::WrongVerifyData => step == Step::Finished,
            Self::BadRecordMac | Self::Oversized { .. } | Self::HelloRequestStorm => {
                step == Step::ApplicationData
            }
            // The first application record is sealed inside a poll: no waiting, no
            // closing there, and it is one record.
            Self::Truncate { .. }
            | Self::Fragment { .. }
            | Self::Reorder
            | Self::Delay { .. }
            | Self::Close
            | Self::Reset => step != Step::ApplicationData,
            _ => true,
        }
    }
}

/// The compact text form `FromStr` reads back: numbers decimal, versions, suites and
/// extension types in hex.
impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Drop => f.write_str("drop"),
            Self::Duplicate => f.write_str("duplicate"),
            Self::Reorder => f.write_str("reorder"),
            Self::Corrupt { offset, xor } => write!(f, "corrupt {offset} {xor:#04x}"),
            Self::Truncate { len } => write!(f, "truncate {len}"),
            Self::Fragment { size } => write!(f, "fragment {size}"),
            Self::Delay { ms } => write!(f, "delay {ms}"),
            Self::AlertBefore { level, description } => {
                write!(f, "alert_before {level} {description}")
            }
            Self::AlertAfter { level, description } => {
                write!(f, "alert_after {level} {description}")
            }
            Self::Close => f.write_str("close"),
            Self::Reset => f.write_str("reset"),
            Self::RecordVersion { version } => write!(f, "record_version {version:#06x}"),
            Self::HelloVersion { version } => write!(f, "hello_version {version:#06x}"),
            Self::CipherSuite { suite } => write!(f, "cipher_suite {suite:#06x}"),
            Self::Compression { method } => write!(f, "compression {method}"),
            Self::UnknownExtension { typ } => write!(f, "unknown_extension {typ:#06x}"),
            Self::WrongVerifyData => f.write_str("wrong_verify_data"),
            Self::BadRecordMac => f.write_str("bad_record_mac"),
            Self::HelloRequestStorm => f.write_str("hello_request_storm"),
            Self::Oversized { len } => write!(f, "oversized {len}"),
        }
    }
}

/// A YAML flow mapping, ready to paste into `faults: [...]`.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{at: {}, do: {}}}", self.at, self.action)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_value(self).map_err(|_| fmt::Error)?;
        f.write_str(text.as_str().unwrap_or("?"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_forms_parse() {
        assert_eq!("drop".parse(), Ok(FaultAction::Drop));
        assert_eq!(
            "corrupt 5 0xff".parse(),
            Ok(FaultAction::Corrupt {
                offset: 5,
                xor: 255
            })
        );
        assert_eq!(
            "alert_before fatal 201".parse(),
            Ok(FaultAction::AlertBefore {
                level: 2,
                description: 201
            })
        );
        assert_eq!(
            "alert_after warning no_renegotiation".parse(),
            Ok(FaultAction::AlertAfter {
                level: 1,
                description: 100
            })
        );
        assert_eq!(
            "cipher_suite 0x009c".parse(),
            Ok(FaultAction::CipherSuite { suite: 0x009c })
        );
    }

    #[test]
    fn bad_forms_say_what_is_wrong() {
        let err = |s: &str| s.parse::<FaultAction>().unwrap_err().0;
        assert!(err("trunc 5").starts_with("unknown fault `trunc`"));
        assert_eq!(err("truncate"), "missing length");
        assert_eq!(err("truncate x"), "`x` is not a valid length");
        assert_eq!(err("drop now"), "unexpected `now` after `drop`");
        assert_eq!(err("corrupt 1 300"), "`300` is not a valid xor mask");
        assert_eq!(err("fragment 0"), "fragment size must be at least 1");
    }

    #[test]
    fn the_text_form_reads_back() {
        let fault = Fault {
            at: Step::ServerHello,
            action: FaultAction::CipherSuite { suite: 0x9c },
        };
        assert_eq!(
            fault.to_string(),
            "{at: server_hello, do: cipher_suite 0x009c}"
        );
        for text in [
            "corrupt 5 0xff",
            "alert_after 1 100",
            "record_version 0x0300",
        ] {
            let action: FaultAction = text.parse().unwrap();
            assert_eq!(action.to_string(), text);
        }
    }

    #[test]
    fn actions_fit_their_steps() {
        assert!(FaultAction::WrongVerifyData.fits(Step::Finished));
        assert!(!FaultAction::WrongVerifyData.fits(Step::ServerHello));
        assert!(FaultAction::CipherSuite { suite: 1 }.fits(Step::ServerHello));
        assert!(!FaultAction::BadRecordMac.fits(Step::Certificate));
        assert!(FaultAction::Drop.fits(Step::ChangeCipherSpec));
    }
}
