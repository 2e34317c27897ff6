//! Scenario files: the YAML model, loading with file:line:column errors, the JSON Schema.

mod load;
mod model;

pub use load::{builtin_dir, load_file, load_paths, load_str, ScenarioError};
pub use model::{
    AppConfig, AppMode, ClientAuth, ClientAuthMode, EngineKind, Scenario, SniConfig, SniPolicy,
    TlsConfig, TlsVersion,
};
