//! The scripted engine's interop matrix: every (version × suite) it plays, each served by
//! its own scenario built in code (`engine: scripted`, that one version, that one suite),
//! completed by `openssl s_client` and by `gnutls-cli` with an HTTP exchange.
//!
//! The matrix comes from the engine itself: its suite list, and the valid pairs from
//! which scenarios load (a TLS 1.2-only suite does not load with `versions: [tls1.0]`). A pair a client cannot speak (this OpenSSL
//! has no RC4 and no 3DES) is skipped explicitly, printed and counted in the summary line;
//! every attempted pair must pass.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::clients::{Client, Command, GnutlsCli, SClient};
use common::{negotiated, Run, HOST};
use quirktls::scenario::{self, Scenario, ScenarioError};
use quirktls::wire::CipherSuite;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Pairs run at once per client (each runs a client process and a handshake).
const CONCURRENCY: usize = 4;

/// The request every client sends, as the server logs it.
const REQUEST_LINE: &str = "GET / HTTP/1.1";

/// A protocol version by every name the matrix needs.
#[derive(Debug, Clone, Copy)]
struct Version {
    /// In scenario files: `tls1.0`.
    yaml: &'static str,
    /// As the server reports it: `TLS 1.0`.
    server: &'static str,
    /// s_client's flag: `-tls1`.
    s_client_flag: &'static str,
    /// s_client's `Protocol  :` line: `TLSv1`.
    openssl: &'static str,
    /// GnuTLS' name: `TLS1.0` (`+VERS-TLS1.0`, `- Description: (TLS1.0)…`).
    gnutls: &'static str,
}

const VERSIONS: [Version; 3] = [
    Version {
        yaml: "tls1.0",
        server: "TLS 1.0",
        s_client_flag: "-tls1",
        openssl: "TLSv1",
        gnutls: "TLS1.0",
    },
    Version {
        yaml: "tls1.1",
        server: "TLS 1.1",
        s_client_flag: "-tls1_1",
        openssl: "TLSv1.1",
        gnutls: "TLS1.1",
    },
    Version {
        yaml: "tls1.2",
        server: "TLS 1.2",
        s_client_flag: "-tls1_2",
        openssl: "TLSv1.2",
        gnutls: "TLS1.2",
    },
];

/// One cell of the matrix.
#[derive(Debug, Clone)]
struct Pair {
    version: Version,
    /// IANA name.
    suite: String,
}

impl Pair {
    fn label(&self) -> String {
        format!("{} {}", self.version.server, self.suite)
    }

    fn scenario_name(&self) -> String {
        format!(
            "matrix-{}-{}",
            self.version.yaml.replace('.', "-"),
            self.suite.to_ascii_lowercase().replace('_', "-")
        )
    }

    /// ECDHE_ECDSA suites need an ECDSA key; everything else here an RSA one.
    fn certificate(&self) -> &'static str {
        if self.suite.contains("_ECDSA_") {
            "server-ecdsa"
        } else {
            "server-rsa"
        }
    }

    fn yaml(&self) -> String {
        format!(
            "name: {}\n\
             description: |\n  Interop matrix cell: {} only.\n\
             engine: scripted\n\
             tls:\n  versions: [{}]\n  cipher_suites: [{}]\n  certificate: {}\n",
            self.scenario_name(),
            self.label(),
            self.version.yaml,
            self.suite,
            self.certificate()
        )
    }

    fn load(&self) -> Result<Scenario, ScenarioError> {
        let origin = format!("{}.yaml", self.scenario_name());
        scenario::load_str(&self.yaml(), &origin, common::spec())
    }

    /// The response body line: the server's default body names version and suite.
    fn greeting(&self) -> String {
        format!(
            "quirktls {}: {} {}, client cert: none",
            self.scenario_name(),
            self.version.server,
            self.suite
        )
    }
}

