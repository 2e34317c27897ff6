//! Captures as a classic pcap file of synthesized Ethernet/IP/TCP frames (real addresses
//! and ports, correct checksums, sequence numbers that add up), so that
//! `tshark -r FILE -o tls.keylog_file:KEYLOG` decodes each connection like a real capture.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};

use super::{Capture, Captured, Direction, TcpEnd};

/// Why a pcap file could not be created or written.
#[derive(Debug, thiserror::Error)]
pub enum PcapSinkError {
    /// The file could not be created.
    #[error("cannot create pcap file {}: {error} (hint: check that the directory exists and is writable)", path.display())]
    Create {
        /// The file.
        path: PathBuf,
        /// The OS error (in the message, so not a `source` too).
        error: std::io::Error,
    },
    /// Writing the header or a packet failed.
    #[error("cannot write pcap data: {0} (hint: is the disk full?)")]
    Write(#[from] pcap_file::PcapError),
    /// A frame could not be built (a payload over the IP length limit).
    #[error("cannot build a frame: {0}")]
    Frame(#[from] etherparse::err::packet::BuildVecWriteError),
}

/// One pcap file that every connection of every scenario appends to; cheap to clone.
#[derive(Clone)]
pub struct PcapSink(Arc<Mutex<PcapWriter<Box<dyn Write + Send>>>>);

impl std::fmt::Debug for PcapSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PcapSink")
    }
}

impl PcapSink {
    /// Create (mode 0600: it holds the traffic) or truncate the file at `path` and
    /// write the pcap header.
    pub fn create(path: &Path) -> Result<Self, PcapSinkError> {
        let file = super::create_private(path).map_err(|error| PcapSinkError::Create {
            path: path.to_path_buf(),
            error,
        })?;
        Self::new(Box::new(file))
    }

    /// Write the pcap header (LINKTYPE_ETHERNET, microseconds) to `out`. Packets go
    /// straight through to `out`, so it should not buffer (a `File` does not) if the
    /// file is to be readable while the server runs.
    pub fn new(out: Box<dyn Write + Send>) -> Result<Self, PcapSinkError> {
        Ok(Self(Arc::new(Mutex::new(PcapWriter::new(out)?))))
    }

    /// Append `capture` as frames: the TCP handshake, the data, the close.
    pub fn write(&self, capture: &Capture) -> Result<(), PcapSinkError> {
        let frames = frames(capture)?;
        let start = capture
            .started()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // A poisoned lock means another connection's write panicked mid-file; the file
        // is as good as it was, so keep appending.
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for frame in &frames {
            let packet = PcapPacket::new(start + frame.at, frame.bytes.len() as u32, &frame.bytes);
            out.write_packet(&packet)?;
        }
        Ok(())
    }
}

/// One synthesized frame and its time since the connection was accepted.
#[derive(Debug)]
struct Frame {
    at: Duration,
    bytes: Vec<u8>,
}

/// TCP flags of a synthesized segment (ACK is implied after the SYN).
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    syn: bool,
    fin: bool,
    rst: bool,
    psh: bool,
}

/// What the receiving window advertises; never full, as nothing is in flight for long.
const WINDOW: u16 = 65535;
/// Locally administered MACs for the two ends.
const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// The endpoints as one IP family (v4-mapped v6 addresses as v4) with per-side state.
struct Conversation {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    mss: usize,
    /// Next sequence number of each side: [server, client].
    next: [u32; 2],
    frames: Vec<Frame>,
}

fn side(direction: Direction) -> usize {
    match direction {
        Direction::Sent => 0,
        Direction::Received => 1,
    }
}

fn other(direction: Direction) -> Direction {
    match direction {
        Direction::Sent => Direction::Received,
        Direction::Received => Direction::Sent,
    }
}

