//! TLS wire codec: records, alerts and the named enums they carry.

mod alert;
mod record;

pub use alert::{Alert, AlertDescription, AlertLevel};
pub use record::{ContentType, RecordHeader, ProtocolVersion};
