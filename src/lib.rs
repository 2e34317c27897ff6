#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod app;
mod engine;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod observe;
pub mod pki;
pub mod runner;
pub mod scenario;
pub mod server;
#[cfg(feature = "proptest")]
pub mod strategy;
mod testkit;
pub mod verdict;
pub mod wire;

pub use engine::{EngineError, Session};
pub use testkit::{ScenarioSource, TestServer, TestServerError};
