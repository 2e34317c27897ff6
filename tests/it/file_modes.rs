//! What `quirktls serve` records of a connection (key log, events, pcap, transcript)
//! is created readable by its owner only: the key log decrypts the traffic, the rest
//! holds it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::{self, HOST};
use crate::serve_process::Serve;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn key_log_events_pcap_and_transcripts_are_created_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let transcripts = path("transcripts");
    let serve = Serve::start(
        &[
            "--keylog",
            path("keys.log").to_str().unwrap(),
            "--events",
            path("events.jsonl").to_str().unwrap(),
            "--pcap",
            path("wire.pcap").to_str().unwrap(),
            "--transcript",
            transcripts.to_str().unwrap(),
        ],
        &["modern-baseline", "cipher-restricted-rsa"],
    );
    // One connection per engine: rustls and scripted each write their own transcript
    // and key log lines.
    for scenario in ["modern-baseline", "cipher-restricted-rsa"] {
        let port = serve.addr(scenario).port();
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "20", "--cacert"])
            .arg(common::ca_bundle())
            .arg("--resolve")
            .arg(format!("{HOST}:{port}:127.0.0.1"))
            .arg(format!("https://{HOST}:{port}/"))
            .output()
            .expect("run curl");
        assert!(out.status.success(), "curl against {scenario}: {out:?}");
        let line = serve.log_line();
        assert!(line.contains("negotiation succeeded"), "{line}");
    }
    let files = [
        path("keys.log"),
        path("events.jsonl"),
        path("wire.pcap"),
        transcripts.join("modern-baseline-1.txt"),
        transcripts.join("cipher-restricted-rsa-1.txt"),
    ];
    for file in &files {
        assert!(
            std::fs::metadata(file).unwrap().len() > 0,
            "{}",
            file.display()
        );
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    serve.stop();
}
