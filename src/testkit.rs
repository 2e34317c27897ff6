//! The Rust test API, in the style of wiremock's `MockServer`: start a scenario on
//! 127.0.0.1:0 (ready when `start` returns), point a client at it, and let the scenario's
//! `expect:` be verified on drop with a readable diff.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::observe::Observation;
use crate::pki::{default_out_dir, default_spec_path, Material, Pki, PkiError, PkiSpec};
use crate::scenario::{self, Scenario, ScenarioBuilder, ScenarioError};
use crate::server::{ScenarioServer, ServerError, ServerOptions};
use crate::verdict::Verdict;

/// Why a test server could not start.
#[derive(Debug, thiserror::Error)]
pub enum TestServerError {
    /// The PKI spec or its generation failed.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The scenario did not load.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The server did not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The runtime of the blocking variant did not start.
    #[error("cannot start a runtime for the blocking test server: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Where a test's scenario comes from.
#[derive(Debug, Clone)]
pub enum ScenarioSource {
    /// A built-in scenario by name, e.g. `sni-required`.
    Builtin(String),
    /// A scenario file.
    File(PathBuf),
    /// A scenario built in code, validated when the server starts.
    Builder(Box<ScenarioBuilder>),
    /// A scenario already loaded (or built and adjusted) in code.
    Scenario(Box<Scenario>),
}

impl From<ScenarioBuilder> for ScenarioSource {
    fn from(builder: ScenarioBuilder) -> Self {
        Self::Builder(Box::new(builder))
    }
}

impl From<&str> for ScenarioSource {
    fn from(name: &str) -> Self {
        Self::Builtin(name.to_string())
    }
}

impl From<&Path> for ScenarioSource {
    fn from(path: &Path) -> Self {
        Self::File(path.to_path_buf())
    }
}

impl From<Scenario> for ScenarioSource {
    fn from(scenario: Scenario) -> Self {
        Self::Scenario(Box::new(scenario))
    }
}

/// The repository's test PKI, generated once per process.
fn shared_pki() -> Result<&'static (PkiSpec, Pki), TestServerError> {
    static PKI: OnceLock<(PkiSpec, Pki)> = OnceLock::new();
    if let Some(pki) = PKI.get() {
        return Ok(pki);
    }
    let spec = PkiSpec::load(&default_spec_path())?;
    let pki = Pki::ensure(&spec, &default_out_dir())?;
    Ok(PKI.get_or_init(|| (spec, pki)))
}

/// A scenario served on 127.0.0.1 for one test; verifies `expect:` on drop.
pub struct TestServer {
    server: ScenarioServer,
    pki: &'static Pki,
    armed: bool,
    // Kept for the blocking variant; dropped after the server.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("scenario", &self.server.scenario().name)
            .field("addr", &self.server.addr())
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Start the scenario on the current tokio runtime; ready when this returns.
    pub async fn start(source: impl Into<ScenarioSource>) -> Result<Self, TestServerError> {
        Self::start_with(source, &ServerOptions::default()).await
    }

    /// [`start`](Self::start) with explicit options, e.g. short timeouts, so that faults
    /// which stall a handshake end in a second rather than ten.
    pub async fn start_with(
        source: impl Into<ScenarioSource>,
        options: &ServerOptions,
    ) -> Result<Self, TestServerError> {
        let (scenario, pki) = load(source.into())?;
        let server = ScenarioServer::start(scenario, pki, options).await?;
        Ok(Self {
            server,
            pki,
            armed: true,
            runtime: None,
        })
    }

    /// Start the scenario on a runtime of its own, for tests that are not async.
    pub fn start_blocking(source: impl Into<ScenarioSource>) -> Result<Self, TestServerError> {
        let (scenario, pki) = load(source.into())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let server = runtime.block_on(ScenarioServer::start(
            scenario,
            pki,
            &ServerOptions::default(),
        ))?;
        Ok(Self {
            server,
            pki,
            armed: true,
            runtime: Some(runtime),
        })
    }

    /// The bound address (127.0.0.1 and an ephemeral port).
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The name clients must use (SNI and certificate check); make it resolve to
    /// [`addr`](Self::addr) in the client (e.g. reqwest's `resolve`).
    pub fn server_name(&self) -> &str {
        self.server.scenario().server_name()
    }

    /// `https://SERVER_NAME:PORT/`.
    pub fn url(&self) -> String {
        format!("https://{}:{}/", self.server_name(), self.addr().port())
    }

    /// PEM of every trusted root (the CA bundle clients should trust).
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.pki.ca_bundle()).unwrap_or_default()
    }

    /// Path of the CA bundle.
    pub fn ca_file(&self) -> PathBuf {
        self.pki.ca_bundle()
    }

    /// The client identity of an mTLS (or renegotiating) scenario: key, certificate and
    /// chain in PEM and DER, PKCS#12.
    pub fn client_identity(&self) -> Option<&Material> {
        let name = self.server.scenario().client_identity()?;
        self.pki.entity(name).ok()
    }

    /// What the server observed on every finished connection.
    pub fn observations(&self) -> Vec<Observation> {
        self.server.observations()
    }

    /// Wait (up to 10 s) until `n` connections have finished.
    pub async fn wait_for(&self, n: usize) -> Vec<Observation> {
        self.server
            .wait_for(n, std::time::Duration::from_secs(10))
            .await
            .unwrap_or_else(|| self.observations())
    }

    /// [`wait_for`](Self::wait_for) for tests that are not async (not inside a runtime).
    pub fn wait_for_blocking(&self, n: usize) -> Vec<Observation> {
        match &self.runtime {
            Some(runtime) => runtime.block_on(self.wait_for(n)),
            None => tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .map(|runtime| runtime.block_on(self.wait_for(n)))
                .unwrap_or_else(|_| self.observations()),
        }
    }

    /// The verdict of every finished connection against the scenario's `expect:`.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let sc = self.server.scenario();
        self.observations()
            .iter()
            .map(|obs| Verdict::check(&sc.name, &sc.expect, obs))
            .collect()
    }

    /// Do not verify on drop (for tests that assert on `verdicts()` themselves).
    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

fn load(source: ScenarioSource) -> Result<(Scenario, &'static Pki), TestServerError> {
    let (spec, pki) = shared_pki()?;
    let scenario = match source {
        ScenarioSource::Builtin(name) => scenario::load_paths(&[name.into()], spec)?.remove(0),
        ScenarioSource::File(path) => scenario::load_file(&path, spec)?,
        ScenarioSource::Builder(builder) => builder.build(spec)?,
        ScenarioSource::Scenario(sc) => *sc,
    };
    Ok((scenario, pki))
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // A second panic while unwinding would abort the test binary.
        if !self.armed || std::thread::panicking() {
            return;
        }
        let failed: Vec<String> = self
            .verdicts()
            .into_iter()
            .filter(|v| !v.passed())
            .map(|v| v.to_string())
            .collect();
        if !failed.is_empty() {
            panic!("quirktls expectations not met:\n{}", failed.join("\n"));
        }
    }
}
