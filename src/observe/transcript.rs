//! A per-connection transcript of the handshake in the style of OpenSSL's `-msg`, from the
//! server's side: `>>>` what the server sent, `<<<` what it received. The scripted engine
//! writes its own, message by message; [`wire_transcript`] reads one off the bytes of any
//! connection, naming only what is visible on the wire.

use std::fmt;

use serde::Serialize;

use crate::wire::{
    Alert, Codec, ContentType, ExtensionType, HandshakeJoiner, HandshakePayload, HandshakeType,
    ProtocolVersion, RecordHeader, ServerHello,
};

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
    /// A line for `bytes` of `content_type`, described as `what`.
    pub fn named(
        direction: Direction,
        version: ProtocolVersion,
        content_type: ContentType,
        what: &str,
        bytes: &[u8],
    ) -> Self {
        Self {
            direction,
            version,
            content_type,
            what: what.to_string(),
            bytes: bytes.to_vec(),
        }
    }

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
            ContentType::APPLICATION_DATA => "ApplicationData",
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

/// The transcript a passive observer writes from a connection's bytes, in order: each
/// plaintext handshake message by name (reassembled across records), ChangeCipherSpec,
/// plaintext alerts, and every protected record as `encrypted` under its outer content
/// type, since the keys are not at hand (in TLS 1.3 that is everything after the
/// ServerHello). Bytes that are not TLS records end their side's transcript with one
/// line; a record cut short by the end of the bytes gets an `incomplete record` line.
pub fn wire_transcript<'a>(
    data: impl IntoIterator<Item = (Direction, &'a [u8])>,
) -> Vec<TranscriptLine> {
    let mut reader = WireReader::default();
    for (direction, bytes) in data {
        reader.push(direction, bytes);
    }
    reader.finish()
}

/// Largest record on the wire: 2^14 plus the most protection may add (RFC 5246 §6.2.3).
const MAX_RECORD: usize = RecordHeader::MAX_PLAINTEXT + 2048;
/// Bytes shown of input that is not TLS.
const NOT_TLS_SHOWN: usize = 64;

#[derive(Default)]
struct WireReader {
    /// [server, client].
    sides: [Side; 2],
    /// A TLS 1.3 ServerHello or HelloRetryRequest went by: ChangeCipherSpec is a no-op.
    tls13: bool,
    lines: Vec<TranscriptLine>,
}

#[derive(Default)]
struct Side {
    /// Bytes of a record not complete yet.
    pending: Vec<u8>,
    /// This side's records are protected from here on.
    protected: bool,
    handshake: HandshakeJoiner,
    /// Not TLS, or lost track: the rest of this side is not parsed.
    lost: bool,
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::Sent => 0,
        Direction::Received => 1,
    }
}

