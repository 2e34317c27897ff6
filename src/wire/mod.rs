//! TLS wire codec: records, handshake framing and messages, alerts and the named enums
//! they carry.
//!
//! Every named enum is a newtype over its wire number with named constants, so values
//! this crate does not know still round-trip; each has `name()`, `from_name()`, a
//! Display like `unrecognized_name(112)` and a [`Codec`] (encode and decode side by
//! side, decode rejecting short input and trailing bytes). Handshake message bodies
//! are [`HandshakePayload`]s, whose decoding may take the negotiated version or key
//! exchange; [`HandshakeJoiner`] reassembles them from records.

#[macro_use]
mod macros;

mod alert;
mod change_cipher_spec;
mod cipher_suite;
mod codec;
mod extension;
mod handshake;
mod joiner;
mod messages;
mod params;
mod record;

pub use alert::{Alert, AlertDescription, AlertLevel};
pub use change_cipher_spec::ChangeCipherSpec;
pub use cipher_suite::CipherSuite;
pub use codec::{Codec, DecodeError, Reader};
pub use extension::{Extension, ExtensionType};
pub use handshake::{HandshakeHeader, HandshakeMessage, HandshakeType};
pub use joiner::{HandshakeJoiner, HandshakeTooLarge};
pub use messages::{
    client_hello_extensions, client_key_shares, Certificate, Certificate13, CertificateEntry,
    CertificateRequest, CertificateRequest13, CertificateVerify, ClientCertificateType,
    ClientKeyExchange, DigitallySigned, EcdheParams, EncryptedExtensions, Finished,
    HandshakePayload, HelloRequest, KeyExchangeKind, KeyShareEntry, KeyUpdate, KeyUpdateRequest,
    NewSessionTicket13, ServerHello, ServerHelloDone, ServerKeyExchange,
};
pub use params::{Compression, ECPointFormat, NamedGroup, SignatureScheme};
pub use record::{ContentType, ProtocolVersion, RecordHeader};
