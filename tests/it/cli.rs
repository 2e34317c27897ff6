//! The `quirktls` binary: exit codes, error locations, ready lines.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");

fn quirktls(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().expect("run quirktls")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path.to_string_lossy().into_owned()
}

fn builtin_count() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count()
}

const GOOD: &str =
    "name: good\ndescription: fine\nengine: rustls\ntls:\n  certificate: server-rsa\n";

#[test]
fn validate_accepts_every_builtin_scenario() {
    let out = quirktls(&[
        "validate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        builtin_count(),
        "{stdout}"
    );
}

#[test]
fn validate_reports_each_problem_with_file_line_column_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // (file text, expected FILE:LINE:COL suffix, words the message must contain)
        (
            "name: typo\ndescription: x\nengine: rustls\ntls:\n  certficate: server-rsa\n",
            ":5:3:",
            "certficate",
        ),
        (
            "name: badvalue\ndescription: x\nengine: rustls\ntls:\n  client_auth:\n    mode: sometimes\n",
            ":6:11:",
            "sometimes",
        ),
        (
            "name: missing\ndescription: x\nengine: rustls\ntls:\n  certificate: no-such-cert\n",
            ":5:16:",
            "no-such-cert",
        ),
    ];
    for (i, (text, at, word)) in cases.iter().enumerate() {
        let file = write(dir.path(), &format!("case{i}.yaml"), text);
        let out = quirktls(&["validate", &file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {stderr}");
        assert!(
            stderr.starts_with(&format!("{file}{at}")),
            "case {i}: expected {file}{at} at the start of: {stderr}"
        );
        assert!(stderr.contains(word), "case {i}: {stderr}");
    }
    // A good file next to a bad one: the good one is reported ok, the run still fails.
    let good = write(dir.path(), "good.yaml", GOOD);
    let out = quirktls(&[
        "validate",
        &good,
        &dir.path().join("case0.yaml").to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok good"));
}

#[test]
fn list_shows_every_builtin_with_its_summary() {
    let out = quirktls(&["list"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), builtin_count(), "{stdout}");
    let sni = stdout
        .lines()
        .find(|l| l.starts_with("sni-required "))
        .expect("sni-required listed");
    assert!(sni.contains("unrecognized_name (112)"), "{sni}");
}

#[test]
fn schema_is_json_describing_the_tls_block() {
    let out = quirktls(&["schema"]);
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    assert!(schema["properties"]["tls"].is_object(), "{schema}");
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
}

#[test]
fn serve_refuses_non_loopback_without_the_flag() {
    let out = quirktls(&["serve", "--bind", "0.0.0.0", "modern-baseline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-non-loopback"));
}

#[test]
fn serve_rejects_a_bad_scenario_with_exit_2_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        "name: bad\ndescription: x\nengine: nginx\n",
    );
    let out = quirktls(&["serve", &file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{file}:3:9")));
}

#[test]
fn serve_json_prints_a_ready_line_per_scenario_that_a_client_can_use() {
    let certs = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("--certs-dir")
        .arg(certs.path())
        .args([
            "serve",
            "--json",
            "--quiet",
            "mtls-required",
            "modern-baseline",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready: Vec<serde_json::Value> = (0..2)
        .map(|_| serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap())
        .collect();
    let mtls = ready
        .iter()
        .find(|r| r["scenario"] == "mtls-required")
        .expect("mtls ready");
    let port = mtls["port"].as_u64().unwrap();
    assert_eq!(mtls["event"], "ready");
    assert_eq!(mtls["server_name"], "server.quirktls.test");
    for key in [
        "ca_file",
        "truststore",
        "client_cert",
        "client_key",
        "client_p12",
    ] {
        let path = mtls[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {mtls}"));
        assert!(Path::new(path).is_file(), "{key}: {path}");
    }
    // The ready line is enough to point curl at the scenario.
    let url = format!("https://server.quirktls.test:{port}/");
    let curl = Command::new("curl")
        .args([
            "-sS",
            "--resolve",
            &format!("server.quirktls.test:{port}:127.0.0.1"),
        ])
        .args(["--cacert", mtls["ca_file"].as_str().unwrap()])
        .args(["--cert", mtls["client_cert"].as_str().unwrap()])
        .args(["--key", mtls["client_key"].as_str().unwrap()])
        .arg(&url)
        .output()
        .expect("run curl");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        curl.status.success(),
        "{}",
        String::from_utf8_lossy(&curl.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&curl.stdout),
        "client cert: CN=quirktls test client,OU=clients,O=quirktls\n"
    );
}

#[test]
fn serve_writes_transcripts_and_key_logs_where_asked() {
    let out = tempfile::tempdir().unwrap();
    let transcripts = out.path().join("transcripts");
    let keylog = out.path().join("keys.log");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--json",
            "--quiet",
            "cipher-restricted-rsa",
            "--transcript",
        ])
        .arg(&transcripts)
        .arg("--keylog")
        .arg(&keylog)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let addr = ready["addr"].as_str().unwrap().to_string();
    let client = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_2",
            "-cipher",
            "AES128-GCM-SHA256",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
    let file = transcripts.join("cipher-restricted-rsa-1.txt");
    let mut text = String::new();
    for _ in 0..50 {
        if let Ok(t) = std::fs::read_to_string(&file) {
            text = t;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("<<< ") && first.ends_with(", ClientHello"),
        "{text}"
    );
    assert!(text.contains("\n>>> TLS 1.2, Handshake [length "), "{text}");
    assert!(text.contains(", ServerHello\n"), "{text}");
    let keys = std::fs::read_to_string(&keylog).unwrap();
    assert!(keys.starts_with("CLIENT_RANDOM "), "{keys}");
}