impl WireReader {
    fn push(&mut self, direction: Direction, bytes: &[u8]) {
        let side = &mut self.sides[index(direction)];
        if side.lost {
            return;
        }
        side.pending.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            let side = &mut self.sides[index(direction)];
            if side.lost {
                side.pending = Vec::new();
                return;
            }
            let Some(head) = side.pending.get(at..at + RecordHeader::LEN) else {
                break;
            };
            let header = RecordHeader::from_bytes(head).ok().filter(plausible);
            let Some(header) = header else {
                let shown = &side.pending[at..side.pending.len().min(at + NOT_TLS_SHOWN)];
                let line = TranscriptLine::named(
                    direction,
                    ProtocolVersion(0),
                    ContentType(shown[0]),
                    "not a TLS record",
                    shown,
                );
                side.lost = true;
                self.lines.push(line);
                continue;
            };
            let start = at + RecordHeader::LEN;
            let Some(fragment) = side.pending.get(start..start + usize::from(header.length)) else {
                break;
            };
            let fragment = fragment.to_vec();
            at = start + fragment.len();
            self.record(direction, header, &fragment);
        }
        self.sides[index(direction)].pending.drain(..at);
    }

    fn record(&mut self, direction: Direction, header: RecordHeader, fragment: &[u8]) {
        let version = header.version;
        let side = &mut self.sides[index(direction)];
        let line = match header.content_type {
            ContentType::HANDSHAKE if !side.protected => {
                if side.handshake.push(fragment).is_err() {
                    side.lost = true;
                    let what = "handshake message over 64 KiB, not followed further";
                    self.lines.push(TranscriptLine::named(
                        direction,
                        version,
                        ContentType::HANDSHAKE,
                        what,
                        fragment,
                    ));
                    return;
                }
                while let Some(message) = self.sides[index(direction)].handshake.pop() {
                    if direction == Direction::Sent && message.typ == HandshakeType::SERVER_HELLO {
                        self.server_hello(&message);
                    }
                    let bytes = message.to_bytes();
                    self.lines.push(TranscriptLine::new(
                        direction,
                        version,
                        ContentType::HANDSHAKE,
                        &bytes,
                    ));
                }
                return;
            }
            // No protected record is this short: it is a plaintext alert, whatever the state.
            ContentType::ALERT if fragment.len() == 2 => {
                TranscriptLine::new(direction, version, ContentType::ALERT, fragment)
            }
            ContentType::CHANGE_CIPHER_SPEC => {
                // TLS 1.3's is for middleboxes only; before it, keys change here.
                side.protected |= !self.tls13;
                TranscriptLine::new(direction, version, header.content_type, fragment)
            }
            ContentType::HANDSHAKE | ContentType::ALERT | ContentType::APPLICATION_DATA => {
                let what = "encrypted";
                TranscriptLine::named(direction, version, header.content_type, what, fragment)
            }
            other => TranscriptLine::new(direction, version, other, fragment),
        };
        self.lines.push(line);
    }

    /// After a TLS 1.3 ServerHello both sides protect everything; a HelloRetryRequest
    /// (same message type) changes nothing yet.
    fn server_hello(&mut self, message: &crate::wire::HandshakeMessage) {
        let Ok(hello) = ServerHello::from_message(message, ()) else {
            return;
        };
        let tls13 = hello.extensions.iter().flatten().any(|e| {
            e.typ == ExtensionType::SUPPORTED_VERSIONS
                && e.data == ProtocolVersion::TLS13.0.to_be_bytes()
        });
        self.tls13 |= tls13;
        if tls13 && hello.random != ServerHello::HRR_RANDOM {
            for side in &mut self.sides {
                side.protected = true;
            }
        }
    }

    fn finish(mut self) -> Vec<TranscriptLine> {
        for direction in [Direction::Sent, Direction::Received] {
            let side = &self.sides[index(direction)];
            if !side.handshake.is_empty() {
                let what = "incomplete handshake message";
                let version = ProtocolVersion(0);
                let line =
                    TranscriptLine::named(direction, version, ContentType::HANDSHAKE, what, &[]);
                self.lines.push(line);
            }
            let pending = &self.sides[index(direction)].pending;
            let line =
                match RecordHeader::from_bytes(pending.get(..RecordHeader::LEN).unwrap_or(&[])) {
                    Ok(header) => TranscriptLine::named(
                        direction,
                        header.version,
                        header.content_type,
                        &format!(
                            "incomplete record: {} of {} bytes",
                            pending.len() - RecordHeader::LEN,
                            header.length
                        ),
                        &pending[RecordHeader::LEN..],
                    ),
                    Err(_) => match pending.first() {
                        Some(&first) => TranscriptLine::named(
                            direction,
                            ProtocolVersion(0),
                            ContentType(first),
                            "incomplete record header",
                            pending,
                        ),
                        None => continue,
                    },
                };
            self.lines.push(line);
        }
        self.lines
    }
}

