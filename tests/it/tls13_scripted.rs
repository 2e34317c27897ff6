//! TLS 1.3 on the scripted engine: the interop matrix (every group × suite × signature
//! scheme the engine plays, completed by `openssl s_client -tls1_3` with an HTTP
//! exchange; X25519MLKEM768, which this OpenSSL lacks, by the rustls client), the
//! `tls13-scripted-baseline` control against every client program, tshark decrypting a
//! capture, client authentication, and a TLS 1.2 + 1.3 scenario's version choice with
//! the RFC 8446 §4.1.3 downgrade sentinel.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::clients::{Client, Curl, GnutlsCli, Java, Python, SClient};
use common::{negotiated, HOST};
use quirktls::observe::{Direction, Event, Observation};
use quirktls::scenario::{self, Scenario};
use quirktls::server::ScenarioServer;
use quirktls::wire::{AlertDescription, ContentType};
use rustls::crypto::aws_lc_rs::{self as provider, kx_group};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Cells run at once (each runs a client process and a handshake).
const CONCURRENCY: usize = 4;

/// Groups: (scenario name, s_client `-groups` name; `None`: not in this OpenSSL).
const GROUPS: [(&str, Option<&str>); 4] = [
    ("x25519", Some("X25519")),
    ("secp256r1", Some("P-256")),
    ("secp384r1", Some("P-384")),
    ("x25519mlkem768", None),
];

const SUITES: [&str; 3] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// Signature schemes and the certificate whose key makes them; s_client's
/// `Peer signature type` for each.
const SCHEMES: [(&str, &str, &str); 6] = [
    ("rsa_pss_rsae_sha256", "server-rsa", "RSA-PSS"),
    ("rsa_pss_rsae_sha384", "server-rsa", "RSA-PSS"),
    ("rsa_pss_rsae_sha512", "server-rsa", "RSA-PSS"),
    ("ecdsa_secp256r1_sha256", "server-ecdsa", "ECDSA"),
    ("ecdsa_secp384r1_sha384", "server-ecdsa-p384", "ECDSA"),
    ("ed25519", "server-ed25519", "ed25519"),
];

/// One cell: the scenario serving exactly this group, suite and certificate.
#[derive(Debug, Clone, Copy)]
struct Cell {
    group: (&'static str, Option<&'static str>),
    suite: &'static str,
    scheme: (&'static str, &'static str, &'static str),
}

impl Cell {
    fn name(&self) -> String {
        format!(
            "tls13-{}-{}-{}",
            self.group.0.to_ascii_lowercase(),
            self.suite.to_ascii_lowercase().replace('_', "-"),
            self.scheme.0.replace('_', "-")
        )
    }

