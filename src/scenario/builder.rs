//! Scenarios built in code. The builder writes the same document a scenario file holds
//! (as JSON, which YAML reads) and loads it through the file loader, so code-built
//! scenarios get exactly the validation, defaults and error messages files get.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{load_str, ClientAuthMode, EngineKind, Scenario, ScenarioError, TlsVersion};
use crate::pki::PkiSpec;

/// A scenario under construction; [`build`](Self::build) validates it.
///
/// ```
/// use quirktls::pki::{default_spec_path, PkiSpec};
/// use quirktls::scenario::{EngineKind, ScenarioBuilder, TlsVersion};
///
/// let spec = PkiSpec::load(&default_spec_path()).unwrap();
/// let scenario = ScenarioBuilder::new("tls12-cbc-bad-finished")
///     .engine(EngineKind::Scripted)
///     .versions(&[TlsVersion::Tls12])
///     .cipher_suites(&["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"])
///     .fault("finished", "wrong_verify_data")
///     .set("expect.handshake", "client_aborts")
///     .build(&spec)
///     .unwrap();
/// assert_eq!(scenario.faults.len(), 1);
///
/// // Mistakes get the file loader's messages, naming the key.
/// let err = ScenarioBuilder::new("x").set("tls.versoins", ["tls1.2"]).build(&spec);
/// assert!(err.unwrap_err().to_string().contains("versoins"));
/// ```
#[derive(Debug, Clone)]
pub struct ScenarioBuilder {
    doc: Map<String, Value>,
}

impl ScenarioBuilder {
    /// A rustls-engine scenario named `name` with every other key at its default.
    pub fn new(name: &str) -> Self {
        let mut builder = Self { doc: Map::new() };
        builder.put("name", name);
        builder.put("description", "built in code");
        builder.put("engine", EngineKind::Rustls);
        builder
    }

    /// Which engine plays it.
    pub fn engine(self, engine: EngineKind) -> Self {
        self.set("engine", engine)
    }

    /// `tls.versions`.
    pub fn versions(self, versions: &[TlsVersion]) -> Self {
        self.set("tls.versions", versions)
    }

    /// `tls.cipher_suites`, by IANA name.
    pub fn cipher_suites(self, suites: &[&str]) -> Self {
        self.set("tls.cipher_suites", suites)
    }

    /// `tls.certificate`: a leaf of the PKI spec.
    pub fn certificate(self, name: &str) -> Self {
        self.set("tls.certificate", name)
    }

    /// `tls.client_auth.mode`.
    pub fn client_auth(self, mode: ClientAuthMode) -> Self {
        self.set("tls.client_auth.mode", mode)
    }

    /// Appends a fault (scripted engine): `at` a step, `action` in the compact form of
    /// scenario files, e.g. `fault("finished", "corrupt 12 0x01")`.
    pub fn fault(mut self, at: &str, action: &str) -> Self {
        let faults = self
            .doc
            .entry("faults")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = faults {
            list.push(serde_json::json!({ "at": at, "do": action }));
        }
        self
    }

    /// Any key of the scenario format by its dotted path (`app.body`,
    /// `tls.client_auth.ca_names`, `expect.version`), replacing what was there.
    pub fn set(mut self, path: &str, value: impl Serialize) -> Self {
        self.put(path, value);
        self
    }

    fn put(&mut self, path: &str, value: impl Serialize) {
        // Values that cannot serialize become null, which validation then rejects by key.
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        let mut keys = path.split('.').peekable();
        let mut map = &mut self.doc;
        while let Some(key) = keys.next() {
            if keys.peek().is_none() {
                map.insert(key.to_string(), value);
                return;
            }
            let entry = map
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else {
                unreachable!("made an object above")
            };
            map = next;
        }
    }

    /// Validate against the PKI spec, exactly as a scenario file would be; errors are
    /// located in the generated document, named `<builder NAME>`.
    pub fn build(&self, pki: &PkiSpec) -> Result<Scenario, ScenarioError> {
        let name = self.doc.get("name").and_then(Value::as_str).unwrap_or("");
        let text = serde_json::to_string_pretty(&self.doc).unwrap_or_default();
        load_str(&text, &format!("<builder {name}>"), pki)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::default_spec_path;

    fn spec() -> PkiSpec {
        PkiSpec::load(&default_spec_path()).unwrap()
    }

    #[test]
    fn builds_what_the_equivalent_file_loads() {
        let built = ScenarioBuilder::new("mtls")
            .versions(&[TlsVersion::Tls12])
            .client_auth(ClientAuthMode::Required)
            .set("tls.client_auth.ca_names", [""; 0])
            .set("app.body", "hi\n")
            .build(&spec())
            .unwrap();
        let file = load_str(
            "name: mtls\ndescription: built in code\nengine: rustls\n\
             tls: {versions: [tls1.2], client_auth: {mode: required, ca_names: []}}\n\
             app: {body: \"hi\\n\"}\n",
            "f.yaml",
            &spec(),
        )
        .unwrap();
        assert_eq!(built, file);
    }

    #[test]
    fn errors_name_the_key_and_the_builder() {
        let err = ScenarioBuilder::new("bad")
            .engine(EngineKind::Scripted)
            .fault("finished", "explode")
            .build(&spec())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("<builder bad>:"), "{err}");
        assert!(err.contains("explode"), "{err}");
    }
}
