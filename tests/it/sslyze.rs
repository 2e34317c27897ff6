//! sslyze, a widely used TLS scanner, against `mtls-empty-ca-list`: it probes client
//! authentication by connecting without a certificate, and hung on the rustls engine's
//! TLS 1.2 certificate_required (116). Now it gets handshake_failure (40) and finishes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use quirktls::wire::AlertDescription;
use serde_json::Value;

use crate::common::{self, HOST};

/// The sslyze `.ci/deps` installs: `$QUIRKTLS_VENV/bin/sslyze`, by default in
/// `~/.cache/quirktls/venv` (`XDG_CACHE_HOME` honoured), as .ci/deps puts it.
fn sslyze() -> PathBuf {
    let venv = std::env::var_os("QUIRKTLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
            cache.join("quirktls/venv")
        });
    let bin = venv.join("bin/sslyze");
    assert!(
        bin.exists(),
        "{} is missing (hint: `make deps` installs sslyze from PyPI into that venv)",
        bin.display()
    );
    bin
}

#[tokio::test]
async fn sslyze_finds_client_auth_required_on_mtls_empty_ca_list_within_30_s() {
    let server = common::start("mtls-empty-ca-list").await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scan.json");
    let started = Instant::now();
    let child = tokio::process::Command::new(sslyze())
        .arg("--certinfo")
        .arg(format!("--json_out={}", json.display()))
        .arg(format!("{HOST}:{}{{127.0.0.1}}", server.addr().port()))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), child)
        .await
        .unwrap_or_else(|_| panic!("sslyze did not finish within 30 s"))
        .expect("run sslyze");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Server REQUIRED client authentication"),
        "{stdout}"
    );
    eprintln!("sslyze finished in {elapsed:?}");

    // The scan's fields this test reads, picked by Python: the full JSON has integers
    // (the RSA modulus) beyond what serde_json parses.
    let pick = "import json,sys\n\
                r=json.load(open(sys.argv[1]))['server_scan_results'][0]\n\
                c=r['scan_result']['certificate_info']\n\
                d=(c['result'] or {}).get('certificate_deployments') or [{}]\n\
                chain=d[0].get('received_certificate_chain') or [{}]\n\
                print(json.dumps({'scan_status':r['scan_status'],\
                'connectivity':r['connectivity_result'],'certinfo':c['status'],\
                'leaf':chain[0].get('subject',{}).get('rfc4514_string')}))";
    let picked = std::process::Command::new("python3")
        .args(["-c", pick])
        .arg(&json)
        .output()
        .unwrap();
    assert!(picked.status.success(), "{picked:?}");
    let scan: Value = serde_json::from_slice(&picked.stdout).unwrap();
    assert_eq!(scan["scan_status"], "COMPLETED", "{scan}");
    assert_eq!(
        scan["connectivity"]["client_auth_requirement"], "REQUIRED",
        "{scan}"
    );
    assert_eq!(
        scan["connectivity"]["highest_tls_version_supported"],
        "TLS_1_2"
    );
    // certinfo needs no client certificate: it reads the server's chain.
    assert_eq!(scan["certinfo"], "COMPLETED", "{scan}");
    assert_eq!(scan["leaf"], "CN=server.quirktls.test,O=quirktls", "{scan}");

    // The probe without a certificate was answered with handshake_failure, and no
    // connection got TLS 1.2's missing certificate_required. Connections end (and are
    // observed) a moment after sslyze has moved on.
    let sent = |o: &quirktls::observe::Observation, alert| {
        o.alerts_sent().iter().any(|a| a.description == alert)
    };
    let refused = |o: &quirktls::observe::Observation| {
        sent(o, AlertDescription::HANDSHAKE_FAILURE)
            && common::handshake_failures(o).contains("peer sent no certificates")
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let observed = loop {
        let observed = server.observations();
        if observed.iter().any(refused) || Instant::now() > deadline {
            break observed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let log: Vec<String> = observed.iter().map(|o| o.log_line()).collect();
    assert!(observed.iter().any(refused), "{log:#?}");
    assert!(
        !observed
            .iter()
            .any(|o| sent(o, AlertDescription::CERTIFICATE_REQUIRED)),
        "{log:#?}"
    );
}
