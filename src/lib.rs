//! quirktls: a TLS interop test server that plays quirky peers.
#![warn(missing_docs)]

pub mod observe;
pub mod pki;
pub mod scenario;
pub mod wire;
