//! The server's NSS key log matches what `openssl s_client -keylogfile` logs for the same
//! connection, for both engines.

use crate::common;

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use common::clients::{Client, SClient};
use common::HOST;
use quirktls::observe::KeyLog;
use quirktls::server::{ScenarioServer, ServerOptions};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn compare(scenario: &str, flags: &[&str], labels: &[&str]) {
    let ours = Buffer::default();
    let options = ServerOptions {
        keylog: Some(KeyLog::new(Box::new(ours.clone()))),
        ..ServerOptions::default()
    };
    let server = ScenarioServer::start(common::scenario(scenario), common::pki(), &options)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("client.keylog");
    let mut args = vec!["-keylogfile", theirs.to_str().unwrap()];
    args.extend_from_slice(flags);
    SClient::named(HOST)
        .args(&args)
        .run(&server)
        .await
        .expect_status(0);
    common::observation(&server, 1).await;
    let ours = lines(&String::from_utf8(ours.0.lock().unwrap().clone()).unwrap());
    let theirs = lines(&std::fs::read_to_string(&theirs).unwrap());
    let ours_labels: BTreeSet<&str> = ours.iter().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(ours_labels, labels.iter().copied().collect(), "{ours:?}");
    assert!(
        ours.is_subset(&theirs),
        "server lines {ours:?}\nnot all in client's {theirs:?}"
    );
}

#[tokio::test]
async fn scripted_engine_logs_the_client_random_and_master_secret() {
    compare(
        "cipher-restricted-rsa",
        &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
        &["CLIENT_RANDOM"],
    )
    .await;
}

#[tokio::test]
async fn rustls_engine_logs_the_tls13_traffic_secrets() {
    compare(
        "modern-baseline",
        &[],
        &[
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "EXPORTER_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_TRAFFIC_SECRET_0",
        ],
    )
    .await;
}
