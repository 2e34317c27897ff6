//! The first flight: TLS records read until the ClientHello is complete, bounded in
//! size and time, keeping the exact bytes so an engine can replay them.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{timeout_at, Instant};

use super::{parse_client_hello, ClientHelloError, ClientHelloInfo};
use crate::wire::{
    AlertDescription, Codec, ContentType, DecodeError, HandshakeHeader, HandshakeType,
    ProtocolVersion, Reader, RecordHeader,
};

/// Largest ClientHello body accepted: OpenSSL's `CLIENT_HELLO_MAX_LENGTH`, every field
/// at its largest (a 65,534-byte suite list and a 65,535-byte extensions block). A
/// hello this size spans nine records.
pub const MAX_CLIENT_HELLO: usize = 131_396;

/// Bounds on reading the first flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstFlightLimits {
    /// Most bytes read before giving up (default 160 KiB: a [`MAX_CLIENT_HELLO`] hello
    /// in records of 1 KiB and more).
    pub max_bytes: usize,
    /// Time allowed for the whole first flight (default 10 s).
    pub timeout: Duration,
}

impl Default for FirstFlightLimits {
    fn default() -> Self {
        Self {
            max_bytes: 160 * 1024,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The raw bytes read (to be replayed to the engine) and the parsed hello.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstFlight {
    /// Every byte read, exactly as received: the records up to the one that completes
    /// the ClientHello, and whatever the client sent after it that arrived with them.
    pub bytes: Vec<u8>,
    /// The parsed ClientHello, with `record_version` set.
    pub hello: ClientHelloInfo,
    /// Length of the ClientHello message, its 4-byte header included.
    pub hello_len: usize,
}

/// Why the first flight is not a usable ClientHello.
#[derive(Debug, thiserror::Error)]
pub enum FirstFlightError {
    /// No complete ClientHello within [`FirstFlightLimits::timeout`].
    #[error("timed out waiting for the ClientHello (is the client waiting for the server to speak first?)")]
    Timeout,
    /// The client closed the connection first.
    #[error(
        "connection closed after {received} byte(s), before the ClientHello was complete \
         (the client gave up, or only probed the port)"
    )]
    Eof {
        /// Bytes received before the close.
        received: usize,
    },
    /// The bytes are not TLS at all.
    #[error("not TLS: first bytes \"{preview}\" ({hint})")]
    NotTls {
        /// The first bytes, escaped.
        preview: String,
        /// A guess at what the client is doing.
        hint: &'static str,
    },
    /// An SSL 2.0-format ClientHello (the compatibility hello of old clients).
    #[error(
        "SSLv2-format ClientHello offering {version}: the client still sends the SSL 2.0 \
         hello (e.g. Java's SSLv2Hello); disable it so the client sends a TLS record"
    )]
    Sslv2Hello {
        /// Highest version the hello offers.
        version: ProtocolVersion,
    },
    /// A TLS record other than handshake before the ClientHello was complete.
    #[error("{content_type} record before the ClientHello was complete (a client must open with handshake records)")]
    UnexpectedRecord {
        /// The record's content type.
        content_type: ContentType,
    },
    /// A record longer than TLS allows for plaintext.
    #[error("record of {length} bytes exceeds the 16384-byte plaintext limit (RFC 8446 §5.1, record_overflow)")]
    RecordTooLarge {
        /// The record's declared length.
        length: usize,
    },
    /// [`FirstFlightLimits::max_bytes`] would be exceeded.
    #[error(
        "first flight exceeds {limit} bytes without a complete ClientHello \
         (raise FirstFlightLimits::max_bytes for clients with huge hellos)"
    )]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The ClientHello's header declares a body over [`MAX_CLIENT_HELLO`]; refused as
    /// soon as the header arrives.
    #[error(
        "ClientHello declares {length} bytes, over the {limit}-byte limit \
         (OpenSSL's CLIENT_HELLO_MAX_LENGTH; illegal_parameter)"
    )]
    HelloTooLarge {
        /// The body length the handshake header declares.
        length: usize,
        /// [`MAX_CLIENT_HELLO`].
        limit: usize,
    },
    /// The handshake message is not a valid ClientHello.
    #[error(transparent)]
    Hello(#[from] ClientHelloError),
    /// Reading from the connection failed.
    #[error("reading the first flight: {0}")]
    Io(#[from] std::io::Error),
}

impl FirstFlightError {
    /// The fatal alert a server sends for this failure (both engines, before either
    /// answers); `None` when the peer is gone, silent, or not speaking TLS at all.
    pub fn alert(&self) -> Option<AlertDescription> {
        match self {
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
            //# unexpected_message
            //#    An inappropriate message was received.
            Self::UnexpectedRecord { .. }
            | Self::Hello(ClientHelloError::NotClientHello { .. }) => {
                Some(AlertDescription::UNEXPECTED_MESSAGE)
            }
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
            //# record_overflow
            //#    A TLSCiphertext record was received that had a length more than
            //#    2^14+2048 bytes, or a record decrypted to a TLSCompressed record
            //#    with more than 2^14+1024 bytes.
            Self::RecordTooLarge { .. } => Some(AlertDescription::RECORD_OVERFLOW),
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
            //# illegal_parameter
            //#    A field in the handshake was out of range or inconsistent with
            //#    other fields.
            // (OpenSSL's answer to a message over its size limit.)
            Self::HelloTooLarge { .. } | Self::TooLarge { .. } => {
                Some(AlertDescription::ILLEGAL_PARAMETER)
            }
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
            //# decode_error
            //#    A message could not be decoded because some field was out of the
            //#    specified range or the length of the message was incorrect.
            Self::Hello(ClientHelloError::Malformed { .. }) => Some(AlertDescription::DECODE_ERROR),
            Self::Timeout
            | Self::Eof { .. }
            | Self::NotTls { .. }
            | Self::Sslv2Hello { .. }
            | Self::Io(_) => None,
        }
    }
}

/// What one read asks for at least: a whole ClientHello in the common case.
const READ_CHUNK: usize = 4096;
/// Escaped bytes shown for input that is not TLS.
const PREVIEW_LEN: usize = 48;
/// How long to wait for more preview bytes once the input is known not to be TLS.
const PREVIEW_GRACE: Duration = Duration::from_millis(50);

/// Read TLS records from `reader` until the ClientHello is complete, within `limits`.
/// Each read takes what has arrived (up to a chunk, within `max_bytes`), so the bytes may
/// run past the hello: the engine gets them all replayed, and one read usually suffices.
pub async fn read_first_flight<R: AsyncRead + Unpin>(
    reader: &mut R,
    limits: FirstFlightLimits,
) -> Result<FirstFlight, FirstFlightError> {
    let deadline = Instant::now() + limits.timeout;
    let mut bytes = Vec::new();
    let mut previewed = false;
    loop {
        match scan(&bytes) {
            Ok(Scan::Done(hello, _, hello_len)) => {
                return Ok(FirstFlight {
                    bytes,
                    hello: *hello,
                    hello_len,
                });
            }
            Ok(Scan::Need(need)) => {
                if bytes.len() + need > limits.max_bytes {
                    return Err(FirstFlightError::TooLarge {
                        limit: limits.max_bytes,
                    });
                }
                let room = limits.max_bytes - bytes.len();
                read_at_most(reader, &mut bytes, need.max(READ_CHUNK).min(room), deadline).await?;
            }
            Err(FirstFlightError::NotTls { .. }) if !previewed => {
                // The connection is rejected either way; a few more bytes, if already
                // on their way, make the preview readable. Failing to get them is fine.
                previewed = true;
                let grace = deadline.min(Instant::now() + PREVIEW_GRACE);
                let want = PREVIEW_LEN.saturating_sub(bytes.len());
                let _ = read_at_most(reader, &mut bytes, want, grace).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Append what one read returns, at most `max` bytes; EOF and the deadline are errors.
async fn read_at_most<R: AsyncRead + Unpin>(
    reader: &mut R,
    bytes: &mut Vec<u8>,
    max: usize,
    deadline: Instant,
) -> Result<(), FirstFlightError> {
    let received = bytes.len();
    // A Vec with no spare room grows by 64 bytes per read_buf: one syscall per 64 bytes.
    bytes.reserve(max);
    match timeout_at(deadline, (&mut *reader).take(max as u64).read_buf(bytes)).await {
        Err(_elapsed) => Err(FirstFlightError::Timeout),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(0)) => Err(FirstFlightError::Eof { received }),
        Ok(Ok(_)) => Ok(()),
    }
}

/// The synchronous core of [`read_first_flight`]: `Ok(None)` means the bytes so far
/// are a valid beginning but the ClientHello is not complete yet. On success, also
/// returns how many bytes the records up to the end of the hello take (never more
/// than `bytes.len()`); anything after them is not looked at.
pub fn parse_first_flight(
    bytes: &[u8],
) -> Result<Option<(ClientHelloInfo, usize)>, FirstFlightError> {
    Ok(match scan(bytes)? {
        Scan::Done(hello, used, _) => Some((*hello, used)),
        Scan::Need(_) => None,
    })
}

/// How far the bytes so far get.
enum Scan {
    /// The hello, the length of the records that carry it, and its own length.
    Done(Box<ClientHelloInfo>, usize, usize),
    /// At least this many more bytes are needed, none of them past the current
    /// record (the async reader relies on that not to over-read).
    Need(usize),
}

fn scan(bytes: &[u8]) -> Result<Scan, FirstFlightError> {
    check_start(bytes)?;
    let mut r = Reader::new(bytes);
    let mut handshake = Vec::new();
    let mut record_version = None;
    loop {
        // Whole header at once, so a short read asks for all of its missing bytes.
        let header = match r
            .take(RecordHeader::LEN, RecordHeader::WHAT)
            .and_then(RecordHeader::from_bytes)
        {
            Ok(header) => header,
            Err(e) => return need_more(e),
        };
        if header.content_type != ContentType::HANDSHAKE {
            return Err(FirstFlightError::UnexpectedRecord {
                content_type: header.content_type,
            });
        }
        let length = usize::from(header.length);
        if length > RecordHeader::MAX_PLAINTEXT {
            return Err(FirstFlightError::RecordTooLarge { length });
        }
        // The hello's header may be in before its record is whole: check it now, so a
        // declared 16 MB is refused at once instead of after the timeout.
        let arrived = &r.remaining()[..length.min(r.remaining().len())];
        check_hello_header(&handshake, arrived)?;
        let fragment = match r.take(length, "record") {
            Ok(fragment) => fragment,
            Err(e) => return need_more(e),
        };
        record_version.get_or_insert(header.version);
        handshake.extend_from_slice(fragment);

        let mut message = Reader::new(&handshake);
        let complete = HandshakeHeader::read(&mut message)
            .ok()
            .filter(|h| message.remaining().len() >= h.length as usize);
        if let Some(header) = complete {
            let mut hello = parse_client_hello(&handshake)?;
            hello.record_version = record_version;
            return Ok(Scan::Done(
                Box::new(hello),
                bytes.len() - r.remaining().len(),
                HandshakeHeader::LEN + header.length as usize,
            ));
        }
    }
}

/// The type and declared length of the hello, once the bytes so far (`handshake`, then
/// `more`) hold its 4-byte header.
fn check_hello_header(handshake: &[u8], more: &[u8]) -> Result<(), FirstFlightError> {
    let mut head = handshake.iter().chain(more).copied();
    let Some(got) = head.next().map(HandshakeType) else {
        return Ok(());
    };
    if got != HandshakeType::CLIENT_HELLO {
        return Err(ClientHelloError::NotClientHello { got }.into());
    }
    if let (Some(a), Some(b), Some(c)) = (head.next(), head.next(), head.next()) {
        let length = u32::from_be_bytes([0, a, b, c]) as usize;
        if length > MAX_CLIENT_HELLO {
            return Err(FirstFlightError::HelloTooLarge {
                length,
                limit: MAX_CLIENT_HELLO,
            });
        }
    }
    Ok(())
}

/// Headers and fragments can only fail to decode by running out of bytes.
fn need_more(e: DecodeError) -> Result<Scan, FirstFlightError> {
    match e {
        DecodeError::Truncated { needed, .. } => Ok(Scan::Need(needed)),
        other => Err(ClientHelloError::from(other).into()),
    }
}

/// Reject, from its first bytes, input that cannot be a TLS ClientHello.
fn check_start(bytes: &[u8]) -> Result<(), FirstFlightError> {
    match *bytes {
        // Undecided yet (nothing, or a lone content type), or a handshake record with
        // the SSL 3.0 / TLS major version.
        [] | [0x16] | [0x16, 0x03, ..] | [0x14..=0x18] => Ok(()),
        [t @ 0x14..=0x18, 0x03, ..] => Err(FirstFlightError::UnexpectedRecord {
            content_type: ContentType(t),
        }),
        //= https://www.rfc-editor.org/rfc/rfc5246#section-6
        //# If a TLS implementation receives an unexpected record type, it MUST send an
        //# unexpected_message alert.
        // A record header of an unknown type with an SSL 3.0 to TLS 1.3 version: a TLS
        // peer, not another protocol (no text has 0x03 0x00-0x04 there).
        [t, 0x03, 0x00..=0x04, ..] if t & 0x80 == 0 => Err(FirstFlightError::UnexpectedRecord {
            content_type: ContentType(t),
        }),
        // SSLv2 record: 2-byte header with the top bit set, then CLIENT-HELLO (1)
        // and the offered version (0x0002 or 0x03xx).
        [b0, _, 0x01, major @ (0x00 | 0x03), minor, ..] if b0 & 0x80 != 0 => {
            Err(FirstFlightError::Sslv2Hello {
                version: ProtocolVersion(u16::from_be_bytes([major, minor])),
            })
        }
        // Could still turn out to be an SSLv2 hello.
        [b0, ..] if b0 & 0x80 != 0 && bytes.len() < 5 => Ok(()),
        _ => Err(not_tls(bytes)),
    }
}

/// [`FirstFlightError::NotTls`] with an escaped preview and a guess at the protocol.
fn not_tls(bytes: &[u8]) -> FirstFlightError {
    const HTTP: [&[u8]; 10] = [
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"CONNECT ",
        b"PATCH ",
        b"TRACE ",
        b"PRI * HTTP/2",
    ];
    let hint = if HTTP.iter().any(|method| bytes.starts_with(method)) {
        "looks like plain HTTP: is the client using http:// against this TLS port?"
    } else {
        "a TLS client starts with a handshake record, 0x16 0x03; is it speaking another protocol?"
    };
    FirstFlightError::NotTls {
        preview: bytes
            .get(..PREVIEW_LEN)
            .unwrap_or(bytes)
            .escape_ascii()
            .to_string(),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::client_hello::build::{alpn, client_hello, sni};

    /// `handshake` split into handshake records at `cuts`.
    fn records(handshake: &[u8], cuts: &[usize]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut start = 0;
        for &end in cuts.iter().chain([&handshake.len()]) {
            let fragment = &handshake[start..end];
            out.extend([22, 3, 1]);
            out.extend((fragment.len() as u16).to_be_bytes());
            out.extend(fragment);
            start = end;
        }
        out
    }

    fn hello() -> Vec<u8> {
        client_hello(
            0x0303,
            &[0x1301],
            &[(0, sni("a.test")), (16, alpn(&[b"h2"]))],
        )
    }

    #[test]
    fn one_record_hello() {
        let bytes = records(&hello(), &[]);
        let (info, used) = parse_first_flight(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(info.record_version, Some(ProtocolVersion::TLS10));
        assert_eq!(info.sni.as_deref(), Some("a.test"));
        for cut in 0..bytes.len() {
            assert!(
                parse_first_flight(&bytes[..cut]).unwrap().is_none(),
                "prefix {cut}"
            );
        }
    }

    #[test]
    fn fragmented_hello_stops_at_the_completing_record() {
        let hs = hello();
        let mut bytes = records(&hs, &[1, 3, 10]);
        let total = bytes.len();
        bytes.extend([23, 3, 3, 0, 1, 0]); // application data after the hello
        let (info, used) = parse_first_flight(&bytes).unwrap().unwrap();
        assert_eq!(used, total);
        assert_eq!(info.alpn, ["h2"]);
    }

    #[test]
    fn need_never_crosses_a_record_boundary() {
        let bytes = records(&hello(), &[10]);
        assert!(matches!(scan(&bytes[..0]), Ok(Scan::Need(5))));
        assert!(matches!(scan(&bytes[..3]), Ok(Scan::Need(2))));
        assert!(matches!(scan(&bytes[..5]), Ok(Scan::Need(10))));
        assert!(matches!(scan(&bytes[..15]), Ok(Scan::Need(5))));
    }

    #[test]
    fn plain_http_is_recognised() {
        let err = parse_first_flight(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(r#"not TLS: first bytes "GET / HTTP/1.1\r\nHost: x\r\n\r\n""#),
            "{msg}"
        );
        assert!(msg.contains("plain HTTP"), "{msg}");
        let err = parse_first_flight(b"SSH-2.0-OpenSSH_9.6\r\n").unwrap_err();
        assert!(err.to_string().contains("another protocol"), "{err}");
    }

    #[test]
    fn sslv2_hello_is_reported_with_its_version() {
        let v2 = [0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15];
        assert!(matches!(
            parse_first_flight(&v2),
            Err(FirstFlightError::Sslv2Hello {
                version: ProtocolVersion::TLS10
            })
        ));
        assert!(parse_first_flight(&v2[..4]).unwrap().is_none());
    }

    #[test]
    fn other_records_and_messages_are_typed_errors() {
        let alert = [21, 3, 3, 0, 2, 2, 40];
        assert!(matches!(
            parse_first_flight(&alert),
            Err(FirstFlightError::UnexpectedRecord {
                content_type: ContentType::ALERT
            })
        ));
        let mut interleaved = records(&hello(), &[8]);
        interleaved.splice(13..13, alert);
        assert!(matches!(
            parse_first_flight(&interleaved),
            Err(FirstFlightError::UnexpectedRecord { .. })
        ));
        let huge = [22, 3, 1, 0x40, 0x01];
        assert!(matches!(
            parse_first_flight(&huge),
            Err(FirstFlightError::RecordTooLarge { length: 16385 })
        ));
        let server_hello = [22, 3, 3, 0, 1, 2];
        assert!(matches!(
            parse_first_flight(&server_hello),
            Err(FirstFlightError::Hello(ClientHelloError::NotClientHello {
                got: HandshakeType::SERVER_HELLO
            }))
        ));
    }

    /// OpenSSL 3.0 `s_client`, checked against tests/ja_fingerprint.py (written from
    /// the JA3 and JA4 specs); see that script for how the capture was made.
    #[test]
    fn openssl_s_client_capture_matches_the_reference_script() {
        let bytes = include_bytes!("../../tests/data/openssl-3.0-client-hello.bin");
        let (info, used) = parse_first_flight(bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(info.sni.as_deref(), Some("example.test"));
        assert_eq!(info.alpn, ["h2", "http/1.1"]);
        assert!(info.scsv && !info.fallback_scsv && info.extended_master_secret);
        assert_eq!(
            info.ja3,
            "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-\
             49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,\
             0-11-10-35-16-22-23-13-43-45-51,29-23-30-25-24-256-257-258-259-260,0-1-2"
        );
        assert_eq!(info.ja3_hash, "5a1edc7f170af1014fc65c994878e63c");
        assert_eq!(info.ja4, "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4");
    }

    /// Hands out whatever each read asks for, counting the reads (syscalls on a socket).
    struct CountingReader {
        data: Vec<u8>,
        reads: usize,
    }

    impl AsyncRead for CountingReader {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.reads += 1;
            let n = buf.remaining().min(self.data.len());
            buf.put_slice(&self.data[..n]);
            self.data.drain(..n);
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_whole_hello_takes_one_read() {
        let bytes = include_bytes!("../../tests/data/openssl-3.0-client-hello.bin");
        let mut reader = CountingReader {
            data: bytes.to_vec(),
            reads: 0,
        };
        let flight = read_first_flight(&mut reader, FirstFlightLimits::default())
            .await
            .unwrap();
        assert_eq!(flight.bytes, bytes);
        assert_eq!(reader.reads, 1);
    }
}
