//! TLS wire codec: records, handshake framing, alerts and the named enums they carry.
//!
//! Every named enum is a newtype over its wire number with named constants, so values
//! this crate does not know still round-trip; each has `name()`, `from_name()`, a
//! Display like `unrecognized_name(112)` and a [`Codec`] (encode and decode side by
//! side, decode rejecting short input and trailing bytes).

#[macro_use]
mod macros;

mod alert;
mod cipher_suite;
mod codec;
mod extension;
mod handshake;
mod params;
mod record;

pub use alert::{Alert, AlertDescription, AlertLevel};
pub use cipher_suite::CipherSuite;
pub use codec::{Codec, DecodeError, Reader};
pub use extension::ExtensionType;
pub use handshake::{HandshakeHeader, HandshakeType};
pub use params::{Compression, ECPointFormat, NamedGroup, SignatureScheme};
pub use record::{ContentType, ProtocolVersion, RecordHeader};
