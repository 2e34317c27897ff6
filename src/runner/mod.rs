//! Point a client program at scenarios: start each scenario, run the client with a
//! timeout, and combine what the server observed with the client's exit into a verdict.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::observe::Observation;
use crate::pki::{Pki, P12_PASSWORD};
use crate::scenario::Scenario;
use crate::server::{ScenarioServer, ServerError, ServerOptions};
use crate::verdict::{Mismatch, Verdict};

mod html;
mod java;
mod junit;
pub use html::html;
use java::JavaClasses;
pub use junit::junit;

/// A built-in client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// curl against `{url}`, trusting the CA bundle.
    Curl,
    /// `openssl s_client` with hostname verification, sending one HTTP request.
    Openssl,
    /// Python's `ssl` default context, sending one HTTP request.
    Python,
    /// Java's JSSE (TlsClient.java, compiled once per run), trusting the PKCS#12
    /// truststore with HTTPS endpoint identification, sending one HTTP request.
    Java,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Curl => "curl",
            Self::Openssl => "openssl",
            Self::Python => "python",
            Self::Java => "java",
        })
    }
}

const PYTHON: &str = "import socket,ssl,sys\n\
h,p,ca,sni=sys.argv[1:5]\n\
ctx=ssl.create_default_context(cafile=ca)\n\
if len(sys.argv)>6: ctx.load_cert_chain(sys.argv[5],sys.argv[6])\n\
s=ctx.wrap_socket(socket.create_connection((h,int(p))),server_hostname=sni)\n\
s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n\
print(s.recv(65536).decode(errors='replace'))\n";

/// Where the java profile's class path goes in its template.
const JAVA_CLASSES: &str = "{java_classes}";

impl Profile {
    /// The command template: the words, those added when the scenario asks for a client
    /// identity, and those that must come last.
    fn template(self) -> [&'static [&'static str]; 3] {
        match self {
            Self::Curl => [
                &["curl", "-sS", "--max-time", "10", "--cacert", "{ca_file}"],
                &["--cert", "{client_cert}", "--key", "{client_key}"],
                &["--resolve", "{sni}:{port}:{host}", "{url}"],
            ],
            Self::Openssl => [
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
                &[],
            ],
            Self::Python => [
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
                &[],
            ],
            Self::Java => [
                &[
                    "java",
                    // Start fast: a short-lived client does not need the optimising JIT.
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-cp",
                    JAVA_CLASSES,
                    "TlsClient",
                    "{host}",
                    "{port}",
                    "{sni}",
                    "{ca_p12}",
                    "{p12_password}",
                ],
                &["{client_p12}", "{p12_password}"],
                &[],
            ],
        }
    }
}

/// A client to run against every scenario: a built-in profile or a command template.
#[derive(Debug)]
pub struct Client {
    /// Its name in reports: the profile, or the template's program.
    pub name: String,
    words: Vec<String>,
    identity: Vec<String>,
    last: Vec<String>,
    /// Keeps the java profile's compiled client for as long as the client lives.
    _java: Option<JavaClasses>,
}

impl Client {
    /// A built-in profile; `java` compiles its client here.
    pub fn profile(profile: Profile) -> Result<Self, RunError> {
        let java = match profile {
            Profile::Java => Some(JavaClasses::compile()?),
            _ => None,
        };
        let classes = java
            .as_ref()
            .map(|j| j.dir().display().to_string())
            .unwrap_or_default();
        let [words, identity, last] = profile.template().map(|part| {
            part.iter()
                .map(|w| w.replace(JAVA_CLASSES, &classes))
                .collect()
        });
        Ok(Self {
            name: profile.to_string(),
            words,
            identity,
            last,
            _java: java,
        })
    }

    /// A command template with `{placeholders}`, named by its program.
    pub fn command(words: Vec<String>) -> Result<Self, RunError> {
        let program = words.first().ok_or(RunError::NoCommand)?;
        let name = Path::new(program)
            .file_name()
            .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            name,
            words,
            identity: Vec::new(),
            last: Vec::new(),
            _java: None,
        })
    }

    /// The template for `sc`, with the identity words when it asks for a client certificate.
    fn template(&self, sc: &Scenario) -> Vec<String> {
        let identity: &[String] = if sc.client_identity().is_some() {
            &self.identity
        } else {
            &[]
        };
        [&self.words[..], identity, &self.last].concat()
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
    /// Two clients have the same name, so their outcomes could not be told apart.
    #[error("client `{0}` given twice (hint: give each client once)")]
    DuplicateClient(String),
    /// A client's transcript directory could not be made.
    #[error("cannot create transcript directory {}: {source} (hint: check --transcript DIR)", dir.display())]
    Transcript {
        /// The directory.
        dir: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The java profile's client did not compile.
    #[error("cannot compile the java client: {reason} (hint: the java profile needs a JDK 11 or newer, `javac` and `java` on PATH)")]
    JavaCompile {
        /// What failed.
        reason: String,
    },
}

/// The verdict of one scenario × client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunVerdict {
    /// Every expectation held.
    Pass,
    /// An expectation did not hold.
    Fail,
    /// The run was interrupted (SIGINT, SIGTERM) before this one finished.
    NotRun,
}

