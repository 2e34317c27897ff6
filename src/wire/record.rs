//! STUB (helper C replaces): record header codec.
/// Record content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType(pub u8);
/// Protocol version on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolVersion(pub u16);
impl ProtocolVersion { /// TLS 1.2
 pub const TLS12: Self = Self(0x0303); }
/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader { /// type
 pub content_type: ContentType, /// version
 pub version: ProtocolVersion, /// length
 pub length: u16 }