/// Every suite the scripted engine plays.
fn engine_suites() -> Vec<String> {
    scenario::EngineKind::Scripted
        .cipher_suites()
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// Every (version × suite) pair the engine accepts, TLS 1.0 first.
fn matrix() -> Vec<Pair> {
    let suites = engine_suites();
    let mut pairs = Vec::new();
    for version in VERSIONS {
        for suite in &suites {
            let pair = Pair {
                version,
                suite: suite.clone(),
            };
            match pair.load() {
                Ok(_) => pairs.push(pair),
                Err(ScenarioError::Invalid { message, .. })
                    if message.starts_with("no listed cipher suite works with") => {}
                Err(e) => panic!("{}: {e}", pair.label()),
            }
        }
    }
    pairs
}

/// The matrix is the engine's whole table: every suite at TLS 1.2, the SHA-1 and MD5 MAC
/// suites also at TLS 1.0 and 1.1, and the legacy suites the issue names are in it.
#[test]
fn matrix_covers_the_engine_table() {
    let suites = engine_suites();
    let pairs = matrix();
    for suite in &suites {
        let legacy = suite.ends_with("_SHA") || suite.ends_with("_MD5");
        // TLS 1.3's own suites have their matrix in tls13_scripted.
        let tls13 = !suite.contains("_WITH_");
        for v in VERSIONS {
            let present = pairs
                .iter()
                .any(|p| p.suite == *suite && p.version.yaml == v.yaml);
            let expected = !tls13 && (legacy || v.yaml == "tls1.2");
            assert_eq!(present, expected, "{} {suite}", v.server);
        }
        assert!(
            CipherSuite::from_name(suite).is_some(),
            "not an IANA name: {suite}"
        );
    }
    for named in [
        "TLS_RSA_WITH_RC4_128_MD5",
        "TLS_RSA_WITH_RC4_128_SHA",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ] {
        assert!(
            suites.iter().any(|s| s == named),
            "{named} missing: {suites:?}"
        );
    }
    println!(
        "scripted matrix: {} suites, {} (version × suite) pairs",
        suites.len(),
        pairs.len()
    );
}

/// How one client attempts one pair.
#[derive(Debug, Clone)]
enum Attempt {
    /// s_client with this OpenSSL cipher name.
    SClient { cipher: String },
    /// gnutls-cli with this priority string.
    Gnutls { priority: String },
}

impl Attempt {
    fn command(&self, pair: &Pair, server: &quirktls::server::ScenarioServer) -> Command {
        match self {
            Self::SClient { cipher } => SClient::named(HOST)
                .args(&[
                    pair.version.s_client_flag,
                    "-cipher",
                    &format!("{cipher}@SECLEVEL=0"),
                ])
                .command(server),
            Self::Gnutls { priority } => GnutlsCli::with_priority(priority).command(server),
        }
    }

    async fn run(&self, pair: &Pair, server: &quirktls::server::ScenarioServer) -> Run {
        let Command {
            program,
            args,
            stdin,
        } = self.command(pair, server);
        match self {
            Self::SClient { .. } => common::run(program, &args, &stdin).await,
            Self::Gnutls { .. } => {
                common::run_holding_stdin(program, &args, &stdin, Duration::from_secs(10)).await
            }
        }
    }

    /// What the client's own output shows of the session, besides the response.
    fn client_evidence(&self, pair: &Pair) -> Vec<String> {
        match self {
            Self::SClient { cipher } => vec![
                format!("Protocol  : {}\n", pair.version.openssl),
                format!("Cipher    : {cipher}\n"),
            ],
            Self::Gnutls { .. } => vec![
                format!("- Description: ({}", pair.version.gnutls),
                "- Handshake was completed".into(),
            ],
        }
    }
}

/// Serve `pair` on its own scenario, run the client, and check both sides: exit 0, the
/// response body naming version and suite, the client's view of the session, and the
/// server's `Negotiated` event, request line and absence of alerts.
async fn attempt(pair: Pair, how: Attempt) -> Result<(), String> {
    let server = common::start_scenario(pair.load().map_err(|e| e.to_string())?).await;
    let run = how.run(&pair, &server).await;
    let out = run.output();
    let mut problems = Vec::new();
    if run.status != Some(0) {
        problems.push(format!("exit status {:?}", run.status));
    }
    if !run.stdout.contains(&pair.greeting()) {
        problems.push(format!("no response body {:?}", pair.greeting()));
    }
    for needle in how.client_evidence(&pair) {
        if !out.contains(&needle) {
            problems.push(format!("client output lacks {needle:?}"));
        }
    }
    match server.wait_for(1, Duration::from_secs(15)).await {
        None => problems.push("the server observed no finished connection".into()),
        Some(all) => {
            let obs = &all[0];
            let log = obs.log_line();
            match negotiated(obs) {
                None => problems.push(format!("server: handshake did not complete: {log}")),
                Some(n) => {
                    if n.version != pair.version.server || n.cipher_suite != pair.suite {
                        problems.push(format!(
                            "server negotiated {} {}",
                            n.version, n.cipher_suite
                        ));
                    }
                }
            }
            if obs.http_request() != Some(REQUEST_LINE) {
                problems.push(format!("server saw request {:?}", obs.http_request()));
            }
            problems.extend(common::alert_problems(obs));
            if !problems.is_empty() {
                problems.push(format!("server log: {log}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n--- client output ---\n{out}",
            problems.join("; ")
        ))
    }
}

/// Run every attempt (at most [`CONCURRENCY`] at once), print one line per skip, the
/// failures and the summary line, and assert every attempted pair passed.
async fn run_matrix(client: &str, plan: Vec<(Pair, Result<Attempt, String>)>) {
    let total = plan.len();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut tasks = JoinSet::new();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    for (pair, how) in plan {
        match how {
            Err(reason) => {
                println!("scripted matrix: {client} SKIP {}: {reason}", pair.label());
                *skipped.entry(reason).or_default() += 1;
            }
            Ok(how) => {
                let permits = permits.clone();
                tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await.expect("semaphore open");
                    let label = pair.label();
                    (label, attempt(pair, how).await)
                });
            }
        }
    }
    let attempted = tasks.len();
    let mut failures = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (label, result) = done.expect("matrix task panicked");
        if let Err(why) = result {
            failures.push(format!("{label}: {why}"));
        }
    }
    failures.sort();
    let skips = skipped.values().sum::<usize>();
    let reasons = skipped
        .iter()
        .map(|(reason, n)| format!("{reason}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!(
        "scripted matrix: {client} {}/{attempted} passed, {skips} skipped{} of {total} pairs",
        attempted - failures.len(),
        if skips > 0 {
            format!(" ({reasons})")
        } else {
            String::new()
        }
    );
    println!("{summary}");
    assert!(attempted > 0, "{summary}");
    assert!(
        failures.is_empty(),
        "{summary}\n\n{}",
        failures.join("\n\n")
    );
}

/// Why a client may lack a suite: the legacy ciphers and MACs a build can leave out.
fn legacy_part(suite: &str) -> Option<&'static str> {
    if suite.contains("_RC4_") {
        Some("RC4")
    } else if suite.contains("_3DES_") {
        Some("3DES")
    } else if suite.ends_with("_MD5") {
        Some("MD5")
    } else {
        None
    }
}

