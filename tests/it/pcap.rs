//! `quirktls serve --pcap FILE --keylog KEYLOG`: Debian's tshark decodes the synthesized
//! frames and, with the key log, decrypts the HTTP request of both engines; transcripts
//! of rustls-engine connections are read off the wire.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use common::clients::{Client, Curl, SClient};
use common::HOST;
use quirktls::observe::{Direction, PcapSink};
use quirktls::server::{ScenarioServer, ServerOptions};
use quirktls::wire::ContentType;

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");

/// A running `quirktls serve --json --events -`, killed on drop.
struct Serve {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Ready line of each scenario.
    ready: BTreeMap<String, serde_json::Value>,
}

impl Serve {
    fn start(scenarios: &[&str], extra: &[&std::ffi::OsStr]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--json", "--quiet", "--events", "-"])
            .args(scenarios)
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn quirktls serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut ready = BTreeMap::new();
        for _ in scenarios {
            let line = stdout.next().expect("a ready line").unwrap();
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(value["event"], "ready", "{line}");
            ready.insert(value["scenario"].as_str().unwrap().to_string(), value);
        }
        Self {
            child,
            stdout,
            ready,
        }
    }

    fn port(&self, scenario: &str) -> u16 {
        self.ready[scenario]["port"].as_u64().unwrap() as u16
    }

