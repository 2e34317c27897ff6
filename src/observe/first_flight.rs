//! STUB (helper C replaces).
use std::time::Duration;
use tokio::io::AsyncRead;
use super::ClientHelloInfo;
/// Bounds on reading the first flight.
#[derive(Debug, Clone, Copy)]
pub struct FirstFlightLimits { /// max bytes
 pub max_bytes: usize, /// timeout
 pub timeout: Duration }
impl Default for FirstFlightLimits { fn default() -> Self { Self { max_bytes: 1 << 16, timeout: Duration::from_secs(10) } } }
/// The raw bytes read (to be replayed to the engine) and the parsed hello.
#[derive(Debug, Clone)]
pub struct FirstFlight { /// raw bytes exactly as read
 pub bytes: Vec<u8>, /// parsed
 pub hello: ClientHelloInfo }
/// First-flight error.
#[derive(Debug, thiserror::Error)]
pub enum FirstFlightError { /// timeout
 #[error("timed out")] Timeout, /// io
 #[error("io: {0}")] Io(#[from] std::io::Error) }
/// Read the first flight.
pub async fn read_first_flight<R: AsyncRead + Unpin>(r: &mut R, limits: FirstFlightLimits) -> Result<FirstFlight, FirstFlightError> { let _ = (r, limits); Err(FirstFlightError::Timeout) }