    fn scenario(&self) -> Scenario {
        let yaml = format!(
            "name: {}\ndescription: TLS 1.3 matrix cell.\nengine: scripted\n\
             tls:\n  versions: [tls1.3]\n  cipher_suites: [{}]\n  groups: [{}]\n  certificate: {}\n",
            self.name(),
            self.suite,
            self.group.0,
            self.scheme.1
        );
        scenario::load_str(&yaml, &format!("{}.yaml", self.name()), common::spec())
            .expect("matrix cell loads")
    }
}

fn matrix() -> Vec<Cell> {
    let mut cells = Vec::new();
    for group in GROUPS {
        for suite in SUITES {
            for scheme in SCHEMES {
                cells.push(Cell {
                    group,
                    suite,
                    scheme,
                });
            }
        }
    }
    cells
}

/// What the server must have seen of a completed cell: TLS 1.3 with the suite, the
/// request, no alert either way.
fn server_problems(obs: &Observation, suite: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match negotiated(obs) {
        Some(n) if n.version == "TLS 1.3" && n.cipher_suite == suite => {}
        other => problems.push(format!("server negotiated {other:?}: {}", obs.log_line())),
    }
    if !obs.http_request().is_some_and(|r| r.starts_with("GET /")) {
        problems.push(format!("server saw request {:?}", obs.http_request()));
    }
    problems.extend(common::alert_problems(obs));
    problems
}

/// s_client pinned to the cell's group, suite and scheme: exit 0, the body, its own
/// view of the session, and the server's.
async fn s_client_cell(cell: Cell, group: &str) -> Result<(), String> {
    let server = common::start_scenario(cell.scenario()).await;
    let client = SClient::named(HOST).args(&[
        "-tls1_3",
        "-groups",
        group,
        "-ciphersuites",
        cell.suite,
        "-sigalgs",
        cell.scheme.0,
    ]);
    let run = client.run(&server).await;
    let out = run.output();
    let mut problems = Vec::new();
    if run.status != Some(0) {
        problems.push(format!("exit status {:?}", run.status));
    }
    let greeting = format!("quirktls {}: TLS 1.3 {}", cell.name(), cell.suite);
    for needle in [
        greeting.as_str(),
        &format!("New, TLSv1.3, Cipher is {}", cell.suite),
        &format!("Peer signature type: {}", cell.scheme.2),
    ] {
        if !out.contains(needle) {
            problems.push(format!("client output lacks {needle:?}"));
        }
    }
    let obs = common::observation(&server, 1).await;
    problems.extend(server_problems(&obs, cell.suite));
    match problems.is_empty() {
        true => Ok(()),
        false => Err(format!("{}\n--- client ---\n{out}", problems.join("; "))),
    }
}

/// A rustls client config with one group and one suite, trusting the test CA.
fn rustls_config(group: &str, suite: Option<&str>) -> rustls::ClientConfig {
    let group = match group {
        "x25519" => kx_group::X25519,
        "secp256r1" => kx_group::SECP256R1,
        "secp384r1" => kx_group::SECP384R1,
        _ => kx_group::X25519MLKEM768,
    };
    let suites = provider::ALL_CIPHER_SUITES
        .iter()
        .filter(|s| {
            suite.is_none_or(|name| s.suite().as_str() == Some(&name.replace("TLS_", "TLS13_")))
        })
        .copied()
        .collect();
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: suites,
        kx_groups: vec![group],
        ..provider::default_provider()
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_roots() {
        roots.add(cert).expect("test CA");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn rustls_pki_roots() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_file_iter(common::ca_bundle())
        .expect("CA bundle")
        .map(|c| c.expect("PEM certificate"))
        .collect()
}

/// One rustls connection with a GET: the negotiated group and suite, and the response.
async fn rustls_get(
    server: &ScenarioServer,
    config: rustls::ClientConfig,
) -> Result<(String, String, String), String> {
    let tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from(HOST).unwrap();
    let mut tls = tokio::time::timeout(Duration::from_secs(15), connector.connect(name, tcp))
        .await
        .map_err(|_| "handshake timed out".to_string())?
        .map_err(|e| format!("handshake: {e}"))?;
    let (_, conn) = tls.get_ref();
    let group = format!(
        "{:?}",
        conn.negotiated_key_exchange_group().map(|g| g.name())
    );
    let suite = format!("{:?}", conn.negotiated_cipher_suite().map(|s| s.suite()));
    let request = format!("GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n");
    let mut body = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), async {
        tls.write_all(request.as_bytes()).await?;
        tls.read_to_end(&mut body).await
    })
    .await
    .map_err(|_| "response timed out".to_string())?
    .map_err(|e| format!("response: {e}"))?;
    Ok((group, suite, String::from_utf8_lossy(&body).into_owned()))
}

async fn rustls_cell(cell: Cell) -> Result<(), String> {
    let server = common::start_scenario(cell.scenario()).await;
    let config = rustls_config(cell.group.0, Some(cell.suite));
    let (group, suite, body) = rustls_get(&server, config).await?;
    let mut problems = Vec::new();
    if group != "Some(X25519MLKEM768)" {
        problems.push(format!("client negotiated group {group}"));
    }
    if !suite.contains(&cell.suite.replace("TLS_", "TLS13_")) {
        problems.push(format!("client negotiated suite {suite}"));
    }
    let greeting = format!("quirktls {}: TLS 1.3 {}", cell.name(), cell.suite);
    if !body.starts_with("HTTP/1.1 200") || !body.contains(&greeting) {
        problems.push(format!("response {body:?}"));
    }
    let obs = common::observation(&server, 1).await;
    problems.extend(server_problems(&obs, cell.suite));
    match problems.is_empty() {
        true => Ok(()),
        false => Err(problems.join("; ")),
    }
}

