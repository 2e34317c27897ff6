//! What the client did: its ClientHello, the events of each connection, the log line.

mod client_hello;
mod event;
mod fingerprint;
mod first_flight;
mod keylog;
mod transcript;

pub use client_hello::{parse_client_hello, ClientHelloError, ClientHelloInfo};
pub use event::{CloseKind, Event, Observation, TimedEvent};
pub use first_flight::{
    parse_first_flight, read_first_flight, FirstFlight, FirstFlightError, FirstFlightLimits,
};
pub use keylog::KeyLog;
pub use transcript::{Direction, TranscriptLine};
