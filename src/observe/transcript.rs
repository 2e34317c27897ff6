//! A per-connection transcript of the handshake in the style of OpenSSL's `-msg`, from the
//! server's side: `>>>` what the server sent, `<<<` what it received.

use std::fmt;

use serde::Serialize;

use crate::wire::{Alert, ContentType, HandshakeType, ProtocolVersion};

/// Who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The server sent it (`>>>`).
    Sent,
    /// The client sent it (`<<<`).
    Received,
}

/// One message as it crossed the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TranscriptLine {
    /// Who sent it.
    pub direction: Direction,
    /// The record-layer version it travelled under.
    pub version: ProtocolVersion,
    /// The record content type.
    pub content_type: ContentType,
    /// What it is: a handshake message name, an alert, `ChangeCipherSpec`.
    pub what: String,
    /// Its bytes (handshake header included), as sent or received.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

impl TranscriptLine {
    /// A line for `bytes` of `content_type`, named from their first bytes.
    pub fn new(
        direction: Direction,
        version: ProtocolVersion,
        content_type: ContentType,
        bytes: &[u8],
    ) -> Self {
        let what = match content_type {
            ContentType::HANDSHAKE => bytes
                .first()
                .map(|&t| HandshakeType(t))
                .map(|t| t.name().map_or_else(|| t.to_string(), camel))
                .unwrap_or_else(|| "empty handshake".into()),
            ContentType::ALERT => crate::wire::Codec::from_bytes(bytes)
                .map(|a: Alert| a.to_string())
                .unwrap_or_else(|_| "malformed alert".into()),
            ContentType::CHANGE_CIPHER_SPEC => "ChangeCipherSpec".into(),
            other => other.to_string(),
        };
        Self {
            direction,
            version,
            content_type,
            what,
            bytes: bytes.to_vec(),
        }
    }
}

/// `server_hello` → `ServerHello`, as OpenSSL names messages.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

impl fmt::Display for TranscriptLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = match self.direction {
            Direction::Sent => ">>>",
            Direction::Received => "<<<",
        };
        let version = self.version.name().unwrap_or("???");
        let kind = match self.content_type {
            ContentType::HANDSHAKE => "Handshake",
            ContentType::ALERT => "Alert",
            ContentType::CHANGE_CIPHER_SPEC => "ChangeCipherSpec",
            _ => "Record",
        };
        write!(
            f,
            "{arrow} {version}, {kind} [length {:04x}], {}",
            self.bytes.len(),
            self.what
        )?;
        for row in self.bytes.chunks(16) {
            f.write_str("\n   ")?;
            for b in row {
                write!(f, " {b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_like_openssl_msg() {
        let line = TranscriptLine::new(
            Direction::Sent,
            ProtocolVersion::TLS12,
            ContentType::HANDSHAKE,
            &[0, 0, 0, 0],
        );
        assert_eq!(
            line.to_string(),
            ">>> TLS 1.2, Handshake [length 0004], HelloRequest\n    00 00 00 00"
        );
        let alert = TranscriptLine::new(
            Direction::Received,
            ProtocolVersion::TLS10,
            ContentType::ALERT,
            &[1, 100],
        );
        assert_eq!(
            alert.to_string(),
            "<<< TLS 1.0, Alert [length 0002], warning no_renegotiation(100)\n    01 64"
        );
    }
}