/// Every cell of the matrix, s_client where its OpenSSL has the group, the rustls
/// client otherwise; all must pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_group_suite_and_scheme_completes_with_http() {
    let cells = matrix();
    let total = cells.len();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    for cell in cells {
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            let result = match cell.group.1 {
                Some(group) => s_client_cell(cell, group).await,
                None => rustls_cell(cell).await,
            };
            (cell.name(), cell.group.1.is_some(), result)
        });
    }
    let (mut failures, mut by_openssl) = (Vec::new(), 0);
    while let Some(done) = tasks.join_next().await {
        let (name, openssl, result) = done.expect("cell task panicked");
        by_openssl += usize::from(openssl);
        if let Err(why) = result {
            failures.push(format!("{name}: {why}"));
        }
    }
    failures.sort();
    let summary = format!(
        "tls13 scripted matrix: {}/{total} passed ({by_openssl} by openssl s_client, {} by rustls: X25519MLKEM768)",
        total - failures.len(),
        total - by_openssl
    );
    println!("{summary}");
    assert_eq!(total, 4 * 3 * 6);
    assert!(
        failures.is_empty(),
        "{summary}\n\n{}",
        failures.join("\n\n")
    );
}

const BASELINE: &str = "tls13-scripted-baseline";

/// The baseline's greeting as its body carries it.
fn baseline_greeting(suite: &str) -> String {
    format!("quirktls {BASELINE}: TLS 1.3 {suite}")
}

/// Every client program completes the baseline with TLS 1.3 and gets the page; the
/// server saw TLS 1.3, the request and no alert.
#[tokio::test]
async fn every_client_completes_the_baseline() {
    let clients: Vec<(&str, Box<dyn ClientBox>)> = vec![
        ("openssl", Box::new(SClient::named(HOST).args(&["-tls1_3"]))),
        ("curl", Box::new(Curl::get(HOST, "/").args(&["--tlsv1.3"]))),
        ("python", Box::new(Python::get(HOST, "/"))),
        (
            "gnutls-cli",
            Box::new(GnutlsCli::with_priority("NORMAL:-VERS-ALL:+VERS-TLS1.3")),
        ),
        ("java", Box::new(Java::to(HOST))),
    ];
    for (who, client) in clients {
        let server = common::start(BASELINE).await;
        let run = client.run_boxed(&server).await;
        let obs = common::observation(&server, 1).await;
        let n = negotiated(&obs).unwrap_or_else(|| panic!("{who}: {}", obs.log_line()));
        assert_eq!(n.version, "TLS 1.3", "{who}");
        assert_eq!(run.status, Some(0), "{who}: {}", run.output());
        assert!(
            run.output().contains(&baseline_greeting(&n.cipher_suite)),
            "{who}: {}",
            run.output()
        );
        assert_eq!(
            server_problems(&obs, &n.cipher_suite),
            Vec::<String>::new(),
            "{who}"
        );
    }
}

/// The client programs behind one object, for the table above.
trait ClientBox {
    fn run_boxed<'a>(
        &'a self,
        server: &'a ScenarioServer,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = common::Run> + 'a>>;
}

impl<C: Client> ClientBox for C {
    fn run_boxed<'a>(
        &'a self,
        server: &'a ScenarioServer,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = common::Run> + 'a>> {
        Box::pin(async move {
            let common::clients::Command {
                program,
                args,
                stdin,
            } = self.command(server);
            match program {
                // gnutls-cli ends the session at EOF on stdin: hold it open.
                "gnutls-cli" => {
                    common::run_holding_stdin(program, &args, &stdin, Duration::from_secs(10)).await
                }
                _ => common::run(program, &args, &stdin).await,
            }
        })
    }
}

/// Node's https module completes the baseline.
#[tokio::test]
async fn node_completes_the_baseline() {
    let server = common::start(BASELINE).await;
    let script = format!(
        "const https = require('https'); const fs = require('fs');\
         https.get({{host: '127.0.0.1', port: {}, servername: '{HOST}', path: '/',\
           ca: fs.readFileSync('{}'), minVersion: 'TLSv1.3'}}, (res) => {{\
           let body = ''; res.on('data', (d) => body += d);\
           res.on('end', () => {{ console.log(res.socket.getProtocol() + ' ' + res.statusCode); console.log(body); }});\
         }}).on('error', (e) => {{ console.error(e); process.exit(1); }});",
        server.addr().port(),
        common::ca_bundle().display()
    );
    let run = common::run("node", &common::args(&["-e", &script]), &[]).await;
    assert_eq!(run.status, Some(0), "{}", run.output());
    let obs = common::observation(&server, 1).await;
    let n = negotiated(&obs).expect("completed");
    assert!(run.stdout.starts_with("TLSv1.3 200\n"), "{}", run.output());
    assert!(
        run.stdout.contains(&baseline_greeting(&n.cipher_suite)),
        "{}",
        run.output()
    );
}