/// IANA → OpenSSL names of every suite this OpenSSL has, from `openssl ciphers -stdname`.
fn openssl_names() -> BTreeMap<String, String> {
    let out = std::process::Command::new("openssl")
        .args(["ciphers", "-stdname", "ALL:@SECLEVEL=0"])
        .output()
        .expect("run openssl ciphers (make deps installs openssl)");
    assert!(out.status.success(), "openssl ciphers failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let (iana, dash, name) = (words.next()?, words.next()?, words.next()?);
            (dash == "-").then(|| (iana.to_string(), name.to_string()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_completes_every_pair_it_can_speak() {
    let names = openssl_names();
    let plan: Vec<_> = matrix()
        .into_iter()
        .map(|pair| {
            let how = match names.get(&pair.suite) {
                Some(cipher) => Ok(Attempt::SClient {
                    cipher: cipher.clone(),
                }),
                None => {
                    // Only the legacy ciphers may be missing; anything else is a mapping bug.
                    let part = legacy_part(&pair.suite).unwrap_or_else(|| {
                        panic!("{} missing from `openssl ciphers -stdname`", pair.suite)
                    });
                    Err(format!("no {part} in this OpenSSL"))
                }
            };
            (pair, how)
        })
        .collect();
    run_matrix("openssl", plan).await;
}

/// The GnuTLS priority string that allows exactly `pair`, or why there is none.
fn gnutls_priority(pair: &Pair) -> Result<String, String> {
    let s = pair.suite.as_str();
    let (kx, rest) = [
        ("TLS_RSA_WITH_", "RSA"),
        ("TLS_ECDHE_RSA_WITH_", "ECDHE-RSA"),
        ("TLS_ECDHE_ECDSA_WITH_", "ECDHE-ECDSA"),
    ]
    .iter()
    .find_map(|(prefix, kx)| s.strip_prefix(prefix).map(|rest| (*kx, rest)))
    .ok_or_else(|| format!("no GnuTLS key exchange for {s}"))?;
    let (cipher, mac) = [
        ("AES_128_GCM_", "AES-128-GCM"),
        ("AES_256_GCM_", "AES-256-GCM"),
        ("AES_128_CBC_", "AES-128-CBC"),
        ("AES_256_CBC_", "AES-256-CBC"),
        ("3DES_EDE_CBC_", "3DES-CBC"),
        ("RC4_128_", "ARCFOUR-128"),
    ]
    .iter()
    .find_map(|(prefix, cipher)| rest.strip_prefix(prefix).map(|mac| (*cipher, mac)))
    .ok_or_else(|| format!("no GnuTLS cipher for {s}"))?;
    let mac = match (cipher.ends_with("GCM"), mac) {
        (true, _) => "AEAD",
        (false, "SHA") => "SHA1",
        (false, "SHA256") => "SHA256",
        (false, "SHA384") => "SHA384",
        (false, "MD5") => "MD5",
        _ => return Err(format!("no GnuTLS MAC for {s}")),
    };
    Ok(format!(
        "NORMAL:-VERS-ALL:+VERS-{}:-KX-ALL:+{kx}:-CIPHER-ALL:+{cipher}:-MAC-ALL:+{mac}:%LATEST_RECORD_VERSION",
        pair.version.gnutls
    ))
}

/// Whether `gnutls-cli --list --priority PRIORITY` lists the suite's code point.
fn gnutls_allows(priority: &str, suite: &str) -> Result<(), String> {
    let id = CipherSuite::from_name(suite).expect("IANA name").0;
    let code = format!("0x{:02x}, 0x{:02x}", id >> 8, id & 0xff);
    let out = std::process::Command::new("gnutls-cli")
        .args(["--list", "--priority", priority])
        .output()
        .expect("run gnutls-cli (make deps installs gnutls-bin)");
    let listing = String::from_utf8_lossy(&out.stdout);
    if listing.lines().any(|l| l.contains(&code)) {
        Ok(())
    } else {
        Err(format!(
            "this GnuTLS does not list {code} for its priority string"
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnutls_cli_completes_every_pair_its_priority_strings_allow() {
    let plan: Vec<_> = matrix()
        .into_iter()
        .map(|pair| {
            let how = gnutls_priority(&pair).and_then(|priority| {
                gnutls_allows(&priority, &pair.suite)?;
                Ok(Attempt::Gnutls { priority })
            });
            if let Err(why) = &how {
                // Only the legacy ciphers may be missing; anything else is a mapping bug.
                assert!(
                    legacy_part(&pair.suite).is_some(),
                    "{}: {why}",
                    pair.label()
                );
            }
            (pair, how)
        })
        .collect();
    run_matrix("gnutls-cli", plan).await;
}