impl Conversation {
    fn new(client: SocketAddr, server: SocketAddr) -> Self {
        let (c, s) = match (client.ip().to_canonical(), server.ip().to_canonical()) {
            (c @ IpAddr::V4(_), s @ IpAddr::V4(_)) => (c, s),
            (c, s) => (IpAddr::V6(v6(c)), IpAddr::V6(v6(s))),
        };
        let mss = if c.is_ipv4() { 1460 } else { 1440 };
        // Fixed initial sequence numbers: captures of the same traffic compare equal.
        let isn = |port: u16| u32::from(port) << 16 | 0x1000;
        Self {
            client: (c, client.port()),
            server: (s, server.port()),
            mss,
            next: [isn(server.port()), isn(client.port())],
            frames: Vec::new(),
        }
    }

    /// One segment from `from`, acknowledging everything the other side sent so far
    /// (except on the client's SYN).
    fn segment(
        &mut self,
        at: Duration,
        from: Direction,
        flags: Flags,
        payload: &[u8],
    ) -> Result<(), PcapSinkError> {
        let ((src, sport), (dst, dport), macs) = match from {
            Direction::Received => (self.client, self.server, (CLIENT_MAC, SERVER_MAC)),
            Direction::Sent => (self.server, self.client, (SERVER_MAC, CLIENT_MAC)),
        };
        let eth = PacketBuilder::ethernet2(macs.0, macs.1);
        let ip = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
            (s, d) => eth.ipv6(v6(s).octets(), v6(d).octets(), 64),
        };
        let seq = self.next[side(from)];
        let mut tcp = ip.tcp(sport, dport, seq, WINDOW);
        let client_syn = flags.syn && from == Direction::Received;
        if !client_syn {
            tcp = tcp.ack(self.next[side(other(from))]);
        }
        if flags.syn {
            tcp = tcp.syn();
        }
        if flags.fin {
            tcp = tcp.fin();
        }
        if flags.rst {
            tcp = tcp.rst();
        }
        if flags.psh {
            tcp = tcp.psh();
        }
        let mut bytes = Vec::with_capacity(tcp.size(payload.len()));
        tcp.write_to_vec(&mut bytes, payload)?;
        self.frames.push(Frame { at, bytes });
        // SYN and FIN take a sequence number each.
        let used = payload.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin);
        self.next[side(from)] = seq.wrapping_add(used);
        Ok(())
    }

    /// A bare ACK from `from`.
    fn ack(&mut self, at: Duration, from: Direction) -> Result<(), PcapSinkError> {
        self.segment(at, from, Flags::default(), &[])
    }
}

