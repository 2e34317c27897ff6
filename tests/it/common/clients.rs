//! Each client program's command line, built the one way its tests run it: `openssl
//! s_client`, curl, Python's `ssl` (tests/clients/py_client.py), Java's JSSE
//! (src/runner/TlsClient.java) and `gnutls-cli`.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use quirktls::observe::Observation;
use quirktls::pki::P12_PASSWORD;
use quirktls::server::ScenarioServer;

use super::{
    args, assert_client_cert, ca_bundle, client_cert_line, entity, observation, pki, start, Run,
    Session, HOST, MTLS_ACCEPTING_THE_CLIENT,
};

/// A program, its arguments and its standard input.
pub struct Command {
    pub program: &'static str,
    pub args: Vec<String>,
    pub stdin: Vec<u8>,
}

/// A client program set up for one connection.
#[allow(async_fn_in_trait)] // only awaited in place, never spawned
pub trait Client {
    /// The command line against `server`.
    fn command(&self, server: &ScenarioServer) -> Command;

    /// Run against `server` (with the 30 s timeout of [`super::run`]).
    async fn run(&self, server: &ScenarioServer) -> Run {
        let Command {
            program,
            args,
            stdin,
        } = self.command(server);
        super::run(program, &args, &stdin).await
    }

    /// Start `scenario` on 127.0.0.1:0, run against it once, and return what the client
    /// did and what the server observed.
    async fn once(&self, scenario: &str) -> (Run, Observation) {
        let server = start(scenario).await;
        let run = self.run(&server).await;
        (run, observation(&server, 1).await)
    }
}

fn utf8(path: &Path) -> String {
    path.to_str().expect("utf-8 path").to_string()
}

/// `CERT_FLAG chain.pem KEY_FLAG key.pem` of the `client` identity (issued by client-ca;
/// chain.pem holds the cert and its intermediates).
fn pem_identity(cert_flag: &str, key_flag: &str) -> Vec<String> {
    let client = entity("client");
    vec![
        cert_flag.into(),
        utf8(&client.chain_pem),
        key_flag.into(),
        utf8(&client.key_pem),
    ]
}

/// `openssl s_client` with the CA bundle, verification failures fatal and `-ign_eof` (so
/// it waits for the response), fed `GET / HTTP/1.1` for its host.
pub struct SClient {
    host: String,
    args: Vec<String>,
}

impl SClient {
    /// Sending SNI `host` and checking the certificate for it (`-servername NAME
    /// -verify_hostname NAME`).
    pub fn named(host: &str) -> Self {
        Self {
            host: host.into(),
            args: args(&["-servername", host, "-verify_hostname", host]),
        }
    }

    /// With only `flags`; the request names HOST.
    pub fn with(flags: &[&str]) -> Self {
        Self {
            host: HOST.into(),
            args: args(flags),
        }
    }

    /// Add `flags`.
    pub fn args(mut self, flags: &[&str]) -> Self {
        self.args.extend(args(flags));
        self
    }

    /// Add `-cert`/`-key` of the `client` identity.
    pub fn with_identity(mut self) -> Self {
        self.args.extend(pem_identity("-cert", "-key"));
        self
    }
}

impl Client for SClient {
    fn command(&self, server: &ScenarioServer) -> Command {
        let mut line = args(&[
            "s_client",
            "-connect",
            &server.addr().to_string(),
            "-CAfile",
            &utf8(&ca_bundle()),
            "-verify_return_error",
            "-ign_eof",
        ]);
        line.extend_from_slice(&self.args);
        Command {
            program: "openssl",
            args: line,
            stdin: format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", self.host).into_bytes(),
        }
    }
}

/// `GET path` over TLS from a name (its SNI and the name to check), plus flags: the
/// command line of curl ([`Curl`]) or py_client.py ([`Python`]), which both take the
/// `client` identity as `--cert`/`--key`.
pub struct HttpsGet<P> {
    name: String,
    path: String,
    args: Vec<String>,
    program: PhantomData<P>,
}

