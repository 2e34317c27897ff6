//! The transport of a connection: the first flight replayed ahead of the socket, a tap
//! that spots the plaintext alerts the engine writes (they are the ground truth for
//! `AlertSent`; encrypted ones the engine reports from its error) and can replace the
//! one an engine hard-codes, when capturing, a record of every byte and close on the
//! socket, and the connection's deadlines and byte budget, enforced here so that every
//! engine and the app layer get them alike.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::observe::{Cut, Deadline, Direction, Limit, SharedCapture, TcpEnd};
use crate::scenario::Deadlines;
use crate::wire::{Alert, AlertDescription, ContentType};

/// A read or write stopped because a deadline passed; carried in an `io::Error` of kind
/// `TimedOut` to whichever engine or app step was waiting.
#[derive(Debug, thiserror::Error)]
#[error("the {deadline} deadline of {after:?} passed (hint: raise `deadlines.{deadline}` in the scenario or the matching --*-timeout flag)")]
pub struct DeadlineExceeded {
    /// Which deadline.
    pub deadline: Deadline,
    /// Its duration.
    pub after: Duration,
}

/// The connection's byte budget is spent.
#[derive(Debug, thiserror::Error)]
#[error("the connection read and wrote its {max} bytes (hint: raise `limits.bytes` in the scenario or --max-bytes)")]
pub struct BytesExhausted {
    /// The budget.
    pub max: u64,
}

/// The phase a connection is in, shared between its transport (which enforces it) and
/// the server and app layer (which move it on); records the cut when one happens.
#[derive(Debug)]
pub(crate) struct Clock(Mutex<ClockState>);

#[derive(Debug)]
struct ClockState {
    phase: Deadline,
    since: Instant,
    cut: Option<Cut>,
}

impl Clock {
    /// A clock in the first-flight phase, started now.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(ClockState {
            phase: Deadline::FirstFlight,
            since: Instant::now(),
            cut: None,
        })))
    }

    /// Start `phase` now: its deadline counts from here.
    pub(crate) fn enter(&self, phase: Deadline) {
        if let Ok(mut state) = self.0.lock() {
            state.phase = phase;
            state.since = Instant::now();
        }
    }

    /// Why the transport cut the connection, if it did.
    pub(crate) fn cut(&self) -> Option<Cut> {
        self.0.lock().ok().and_then(|s| s.cut)
    }

    fn phase(&self) -> (Deadline, Instant) {
        self.0
            .lock()
            .map(|s| (s.phase, s.since))
            .unwrap_or((Deadline::Connection, Instant::now()))
    }

    /// Record `cut` unless an earlier one stands; returns the one that stands.
    fn record(&self, cut: Cut) -> Cut {
        match self.0.lock() {
            Ok(mut state) => *state.cut.get_or_insert(cut),
            Err(_) => cut,
        }
    }
}

/// The deadlines and byte budget of one connection, checked on every read and write.
#[derive(Debug)]
struct Guard {
    clock: Arc<Clock>,
    deadlines: Deadlines,
    accepted: Instant,
    /// When the last application byte arrived: the idle deadline counts from here.
    last_read: Instant,
    bytes_left: u64,
    max_bytes: u64,
    /// When the pending write started waiting for the socket.
    write_since: Option<Instant>,
    /// Allocated on the first read or write that has to wait; idle connections hold one.
    read_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
    /// Our FIN is sent: whoever closes bounds the rest (see `linger_close`).
    closing: bool,
}

impl Guard {
    /// The error for a cut that stands: every later read and write fails the same way.
    fn error(&self, cut: Cut) -> io::Error {
        match cut {
            Cut::Deadline(deadline) => io::Error::new(
                io::ErrorKind::TimedOut,
                DeadlineExceeded {
                    deadline,
                    after: self.deadlines.get(deadline),
                },
            ),
            Cut::Limit(_) => io::Error::other(BytesExhausted {
                max: self.max_bytes,
            }),
        }
    }

    fn cut(&self, cut: Cut) -> io::Error {
        self.error(self.clock.record(cut))
    }