fn v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// The frames of one connection: three-way handshake at accept time, each read or write
/// as MSS-sized segments (PSH on the last), ACKed by the other side unless it answers
/// at once, then the FINs or the RST as they happened. Bytes past the capture's limit
/// are not in any frame, but the sequence numbers count them: tshark shows the gap.
fn frames(capture: &Capture) -> Result<Vec<Frame>, PcapSinkError> {
    use Direction::{Received as Client, Sent as Server};
    let mut tcp = Conversation::new(capture.client(), capture.server());
    let syn = Flags {
        syn: true,
        ..Flags::default()
    };
    tcp.segment(Duration::ZERO, Client, syn, &[])?;
    tcp.segment(Duration::ZERO, Server, syn, &[])?;
    tcp.ack(Duration::ZERO, Client)?;
    let items = capture.items();
    for (i, item) in items.iter().enumerate() {
        // The next thing the other side does acknowledges this one, if it comes next.
        let answered = |from: Direction| {
            matches!(items.get(i + 1),
                Some(Captured::Data { direction, .. } | Captured::End { direction, .. })
                    if *direction == other(from))
        };
        match item {
            Captured::Data {
                at,
                direction,
                bytes,
            } => {
                let mut pieces = bytes.chunks(tcp.mss).peekable();
                while let Some(piece) = pieces.next() {
                    let psh = pieces.peek().is_none();
                    let flags = Flags {
                        psh,
                        ..Flags::default()
                    };
                    tcp.segment(*at, *direction, flags, piece)?;
                }
                if !answered(*direction) {
                    tcp.ack(*at, other(*direction))?;
                }
            }
            Captured::End { at, direction, how } => {
                let from = *direction;
                let seq = &mut tcp.next[side(from)];
                *seq = seq.wrapping_add(capture.skipped(from) as u32);
                let flags = Flags {
                    fin: *how == TcpEnd::Fin,
                    rst: *how == TcpEnd::Reset,
                    ..Flags::default()
                };
                tcp.segment(*at, from, flags, &[])?;
                if *how == TcpEnd::Reset {
                    break;
                }
                if !answered(from) {
                    tcp.ack(*at, other(from))?;
                }
            }
        }
    }
    Ok(tcp.frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetHeaders, PacketHeaders, TransportHeader};
    use pcap_file::pcap::PcapReader;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A decoded frame: who sent it (by source port), its TCP header and payload.
    #[derive(Debug)]
    struct Seen {
        ts: Duration,
        ipv6: bool,
        from: Direction,
        tcp: etherparse::TcpHeader,
        payload: Vec<u8>,
    }

    fn read_back(file: &[u8], server_ports: &[u16]) -> Vec<Seen> {
        let mut reader = PcapReader::new(file).unwrap();
        assert_eq!(reader.header().datalink, pcap_file::DataLink::ETHERNET);
        let mut seen = Vec::new();
        while let Some(packet) = reader.next_packet() {
            let packet = packet.unwrap();
            assert_eq!(packet.orig_len as usize, packet.data.len());
            let headers = PacketHeaders::from_ethernet_slice(&packet.data).unwrap();
            let Some(TransportHeader::Tcp(tcp)) = headers.transport.clone() else {
                panic!("not TCP: {headers:?}");
            };
            let payload = headers.payload.slice().to_vec();
            let ipv6 = matches!(headers.net, Some(NetHeaders::Ipv6(..)));
            let checksum = match headers.net.as_ref().unwrap() {
                NetHeaders::Ipv4(ip, _) => {
                    assert_eq!(ip.header_checksum, ip.calc_header_checksum());
                    tcp.calc_checksum_ipv4(ip, &payload).unwrap()
                }
                NetHeaders::Ipv6(ip, _) => tcp.calc_checksum_ipv6(ip, &payload).unwrap(),
                other => panic!("not IP: {other:?}"),
            };
            assert_eq!(tcp.checksum, checksum, "TCP checksum");
            let from = if server_ports.contains(&tcp.source_port) {
                Direction::Sent
            } else {
                Direction::Received
            };
            seen.push(Seen {
                ts: packet.timestamp,
                ipv6,
                from,
                tcp,
                payload,
            });
        }
        seen
    }

    /// Check sequence and acknowledgment continuity the way a receiver would, and return
    /// the reassembled bytes of each side: [server, client].
    fn reassemble(frames: &[Seen]) -> [Vec<u8>; 2] {
        let mut next: [Option<u32>; 2] = [None, None];
        let mut data = [Vec::new(), Vec::new()];
        for (i, f) in frames.iter().enumerate() {
            let me = side(f.from);
            let peer = 1 - me;
            match next[me] {
                None => assert!(f.tcp.syn, "frame {i}: first segment of a side is a SYN"),
                Some(n) => assert_eq!(f.tcp.sequence_number, n, "frame {i}: seq"),
            }
            if let Some(n) = next[peer] {
                assert!(f.tcp.ack, "frame {i}: ACK flag");
                assert_eq!(f.tcp.acknowledgment_number, n, "frame {i}: ack number");
            }
            data[me].extend_from_slice(&f.payload);
            let used = f.payload.len() as u32 + u32::from(f.tcp.syn) + u32::from(f.tcp.fin);
            next[me] = Some(f.tcp.sequence_number.wrapping_add(used));
        }
        data
    }

    fn capture(client: &str, server: &str, limit: usize) -> Capture {
        Capture::new(client.parse().unwrap(), server.parse().unwrap(), limit)
    }

    fn write(captures: &[&Capture]) -> Vec<u8> {
        let out = Buffer::default();
        let sink = PcapSink::new(Box::new(out.clone())).unwrap();
        for c in captures {
            sink.write(c).unwrap();
        }
        let bytes = out.0.lock().unwrap().clone();
        bytes
    }

    #[test]
    fn a_connection_round_trips_through_the_file() {
        let mut c = capture("127.0.0.1:40001", "127.0.0.1:8443", Capture::DEFAULT_LIMIT);
        let hello: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
        let flight: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        c.record(Direction::Received, &hello);
        c.record(Direction::Sent, &flight);
        c.record(Direction::Sent, b"second write");
        c.record(Direction::Received, b"GET / HTTP/1.1\r\n\r\n");
        c.end(Direction::Sent, TcpEnd::Fin);
        c.end(Direction::Received, TcpEnd::Fin);
        let frames = read_back(&write(&[&c]), &[8443]);
        let [server, client] = reassemble(&frames);
        assert_eq!(client, [&hello[..], b"GET / HTTP/1.1\r\n\r\n"].concat());
        assert_eq!(server, [&flight[..], b"second write"].concat());
        // Handshake, then 5000 bytes as 4 segments of at most the MSS.
        let (syn, synack) = (&frames[0].tcp, &frames[1].tcp);
        assert!(syn.syn && !syn.ack && synack.syn && synack.ack);
        assert!(frames.iter().all(|f| f.payload.len() <= 1460));
        let flight_segments: Vec<_> = frames
            .iter()
            .filter(|f| f.from == Direction::Sent && !f.payload.is_empty())
            .map(|f| (f.payload.len(), f.tcp.psh))
            .collect();
        assert_eq!(
            flight_segments,
            [
                (1460, false),
                (1460, false),
                (1460, false),
                (620, true),
                (12, true)
            ]
        );
        // Both FINs, the last one ACKed, nothing after.
        let fins: Vec<_> = frames
            .iter()
            .filter(|f| f.tcp.fin)
            .map(|f| f.from)
            .collect();
        assert_eq!(fins, [Direction::Sent, Direction::Received]);
        let last = frames.last().unwrap();
        assert!(last.from == Direction::Sent && last.tcp.ack && last.payload.is_empty());
        // Timestamps never go backwards and start at the accept time.
        let start = c.started().duration_since(UNIX_EPOCH).unwrap();
        assert!(frames[0].ts.abs_diff(start) < Duration::from_micros(1));
        assert!(frames.windows(2).all(|w| w[0].ts <= w[1].ts));
    }

    #[test]
    fn several_connections_share_one_header_and_ipv6_works() {
        let mut a = capture("127.0.0.1:40002", "127.0.0.1:8443", 1000);
        a.record(Direction::Received, b"a");
        a.end(Direction::Received, TcpEnd::Reset);
        let mut b = capture("[::1]:40003", "[::1]:8444", 1000);
        b.record(Direction::Received, b"b");
        b.finish();
        let file = write(&[&a, &b]);
        // pcap-file checks the magic of the one header; every frame parses.
        let frames = read_back(&file, &[8443, 8444]);
        // a: 3 handshake + data + ACK + RST, nothing after the reset;
        // b: 3 + data + FIN (acknowledging the data) + ACK.
        assert_eq!(frames.len(), 6 + 6);
        assert!(frames[5].tcp.rst && frames[5].from == Direction::Received);
        let families: Vec<bool> = frames.iter().map(|f| f.ipv6).collect();
        assert_eq!(families, [[false; 6], [true; 6]].concat());
        reassemble(&frames[..6]);
        reassemble(&frames[6..]);
    }

    #[test]
    fn bytes_past_the_limit_leave_a_visible_gap_before_the_fin() {
        let mut c = capture("127.0.0.1:40004", "127.0.0.1:8443", 10);
        c.record(Direction::Received, b"0123456789abcdef");
        c.end(Direction::Received, TcpEnd::Fin);
        c.finish();
        let frames = read_back(&write(&[&c]), &[8443]);
        let data: Vec<u8> = frames.iter().flat_map(|f| f.payload.clone()).collect();
        assert_eq!(data, b"0123456789");
        let data_seq = frames[3].tcp.sequence_number;
        let fin = frames.iter().find(|f| f.tcp.fin).unwrap();
        assert_eq!(fin.tcp.sequence_number, data_seq.wrapping_add(16));
    }
}
