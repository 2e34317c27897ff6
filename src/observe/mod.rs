//! What the client did: its ClientHello, the events of each connection, the log line,
//! and (when asked) the bytes on the wire as a capture, a pcap file and a transcript.

mod capture;
mod client_hello;
mod event;
mod fingerprint;
mod first_flight;
mod keylog;
mod pcap;
mod private_file;
mod transcript;

pub(crate) use capture::SharedCapture;
pub use capture::{Capture, Captured, TcpEnd};
#[cfg(feature = "fuzzing")]
pub(crate) use client_hello::build as client_hello_build;
pub use client_hello::{parse_client_hello, ClientHelloError, ClientHelloInfo};
pub use event::{CloseKind, Cut, Deadline, Event, Limit, Observation, Party, TimedEvent};
pub use first_flight::{
    parse_first_flight, read_first_flight, FirstFlight, FirstFlightError, FirstFlightLimits,
    MAX_CLIENT_HELLO,
};
pub use keylog::KeyLog;
pub use pcap::{PcapSink, PcapSinkError};
pub(crate) use private_file::write_private;
pub use private_file::{append_private, create_private};
pub use transcript::{wire_transcript, Direction, TranscriptLine};
