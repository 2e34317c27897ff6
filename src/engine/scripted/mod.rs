//! The scripted engine: our own TLS 1.0–1.2 server, for what rustls refuses by design
//! (renegotiation, static RSA, CBC and RC4 suites, old versions, message-level faults).
// Being assembled across sessions; wired into `Engine` once it completes handshakes.
#![allow(dead_code)]

mod crypto;
