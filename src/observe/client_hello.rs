//! STUB (helper C replaces).
use serde::Serialize;
/// Parsed ClientHello.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ClientHelloInfo { /// SNI
 pub sni: Option<String>, /// ALPN
 pub alpn: Vec<String> }
/// Parse error.
#[derive(Debug, thiserror::Error)]
#[error("bad client hello")]
pub struct ClientHelloError;
/// Parse a ClientHello from the concatenated handshake bytes (record payloads).
pub fn parse_client_hello(handshake: &[u8]) -> Result<ClientHelloInfo, ClientHelloError> { let _ = handshake; Err(ClientHelloError) }
