//! The transport of a connection: the first flight replayed ahead of the socket, a tap
//! that spots the plaintext alerts the engine writes (they are the ground truth for
//! `AlertSent`; encrypted ones the engine reports from its error) and can replace the
//! one an engine hard-codes, and, when capturing, a record of every byte and close on
//! the socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::observe::{Direction, SharedCapture, TcpEnd};
use crate::wire::{Alert, AlertDescription, ContentType};

/// Replays a prefix before reading from `inner`; watches outbound records for plaintext
/// alerts; records the socket's traffic into a capture if given one.
#[derive(Debug)]
pub struct ReplayTap<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
    tap: OutboundTap,
    capture: Option<SharedCapture>,
    /// A plaintext alert the engine writes with the first description goes out with
    /// the second.
    replace: Option<(AlertDescription, AlertDescription)>,
}

impl<S> ReplayTap<S> {
    /// Wrap `inner`, replaying `prefix` (bytes already read from it) first.
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        Self {
            prefix,
            pos: 0,
            inner,
            tap: OutboundTap::default(),
            capture: None,
            replace: None,
        }
    }

    /// Send every plaintext alert record the engine writes whose description is `from`
    /// with `to` instead, for as long as the tap runs (the handshake).
    pub(crate) fn replace_plaintext_alert(&mut self, from: AlertDescription, to: AlertDescription) {
        self.replace = Some((from, to));
    }

    /// `bytes` with the replaced alert, when they are exactly one plaintext alert record
    /// to replace (an engine writes each record as its own buffer).
    fn replaced(&self, bytes: &[u8]) -> Option<[u8; 7]> {
        let (from, to) = self.replace.filter(|_| self.tap.active)?;
        let mut record: [u8; 7] = bytes.try_into().ok()?;
        let (_, alert) = Alert::from_record(&record).ok()?;
        (alert.description == from).then(|| {
            record[6] = to.0;
            record
        })
    }

    /// Record what crosses `inner` (not the replayed prefix) into `capture`.
    pub(crate) fn with_capture(mut self, capture: Option<SharedCapture>) -> Self {
        self.capture = capture;
        self
    }

    /// Replay `prefix` before the next reads from `inner`, instead of any prefix left.
    pub fn replay(&mut self, prefix: Vec<u8>) {
        self.prefix = prefix;
        self.pos = 0;
    }

    /// The transport underneath.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Plaintext alerts written so far, oldest first; drains them.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.tap.alerts)
    }

    /// Stop parsing outbound records (after the handshake everything is encrypted).
    pub fn stop_tap(&mut self) {
        self.tap.active = false;
        self.tap.pending.clear();
    }
}

/// Reassembles outbound records just far enough to see 2-byte alert payloads.
#[derive(Debug)]
struct OutboundTap {
    active: bool,
    pending: Vec<u8>,
    alerts: Vec<Alert>,
}

impl Default for OutboundTap {
    fn default() -> Self {
        Self {
            active: true,
            pending: Vec::new(),
            alerts: Vec::new(),
        }
    }
}

impl OutboundTap {
    fn observe(&mut self, written: &[u8]) {
        if !self.active {
            return;
        }
        self.pending.extend_from_slice(written);
        let mut at = 0;
        while let Some(header) = self.pending.get(at..at + 5) {
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            let Some(record) = self.pending.get(at..at + 5 + len) else {
                break;
            };
            // An encrypted alert is longer than two bytes, so only plaintext ones parse;
            // checked first because a failed parse allocates its error.
            let plaintext_alert = record[0] == ContentType::ALERT.0 && len == 2;
            if let Some(Ok((_, alert))) = plaintext_alert.then(|| Alert::from_record(record)) {
                self.alerts.push(alert);
            }
            at += 5 + len;
        }
        self.pending.drain(..at);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReplayTap<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(rest) = this.prefix.get(this.pos..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.pos += n;
            if this.pos == this.prefix.len() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Some(capture) = &this.capture {
            match &res {
                Poll::Ready(Ok(())) if buf.filled().len() > before => {
                    capture.record(Direction::Received, &buf.filled()[before..]);
                }
                // Nothing read into room for something: the client's FIN.
                Poll::Ready(Ok(())) if buf.remaining() > 0 => {
                    capture.end(Direction::Received, TcpEnd::Fin);
                }
                Poll::Ready(Err(e)) => note_reset(capture, e),
                _ => {}
            }
        }
        res
    }
}

/// A reset by the client shows as these errors on our reads and writes.
fn note_reset(capture: &SharedCapture, err: &io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    ) {
        capture.end(Direction::Received, TcpEnd::Reset);
    }
}

