//! A connection's bytes as they crossed the socket, in order and timed, for pcap files
//! and wire transcripts. Bounded: past the limit only byte counts are kept.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::Direction;

/// How one side ended its half of the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpEnd {
    /// An orderly close (FIN).
    Fin,
    /// An abort (RST).
    Reset,
}

/// One thing that crossed the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captured {
    /// Bytes one side sent.
    Data {
        /// Time since the connection was accepted.
        at: Duration,
        /// Who sent them.
        direction: Direction,
        /// The bytes, as written or read.
        bytes: Vec<u8>,
    },
    /// One side closed or reset the connection.
    End {
        /// Time since the connection was accepted.
        at: Duration,
        /// Who closed.
        direction: Direction,
        /// How.
        how: TcpEnd,
    },
}

/// Everything one connection put on the wire, server's view: [`Direction::Sent`] is the
/// server's bytes, [`Direction::Received`] the client's.
#[derive(Debug, Clone)]
pub struct Capture {
    client: SocketAddr,
    server: SocketAddr,
    started: SystemTime,
    clock: Instant,
    limit: usize,
    recorded: usize,
    /// Bytes past the limit, per direction (sent, received).
    skipped: [u64; 2],
    items: Vec<Captured>,
}

impl Capture {
    /// Bytes recorded per connection by default (4 MiB): whole handshakes and requests,
    /// while a long-running server with big transfers stays bounded.
    pub const DEFAULT_LIMIT: usize = 4 << 20;

    /// An empty capture of the connection from `client` to `server`, accepted now,
    /// recording at most `limit` bytes of data.
    pub fn new(client: SocketAddr, server: SocketAddr, limit: usize) -> Self {
        Self {
            client,
            server,
            started: SystemTime::now(),
            clock: Instant::now(),
            limit,
            recorded: 0,
            skipped: [0; 2],
            items: Vec::new(),
        }
    }

    /// Note `bytes` sent in `direction`; past the limit only their count is kept.
    pub fn record(&mut self, direction: Direction, bytes: &[u8]) {
        if bytes.is_empty() || self.ended() {
            return;
        }
        let room = self.limit - self.recorded;
        let kept = &bytes[..bytes.len().min(room)];
        self.skipped[index(direction)] += (bytes.len() - kept.len()) as u64;
        if kept.is_empty() {
            return;
        }
        self.recorded += kept.len();
        // One item per read or write: the server writes with TCP_NODELAY, so a write is
        // what the client sees arrive together.
        self.items.push(Captured::Data {
            at: self.clock.elapsed(),
            direction,
            bytes: kept.to_vec(),
        });
    }

    /// Note that `direction`'s side ended its half with `how`. Only the first end of each
    /// side counts, and nothing counts after a reset.
    pub fn end(&mut self, direction: Direction, how: TcpEnd) {
        if self.ended() || self.end_of(direction).is_some() {
            return;
        }
        let at = self.clock.elapsed();
        self.items.push(Captured::End { at, direction, how });
    }

    /// Close the server's side if nothing did yet: the socket was dropped, which sends FIN.
    pub fn finish(&mut self) {
        self.end(Direction::Sent, TcpEnd::Fin);
    }

    /// How `direction`'s side ended, if it has.
    pub fn end_of(&self, direction: Direction) -> Option<TcpEnd> {
        self.items.iter().find_map(|item| match item {
            Captured::End {
                direction: d, how, ..
            } if *d == direction => Some(*how),
            _ => None,
        })
    }

    /// True once either side reset the connection.
    fn ended(&self) -> bool {
        self.items.iter().any(|item| {
            matches!(
                item,
                Captured::End {
                    how: TcpEnd::Reset,
                    ..
                }
            )
        })
    }

    /// What crossed the socket, in order.
    pub fn items(&self) -> &[Captured] {
        &self.items
    }

    /// The data only, in order: what a transcript reads.
    pub fn data(&self) -> impl Iterator<Item = (Direction, &[u8])> {
        self.items.iter().filter_map(|item| match item {
            Captured::Data {
                direction, bytes, ..
            } => Some((*direction, bytes.as_slice())),
            Captured::End { .. } => None,
        })
    }

    /// Bytes `direction`'s side sent after the limit was reached (not recorded).
    pub fn skipped(&self, direction: Direction) -> u64 {
        self.skipped[index(direction)]
    }

