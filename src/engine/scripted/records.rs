//! The record layer of the scripted engine: whole records in and out, each direction
//! under its own protection. `RecordIo` serves the handshake; `ScriptedSession` the
//! application data after it (AsyncRead/AsyncWrite for the app layer).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::crypto::protect::Protection;
use crate::wire::{Alert, AlertDescription, Codec, ContentType, ProtocolVersion, RecordHeader};

/// Largest record fragment a peer may send (RFC 5246 §6.2.3).
const MAX_FRAGMENT: usize = RecordHeader::MAX_PLAINTEXT + 2048;

/// Why reading or writing records failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum RecordError {
    /// The client sent an alert.
    #[error("client sent alert {0}")]
    Alert(Alert),
    /// A record was malformed, too large or failed to decrypt; send this alert.
    #[error("{reason}")]
    Bad {
        /// The alert to answer with.
        alert: AlertDescription,
        /// What was wrong.
        reason: String,
    },
    /// No record arrived in time.
    #[error("timed out waiting for the client")]
    Timeout,
    /// The transport failed or closed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One record as read: its type, header version and opened payload.
pub(super) struct Record {
    pub content_type: ContentType,
    pub payload: Vec<u8>,
}

/// Take one complete record off the front of `buf`, if there is one.
fn take_record(buf: &mut Vec<u8>) -> Result<Option<(RecordHeader, Vec<u8>)>, RecordError> {
    let Some(head) = buf.get(..RecordHeader::LEN) else {
        return Ok(None);
    };
    let header = RecordHeader::from_bytes(head).map_err(|e| RecordError::Bad {
        alert: AlertDescription::DECODE_ERROR,
        reason: format!("bad record header: {e}"),
    })?;
    let len = usize::from(header.length);
    if len > MAX_FRAGMENT {
        return Err(RecordError::Bad {
            alert: AlertDescription::RECORD_OVERFLOW,
            reason: format!("record of {len} bytes is over the limit"),
        });
    }
    if buf.len() < RecordHeader::LEN + len {
        return Ok(None);
    }
    let fragment = buf[RecordHeader::LEN..RecordHeader::LEN + len].to_vec();
    buf.drain(..RecordHeader::LEN + len);
    Ok(Some((header, fragment)))
}

fn open(
    protection: &mut Protection,
    header: RecordHeader,
    fragment: &[u8],
) -> Result<Record, RecordError> {
    let payload = protection
        .open(header.content_type, header.version, fragment)
        .map_err(|e| RecordError::Bad {
            alert: e.alert(),
            reason: e.to_string(),
        })?;
    Ok(Record {
        content_type: header.content_type,
        payload,
    })
}

/// Seal `payload` into records of at most 2^14 bytes and append them to `out`.
fn seal_into(
    protection: &mut Protection,
    version: ProtocolVersion,
    content_type: ContentType,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    // An empty payload still makes one (empty) record: e.g. a zero-length app write.
    let mut chunks = payload.chunks(RecordHeader::MAX_PLAINTEXT).peekable();
    if chunks.peek().is_none() {
        seal_one(protection, version, content_type, &[], out);
    }
    for chunk in chunks {
        seal_one(protection, version, content_type, chunk, out);
    }
}

fn seal_one(
    protection: &mut Protection,
    version: ProtocolVersion,
    content_type: ContentType,
    chunk: &[u8],
    out: &mut Vec<u8>,
) {
    let fragment = protection.seal(content_type, version, chunk);
    let header = RecordHeader {
        content_type,
        version,
        length: fragment.len() as u16,
    };
    header.encode(out);
    out.extend_from_slice(&fragment);
}

/// Records over a transport during the handshake.
pub(super) struct RecordIo<S> {
    io: S,
    inbuf: Vec<u8>,
    pub read: Protection,
    pub write: Protection,
    /// Version written in record headers.
    pub version: ProtocolVersion,
    timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RecordIo<S> {
    pub(super) fn new(io: S, timeout: Duration) -> Self {
        Self {
            io,
            inbuf: Vec::new(),
            read: Protection::Null,
            write: Protection::Null,
            version: ProtocolVersion::TLS10,
            timeout,
        }
    }

    /// The next record; an alert record becomes `RecordError::Alert`.
    pub(super) async fn read(&mut self) -> Result<Record, RecordError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            if let Some((header, fragment)) = take_record(&mut self.inbuf)? {
                let record = open(&mut self.read, header, &fragment)?;
                if record.content_type == ContentType::ALERT {
                    let alert =
                        Alert::from_bytes(&record.payload).map_err(|e| RecordError::Bad {
                            alert: AlertDescription::DECODE_ERROR,
                            reason: format!("bad alert: {e}"),
                        })?;
                    return Err(RecordError::Alert(alert));
                }
                return Ok(record);
            }
            let mut chunk = [0u8; 8192];
            let n = tokio::time::timeout_at(deadline, self.io.read(&mut chunk))
                .await
                .map_err(|_| RecordError::Timeout)??;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            }
            self.inbuf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Write `payload` as records of `content_type` under the current protection.
    pub(super) async fn write(
        &mut self,
        content_type: ContentType,
        payload: &[u8],
    ) -> io::Result<()> {
        let mut out = Vec::with_capacity(payload.len() + 64);
        seal_into(
            &mut self.write,
            self.version,
            content_type,
            payload,
            &mut out,
        );
        self.io.write_all(&out).await?;
        self.io.flush().await
    }