impl ReplayTap<TcpStream> {
    /// Make the socket's close send RST instead of FIN (SO_LINGER 0).
    pub fn reset_on_close(&self) {
        // The deprecation warns of blocking drops, which a zero linger never does.
        #[allow(deprecated)]
        let _ = self.inner.set_linger(Some(Duration::ZERO));
        if let Some(capture) = &self.capture {
            capture.end(Direction::Sent, TcpEnd::Reset);
        }
    }
}

impl<S> ReplayTap<S> {
    /// Account for a write's outcome: `written` are the bytes the socket took.
    fn wrote<'a>(
        &mut self,
        res: &Poll<io::Result<usize>>,
        written: impl IntoIterator<Item = &'a [u8]>,
    ) {
        match res {
            Poll::Ready(Ok(_)) => {
                for bytes in written {
                    self.tap.observe(bytes);
                    if let Some(capture) = &self.capture {
                        capture.record(Direction::Sent, bytes);
                    }
                }
            }
            Poll::Ready(Err(e)) => {
                if let Some(capture) = &self.capture {
                    note_reset(capture, e);
                }
            }
            Poll::Pending => {}
        }
    }
}

/// The first `n` bytes of `bufs`, slice by slice.
fn prefix_of<'a>(bufs: &'a [io::IoSlice<'a>], mut n: usize) -> impl Iterator<Item = &'a [u8]> {
    bufs.iter().map_while(move |b| {
        let take = b.len().min(n);
        n -= take;
        (take > 0).then(|| &b[..take])
    })
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReplayTap<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let replaced = this.replaced(buf);
        let buf = replaced.as_ref().map_or(buf, |r| &r[..]);
        let res = Pin::new(&mut this.inner).poll_write(cx, buf);
        let n = match res {
            Poll::Ready(Ok(n)) => n,
            _ => 0,
        };
        this.wrote(&res, [&buf[..n]]);
        res
    }

    // rustls hands over a flight as several records: one writev instead of a write each.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let replaced: Vec<Option<[u8; 7]>> = match this.replace {
            Some(_) => bufs.iter().map(|b| this.replaced(b)).collect(),
            None => Vec::new(),
        };
        let swapped: Vec<io::IoSlice<'_>>;
        let bufs = if replaced.iter().any(Option::is_some) {
            swapped = bufs
                .iter()
                .zip(&replaced)
                .map(|(b, r)| io::IoSlice::new(r.as_ref().map_or(&**b, |r| &r[..])))
                .collect();
            &swapped[..]
        } else {
            bufs
        };
        let res = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        let n = match res {
            Poll::Ready(Ok(n)) => n,
            _ => 0,
        };
        this.wrote(&res, prefix_of(bufs, n));
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.inner).poll_shutdown(cx);
        if let (Poll::Ready(Ok(())), Some(capture)) = (&res, &this.capture) {
            capture.end(Direction::Sent, TcpEnd::Fin);
        }
        res
    }
}