    /// True when the limit cut the capture short.
    pub fn truncated(&self) -> bool {
        self.skipped != [0; 2]
    }

    /// The client's address.
    pub fn client(&self) -> SocketAddr {
        self.client
    }

    /// The server's address.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Wall-clock time the connection was accepted.
    pub fn started(&self) -> SystemTime {
        self.started
    }
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::Sent => 0,
        Direction::Received => 1,
    }
}

/// A capture shared by the connection's transport (which records) and the server (which
/// writes it out when the connection is done).
#[derive(Debug, Clone)]
pub(crate) struct SharedCapture(Arc<Mutex<Capture>>);

impl SharedCapture {
    pub(crate) fn new(capture: Capture) -> Self {
        Self(Arc::new(Mutex::new(capture)))
    }

    pub(crate) fn record(&self, direction: Direction, bytes: &[u8]) {
        if let Ok(mut c) = self.0.lock() {
            c.record(direction, bytes);
        }
    }

    pub(crate) fn end(&self, direction: Direction, how: TcpEnd) {
        if let Ok(mut c) = self.0.lock() {
            c.end(direction, how);
        }
    }

    /// The capture; a copy if the transport still holds it.
    pub(crate) fn into_inner(self) -> Option<Capture> {
        match Arc::try_unwrap(self.0) {
            Ok(m) => m.into_inner().ok(),
            Err(shared) => shared.lock().ok().map(|c| c.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(limit: usize) -> Capture {
        let client = "127.0.0.1:40000".parse().unwrap();
        let server = "127.0.0.1:443".parse().unwrap();
        Capture::new(client, server, limit)
    }

    #[test]
    fn data_and_ends_are_kept_in_order() {
        let mut c = capture(100);
        c.record(Direction::Received, b"hello");
        c.record(Direction::Sent, b"");
        c.record(Direction::Sent, b"world");
        c.end(Direction::Received, TcpEnd::Fin);
        c.end(Direction::Received, TcpEnd::Reset);
        c.finish();
        let data: Vec<_> = c.data().collect();
        assert_eq!(
            data,
            [
                (Direction::Received, &b"hello"[..]),
                (Direction::Sent, &b"world"[..])
            ]
        );
        assert_eq!(c.end_of(Direction::Received), Some(TcpEnd::Fin));
        assert_eq!(c.end_of(Direction::Sent), Some(TcpEnd::Fin));
        assert_eq!(c.items().len(), 4);
        assert!(!c.truncated());
    }

    #[test]
    fn the_limit_keeps_a_prefix_and_counts_the_rest() {
        let mut c = capture(10);
        c.record(Direction::Received, b"0123456");
        c.record(Direction::Sent, b"abcdef");
        c.record(Direction::Received, b"789");
        c.record(Direction::Sent, b"gh");
        let data: Vec<_> = c.data().collect();
        assert_eq!(
            data,
            [
                (Direction::Received, &b"0123456"[..]),
                (Direction::Sent, &b"abc"[..])
            ]
        );
        assert_eq!(c.skipped(Direction::Sent), 5);
        assert_eq!(c.skipped(Direction::Received), 3);
        assert!(c.truncated());
        // Ends are still recorded past the limit.
        c.end(Direction::Sent, TcpEnd::Fin);
        assert_eq!(c.end_of(Direction::Sent), Some(TcpEnd::Fin));
    }

    #[test]
    fn nothing_counts_after_a_reset() {
        let mut c = capture(100);
        c.record(Direction::Received, b"x");
        c.end(Direction::Received, TcpEnd::Reset);
        c.record(Direction::Sent, b"late");
        c.finish();
        assert_eq!(c.items().len(), 2);
        assert_eq!(c.end_of(Direction::Sent), None);
    }

    #[test]
    fn shared_capture_comes_back_whole() {
        let shared = SharedCapture::new(capture(100));
        let tap = shared.clone();
        tap.record(Direction::Received, b"abc");
        tap.end(Direction::Received, TcpEnd::Fin);
        let copy = shared.clone().into_inner().unwrap();
        drop(tap);
        let whole = shared.into_inner().unwrap();
        assert_eq!(copy.items(), whole.items());
        assert_eq!(whole.items().len(), 2);
    }
}