/// The rustls client with X25519MLKEM768 as its only group: the hybrid share, and the
/// server's key log carries every TLS 1.3 secret.
#[tokio::test]
async fn rustls_completes_the_baseline_with_x25519mlkem768() {
    let server = common::start(BASELINE).await;
    let (group, _, body) = rustls_get(&server, rustls_config("x25519mlkem768", None))
        .await
        .unwrap();
    assert_eq!(group, "Some(X25519MLKEM768)");
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    let obs = common::observation(&server, 1).await;
    assert_eq!(negotiated(&obs).unwrap().version, "TLS 1.3");
}

/// A client whose first key share is for a group the server does not take gets a
/// HelloRetryRequest for one it does, then completes; the transcript names each
/// message, the encrypted ones included.
#[tokio::test]
async fn a_key_share_the_server_lacks_gets_a_hello_retry_request() {
    let (run, obs) = SClient::named(HOST)
        .args(&["-tls1_3", "-groups", "ffdhe2048:P-256"])
        .once(BASELINE)
        .await;
    assert_eq!(run.status, Some(0), "{}", run.output());
    assert!(
        run.output().contains("Server Temp Key: ECDH, prime256v1"),
        "{}",
        run.output()
    );
    let sent: Vec<&str> = obs.transcript.iter().map(|l| l.what.as_str()).collect();
    assert_eq!(
        sent[..11],
        [
            "ClientHello",
            "ServerHello", // the HelloRetryRequest (same message type)
            "ChangeCipherSpec",
            "ChangeCipherSpec",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished",
            "Finished",
        ][..],
        "{sent:?}"
    );
    // The retry: the special random, then a ServerHello that selects P-256 (0x0017).
    let hellos: Vec<&Vec<u8>> = obs
        .transcript
        .iter()
        .filter(|l| l.direction == Direction::Sent && l.what == "ServerHello")
        .map(|l| &l.bytes)
        .collect();
    assert_eq!(
        hellos[0][6..14],
        [0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11]
    );
    assert_ne!(hellos[1][6..14], hellos[0][6..14]);
    assert!(
        hellos[1].windows(4).any(|w| w == [0, 0x33, 0, 0x45]),
        "key_share of P-256"
    );
}

/// Required client authentication: s_client with the client identity gets the page and
/// the server reports its certificate; without one, the server answers the empty
/// Certificate with certificate_required (116).
#[tokio::test]
async fn client_auth_required_takes_a_certificate_and_refuses_none() {
    let yaml = "name: tls13-mtls-required\ndescription: TLS 1.3 client auth.\n\
                engine: scripted\ntls:\n  versions: [tls1.3]\n  certificate: server-rsa\n  \
                client_auth:\n    mode: required\n    trust: [client-ca]\n    ca_names: [client-ca]\n";
    let scenario = || scenario::load_str(yaml, "tls13-mtls-required.yaml", common::spec()).unwrap();

    let server = common::start_scenario(scenario()).await;
    let run = SClient::named(HOST)
        .with_identity()
        .args(&["-tls1_3"])
        .run(&server)
        .await;
    let obs = common::observation(&server, 1).await;
    assert_eq!(run.status, Some(0), "{}", run.output());
    assert!(
        run.output().contains(&common::client_cert_line()),
        "{}",
        run.output()
    );
    assert!(
        obs.events()
            .any(|e| matches!(e, Event::ClientCertificate { .. })),
        "{}",
        obs.log_line()
    );
    // The CertificateRequest named client-ca: s_client lists it.
    assert!(
        run.output()
            .contains("Acceptable client certificate CA names"),
        "{}",
        run.output()
    );

    let server = common::start_scenario(scenario()).await;
    let run = SClient::named(HOST).args(&["-tls1_3"]).run(&server).await;
    let obs = common::observation(&server, 1).await;
    assert!(negotiated(&obs).is_none(), "{}", obs.log_line());
    assert!(
        obs.alerts_sent()
            .iter()
            .any(|a| a.description == AlertDescription::CERTIFICATE_REQUIRED),
        "{:?}",
        obs.alerts_sent()
    );
    assert!(
        common::handshake_failures(&obs).contains("client sent no certificate"),
        "{}",
        obs.log_line()
    );
    assert!(
        run.output().contains("certificate required"),
        "{}",
        run.output()
    );
}

