//! Shared helpers for the interop tests: the PKI, scenario servers, running client
//! programs with a timeout, what a handshake should negotiate, and (in [`assert`]) what
//! the server should have observed; [`clients`] builds each client's command line.
#![allow(dead_code)] // each test binary uses a different subset

pub mod assert;
pub mod clients;

#[allow(unused_imports)]
pub use assert::*;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use quirktls::observe::Observation;
use quirktls::pki::{default_out_dir, default_spec_path, Material, Pki, PkiSpec};
use quirktls::scenario::{self, Scenario};
use quirktls::server::{ScenarioServer, ServerOptions};
use quirktls::wire::AlertDescription;

/// The name every scenario's default certificate is valid for.
pub const HOST: &str = "server.quirktls.test";

/// How the server renders the `client` identity's subject (RFC 4514, most specific first).
pub const CLIENT_SUBJECT: &str = "CN=quirktls test client,OU=clients,O=quirktls";

/// A version and suite the scenarios negotiate, by every name the clients use for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// As the server reports it, e.g. `TLS 1.3`.
    pub version: &'static str,
    /// The IANA suite name (the server's, and JSSE's).
    pub suite: &'static str,
    /// OpenSSL's (and JSSE's) version name, e.g. `TLSv1.3`.
    pub protocol: &'static str,
    /// OpenSSL's suite name.
    pub openssl_suite: &'static str,
}

/// What a TLS 1.3 scenario negotiates.
pub const TLS13: Session = Session {
    version: "TLS 1.3",
    suite: "TLS_AES_256_GCM_SHA384",
    protocol: "TLSv1.3",
    openssl_suite: "TLS_AES_256_GCM_SHA384",
};

/// What a TLS 1.2 scenario negotiates.
pub const TLS12: Session = Session {
    version: "TLS 1.2",
    suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    protocol: "TLSv1.2",
    openssl_suite: "ECDHE-RSA-AES256-GCM-SHA384",
};

impl Session {
    /// The server's response body for `scenario` without a client certificate (no newline).
    pub fn greeting(&self, scenario: &str) -> String {
        format!(
            "quirktls {scenario}: {} {}, client cert: none",
            self.version, self.suite
        )
    }

    /// The same version with another suite: `suite` by its IANA (and JSSE) name,
    /// `openssl_suite` by OpenSSL's.
    pub const fn with_suite(self, suite: &'static str, openssl_suite: &'static str) -> Self {
        Self {
            suite,
            openssl_suite,
            ..self
        }
    }

    /// The whole response body: [`Session::greeting`] and a newline.
    pub fn body(&self, scenario: &str) -> String {
        format!("{}\n", self.greeting(scenario))
    }
}

/// How OpenSSL 3.0 (s_client, curl and Python's `ssl` alike) refuses the certificate
/// problems it catches in chain verification: the scenario, the X509 verify code and
/// message, and the alert it sends.
pub const OPENSSL_VERIFY_FAILURES: [(&str, u32, &str, AlertDescription); 6] = [
    (
        "expired",
        10,
        "certificate has expired",
        AlertDescription::CERTIFICATE_EXPIRED,
    ),
    // bad_certificate(42) for X509_V_ERR_CERT_NOT_YET_VALID, not certificate_expired
    // (rustls sends 45).
    (
        "not-yet-valid",
        9,
        "certificate is not yet valid",
        AlertDescription::BAD_CERTIFICATE,
    ),
    (
        "self-signed",
        18,
        "self-signed certificate",
        AlertDescription::UNKNOWN_CA,
    ),
    (
        "untrusted-root",
        20,
        "unable to get local issuer certificate",
        AlertDescription::UNKNOWN_CA,
    ),
    (
        "incomplete-chain",
        20,
        "unable to get local issuer certificate",
        AlertDescription::UNKNOWN_CA,
    ),
    // Too weak at security level 1.
    (
        "sha1-leaf",
        68,
        "CA signature digest algorithm too weak",
        AlertDescription::BAD_CERTIFICATE,
    ),
];

/// The mTLS scenarios that accept the `client` identity whatever CA names their
/// CertificateRequest carries (curl and Python present it regardless), what they
/// negotiate, and the path each test requests.
pub const MTLS_ACCEPTING_THE_CLIENT: [(&str, &str, Session); 3] = [
    ("mtls-required", "/mtls", TLS13),
    ("mtls-empty-ca-list", "/empty", TLS12),
    ("mtls-unrelated-ca-list", "/unrelated", TLS12),
];

/// The body line the server answers with when the `client` identity was presented (no
/// newline).
pub fn client_cert_line() -> String {
    format!("client cert: {}", entity("client").subject)
}

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
    #[track_caller]
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
    #[track_caller]
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
    let (child, input) = spawn_fed(program, args, stdin).await;
    drop(input);
    finish(program, args, child.wait_with_output()).await
}

/// Like [`run`], but stdin stays open until the program exits or `hold` has passed: for
/// clients such as gnutls-cli that end the session as soon as stdin reaches EOF, possibly
/// before the server's answer arrives. The server closing the connection ends them.
pub async fn run_holding_stdin(
    program: &str,
    args: &[String],
    stdin: &[u8],
    hold: Duration,
) -> Run {
    let (child, input) = spawn_fed(program, args, stdin).await;
    let wait = child.wait_with_output();
    tokio::pin!(wait);
    let output = async {
        tokio::select! {
            out = &mut wait => return out,
            _ = tokio::time::sleep(hold) => {}
        }
        drop(input);
        wait.await
    };
    finish(program, args, output).await
}

/// Start a client program (killed on drop) with its standard streams piped and write
/// `stdin` to it; the child and its still open standard input.
async fn spawn_fed(
    program: &str,
    args: &[String],
    stdin: &[u8],
) -> (tokio::process::Child, tokio::process::ChildStdin) {
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
    (child, input)
}

/// What the client program did, once `output` (its exit and output) is ready; panics
/// after 30 s.
async fn finish(
    program: &str,
    args: &[String],
    output: impl std::future::Future<Output = std::io::Result<std::process::Output>>,
) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(30), output)
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

/// The reasons of every `HandshakeFailed` event, in order.
pub fn failure_reasons(obs: &Observation) -> Vec<String> {
    obs.events()
        .filter_map(|e| match e {
            quirktls::observe::Event::HandshakeFailed { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// The reasons of every `HandshakeFailed` event, joined by `; `.
pub fn handshake_failures(obs: &Observation) -> String {
    failure_reasons(obs).join("; ")
}

/// The names of the built-in scenarios (scenarios/*.yaml), sorted.
pub fn built_in_scenarios(engine: quirktls::scenario::EngineKind) -> Vec<String> {
    let all = scenario::load_paths(&[scenario::builtin_dir()], spec()).expect("built-ins load");
    let mut names: Vec<String> = all
        .into_iter()
        .filter(|s| s.engine == engine)
        .map(|s| s.name)
        .collect();
    names.sort();
    names
}

/// All 22 built-in rustls-engine scenarios are named, in quotes, somewhere in a test file's `source`,
/// or in `shared`: the scenarios of the shared tables (such as
/// [`OPENSSL_VERIFY_FAILURES`]) the file's tests run.
#[track_caller]
pub fn assert_every_scenario_named(source: &str, shared: &[&str]) {
    let names = built_in_scenarios(quirktls::scenario::EngineKind::Rustls);
    assert_eq!(names.len(), 22, "{names:?}");
    for name in names {
        assert!(
            source.contains(&format!("\"{name}\"")) || shared.contains(&name.as_str()),
            "no test starts {name}"
        );
    }
}
