//! The record layer of the scripted engine: whole records in and out, each direction
//! under its own protection. `RecordIo` serves the handshake; `AppRecords` the
//! application data after it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::crypto::protect::Protection;
use crate::observe::{CloseKind, Direction, TranscriptLine};
use crate::scenario::FaultAction;
use crate::wire::{
    Alert, AlertDescription, AlertLevel, Codec, ContentType, ProtocolVersion, RecordHeader,
};

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
    /// A deadline of the connection passed while waiting for the client (the
    /// transport enforces them: the whole handshake's, not one per record).
    #[error("timed out waiting for the client: {0}")]
    Timeout(io::Error),
    /// The transport failed or closed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One record as read: its type (TLS 1.3: the inner one) and opened payload.
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
    //= https://www.rfc-editor.org/rfc/rfc5246#section-6.2.3
    //# The length MUST NOT exceed 2^14 + 2048.
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
    let (content_type, payload) = protection
        .open_record(header.content_type, header.version, fragment)
        .map_err(|e| RecordError::Bad {
            alert: e.alert(),
            reason: e.to_string(),
        })?;
    Ok(Record {
        content_type,
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
        content_type: protection.outer_type(content_type),
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
    /// Messages sent and received so far, for the observation.
    pub transcript: Vec<TranscriptLine>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RecordIo<S> {
    pub(super) fn new(io: S) -> Self {
        Self {
            io,
            inbuf: Vec::new(),
            read: Protection::Null,
            write: Protection::Null,
            version: ProtocolVersion::TLS10,
            transcript: Vec::new(),
        }
    }

    /// The next record; an alert record becomes `RecordError::Alert`.
    pub(super) async fn read(&mut self) -> Result<Record, RecordError> {
        loop {
            if let Some((header, fragment)) = take_record(&mut self.inbuf)? {
                let record = open(&mut self.read, header, &fragment)?;
                if record.content_type == ContentType::ALERT {
                    self.note(Direction::Received, ContentType::ALERT, &record.payload);
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
            let n = match self.io.read(&mut chunk).await {
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    return Err(RecordError::Timeout(e))
                }
                read => read?,
            };
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

    /// Add a message to the transcript.
    pub(super) fn note(&mut self, direction: Direction, content_type: ContentType, bytes: &[u8]) {
        let line = TranscriptLine::new(direction, self.version, content_type, bytes);
        self.transcript.push(line);
    }

    /// Send a fatal alert (under the current protection) and close without a reset.
    pub(super) async fn fail(&mut self, alert: Alert) {
        self.note(Direction::Sent, ContentType::ALERT, &alert.to_bytes());
        let _ = self.write(ContentType::ALERT, &alert.to_bytes()).await;
        self.close().await;
    }

    /// Close without a reset.
    pub(super) async fn close(&mut self) {
        crate::engine::linger_close(&mut self.io).await;
    }

    /// The transport underneath.
    pub(super) fn io(&self) -> &S {
        &self.io
    }

    /// Write out bytes already sealed (application data queued by the session).
    pub(super) async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.write_all(bytes).await
    }
}

/// The client's alert, carried in an `io::Error` to the app layer.
#[derive(Debug, thiserror::Error)]
#[error("client sent alert {0}")]
pub(crate) struct PeerAlert(pub Alert);

/// A record after the handshake that TLS answers with a fatal alert (a bad MAC, an
/// overflow, a message out of place); carried in an `io::Error` to the session, which
/// sends the alert and closes.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub(super) struct RecordFailure {
    /// The alert to send.
    pub alert: AlertDescription,
    /// What was wrong.
    pub reason: String,
}

impl RecordFailure {
    fn error(alert: AlertDescription, reason: impl Into<String>) -> io::Error {
        io::Error::other(Self {
            alert,
            reason: reason.into(),
        })
    }
}

impl From<RecordError> for io::Error {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Bad { alert, reason } => RecordFailure::error(alert, reason),
            RecordError::Io(e) => e,
            other => io::Error::other(other),
        }
    }
}

/// The session ended the connection itself (a fatal alert sent, a failed renegotiation),
/// carried in an `io::Error` to the app layer: how it ended.
#[derive(Debug, thiserror::Error)]
#[error("the server ended the connection ({0:?})")]
pub(crate) struct Ended(pub CloseKind);

/// Application data in and out of an established connection, record by record.
pub(super) struct AppRecords<S> {
    pub rec: RecordIo<S>,
    plain: Vec<u8>,
    plain_pos: usize,
    /// Sealed records not yet written.
    pub outbuf: Vec<u8>,
    pub peer_closed: bool,
    /// Our close_notify is queued or sent.
    pub closing: bool,
    /// Faults for the first application record; emptied once it is sent.
    first_record_faults: Vec<FaultAction>,
    /// A HelloRequest before every application record.
    storm: bool,
    /// Handshake bytes the client sent after the handshake (a renegotiation ClientHello).
    pub client_handshake: Vec<u8>,
    /// A HelloRequest went out that no ClientHello has answered yet.
    pub hello_requested: bool,
    /// Warning alerts the client sent (no_renegotiation), not yet observed.
    pub warnings: Vec<Alert>,
}

/// Signals, through `poll_read`, that the client started a handshake.
#[derive(Debug, thiserror::Error)]
#[error("the client sent a handshake message")]
pub(super) struct HandshakeArrived;

impl<S: AsyncRead + AsyncWrite + Unpin> AppRecords<S> {
    pub(super) fn new(rec: RecordIo<S>, mut first_record_faults: Vec<FaultAction>) -> Self {
        let storm = first_record_faults.contains(&FaultAction::HelloRequestStorm);
        first_record_faults.retain(|a| *a != FaultAction::HelloRequestStorm);
        Self {
            storm,
            client_handshake: Vec::new(),
            hello_requested: false,
            warnings: Vec::new(),
            rec,
            plain: Vec::new(),
            plain_pos: 0,
            outbuf: Vec::new(),
            peer_closed: false,
            closing: false,
            first_record_faults,
        }
    }

    /// Queue a handshake message after the handshake (a TLS 1.3 KeyUpdate) under the
    /// current keys.
    pub(super) fn queue_handshake(&mut self, message: &[u8]) {
        self.rec
            .note(Direction::Sent, ContentType::HANDSHAKE, message);
        seal_into(
            &mut self.rec.write,
            self.rec.version,
            ContentType::HANDSHAKE,
            message,
            &mut self.outbuf,
        );
    }

    /// Queue an alert record of any level and description.
    fn seal_alert(&mut self, level: u8, description: u8) {
        let alert = Alert {
            level: AlertLevel(level),
            description: AlertDescription(description),
        };
        let bytes = alert.to_bytes();
        seal_into(
            &mut self.rec.write,
            self.rec.version,
            ContentType::ALERT,
            &bytes,
            &mut self.outbuf,
        );
    }

    /// Seal the first application record with its faults: what goes on the wire around
    /// and instead of it.
    fn seal_first_record(&mut self, data: &[u8]) {
        let faults = std::mem::take(&mut self.first_record_faults);
        let mut record = Vec::new();
        seal_into(
            &mut self.rec.write,
            self.rec.version,
            ContentType::APPLICATION_DATA,
            data,
            &mut record,
        );
        let mut copies = 1;
        for action in &faults {
            match *action {
                FaultAction::AlertBefore { level, description } => {
                    self.seal_alert(level, description);
                }
                FaultAction::BadRecordMac => {
                    if let Some(last) = record.last_mut() {
                        *last ^= 0x01;
                    }
                }
                FaultAction::Corrupt { offset, xor } => {
                    if let Some(b) = record.get_mut(offset) {
                        *b ^= xor;
                    }
                }
                FaultAction::RecordVersion { version } => {
                    record[1..3].copy_from_slice(&version.to_be_bytes());
                }
                FaultAction::Oversized { len } => {
                    let header = RecordHeader {
                        content_type: ContentType::APPLICATION_DATA,
                        version: self.rec.version,
                        length: len.min(usize::from(u16::MAX)) as u16,
                    };
                    record.clear();
                    header.encode(&mut record);
                    record.resize(RecordHeader::LEN + usize::from(header.length), 0);
                }
                FaultAction::Drop => copies = 0,
                FaultAction::Duplicate => copies = 2,
                _ => {}
            }
        }
        for _ in 0..copies {
            self.outbuf.extend_from_slice(&record);
        }
        for action in &faults {
            if let FaultAction::AlertAfter { level, description } = *action {
                self.seal_alert(level, description);
            }
        }
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.outbuf.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.rec.io).poll_write(cx, &self.outbuf))?;
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
                self.rec
                    .note(Direction::Received, ContentType::ALERT, &record.payload);
                let alert = Alert::from_bytes(&record.payload).map_err(|e| {
                    RecordFailure::error(AlertDescription::DECODE_ERROR, format!("bad alert: {e}"))
                })?;
                if alert.description == AlertDescription::CLOSE_NOTIFY {
                    self.peer_closed = true;
                    Ok(())
                } else if alert.level == AlertLevel::WARNING {
                    self.warnings.push(alert);
                    Ok(())
                } else {
                    Err(io::Error::other(PeerAlert(alert)))
                }
            }
            ContentType::HANDSHAKE => {
                self.client_handshake.extend_from_slice(&record.payload);
                Err(io::Error::other(HandshakeArrived))
            }
            //= https://www.rfc-editor.org/rfc/rfc5246#section-6
            //# If a TLS implementation receives an unexpected record type, it MUST
            //# send an unexpected_message alert.
            other => Err(RecordFailure::error(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("unexpected {other} record after the handshake"),
            )),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AppRecords<S> {
    pub(super) fn poll_read_app(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self;
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
            // Bad MAC and bad padding fail alike (and in constant time) inside `open`.
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
            //# bad_record_mac
            //#    This alert is returned if a record is received with an incorrect
            //#    MAC.  This alert also MUST be returned if an alert is sent because
            //#    a TLSCiphertext decrypted in an invalid way: either it wasn't an
            //#    even multiple of the block length, or its padding values, when
            //#    checked, weren't correct.
            if let Some((header, fragment)) = take_record(&mut this.rec.inbuf)? {
                let record = open(&mut this.rec.read, header, &fragment)?;
                this.on_record(record)?;
                continue;
            }
            let mut chunk = [0u8; 8192];
            let mut raw = ReadBuf::new(&mut chunk);
            std::task::ready!(Pin::new(&mut this.rec.io).poll_read(cx, &mut raw))?;
            if raw.filled().is_empty() {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            this.rec.inbuf.extend_from_slice(raw.filled());
        }
    }

    pub(super) fn poll_write_app(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self;
        std::task::ready!(this.poll_drain(cx))?;
        let n = buf.len().min(RecordHeader::MAX_PLAINTEXT);
        if this.storm {
            this.hello_requested = true;
            let hello_request = [0u8, 0, 0, 0];
            this.rec
                .note(Direction::Sent, ContentType::HANDSHAKE, &hello_request);
            seal_into(
                &mut this.rec.write,
                this.rec.version,
                ContentType::HANDSHAKE,
                &hello_request,
                &mut this.outbuf,
            );
        }
        if !this.first_record_faults.is_empty() {
            this.seal_first_record(&buf[..n]);
            let _ = this.poll_drain(cx)?;
            return Poll::Ready(Ok(n));
        }
        seal_into(
            &mut this.rec.write,
            this.rec.version,
            ContentType::APPLICATION_DATA,
            &buf[..n],
            &mut this.outbuf,
        );
        // The record is ours now; flush what the socket takes without waiting for it.
        let _ = this.poll_drain(cx)?;
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_flush_app(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.rec.io).poll_flush(cx)
    }

    pub(super) fn poll_shutdown_app(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self;
        if !this.closing {
            this.closing = true;
            let close = Alert {
                level: crate::wire::AlertLevel::WARNING,
                description: AlertDescription::CLOSE_NOTIFY,
            };
            seal_into(
                &mut this.rec.write,
                this.rec.version,
                ContentType::ALERT,
                &close.to_bytes(),
                &mut this.outbuf,
            );
        }
        std::task::ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.rec.io).poll_shutdown(cx)
    }
}