    /// Send a fatal alert (under the current protection) and close without a reset.
    pub(super) async fn fail(&mut self, alert: Alert) {
        let _ = self.write(ContentType::ALERT, &alert.to_bytes()).await;
        crate::engine::linger_close(&mut self.io).await;
    }

    pub(super) fn into_session(self) -> ScriptedSession<S> {
        ScriptedSession {
            io: self.io,
            inbuf: self.inbuf,
            read: self.read,
            write: self.write,
            version: self.version,
            plain: Vec::new(),
            plain_pos: 0,
            outbuf: Vec::new(),
            peer_closed: false,
            closing: false,
        }
    }
}

/// The client's alert, carried in an `io::Error` to the app layer.
#[derive(Debug, thiserror::Error)]
#[error("client sent alert {0}")]
pub(crate) struct PeerAlert(pub Alert);

/// An established connection: application data in and out.
pub(crate) struct ScriptedSession<S> {
    io: S,
    inbuf: Vec<u8>,
    read: Protection,
    write: Protection,
    version: ProtocolVersion,
    plain: Vec<u8>,
    plain_pos: usize,
    outbuf: Vec<u8>,
    peer_closed: bool,
    closing: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> ScriptedSession<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.outbuf.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.io).poll_write(cx, &self.outbuf))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.outbuf.drain(..n);
        }
        Poll::Ready(Ok(()))
    }

    /// Handle one opened record; `Some` bytes of application data.
    fn on_record(&mut self, record: Record) -> io::Result<()> {
        match record.content_type {
            ContentType::APPLICATION_DATA => {
                self.plain = record.payload;
                self.plain_pos = 0;
                Ok(())
            }
            ContentType::ALERT => {
                let alert = Alert::from_bytes(&record.payload)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                if alert.description == AlertDescription::CLOSE_NOTIFY {
                    self.peer_closed = true;
                    Ok(())
                } else {
                    Err(io::Error::other(PeerAlert(alert)))
                }
            }
            other => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected {other} record after the handshake"),
            )),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ScriptedSession<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(rest) = this.plain.get(this.plain_pos..).filter(|r| !r.is_empty()) {
                let n = rest.len().min(buf.remaining());
                buf.put_slice(&rest[..n]);
                this.plain_pos += n;
                return Poll::Ready(Ok(()));
            }
            if this.peer_closed {
                return Poll::Ready(Ok(()));
            }
            let taken = take_record(&mut this.inbuf)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            if let Some((header, fragment)) = taken {
                let record = open(&mut this.read, header, &fragment)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                this.on_record(record)?;
                continue;
            }
            let mut chunk = [0u8; 8192];
            let mut raw = ReadBuf::new(&mut chunk);
            std::task::ready!(Pin::new(&mut this.io).poll_read(cx, &mut raw))?;
            if raw.filled().is_empty() {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            this.inbuf.extend_from_slice(raw.filled());
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ScriptedSession<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_drain(cx))?;
        let n = buf.len().min(RecordHeader::MAX_PLAINTEXT);
        seal_into(
            &mut this.write,
            this.version,
            ContentType::APPLICATION_DATA,
            &buf[..n],
            &mut this.outbuf,
        );
        // The record is ours now; flush what the socket takes without waiting for it.
        let _ = this.poll_drain(cx)?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.closing {
            this.closing = true;
            let close = Alert {
                level: crate::wire::AlertLevel::WARNING,
                description: AlertDescription::CLOSE_NOTIFY,
            };
            seal_into(
                &mut this.write,
                this.version,
                ContentType::ALERT,
                &close.to_bytes(),
                &mut this.outbuf,
            );
        }
        std::task::ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
