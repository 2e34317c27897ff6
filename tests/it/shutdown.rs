//! `quirktls serve` on SIGTERM and SIGINT: it stops accepting, gives connections in
//! flight the grace period, cuts the rest (`closed how=shutdown`), and leaves every file
//! whole: each events line parses, every accepted connection is closed, tshark reads the
//! pcap.

use crate::common;
use crate::deadlines::client_config;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::HOST;
use rustix::process::{kill_process, Pid, Signal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");

const ECHO: &str = "name: echo-hold\ndescription: an echo that clients keep open\nengine: rustls\napp:\n  mode: echo\n";

async fn serve_then(signal: Signal, signal_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = |p: &str| dir.path().join(p);
    std::fs::write(path("echo-hold.yaml"), ECHO).unwrap();
    std::fs::create_dir(path("transcripts")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--json", "--quiet", "--grace", "1s", "--events"])
        .arg(path("events.jsonl"))
        .arg("--pcap")
        .arg(path("capture.pcap"))
        .arg("--keylog")
        .arg(path("keys.log"))
        .arg("--transcript")
        .arg(path("transcripts"))
        .arg("modern-baseline")
        .arg(path("echo-hold.yaml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn quirktls serve");
    let mut ready = BTreeMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2 {
        let line: serde_json::Value =
            serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        ready.insert(
            line["scenario"].as_str().unwrap().to_string(),
            line["port"].as_u64().unwrap() as u16,
        );
    }
    let (http, echo) = (ready["modern-baseline"], ready["echo-hold"]);

    // Finished before the signal: curl's GET.
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(common::ca_bundle())
        .arg("--resolve")
        .arg(format!("{HOST}:{http}:127.0.0.1"))
        .arg(format!("https://{HOST}:{http}/"))
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // In flight at the signal: a silent TCP connection and an idle TLS echo session.
    let mut silent = TcpStream::connect(("127.0.0.1", http)).await.unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", echo)).await.unwrap();
    let server_name = rustls::pki_types::ServerName::try_from(HOST).unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(client_config())
        .connect(server_name, tcp)
        .await
        .expect("echo handshake");
    tls.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    tls.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");

    let signalled = Instant::now();
    kill_process(Pid::from_child(&child), signal).unwrap();
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait();
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
        (status, stderr)
    });
    let (status, stderr) = tokio::time::timeout(Duration::from_secs(10), status)
        .await
        .expect("serve exits after the grace period")
        .unwrap();
    let took = signalled.elapsed();
    assert!(status.unwrap().success(), "{stderr}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "exited {took:?} after {signal_name}"
    );
    assert!(
        stderr.contains(&format!(
            "{signal_name}: stopped accepting; 2 connection(s) in flight"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{signal_name}: cut 2 connection(s)")),
        "{stderr}"
    );
    // The cut connections end for their clients too, and nobody is accepted any more.
    let mut byte = [0u8; 1];
    assert!(matches!(silent.read(&mut byte).await, Ok(0) | Err(_)));
    assert!(matches!(tls.read(&mut byte).await, Ok(0) | Err(_)));
    assert!(TcpStream::connect(("127.0.0.1", http)).await.is_err());

    check_events(&dir.path().join("events.jsonl"));
    check_pcap(&dir.path().join("capture.pcap"));
    let keys = std::fs::read_to_string(path("keys.log")).unwrap();
    assert!(keys.lines().count() >= 2 && keys.ends_with('\n'), "{keys}");
    assert!(path("transcripts/modern-baseline-1.txt").exists());
}

/// Every line is JSON; every accepted connection has one `closed`: the curl one as it
/// ended, the two in flight with `how: shutdown`.
fn check_events(events: &Path) {
    let text = std::fs::read_to_string(events).unwrap();
    assert!(text.ends_with('\n'));
    let mut closed: BTreeMap<(String, u64), Vec<String>> = BTreeMap::new();
    let mut accepted = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        let key = (
            v["scenario"].as_str().unwrap().to_string(),
            v["conn"].as_u64().unwrap(),
        );
        match v["event"].as_str().unwrap() {
            "accepted" => accepted.push(key),
            "closed" => closed
                .entry(key)
                .or_default()
                .push(v["how"].as_str().unwrap().into()),
            _ => {}
        }
    }
    assert_eq!(accepted.len(), 3, "{text}");
    for key in &accepted {
        assert_eq!(closed.get(key).map(Vec::len), Some(1), "{key:?} in {text}");
    }
    let how = |s: &str, c| closed[&(s.to_string(), c)][0].clone();
    assert_ne!(how("modern-baseline", 1), "shutdown");
    assert_eq!(how("modern-baseline", 2), "shutdown");
    assert_eq!(how("echo-hold", 1), "shutdown");
}

fn check_pcap(pcap: &Path) {
    let streams: std::collections::BTreeSet<String> =
        crate::pcap::tshark(pcap, None, "tcp", &["tcp.stream"])
            .into_iter()
            .collect();
    assert_eq!(streams.len(), 3, "{streams:?}");
}

#[tokio::test]
async fn sigterm_records_every_connection_and_leaves_files_whole() {
    serve_then(Signal::TERM, "SIGTERM").await;
}

#[tokio::test]
async fn sigint_records_every_connection_and_leaves_files_whole() {
    serve_then(Signal::INT, "SIGINT").await;
}
