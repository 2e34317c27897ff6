//! STUB (helper C replaces): alert codec.
use serde::Serialize;
/// Alert level (1 warning, 2 fatal); unknown values round-trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlertLevel(pub u8);
impl AlertLevel { /// warning
 pub const WARNING: Self = Self(1); /// fatal
 pub const FATAL: Self = Self(2); }
/// Alert description; unknown values round-trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlertDescription(pub u8);
impl AlertDescription { /// 112
 pub const UNRECOGNIZED_NAME: Self = Self(112); }
/// A TLS alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Alert { /// level
 pub level: AlertLevel, /// description
 pub description: AlertDescription }
impl Alert { /// fatal alert
 pub fn fatal(description: AlertDescription) -> Self { Self { level: AlertLevel::FATAL, description } }
 /// full record bytes
 pub fn to_record(&self, version: ProtocolVersion) -> Vec<u8> { let _ = version; vec![21, 3, 3, 0, 2, self.level.0, self.description.0] } }
impl std::fmt::Display for Alert { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.description.0) } }
use super::ProtocolVersion;
