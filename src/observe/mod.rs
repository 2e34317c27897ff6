//! What the client did: its ClientHello, the events of each connection, the log line.

mod client_hello;
mod event;
mod first_flight;
mod fingerprint;

pub use client_hello::{parse_client_hello, ClientHelloInfo, ClientHelloError};
pub use event::{CloseKind, Event, Observation, TimedEvent};
pub use first_flight::{read_first_flight, FirstFlight, FirstFlightError, FirstFlightLimits};
