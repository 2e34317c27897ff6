#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod app;
mod engine;
pub mod observe;
pub mod pki;
pub mod scenario;
pub mod server;
pub mod verdict;
pub mod wire;

pub use engine::{EngineError, Session};
