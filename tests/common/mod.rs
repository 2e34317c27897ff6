//! Shared helpers for the interop tests: the PKI, scenario servers, and running client
//! programs with a timeout.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use quirktls::observe::Observation;
use quirktls::pki::{default_out_dir, default_spec_path, Material, Pki, PkiSpec};
use quirktls::scenario::{self, Scenario};
use quirktls::server::{ScenarioServer, ServerOptions};

/// The test PKI from certs/pki.yaml, generated once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki::ensure(spec(), &default_out_dir()).expect("generate test PKI"))
}

/// The parsed certs/pki.yaml.
pub fn spec() -> &'static PkiSpec {
    static SPEC: OnceLock<PkiSpec> = OnceLock::new();
    SPEC.get_or_init(|| PkiSpec::load(&default_spec_path()).expect("load certs/pki.yaml"))
}

/// One PKI entity's material.
pub fn entity(name: &str) -> &'static Material {
    pki().entity(name).expect("entity in certs/pki.yaml")
}

/// A built-in scenario by name.
pub fn scenario(name: &str) -> Scenario {
    scenario::load_paths(&[PathBuf::from(name)], spec())
        .expect("built-in scenario")
        .remove(0)
}

/// Start a built-in scenario on 127.0.0.1:0.
pub async fn start(name: &str) -> ScenarioServer {
    start_scenario(scenario(name)).await
}

/// Start any scenario on 127.0.0.1:0.
pub async fn start_scenario(sc: Scenario) -> ScenarioServer {
    ScenarioServer::start(sc, pki(), &ServerOptions::default())
        .await
        .expect("start scenario server")
}

/// Wait for the n-th finished connection's observation (1-based).
pub async fn observation(server: &ScenarioServer, n: usize) -> Observation {
    let all = server
        .wait_for(n, Duration::from_secs(15))
        .await
        .unwrap_or_else(|| {
            panic!(
                "no observation #{n} within 15 s: {:?}",
                server.observations()
            )
        });
    all[n - 1].clone()
}

/// The generated CA bundle (every trusted root).
pub fn ca_bundle() -> PathBuf {
    pki().ca_bundle()
}

/// What a client program did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` when killed by a signal or the timeout).
    pub status: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// stdout and stderr together, for searching.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Assert the exit code, showing the output when it differs.
    pub fn expect_status(&self, code: i32) -> &Self {
        assert_eq!(
            self.status,
            Some(code),
            "unexpected exit status; output:\n{}",
            self.output()
        );
        self
    }

    /// Assert the output contains `needle`.
    pub fn expect_output(&self, needle: &str) -> &Self {
        assert!(
            self.output().contains(needle),
            "output lacks {needle:?}:\n{}",
            self.output()
        );
        self
    }
}

/// Run a client program with `stdin` fed and a 30 s timeout (killed after).
pub async fn run(program: &str, args: &[String], stdin: &[u8]) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (make deps installs it): {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let _ = input.write_all(stdin).await;
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?} did not finish within 30 s"))
        .expect("client output");
    Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Turn `&str` arguments into owned ones.
pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// What a completed handshake negotiated (the observation's `Negotiated` event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// e.g. `TLS 1.3`
    pub version: String,
    /// IANA suite name
    pub cipher_suite: String,
    /// ALPN protocol selected
    pub alpn: Option<String>,
    /// SNI the server saw
    pub sni: Option<String>,
}

/// The `Negotiated` event, if the handshake completed.
pub fn negotiated(obs: &Observation) -> Option<Negotiated> {
    obs.events().find_map(|e| match e {
        quirktls::observe::Event::Negotiated {
            version,
            cipher_suite,
            alpn,
            sni,
        } => Some(Negotiated {
            version: version.clone(),
            cipher_suite: cipher_suite.clone(),
            alpn: alpn.clone(),
            sni: sni.clone(),
        }),
        _ => None,
    })
}

/// The reasons of every `HandshakeFailed` event, joined by `; `.
pub fn handshake_failures(obs: &Observation) -> String {
    obs.events()
        .filter_map(|e| match e {
            quirktls::observe::Event::HandshakeFailed { reason } => Some(reason.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}