/// `curl -sS` to `https://NAME:PORT/PATH`, NAME resolved to 127.0.0.1 (unless it is an IP
/// address, which curl sends no SNI for), trusting the generated CA bundle.
pub type Curl = HttpsGet<CurlProgram>;

/// tests/clients/py_client.py (Python's default `ssl` context) with SNI and name check
/// NAME ("none" for no SNI and no name check), trusting the generated CA bundle.
pub type Python = HttpsGet<PythonProgram>;

/// Marks a [`HttpsGet`] run by curl.
pub enum CurlProgram {}

/// Marks a [`HttpsGet`] run by py_client.py.
pub enum PythonProgram {}

impl<P> HttpsGet<P> {
    /// `GET path` from `name`.
    pub fn get(name: &str, path: &str) -> Self {
        Self {
            name: name.into(),
            path: path.into(),
            args: Vec::new(),
            program: PhantomData,
        }
    }

    /// Add `flags`.
    pub fn args(mut self, flags: &[&str]) -> Self {
        self.args.extend(args(flags));
        self
    }

    /// Add `--cert`/`--key` of the `client` identity.
    pub fn with_identity(mut self) -> Self {
        self.args.extend(pem_identity("--cert", "--key"));
        self
    }
}

/// How a [`HttpsGet`] client shows a completed `GET`, on its side and on the server's: each
/// test file implements it for its client, and the shared checks of [`HttpsGet`] use it.
pub trait Completion {
    /// The client's run shows a completed `GET` with `session`.
    fn expect_ok<'a>(run: &'a Run, session: &Session) -> &'a Run;

    /// The server observed a completed `GET path` with `session` and SNI `sni`.
    fn assert_completed(obs: &Observation, session: &Session, sni: Option<&str>, path: &str);
}

impl<P> HttpsGet<P>
where
    Self: Client + Completion,
{
    /// `GET path` from HOST presenting the `client` identity, as the `n`-th connection to
    /// `server`: it completes with `session`, the response names the certificate, and the
    /// server observed the certificate.
    pub async fn assert_presents_identity(
        server: &ScenarioServer,
        n: usize,
        path: &str,
        session: &Session,
    ) {
        let run = Self::get(HOST, path).with_identity().run(server).await;
        Self::expect_ok(&run, session).expect_output(&client_cert_line());
        let obs = observation(server, n).await;
        Self::assert_completed(&obs, session, Some(HOST), path);
        assert_client_cert(&obs);
    }

    /// Each of [`MTLS_ACCEPTING_THE_CLIENT`], on its own server, accepts the `client`
    /// identity whatever CA names its CertificateRequest carries.
    pub async fn assert_mtls_scenarios_accept_the_identity() {
        for (scenario, path, session) in MTLS_ACCEPTING_THE_CLIENT {
            eprintln!("scenario {scenario}");
            let server = start(scenario).await;
            Self::assert_presents_identity(&server, 1, path, &session).await;
        }
    }
}

impl Client for Curl {
    fn command(&self, server: &ScenarioServer) -> Command {
        let (name, port) = (&self.name, server.addr().port());
        let mut line = args(&["-sS", "--max-time", "20", "--cacert"]);
        line.push(utf8(&ca_bundle()));
        if name.parse::<std::net::IpAddr>().is_err() {
            line.push("--resolve".into());
            line.push(format!("{name}:{port}:127.0.0.1"));
        }
        line.extend_from_slice(&self.args);
        line.push(format!("https://{name}:{port}{}", self.path));
        Command {
            program: "curl",
            args: line,
            stdin: Vec::new(),
        }
    }
}

impl Client for Python {
    fn command(&self, server: &ScenarioServer) -> Command {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/py_client.py");
        let mut line = args(&[
            script,
            "127.0.0.1",
            &server.addr().port().to_string(),
            &self.name,
            &utf8(&ca_bundle()),
            "--path",
            &self.path,
        ]);
        line.extend_from_slice(&self.args);
        Command {
            program: "python3",
            args: line,
            stdin: Vec::new(),
        }
    }
}