    fn standing(&self) -> Option<io::Error> {
        self.clock.cut().map(|cut| self.error(cut))
    }

    /// The earliest of the connection deadline and `others`.
    fn earliest(
        &self,
        others: impl IntoIterator<Item = (Instant, Deadline)>,
    ) -> (Instant, Deadline) {
        let connection = (
            self.accepted + self.deadlines.connection,
            Deadline::Connection,
        );
        others
            .into_iter()
            .fold(connection, |a, b| if b.0 < a.0 { b } else { a })
    }

    /// When the current phase ends for a read.
    fn read_deadline(&self) -> (Instant, Deadline) {
        let (phase, since) = self.clock.phase();
        let end = match phase {
            Deadline::Idle => since.max(self.last_read) + self.deadlines.idle,
            Deadline::Connection => return self.earliest([]),
            fixed => since + self.deadlines.get(fixed),
        };
        self.earliest([(end, phase)])
    }

    /// When the pending write must be done: its own timeout, and the whole first flight
    /// and handshake bound writes too.
    fn write_deadline(&self, since: Instant) -> (Instant, Deadline) {
        let own = (since + self.deadlines.write, Deadline::Write);
        let (phase, start) = self.clock.phase();
        let fixed = matches!(phase, Deadline::FirstFlight | Deadline::Handshake)
            .then(|| (start + self.deadlines.get(phase), phase));
        self.earliest([own].into_iter().chain(fixed))
    }

