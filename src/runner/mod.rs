//! Point a client program at scenarios: start each scenario, run the client with a
//! timeout, and combine what the server observed with the client's exit into a verdict.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::pki::{Pki, P12_PASSWORD};
use crate::scenario::{ClientAuthMode, Scenario};
use crate::server::{ScenarioServer, ServerError, ServerOptions};
use crate::verdict::{Mismatch, Verdict};

mod junit;
pub use junit::junit;

/// A built-in client command line, with `{placeholders}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// curl against `{url}`, trusting the CA bundle.
    Curl,
    /// `openssl s_client` with hostname verification, sending one HTTP request.
    Openssl,
    /// Python's `ssl` default context, sending one HTTP request.
    Python,
}

const PYTHON: &str = "import socket,ssl,sys\n\
h,p,ca,sni=sys.argv[1:5]\n\
ctx=ssl.create_default_context(cafile=ca)\n\
if len(sys.argv)>6: ctx.load_cert_chain(sys.argv[5],sys.argv[6])\n\
s=ctx.wrap_socket(socket.create_connection((h,int(p))),server_hostname=sni)\n\
s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n\
print(s.recv(65536).decode(errors='replace'))\n";

impl Profile {
    /// The command template; `mtls` adds the client identity.
    pub fn template(self, mtls: bool) -> Vec<String> {
        let (base, identity): (&[&str], &[&str]) = match self {
            Self::Curl => (
                &["curl", "-sS", "--max-time", "10", "--cacert", "{ca_file}"],
                &["--cert", "{client_cert}", "--key", "{client_key}"],
            ),
            Self::Openssl => (
                &[
                    "openssl",
                    "s_client",
                    "-connect",
                    "{addr}",
                    "-servername",
                    "{sni}",
                    "-verify_hostname",
                    "{sni}",
                    "-CAfile",
                    "{ca_file}",
                    "-verify_return_error",
                    "-ign_eof",
                ],
                &["-cert", "{client_cert}", "-key", "{client_key}"],
            ),
            Self::Python => (
                &[
                    "python3",
                    "-c",
                    PYTHON,
                    "{host}",
                    "{port}",
                    "{ca_file}",
                    "{sni}",
                ],
                &["{client_cert}", "{client_key}"],
            ),
        };
        // curl takes its URL last.
        let tail: &[&str] = match self {
            Self::Curl => &["--resolve", "{sni}:{port}:{host}", "{url}"],
            _ => &[],
        };
        let identity = if mtls { identity } else { &[] };
        [base, identity, tail]
            .concat()
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

/// Why a run could not happen (not a failed verdict).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A scenario server did not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The client program could not be started.
    #[error("cannot run `{program}`: {source} (hint: is it installed and on PATH?)")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The command line is empty.
    #[error("no client command (hint: `--client curl` or `-- CMD ARGS…`)")]
    NoCommand,
}

/// One scenario × client outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The scenario.
    pub scenario: String,
    /// The client (profile name or program).
    pub client: String,
    /// Whether the server-side expectations held.
    pub passed: bool,
    /// Expected versus observed, per field.
    pub mismatches: Vec<Mismatch>,
    /// The client's exit code (`None`: killed by the timeout or a signal).
    pub exit: Option<i32>,
    /// The last lines of the client's output.
    pub output_tail: String,
    /// The server's one-line summary of the connection.
    pub server_log: String,
}

/// Fill `{placeholders}` for one scenario's server.
fn fill(template: &[String], server: &ScenarioServer, pki: &Pki) -> Vec<String> {
    let sc = server.scenario();
    let addr = server.addr();
    let mut values: BTreeMap<&str, String> = BTreeMap::from([
        ("{host}", addr.ip().to_string()),
        ("{port}", addr.port().to_string()),
        ("{addr}", addr.to_string()),
        ("{sni}", sc.server_name().to_string()),
        (
            "{url}",
            format!("https://{}:{}/", sc.server_name(), addr.port()),
        ),
        ("{ca_file}", pki.ca_bundle().display().to_string()),
        ("{ca_p12}", pki.truststore().display().to_string()),
        ("{scenario}", sc.name.clone()),
        ("{p12_password}", P12_PASSWORD.to_string()),
    ]);
    if let Some(id) = identity(sc).and_then(|name| pki.entity(name).ok()) {
        values.insert("{client_cert}", id.chain_pem.display().to_string());
        values.insert("{client_key}", id.key_pem.display().to_string());
        values.insert("{client_p12}", id.p12.display().to_string());
    }
    template
        .iter()
        .map(|word| {
            values
                .iter()
                .fold(word.clone(), |w, (k, v)| w.replace(k, v))
        })
        .collect()
}

/// The client identity a scenario asks for, in either handshake.
fn identity(sc: &Scenario) -> Option<&str> {
    std::iter::once(&sc.tls.client_auth)
        .chain(sc.renegotiate.as_ref().map(|r| &r.client_auth))
        .find(|a| a.mode != ClientAuthMode::None)
        .map(|a| a.client_identity.as_str())
}

/// Run the client against each scenario (at most `jobs` at once), in scenario order.
pub async fn run(
    scenarios: Vec<Scenario>,
    pki: &Pki,
    client: &str,
    template: impl Fn(&Scenario) -> Vec<String>,
    jobs: usize,
    timeout: Duration,
) -> Result<Vec<Outcome>, RunError> {
    let limit = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut tasks = Vec::new();
    for sc in scenarios {
        let words = template(&sc);
        let server = ScenarioServer::start(sc, pki, &ServerOptions::default()).await?;
        let line = fill(&words, &server, pki);
        let (program, args) = line.split_first().ok_or(RunError::NoCommand)?;
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let (program, client) = (program.clone(), client.to_string());
        let limit = limit.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = limit.acquire_owned().await;
            let mut child = command
                .spawn()
                .map_err(|source| RunError::Spawn { program, source })?;
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin
                    .write_all(b"GET / HTTP/1.1\r\nHost: quirktls\r\nConnection: close\r\n\r\n")
                    .await;
            }
            let (exit, output) = match tokio::time::timeout(timeout, child.wait_with_output()).await
            {
                Ok(Ok(out)) => (out.status.code(), [out.stdout, out.stderr].concat()),
                _ => (None, b"(timed out)".to_vec()),
            };
            let observed = server.wait_for(1, Duration::from_secs(5)).await;
            Ok::<_, RunError>(outcome(&server, client, exit, &output, observed))
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        if let Ok(result) = task.await {
            outcomes.push(result?);
        }
    }
    Ok(outcomes)
}

fn outcome(
    server: &ScenarioServer,
    client: String,
    exit: Option<i32>,
    output: &[u8],
    observed: Option<Vec<crate::observe::Observation>>,
) -> Outcome {
    let sc = server.scenario();
    let text = String::from_utf8_lossy(output);
    let tail: Vec<&str> = text.lines().rev().take(5).collect();
    let output_tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
    match observed.as_deref().and_then(|o| o.first()) {
        Some(obs) => {
            let verdict = Verdict::check(&sc.name, &sc.expect, obs);
            Outcome {
                scenario: sc.name.clone(),
                client,
                passed: verdict.passed(),
                mismatches: verdict.mismatches,
                exit,
                output_tail,
                server_log: obs.log_line(),
            }
        }
        None => Outcome {
            scenario: sc.name.clone(),
            client,
            passed: false,
            mismatches: vec![Mismatch {
                field: "connection",
                expected: "one".into(),
                observed: "none".into(),
            }],
            exit,
            output_tail,
            server_log: String::new(),
        },
    }
}