    /// `curl -sS` a GET of `path` from `scenario` (plus `flags`); returns the body.
    fn get(&self, scenario: &str, path: &str, flags: &[&str]) -> String {
        let port = self.port(scenario);
        let ready = &self.ready[scenario];
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "20", "--cacert"])
            .arg(ready["ca_file"].as_str().unwrap())
            .arg("--resolve")
            .arg(format!("{HOST}:{port}:127.0.0.1"))
            .args(flags)
            .arg(format!("https://{HOST}:{port}{path}"))
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "curl against {scenario}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Read events until `scenario` reports a closed connection: by then the connection
    /// is in the pcap file (the server writes it before the events).
    fn wait_closed(&mut self, scenario: &str) {
        for line in &mut self.stdout {
            let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            if event["event"] == "closed" && event["scenario"] == scenario {
                return;
            }
        }
        panic!("serve ended before {scenario} closed a connection");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tshark -r PCAP [-o tls.keylog_file:KEYLOG] -Y FILTER -T fields -e ...`, one line per
/// matching frame; fails the test if tshark does.
/// `tshark -r PCAP [-o tls.keylog_file:KEYLOG] -Y FILTER -T fields -e FIELD…`: one line
/// per matching packet.
pub(crate) fn tshark(
    pcap: &Path,
    keylog: Option<&Path>,
    filter: &str,
    fields: &[&str],
) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap);
    if let Some(keylog) = keylog {
        cmd.arg("-o")
            .arg(format!("tls.keylog_file:{}", keylog.display()));
    }
    cmd.args(["-Y", filter, "-T", "fields"]);
    for field in fields {
        cmd.args(["-e", field]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark {filter}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        dir.join("capture.pcap"),
        dir.join("keys.log"),
        dir.join("transcripts"),
    )
}

#[test]
fn tshark_decrypts_the_request_of_both_engines_from_one_capture() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, keylog, _) = files(dir.path());
    let mut serve = Serve::start(
        &["modern-baseline", "cipher-restricted-rsa"],
        &[
            "--pcap".as_ref(),
            pcap.as_os_str(),
            "--keylog".as_ref(),
            keylog.as_os_str(),
        ],
    );
    // rustls, TLS 1.3; then the scripted engine, TLS 1.2 with static RSA.
    let body = serve.get("modern-baseline", "/pcap-check-rustls", &[]);
    assert!(body.contains("TLS 1.3"), "{body}");
    serve.wait_closed("modern-baseline");
    let body = serve.get(
        "cipher-restricted-rsa",
        "/pcap-check-scripted",
        &["--tls-max", "1.2", "--ciphers", "AES128-GCM-SHA256"],
    );
    assert!(body.contains("TLS_RSA_WITH_AES_128_GCM_SHA256"), "{body}");
    serve.wait_closed("cipher-restricted-rsa");
    let (rustls, scripted) = (
        serve.port("modern-baseline"),
        serve.port("cipher-restricted-rsa"),
    );
    drop(serve);

    let fields = ["tcp.dstport", "http.request.method", "http.request.uri"];
    assert_eq!(
        tshark(&pcap, Some(&keylog), "http.request", &fields),
        [
            format!("{rustls}\tGET\t/pcap-check-rustls"),
            format!("{scripted}\tGET\t/pcap-check-scripted"),
        ]
    );
    // The keys are what decrypts it: without them there is no HTTP to see.
    assert_eq!(tshark(&pcap, None, "http", &fields), Vec::<String>::new());
    // Both responses decrypt too, and the handshakes decode in the clear.
    let codes = tshark(
        &pcap,
        Some(&keylog),
        "http.response",
        &["http.response.code"],
    );
    assert_eq!(codes, ["200", "200"]);
    let hellos = tshark(&pcap, None, "tls.handshake.type == 1", &["tcp.dstport"]);
    assert_eq!(hellos, [rustls.to_string(), scripted.to_string()]);
    let server_hellos = tshark(&pcap, None, "tls.handshake.type == 2", &["tcp.srcport"]);
    assert_eq!(server_hellos, [rustls.to_string(), scripted.to_string()]);
    // Sequence numbers add up: no lost, retransmitted or out-of-order segments.
    let problems = tshark(&pcap, None, "tcp.analysis.flags", &["frame.number"]);
    assert_eq!(problems, Vec::<String>::new());
    // Each connection opens with a handshake and ends with the server's FIN after the
    // client's close_notify (the server stops reading there, so the client's FIN, sent
    // after, is not in the capture).
    let syns = tshark(&pcap, None, "tcp.flags.syn == 1", &["tcp.stream"]);
    assert_eq!(syns, ["0", "0", "1", "1"]);
    let fins = tshark(
        &pcap,
        None,
        "tcp.flags.fin == 1",
        &["tcp.stream", "tcp.srcport"],
    );
    assert_eq!(fins, [format!("0\t{rustls}"), format!("1\t{scripted}")]);
}

#[test]
fn pcap_that_cannot_be_created_is_a_usage_error_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "modern-baseline", "--pcap"])
        .arg(dir.path().join("missing").join("capture.pcap"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot create pcap file"), "{stderr}");
    assert!(
        stderr.contains("hint: check that the directory exists"),
        "{stderr}"
    );
}

#[test]
fn transcript_of_a_rustls_connection_is_read_off_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, transcripts) = files(dir.path());
    let mut serve = Serve::start(
        &["modern-baseline"],
        &["--transcript".as_ref(), transcripts.as_os_str()],
    );
    serve.get("modern-baseline", "/", &[]);
    serve.wait_closed("modern-baseline");
    drop(serve);
    let text = std::fs::read_to_string(transcripts.join("modern-baseline-1.txt")).unwrap();
    let heads: Vec<&str> = text.lines().filter(|l| !l.starts_with("    ")).collect();
    // The ClientHello and ServerHello in the clear; after the TLS 1.3 ServerHello only
    // ChangeCipherSpec (compatibility) and encrypted records are visible.
    assert!(
        heads[0].starts_with("<<< TLS 1.0, Handshake [length "),
        "{text}"
    );
    assert!(heads[0].ends_with("], ClientHello"), "{text}");
    assert!(
        heads[1].starts_with(">>> TLS 1.2, Handshake [length "),
        "{text}"
    );
    assert!(heads[1].ends_with("], ServerHello"), "{text}");
    assert!(heads.len() > 4, "{text}");
    for line in &heads[2..] {
        assert!(
            line.ends_with(", ChangeCipherSpec [length 0001], ChangeCipherSpec")
                || line.contains(", ApplicationData [length ") && line.ends_with("], encrypted"),
            "{line}\n{text}"
        );
    }
    assert!(heads
        .iter()
        .any(|l| l.starts_with(">>> ") && l.contains("ApplicationData")));
    assert!(heads
        .iter()
        .any(|l| l.starts_with("<<< ") && l.contains("ApplicationData")));
}

/// In-process with `ServerOptions::capture`: a TLS 1.2 rustls handshake shows its
/// plaintext messages by name, then each side's ChangeCipherSpec and its encrypted
/// Finished.
#[tokio::test]
async fn capture_gives_a_tls12_rustls_connection_a_record_transcript() {
    let options = ServerOptions {
        capture: true,
        ..ServerOptions::default()
    };
    let server = ScenarioServer::start(
        common::scenario("cipher-restricted-ecdhe"),
        common::pki(),
        &options,
    )
    .await
    .unwrap();
    Curl::get(HOST, "/tls12")
        .run(&server)
        .await
        .expect_status(0);
    let obs = common::observation(&server, 1).await;
    let lines: Vec<(Direction, u8, &str)> = obs
        .transcript
        .iter()
        .map(|l| (l.direction, l.content_type.0, l.what.as_str()))
        .collect();
    use Direction::{Received as C, Sent as S};
    const HS: u8 = ContentType::HANDSHAKE.0;
    const CCS: u8 = ContentType::CHANGE_CIPHER_SPEC.0;
    const APP: u8 = ContentType::APPLICATION_DATA.0;
    assert_eq!(
        lines[..10],
        [
            (C, HS, "ClientHello"),
            (S, HS, "ServerHello"),
            (S, HS, "Certificate"),
            (S, HS, "ServerKeyExchange"),
            (S, HS, "ServerHelloDone"),
            (C, HS, "ClientKeyExchange"),
            (C, CCS, "ChangeCipherSpec"),
            (C, HS, "encrypted"),
            (S, CCS, "ChangeCipherSpec"),
            (S, HS, "encrypted"),
        ],
        "{}",
        obs.transcript_text()
    );
    // Then the request and the response, encrypted.
    assert_eq!(
        lines[10],
        (C, APP, "encrypted"),
        "{}",
        obs.transcript_text()
    );
    assert_eq!(
        lines[11],
        (S, APP, "encrypted"),
        "{}",
        obs.transcript_text()
    );
}

/// A server that resets the connection on the ClientHello (an intolerance rule) shows
/// as an RST from the server right after the ClientHello.
#[tokio::test]
async fn a_reset_on_the_client_hello_is_an_rst_in_the_capture() {
    let yaml = "name: choke\ndescription: x\nengine: rustls\nintolerance:\n  - when: { has_extension: server_name }\n    then: reset\n";
    let scenario = quirktls::scenario::load_str(yaml, "choke.yaml", common::spec()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("reset.pcap");
    let options = ServerOptions {
        pcap: Some(PcapSink::create(&pcap).unwrap()),
        ..ServerOptions::default()
    };
    let server = ScenarioServer::start(scenario, common::pki(), &options)
        .await
        .unwrap();
    let run = SClient::named(HOST).run(&server).await;
    assert_ne!(run.status, Some(0), "{}", run.output());
    let obs = common::observation(&server, 1).await;
    let port = server.addr().port().to_string();
    let frames = tshark(
        &pcap,
        None,
        "tcp.len > 0 or tcp.flags.reset == 1",
        &["tcp.srcport", "tcp.flags.reset", "tls.handshake.type"],
    );
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert!(
        frames[0].ends_with("\t0\t1"),
        "ClientHello first: {frames:?}"
    );
    assert_eq!(frames[1], format!("{port}\t1\t"), "{frames:?}");
    // Nothing after the reset; the transcript holds the ClientHello alone.
    let last = tshark(&pcap, None, "frame", &["tcp.flags.reset"]);
    assert_eq!(last.last().map(String::as_str), Some("1"));
    let whats: Vec<&str> = obs.transcript.iter().map(|l| l.what.as_str()).collect();
    assert_eq!(whats, ["ClientHello"]);
}

/// `quirktls run` takes the same wire flags: one pcap for every scenario × client, and
/// transcripts per client (two clients of one scenario must not overwrite each other).
#[test]
fn run_captures_every_client_and_keeps_transcripts_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, keylog, transcripts) = files(dir.path());
    let out = Command::new(BIN)
        .args(["run", "--client", "curl", "--client", "python", "--json"])
        .arg("--pcap")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keylog)
        .arg("--transcript")
        .arg(&transcripts)
        .args(["modern-baseline", "cipher-restricted-rsa"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let outcomes: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Python's default context refuses static RSA (no expectation there says otherwise).
    let exits: Vec<_> = outcomes.iter().map(|o| o["exit"].as_i64()).collect();
    assert_eq!(exits, [Some(0), Some(0), Some(0), Some(1)], "{stdout}");
    let requests = tshark(&pcap, Some(&keylog), "http.request", &["http.request.line"]);
    // curl and python against modern-baseline, curl against cipher-restricted-rsa.
    assert_eq!(requests.len(), 3, "{requests:?}\n{stdout}");
    for client in ["curl", "python"] {
        let text = std::fs::read_to_string(transcripts.join(client).join("modern-baseline-1.txt"))
            .unwrap();
        assert!(
            text.contains("ClientHello") && text.contains("ServerHello"),
            "{text}"
        );
    }
    let scripted =
        std::fs::read_to_string(transcripts.join("curl").join("cipher-restricted-rsa-1.txt"))
            .unwrap();
    assert!(scripted.contains("ClientKeyExchange"), "{scripted}");
    // The JSON lines carry the rustls transcript too (the HTML report shows it).
    let transcript = outcomes[0]["transcript"].as_str().unwrap();
    assert!(transcript.contains("ServerHello"), "{transcript}");
}