impl RunVerdict {
    /// `pass`, `fail` or `not_run`, as in the JSON lines and the HTML report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NotRun => "not_run",
        }
    }

    /// What a person reads in the table and the HTML report: `pass`, `FAIL`, `not run`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "FAIL",
            Self::NotRun => "not run",
        }
    }
}

/// One scenario × client outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The scenario.
    pub scenario: String,
    /// The client (profile name or program).
    pub client: String,
    /// Whether every expectation held, the server's and `client_exit` (false when not run).
    pub passed: bool,
    /// Pass, fail, or not run.
    pub verdict: RunVerdict,
    /// Expected versus observed, per field.
    pub mismatches: Vec<Mismatch>,
    /// The client's exit code (`None`: killed by the timeout or a signal).
    pub exit: Option<i32>,
    /// The last lines of the client's output.
    pub output_tail: String,
    /// The server's one-line summary of the connection.
    pub server_log: String,
    /// The connection's handshake transcript, OpenSSL `-msg` style; empty when the
    /// engine records none.
    pub transcript: String,
}

impl Outcome {
    /// The outcome of a run an interrupt stopped or never let start.
    fn not_run(scenario: &str, client: &str) -> Self {
        Self {
            scenario: scenario.to_string(),
            client: client.to_string(),
            passed: false,
            verdict: RunVerdict::NotRun,
            mismatches: Vec::new(),
            exit: None,
            output_tail: String::new(),
            server_log: String::new(),
            transcript: String::new(),
        }
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct RunReport {
    /// One outcome per scenario × client, in scenario order, then client order; those an
    /// interrupt stopped are [`RunVerdict::NotRun`].
    pub outcomes: Vec<Outcome>,
    /// Whether the interrupt ended the run.
    pub interrupted: bool,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenario × client runs at once.
    pub jobs: usize,
    /// How long a client may take.
    pub timeout: Duration,
    /// Advanced once per finished run; its message names the latest started.
    pub progress: ProgressBar,
    /// How each scenario server runs (key log, pcap, transcripts). Transcripts go to
    /// `transcript_dir/CLIENT/`, so clients of one scenario do not overwrite each other.
    pub server: ServerOptions,
}

/// A client name as a file name: `curl (command)` → `curl__command_`.
fn file_name(client: &str) -> String {
    client
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect()
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
    if let Some(id) = sc.client_identity().and_then(|name| pki.entity(name).ok()) {
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

/// Run every client against each scenario, each run on a fresh server (at most
/// `options.jobs` at once); outcomes in scenario order, then client order. When
/// `interrupt` completes first, the runs under way are stopped (their clients' process
/// groups killed) and every run without an outcome is marked not run.
pub async fn run(
    scenarios: Vec<Scenario>,
    pki: Arc<Pki>,
    clients: &[Client],
    options: &RunOptions,
    interrupt: impl Future<Output = ()>,
) -> Result<RunReport, RunError> {
    let mut names = HashSet::new();
    if let Some(twice) = clients.iter().find(|c| !names.insert(&c.name)) {
        return Err(RunError::DuplicateClient(twice.name.clone()));
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    // Runs take their slots in order (the task scheduler would start them in any), so
    // an interrupt leaves the last ones not run: the index whose turn it is.
    let turn = Arc::new(tokio::sync::watch::Sender::new(0usize));
    // Dropping the set (on an error) aborts the other runs and kills their clients.
    let mut runs = tokio::task::JoinSet::new();
    let pairs: Vec<(&Scenario, &Client)> = scenarios
        .iter()
        .flat_map(|sc| clients.iter().map(move |client| (sc, client)))
        .collect();
    for (index, &(sc, client)) in pairs.iter().enumerate() {
        let job = Job {
            scenario: sc.clone(),
            client: client.name.clone(),
            template: client.template(sc),
        };
        let (pki, limit, options) = (pki.clone(), limit.clone(), options.clone());
        let turn = turn.clone();
        runs.spawn(async move {
            // Every task holds the sender, so the wait ends only on this run's turn.
            let _ = turn.subscribe().wait_for(|&t| t == index).await;
            let _slot = limit.acquire_owned().await;
            turn.send_modify(|t| *t += 1);
            let outcome = job.run(&pki, &options).await;
            options.progress.inc(1);
            (index, outcome)
        });
    }
    let mut outcomes: Vec<Option<Outcome>> = pairs.iter().map(|_| None).collect();
    let mut interrupted = false;
    // Polled until it completes once, then disabled by the branch's condition.
    let mut interrupt = std::pin::pin!(interrupt);
    loop {
        let done = tokio::select! {
            done = runs.join_next() => done,
            () = &mut interrupt, if !interrupted => {
                interrupted = true;
                // Each aborted run's future is dropped before join_next reports it,
                // and with it its client (see ClientGroup).
                runs.abort_all();
                continue;
            }
        };
        let Some(done) = done else { break };
        let (index, outcome) = match done {
            Ok(done) => done,
            Err(e) if e.is_cancelled() => continue,
            // Only an interrupt cancels a run, so any other error is a panic: pass it on.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        outcomes[index] = Some(outcome?);
    }
    let outcomes = outcomes
        .into_iter()
        .zip(&pairs)
        .map(|(o, (sc, client))| o.unwrap_or_else(|| Outcome::not_run(&sc.name, &client.name)))
        .collect();
    Ok(RunReport {
        outcomes,
        interrupted,
    })
}

/// A client's process group (the client leads its own), killed when dropped: at the end
/// of its run, on the timeout, or when an interrupt aborts the run, so no grandchild the
/// client started outlives it. The group's id stays taken while any member lives, so the
/// kill cannot reach another group unless every member is gone and the id was reused
/// within the moment since; then it reaches nothing.
struct ClientGroup(Option<rustix::process::Pid>);

impl Drop for ClientGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // ESRCH: the group is already gone.
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

/// One client against one scenario.
struct Job {
    scenario: Scenario,
    client: String,
    template: Vec<String>,
}

impl Job {
    async fn run(self, pki: &Pki, options: &RunOptions) -> Result<Outcome, RunError> {
        options
            .progress
            .set_message(format!("{} × {}", self.scenario.name, self.client));
        let mut server_options = options.server.clone();
        if let Some(dir) = &server_options.transcript_dir {
            let dir = dir.join(file_name(&self.client));
            std::fs::create_dir_all(&dir).map_err(|source| RunError::Transcript {
                dir: dir.clone(),
                source,
            })?;
            server_options.transcript_dir = Some(dir);
        }
        let server = ScenarioServer::start(self.scenario, pki, &server_options).await?;
        let line = fill(&self.template, &server, pki);
        let (program, args) = line.split_first().ok_or(RunError::NoCommand)?;
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: a terminal's Ctrl-C reaches only quirktls, which then
            // kills the whole group.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| RunError::Spawn {
                program: program.clone(),
                source,
            })?;
        let _group = ClientGroup(
            child
                .id()
                .and_then(|id| rustix::process::Pid::from_raw(id as i32)),
        );
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin
                .write_all(b"GET / HTTP/1.1\r\nHost: quirktls\r\nConnection: close\r\n\r\n")
                .await;
        }
        let (exit, output) =
            match tokio::time::timeout(options.timeout, child.wait_with_output()).await {
                Ok(Ok(out)) => (out.status.code(), [out.stdout, out.stderr].concat()),
                _ => (None, b"(timed out)".to_vec()),
            };
        let observed = server.wait_for(1, Duration::from_secs(5)).await;
        let first = observed.as_deref().and_then(|o| o.first());
        Ok(outcome(
            server.scenario(),
            self.client,
            exit,
            &output,
            first,
        ))
    }
}

fn outcome(
    sc: &Scenario,
    client: String,
    exit: Option<i32>,
    output: &[u8],
    observed: Option<&Observation>,
) -> Outcome {
    let text = String::from_utf8_lossy(output);
    let tail: Vec<&str> = text.lines().rev().take(5).collect();
    let output_tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
    let mut verdict = match observed {
        Some(obs) => Verdict::check(&sc.name, &sc.expect, obs),
        None => Verdict {
            scenario: sc.name.clone(),
            mismatches: vec![Mismatch {
                field: "connection",
                expected: "one".into(),
                observed: "none".into(),
            }],
        },
    };
    verdict.check_client_exit(&sc.expect, exit);
    Outcome {
        scenario: sc.name.clone(),
        client,
        passed: verdict.passed(),
        verdict: if verdict.passed() {
            RunVerdict::Pass
        } else {
            RunVerdict::Fail
        },
        mismatches: verdict.mismatches,
        exit,
        output_tail,
        server_log: observed.map(Observation::log_line).unwrap_or_default(),
        transcript: observed
            .map(Observation::transcript_text)
            .unwrap_or_default(),
    }
}