/// A header that can start a TLS record: a known content type, an SSL 3.0–TLS 1.3
/// record version, a length within the protected-record limit.
fn plausible(header: &RecordHeader) -> bool {
    (20..=24).contains(&header.content_type.0)
        && header.version.0 >> 8 == 3
        && usize::from(header.length) <= MAX_RECORD
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

    fn record(content_type: u8, version: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![content_type];
        out.extend(version.to_be_bytes());
        out.extend((payload.len() as u16).to_be_bytes());
        out.extend(payload);
        out
    }

    fn message(typ: HandshakeType, body: &[u8]) -> Vec<u8> {
        crate::wire::HandshakeMessage {
            typ,
            body: body.to_vec(),
        }
        .to_bytes()
    }

    fn server_hello(random: [u8; 32], tls13: bool) -> Vec<u8> {
        let extensions = tls13.then(|| {
            vec![crate::wire::Extension {
                typ: ExtensionType::SUPPORTED_VERSIONS,
                data: vec![3, 4],
            }]
        });
        let hello = ServerHello {
            version: ProtocolVersion::TLS12,
            random,
            session_id: vec![1; 32],
            cipher_suite: crate::wire::CipherSuite(0x1302),
            compression: crate::wire::Compression::NULL,
            extensions,
        };
        hello.to_message().to_bytes()
    }

    /// (direction, content type, what) of each line.
    fn summary(lines: &[TranscriptLine]) -> Vec<(Direction, u8, String)> {
        lines
            .iter()
            .map(|l| (l.direction, l.content_type.0, l.what.clone()))
            .collect()
    }

    fn expect(lines: &[(Direction, u8, &str)]) -> Vec<(Direction, u8, String)> {
        lines
            .iter()
            .map(|(d, t, w)| (*d, *t, w.to_string()))
            .collect()
    }

    use Direction::{Received as C, Sent as S};

    #[test]
    fn tls12_names_plaintext_messages_and_marks_what_follows_ccs_encrypted() {
        let hello = record(22, 0x0301, &message(HandshakeType::CLIENT_HELLO, &[7; 300]));
        // ServerHello and Certificate in one record, the Certificate continued in a second
        // record with ServerHelloDone; delivered in awkward pieces.
        let sh = server_hello([5; 32], false);
        let cert = message(HandshakeType::CERTIFICATE, &[9; 2000]);
        let done = message(HandshakeType::SERVER_HELLO_DONE, &[]);
        let first = [&sh[..], &cert[..1000]].concat();
        let second = [&cert[1000..], &done[..]].concat();
        let flight = [record(22, 0x0303, &first), record(22, 0x0303, &second)].concat();
        let client_finish = [
            record(
                22,
                0x0303,
                &message(HandshakeType::CLIENT_KEY_EXCHANGE, &[1; 258]),
            ),
            record(20, 0x0303, &[1]),
            record(22, 0x0303, &[0xee; 40]),
        ]
        .concat();
        let server_finish = [record(20, 0x0303, &[1]), record(22, 0x0303, &[0xdd; 40])].concat();
        let tail = [
            record(23, 0x0303, &[0xcc; 50]),
            record(21, 0x0303, &[0xbb; 26]),
        ]
        .concat();
        let close = record(21, 0x0303, &[1, 0]);
        let data: Vec<(Direction, &[u8])> = vec![
            (C, &hello[..3]),
            (C, &hello[3..]),
            (S, &flight[..7]),
            (S, &flight[7..1500]),
            (S, &flight[1500..]),
            (C, &client_finish),
            (S, &server_finish),
            (C, &tail),
            (S, &close),
        ];
        let lines = wire_transcript(data);
        assert_eq!(
            summary(&lines),
            expect(&[
                (C, 22, "ClientHello"),
                (S, 22, "ServerHello"),
                (S, 22, "Certificate"),
                (S, 22, "ServerHelloDone"),
                (C, 22, "ClientKeyExchange"),
                (C, 20, "ChangeCipherSpec"),
                (C, 22, "encrypted"),
                (S, 20, "ChangeCipherSpec"),
                (S, 22, "encrypted"),
                (C, 23, "encrypted"),
                (C, 21, "encrypted"),
                // A two-byte alert is plaintext whatever the state.
                (S, 21, "warning close_notify(0)"),
            ])
        );
        assert_eq!(lines[0].version, ProtocolVersion::TLS10);
        assert_eq!(lines[2].bytes, cert, "messages are whole, header included");
        assert_eq!(
            lines[9].to_string().lines().next().unwrap(),
            "<<< TLS 1.2, ApplicationData [length 0032], encrypted"
        );
    }

    #[test]
    fn tls13_hides_everything_after_the_server_hello_but_not_after_a_retry() {
        let hello = record(22, 0x0301, &message(HandshakeType::CLIENT_HELLO, &[7; 200]));
        let lines = wire_transcript(vec![
            (C, &hello[..]),
            (
                S,
                &record(22, 0x0303, &server_hello(ServerHello::HRR_RANDOM, true)),
            ),
            (S, &record(20, 0x0303, &[1])),
            (C, &record(20, 0x0303, &[1])),
            (C, &hello[..]),
            (
                S,
                &[
                    record(22, 0x0303, &server_hello([3; 32], true)),
                    record(23, 0x0303, &[0xaa; 100]),
                ]
                .concat(),
            ),
            (C, &record(23, 0x0303, &[0xbb; 60])),
            // The client refusing the ServerHello alerts in plaintext.
            (C, &record(21, 0x0303, &[2, 47])),
        ]);
        assert_eq!(
            summary(&lines),
            expect(&[
                (C, 22, "ClientHello"),
                (S, 22, "ServerHello"),
                (S, 20, "ChangeCipherSpec"),
                (C, 20, "ChangeCipherSpec"),
                (C, 22, "ClientHello"),
                (S, 22, "ServerHello"),
                (S, 23, "encrypted"),
                (C, 23, "encrypted"),
                (C, 21, "fatal illegal_parameter(47)"),
            ])
        );
    }

    #[test]
    fn not_tls_and_cut_records_get_one_honest_line_each() {
        let lines = wire_transcript(vec![
            (C, &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]),
            (C, &record(22, 0x0301, &[1, 0, 0, 1, 0])[..]),
            (S, &record(21, 0x0303, &[2, 40])[..4]),
        ]);
        assert_eq!(
            summary(&lines),
            expect(&[
                (C, b'G', "not a TLS record"),
                (S, 21, "incomplete record header"),
            ])
        );
        assert_eq!(lines[0].bytes, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let cut = record(22, 0x0303, &[2; 100]);
        let lines = wire_transcript(vec![(S, &cut[..60])]);
        assert_eq!(lines[0].what, "incomplete record: 55 of 100 bytes");
        assert_eq!(lines[0].bytes.len(), 55);
        // A whole record holding the start of a longer message.
        let message = message(HandshakeType::CERTIFICATE, &[3; 100]);
        let lines = wire_transcript(vec![(S, &record(22, 0x0303, &message[..50])[..])]);
        assert_eq!(
            summary(&lines),
            expect(&[(S, 22, "incomplete handshake message")])
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            chunks in proptest::collection::vec(
                (proptest::bool::ANY, proptest::collection::vec(
                    proptest::sample::select(vec![0u8, 1, 2, 3, 5, 20, 21, 22, 23, 0xff]), 0..80)),
                0..12),
        ) {
            let data = chunks
                .iter()
                .map(|(sent, bytes)| (if *sent { S } else { C }, bytes.as_slice()));
            for line in wire_transcript(data) {
                let _ = line.to_string();
            }
        }
    }
}