/// `gnutls-cli` to 127.0.0.1 with SNI and name check HOST, trusting the CA bundle, with a
/// GnuTLS priority string; fed `GET path HTTP/1.1` on stdin, held open until the server
/// closes (gnutls-cli ends the session at EOF on stdin).
pub struct GnutlsCli {
    priority: String,
    path: String,
}

impl GnutlsCli {
    /// With priority string `priority`, requesting `/`.
    pub fn with_priority(priority: &str) -> Self {
        Self {
            priority: priority.into(),
            path: "/".into(),
        }
    }

    /// Request `path` instead of `/`.
    pub fn get(mut self, path: &str) -> Self {
        self.path = path.into();
        self
    }
}

impl Client for GnutlsCli {
    fn command(&self, server: &ScenarioServer) -> Command {
        Command {
            program: "gnutls-cli",
            args: args(&[
                "--x509cafile",
                &utf8(&ca_bundle()),
                "--port",
                &server.addr().port().to_string(),
                "--sni-hostname",
                HOST,
                "--verify-hostname",
                HOST,
                "--priority",
                &self.priority,
                "127.0.0.1",
            ]),
            stdin: format!(
                "GET {} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n",
                self.path
            )
            .into_bytes(),
        }
    }

    async fn run(&self, server: &ScenarioServer) -> Run {
        let Command {
            program,
            args,
            stdin,
        } = self.command(server);
        super::run_holding_stdin(program, &args, &stdin, std::time::Duration::from_secs(10)).await
    }
}

/// src/runner/TlsClient.java (Java's JSSE) with SNI `servername` ("none" for no SNI),
/// trusting the generated PKCS#12 truststore; it always sends `GET /java`.
pub struct Java {
    servername: String,
    identity: bool,
}

impl Java {
    /// With SNI `servername`.
    pub fn to(servername: &str) -> Self {
        Self {
            servername: servername.into(),
            identity: false,
        }
    }

    /// Present the `client` PKCS#12 identity.
    pub fn with_identity(mut self) -> Self {
        self.identity = true;
        self
    }
}

impl Client for Java {
    fn command(&self, server: &ScenarioServer) -> Command {
        let mut line = args(&[
            // Start fast: a short-lived client does not need the optimising JIT.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-cp",
            &utf8(java_classes()),
            "TlsClient",
            "127.0.0.1",
            &server.addr().port().to_string(),
            &self.servername,
            &utf8(&pki().truststore()),
            P12_PASSWORD,
        ]);
        if self.identity {
            line.push(utf8(&entity("client").p12));
            line.push(P12_PASSWORD.into());
        }
        Command {
            program: "java",
            args: line,
            stdin: Vec::new(),
        }
    }
}

/// The directory holding TlsClient.class, compiled once per source version and kept under
/// target/tmp (keyed by a hash of the source, so an edit recompiles).
fn java_classes() -> &'static Path {
    const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/runner/TlsClient.java");
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let source = std::fs::read(SOURCE).expect("read TlsClient.java");
        let mut h = std::collections::hash_map::DefaultHasher::new();
        source.hash(&mut h);
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = root.join(format!("java-tls-client-{:016x}", h.finish()));
        if dir.join("TlsClient.class").is_file() {
            return dir;
        }
        // Compile beside the final place, then rename, so a concurrent run never sees a
        // half-written directory.
        let tmp = root.join(format!(
            "java-tls-client-{:016x}.tmp{}",
            h.finish(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        let out = std::process::Command::new("javac")
            .arg("-d")
            .arg(&tmp)
            .arg(SOURCE)
            .output()
            .unwrap_or_else(|e| panic!("cannot run javac (make deps installs it): {e}"));
        assert!(
            out.status.success(),
            "javac failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another process won the race; its result is as good as ours.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        assert!(dir.join("TlsClient.class").is_file());
        dir
    })
}