/// `versions: [tls1.2, tls1.3]`: a TLS 1.3 client gets TLS 1.3; a TLS 1.2-only client
/// gets TLS 1.2, and the ServerHello.random ends in the downgrade sentinel.
#[tokio::test]
async fn both_versions_answer_each_client_with_its_own_and_mark_the_downgrade() {
    let yaml = "name: tls12-and-tls13\ndescription: Both versions.\nengine: scripted\n\
                tls:\n  versions: [tls1.2, tls1.3]\n  certificate: server-rsa\n";
    let scenario = || scenario::load_str(yaml, "tls12-and-tls13.yaml", common::spec()).unwrap();
    let server = common::start_scenario(scenario()).await;
    let run = SClient::named(HOST).run(&server).await;
    assert_eq!(run.status, Some(0), "{}", run.output());
    let obs = common::observation(&server, 1).await;
    assert_eq!(negotiated(&obs).unwrap().version, "TLS 1.3");

    let server = common::start_scenario(scenario()).await;
    let run = SClient::named(HOST).args(&["-tls1_2"]).run(&server).await;
    assert_eq!(run.status, Some(0), "{}", run.output());
    let obs = common::observation(&server, 1).await;
    assert_eq!(negotiated(&obs).unwrap().version, "TLS 1.2");
    let hello = obs
        .transcript
        .iter()
        .find(|l| l.direction == Direction::Sent && l.what == "ServerHello")
        .expect("a ServerHello");
    assert_eq!(hello.content_type, ContentType::HANDSHAKE);
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3
    //# If negotiating TLS 1.2, TLS 1.3 servers MUST set the last 8 bytes of
    //# their Random value to the bytes:
    //#
    //#   44 4F 57 4E 47 52 44 01
    assert_eq!(hello.bytes[30..38], *b"DOWNGRD\x01");
}

/// `--pcap` + `--keylog`: tshark decrypts the TLS 1.3 request and response with the
/// key log's handshake and traffic secrets.
#[test]
fn tshark_decrypts_a_tls13_capture() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, keylog) = (dir.path().join("c.pcap"), dir.path().join("keys.log"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_quirktls"))
        .args([
            "serve", "--json", "--quiet", "--events", "-", BASELINE, "--pcap",
        ])
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keylog)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn quirktls serve");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let ready: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let port = ready["port"].as_u64().unwrap();
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "--tlsv1.3", "--cacert"])
        .arg(ready["ca_file"].as_str().unwrap())
        .arg("--resolve")
        .arg(format!("{HOST}:{port}:127.0.0.1"))
        .arg(format!("https://{HOST}:{port}/tls13-pcap-check"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The connection is in the capture once its `closed` event is out.
    let closed = lines.any(|l| l.unwrap().contains(r#""event":"closed""#));
    assert!(closed, "serve ended first");
    let _ = child.kill();
    let _ = child.wait();
    let keys = std::fs::read_to_string(&keylog).unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        assert_eq!(
            keys.matches(&format!("{label} ")).count(),
            1,
            "{label}: {keys}"
        );
    }
    let tshark = |keylog: Option<&std::path::Path>, filter: &str, field: &str| {
        crate::pcap::tshark(&pcap, keylog, filter, &[field])
    };
    assert_eq!(
        tshark(Some(&keylog), "http.request", "http.request.uri"),
        ["/tls13-pcap-check"]
    );
    assert_eq!(
        tshark(Some(&keylog), "http.response", "http.response.code"),
        ["200"]
    );
    // Decrypted handshake: EncryptedExtensions (8), Certificate, CertificateVerify,
    // and both Finished.
    let types = tshark(Some(&keylog), "tls.handshake.type", "tls.handshake.type");
    for t in ["8", "11", "15", "20"] {
        assert!(
            types.iter().any(|l| l.split(',').any(|x| x == t)),
            "{t}: {types:?}"
        );
    }
    assert!(tshark(None, "http", "http.request.uri").is_empty());
}