/// Close after a fatal alert without resetting: shut our side, then read (bounded in
/// bytes and time) until the client closes. Dropping a socket with unread client data
/// makes the kernel send a reset, and clients then report "broken pipe" instead of the alert.
pub async fn linger_close<S: AsyncRead + AsyncWrite + Unpin>(io: &mut S) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const MAX_BYTES: usize = 64 * 1024;
    const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
    let _ = io.shutdown().await;
    let mut buf = [0u8; 4096];
    let mut read = 0;
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    while read < MAX_BYTES {
        match tokio::time::timeout_at(deadline, io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => read += n,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn replays_prefix_then_reads_inner() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b" world").await.unwrap();
        drop(client);
        let mut io = ReplayTap::new(b"hello".to_vec(), server);
        let mut out = String::new();
        io.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "hello world");
    }

    #[tokio::test]
    async fn vectored_writes_are_tapped_and_captured_as_far_as_written() {
        use crate::observe::{Capture, SharedCapture};
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let capture = SharedCapture::new(Capture::new(addr, addr, 1 << 20));
        let (mut client, server) = tokio::io::duplex(1024);
        let mut io = ReplayTap::new(Vec::new(), server).with_capture(Some(capture.clone()));
        // A plaintext alert split across two slices, after a one-byte handshake record.
        let slices = [[22, 3, 3, 0, 1, 9, 21, 3].as_slice(), &[3, 0, 2, 2, 112]];
        let all = slices.concat();
        let n = io
            .write_vectored(&slices.map(io::IoSlice::new))
            .await
            .unwrap();
        io.write_all(&all[n..]).await.unwrap();
        let mut got = [0u8; 13];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(got.as_slice(), slices.concat());
        assert_eq!(io.take_alerts()[0].description.0, 112);
        let captured = capture.into_inner().unwrap();
        let sent: Vec<u8> = captured.data().flat_map(|(_, b)| b.to_vec()).collect();
        assert_eq!(sent, slices.concat());
    }

    #[tokio::test]
    async fn a_replaced_plaintext_alert_goes_out_and_is_tapped_as_its_replacement() {
        let (mut client, server) = tokio::io::duplex(1024);
        let mut io = ReplayTap::new(Vec::new(), server);
        io.replace_plaintext_alert(
            AlertDescription::CERTIFICATE_REQUIRED,
            AlertDescription::HANDSHAKE_FAILURE,
        );
        let handshake = [22u8, 3, 3, 0, 1, 9];
        // Other alerts, encrypted records and a 116 inside a larger buffer pass as they are.
        let other = [21u8, 3, 3, 0, 2, 2, 112];
        let required = [21u8, 3, 3, 0, 2, 2, 116];
        let slices = [&handshake[..], &other, &required];
        let n = io
            .write_vectored(&slices.map(io::IoSlice::new))
            .await
            .unwrap();
        assert_eq!(n, 20);
        io.write_all(&required).await.unwrap();
        io.write_all(&[handshake.as_slice(), &required].concat())
            .await
            .unwrap();
        io.stop_tap();
        io.write_all(&required).await.unwrap();
        let mut got = [0u8; 47];
        client.read_exact(&mut got).await.unwrap();
        let failure = [21u8, 3, 3, 0, 2, 2, 40];
        let expected = [
            &handshake[..],
            &other,
            &failure,
            &failure,
            &handshake,
            &required,
            &required,
        ]
        .concat();
        assert_eq!(got.as_slice(), expected);
        let seen: Vec<u8> = io.take_alerts().iter().map(|a| a.description.0).collect();
        assert_eq!(seen, [112, 40, 40, 116]);
    }

    #[test]
    fn prefix_of_stops_inside_the_slice_that_was_cut() {
        let (a, b) = ([1u8, 2, 3], [4u8, 5]);
        let bufs = [io::IoSlice::new(&a), io::IoSlice::new(&b)];
        let parts: Vec<&[u8]> = prefix_of(&bufs, 4).collect();
        assert_eq!(parts, [&[1u8, 2, 3][..], &[4]]);
        assert_eq!(prefix_of(&bufs, 0).count(), 0);
    }

    #[test]
    fn tap_sees_split_plaintext_alert_but_not_encrypted_one() {
        let mut tap = OutboundTap::default();
        // handshake record, then a plaintext alert split across writes, then an encrypted alert
        tap.observe(&[22, 3, 3, 0, 1, 9, 21, 3]);
        tap.observe(&[3, 0, 2, 2]);
        tap.observe(&[112, 21, 3, 3, 0, 3, 1, 2, 3]);
        assert_eq!(tap.alerts.len(), 1);
        assert_eq!(tap.alerts[0].description.0, 112);
        assert!(tap.pending.is_empty());
    }
}