    /// A read is waiting: wake when its deadline passes, and fail it then.
    fn poll_read_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if self.closing {
            return Poll::Pending;
        }
        let (at, deadline) = self.read_deadline();
        match poll_timer(&mut self.read_timer, at, cx) {
            Poll::Ready(()) => Poll::Ready(self.cut(Cut::Deadline(deadline))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if self.closing {
            return Poll::Pending;
        }
        let since = *self.write_since.get_or_insert_with(Instant::now);
        let (at, deadline) = self.write_deadline(since);
        match poll_timer(&mut self.write_timer, at, cx) {
            Poll::Ready(()) => Poll::Ready(self.cut(Cut::Deadline(deadline))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Spend `n` bytes of the budget; an error once it is overdrawn.
    fn spend(&mut self, n: usize) -> Result<(), io::Error> {
        match self.bytes_left.checked_sub(n as u64) {
            Some(left) => {
                self.bytes_left = left;
                Ok(())
            }
            None => Err(self.cut(Cut::Limit(Limit::Bytes))),
        }
    }
}

/// Poll a lazily allocated timer set to `at`.
fn poll_timer(timer: &mut Option<Pin<Box<Sleep>>>, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
    let timer = match timer {
        Some(t) => {
            if t.deadline() != at {
                t.as_mut().reset(at);
            }
            t
        }
        None => timer.insert(Box::pin(tokio::time::sleep_until(at))),
    };
    timer.as_mut().poll(cx)
}

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
    guard: Option<Guard>,
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
            guard: None,
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

    /// Enforce `deadlines` (the phase kept by `clock`, counted from `accepted`) and a
    /// budget of `max_bytes` read and written on `inner`.
    pub(crate) fn with_guard(
        mut self,
        clock: Arc<Clock>,
        deadlines: Deadlines,
        accepted: Instant,
        max_bytes: u64,
    ) -> Self {
        self.guard = Some(Guard {
            clock,
            deadlines,
            accepted,
            last_read: accepted,
            bytes_left: max_bytes,
            max_bytes,
            write_since: None,
            read_timer: None,
            write_timer: None,
            closing: false,
        });
        self
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

    /// Stop parsing outbound records (after the handshake everything is encrypted);
    /// frees the reassembly buffer, which an idle connection would otherwise keep.
    pub fn stop_tap(&mut self) {
        self.tap.active = false;
        self.tap.pending = Vec::new();
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
        if let Some(err) = this.guard.as_ref().and_then(Guard::standing) {
            return Poll::Ready(Err(err));
        }
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Some(guard) = &mut this.guard {
            match &res {
                Poll::Ready(Ok(())) => {
                    let n = buf.filled().len() - before;
                    guard.spend(n)?;
                    if n > 0 {
                        guard.last_read = Instant::now();
                    }
                }
                Poll::Pending => {
                    if let Poll::Ready(err) = guard.poll_read_deadline(cx) {
                        return Poll::Ready(Err(err));
                    }
                }
                Poll::Ready(Err(_)) => {}
            }
        }
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
    /// Before a write of `len` bytes: the standing cut or the spent budget fails it.
    fn may_write(&mut self, len: usize) -> Result<(), io::Error> {
        match &mut self.guard {
            Some(guard) => match guard.standing() {
                Some(err) => Err(err),
                None => guard.spend(len),
            },
            None => Ok(()),
        }
    }

    /// Account for a write's outcome: `written` are the bytes the socket took, `asked`
    /// those the budget was charged for. A write that waits past its deadline fails.
    fn wrote<'a>(
        &mut self,
        cx: &mut Context<'_>,
        res: Poll<io::Result<usize>>,
        asked: usize,
        written: impl IntoIterator<Item = &'a [u8]>,
    ) -> Poll<io::Result<usize>> {
        if let Some(guard) = &mut self.guard {
            match &res {
                Poll::Ready(Ok(n)) => {
                    guard.write_since = None;
                    // Refund what the socket did not take.
                    guard.bytes_left += (asked - n) as u64;
                }
                Poll::Ready(Err(_)) => guard.bytes_left += asked as u64,
                Poll::Pending => {
                    guard.bytes_left += asked as u64;
                    if let Poll::Ready(err) = guard.poll_write_deadline(cx) {
                        return Poll::Ready(Err(err));
                    }
                }
            }
        }
        match &res {
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
        res
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
        this.may_write(buf.len())?;
        let replaced = this.replaced(buf);
        let buf = replaced.as_ref().map_or(buf, |r| &r[..]);
        let res = Pin::new(&mut this.inner).poll_write(cx, buf);
        let n = match res {
            Poll::Ready(Ok(n)) => n,
            _ => 0,
        };
        this.wrote(cx, res, buf.len(), [&buf[..n]])
    }

    // rustls hands over a flight as several records: one writev instead of a write each.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let asked = bufs.iter().map(|b| b.len()).sum();
        this.may_write(asked)?;
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
        this.wrote(cx, res, asked, prefix_of(bufs, n))
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
        if let Poll::Ready(Ok(())) = res {
            if let Some(capture) = &this.capture {
                capture.end(Direction::Sent, TcpEnd::Fin);
            }
            if let Some(guard) = &mut this.guard {
                guard.closing = true;
            }
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
    // On the heap: a stack array would sit in the future of every caller, and so in
    // every connection's task for its whole life, idle or not.
    let mut buf = vec![0u8; 4096];
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

    /// A guarded transport over an in-memory pipe of `capacity` bytes, and its clock.
    fn guarded(
        capacity: usize,
        deadlines: Deadlines,
        max_bytes: u64,
    ) -> (
        tokio::io::DuplexStream,
        ReplayTap<tokio::io::DuplexStream>,
        Arc<Clock>,
    ) {
        let (client, server) = tokio::io::duplex(capacity);
        let clock = Clock::new();
        let io = ReplayTap::new(Vec::new(), server).with_guard(
            clock.clone(),
            deadlines,
            Instant::now(),
            max_bytes,
        );
        (client, io, clock)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn deadline_of(err: &io::Error) -> Deadline {
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        err.get_ref()
            .and_then(|e| e.downcast_ref::<DeadlineExceeded>())
            .map(|e| e.deadline)
            .unwrap_or_else(|| panic!("not a deadline: {err}"))
    }

    #[tokio::test]
    async fn a_phase_deadline_counts_the_whole_phase_however_the_bytes_trickle() {
        let deadlines = Deadlines {
            handshake: ms(300),
            ..Deadlines::default()
        };
        let (mut client, mut io, clock) = guarded(64, deadlines, u64::MAX);
        clock.enter(Deadline::Handshake);
        let started = Instant::now();
        let trickle = tokio::spawn(async move {
            for _ in 0..20 {
                tokio::time::sleep(ms(50)).await;
                if client.write_all(b"x").await.is_err() {
                    break;
                }
            }
        });
        let mut buf = [0u8; 8];
        let err = loop {
            match io.read(&mut buf).await {
                Ok(n) => assert!(n > 0),
                Err(e) => break e,
            }
        };
        assert_eq!(deadline_of(&err), Deadline::Handshake);
        assert!(started.elapsed() >= ms(290) && started.elapsed() < ms(600));
        assert_eq!(clock.cut(), Some(Cut::Deadline(Deadline::Handshake)));
        // The cut stands: writes fail the same way.
        let err = io.write_all(b"late").await.unwrap_err();
        assert_eq!(deadline_of(&err), Deadline::Handshake);
        trickle.abort();
    }

    #[tokio::test]
    async fn the_idle_deadline_restarts_with_each_byte_read() {
        let deadlines = Deadlines {
            idle: ms(200),
            ..Deadlines::default()
        };
        let (mut client, mut io, clock) = guarded(64, deadlines, u64::MAX);
        clock.enter(Deadline::Idle);
        let started = Instant::now();
        tokio::spawn(async move {
            for _ in 0..6 {
                tokio::time::sleep(ms(100)).await;
                client.write_all(b"x").await.unwrap();
            }
            // Silent, but still open.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let mut read = 0;
        let mut buf = [0u8; 8];
        let err = loop {
            match io.read(&mut buf).await {
                Ok(n) => read += n,
                Err(e) => break e,
            }
        };
        assert_eq!(read, 6);
        assert_eq!(deadline_of(&err), Deadline::Idle);
        assert!(started.elapsed() >= ms(780), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_write_nobody_takes_fails_at_the_write_deadline() {
        let deadlines = Deadlines {
            write: ms(200),
            ..Deadlines::default()
        };
        let (_client, mut io, clock) = guarded(64, deadlines, u64::MAX);
        clock.enter(Deadline::Idle);
        let started = Instant::now();
        let err = io.write_all(&[0u8; 1024]).await.unwrap_err();
        assert_eq!(deadline_of(&err), Deadline::Write);
        assert!(started.elapsed() >= ms(190) && started.elapsed() < ms(500));
    }

    #[tokio::test]
    async fn the_connection_deadline_bounds_every_phase() {
        let deadlines = Deadlines {
            connection: ms(150),
            ..Deadlines::default()
        };
        let (_client, mut io, clock) = guarded(64, deadlines, u64::MAX);
        clock.enter(Deadline::Idle);
        let err = io.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(deadline_of(&err), Deadline::Connection);
    }

    #[tokio::test]
    async fn the_byte_budget_cuts_reads_and_writes() {
        let (mut client, mut io, clock) = guarded(1024, Deadlines::default(), 10);
        io.write_all(&[1u8; 6]).await.unwrap();
        client.write_all(&[2u8; 6]).await.unwrap();
        let err = io.read_exact(&mut [0u8; 6]).await.unwrap_err();
        assert!(
            err.get_ref().is_some_and(|e| e.is::<BytesExhausted>()),
            "{err}"
        );
        assert_eq!(clock.cut(), Some(Cut::Limit(Limit::Bytes)));
        assert!(io.write_all(b"x").await.is_err());
    }

    #[tokio::test]
    async fn after_our_fin_deadlines_stop_and_linger_close_bounds_the_wait() {
        let deadlines = Deadlines {
            connection: ms(100),
            ..Deadlines::default()
        };
        let (_client, mut io, clock) = guarded(64, deadlines, u64::MAX);
        io.shutdown().await.unwrap();
        tokio::time::sleep(ms(150)).await;
        let read = tokio::time::timeout(ms(200), io.read(&mut [0u8; 8])).await;
        assert!(
            read.is_err(),
            "the read waited rather than failing: {read:?}"
        );
        assert_eq!(clock.cut(), None);
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
