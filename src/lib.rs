//! quirktls: a TLS interop test server that plays quirky peers.
//!
//! Start a scenario on 127.0.0.1, point a client at it, and read what the client did:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use quirktls::{pki::{Pki, PkiSpec}, scenario, server::{ScenarioServer, ServerOptions}};
//! let spec = PkiSpec::load(&quirktls::pki::default_spec_path())?;
//! let pki = Pki::ensure(&spec, &quirktls::pki::default_out_dir())?;
//! let sc = scenario::load_paths(&["sni-required".into()], &spec)?.remove(0);
//! let server = ScenarioServer::start(sc, &pki, &ServerOptions::default()).await?;
//! println!("listening on {}", server.addr());
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod app;
mod engine;
pub mod observe;
pub mod pki;
pub mod scenario;
pub mod server;
pub mod wire;

pub use engine::{EngineError, Session};
