//! Scenario files: the YAML model, loading with file:line:column errors, the JSON Schema.

mod builder;
mod caps;
mod error;
mod fault;
mod limits;
mod load;
mod model;
mod raw;
mod validate;

pub use builder::ScenarioBuilder;
pub use error::ScenarioError;
pub use fault::{Fault, FaultAction, FaultParseError, Step};
pub use limits::{parse_duration, Deadlines, DurationError, ScenarioLimits};
pub use load::{builtin_dir, load_file, load_paths, load_str};
pub use model::{
    AppConfig, AppMode, CipherOrder, ClientAuth, ClientAuthMode, ClientExit, ClientRenegotiation,
    EngineKind, Expect, Handshake, HelloMatch, Intolerance, Presence, Reaction, Renegotiate,
    Renegotiation, Scenario, SniConfig, SniPolicy, TlsConfig, TlsVersion,
};
pub use raw::json_schema;

// For `crate::strategy`, which varies scenarios the way validation would fill them in.
#[cfg(feature = "proptest")]
pub(crate) use {caps::iana_suite_name, raw::DEFAULT_TRUST};
