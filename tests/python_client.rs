//! Python's `ssl` module (default context, OpenSSL 3) against every built-in scenario,
//! through tests/clients/py_client.py: its exit status and printed facts, and what the
//! server observed.
//!
//! py_client.py exit codes: 0 ok, 3 `ssl.SSLCertVerificationError` (prints
//! `verify_code`/`verify_message`), 4 another `ssl.SSLError` (prints `reason`), 5 another
//! `OSError`. It prints `phase: handshake|response` to say where an error happened.

mod common;

use common::{negotiated, Run};
use quirktls::observe::{CloseKind, Event, Observation};
use quirktls::server::ScenarioServer;
use quirktls::wire::{Alert, AlertDescription};

const HOST: &str = "server.quirktls.test";
const TLS13: &str = "TLS 1.3";
const TLS12: &str = "TLS 1.2";
const TLS13_SUITE: &str = "TLS_AES_256_GCM_SHA384";
const TLS12_SUITE: &str = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/py_client.py");

/// Run py_client.py against `server` with SNI and name check `servername` ("none" for no
/// SNI and no name check), trusting the generated CA bundle.
async fn python(server: &ScenarioServer, servername: &str, path: &str, extra: &[&str]) -> Run {
    let port = server.addr().port().to_string();
    let ca = common::ca_bundle();
    let mut args = vec![
        SCRIPT.to_string(),
        "127.0.0.1".into(),
        port,
        servername.into(),
        ca.to_str().expect("utf-8 path").into(),
        "--path".into(),
        path.into(),
    ];
    args.extend(common::args(extra));
    common::run("python3", &args, b"").await
}

/// The same with `load_cert_chain` of the `client` identity (issued by client-ca).
async fn python_with_identity(server: &ScenarioServer, path: &str) -> Run {
    let client = common::entity("client");
    let cert = client.chain_pem.to_str().expect("utf-8 path");
    let key = client.key_pem.to_str().expect("utf-8 path");
    python(server, HOST, path, &["--cert", cert, "--key", key]).await
}

fn client_subject() -> String {
    common::entity("client").subject.clone()
}

/// Exit 0 and the client's own view of the session.
fn expect_ok<'a>(run: &'a Run, version: &str, cipher: &str) -> &'a Run {
    run.expect_status(0)
        .expect_output(&format!("version: {version}\n"))
        .expect_output(&format!("cipher: {cipher}\n"))
        .expect_output("result: ok\n")
        .expect_output("HTTP/1.1 200 OK")
}

/// Exit 3 with this verification error, during the handshake.
fn expect_verify_error(run: &Run, code: u32, message: &str) {
    run.expect_status(3)
        .expect_output("phase: handshake\n")
        .expect_output("error: SSLCertVerificationError\n")
        .expect_output(&format!("verify_code: {code}\n"))
        .expect_output(&format!("verify_message: {message}\n"))
        .expect_output("reason: CERTIFICATE_VERIFY_FAILED\n");
}

/// Exit 4 with this OpenSSL reason in `phase`.
fn expect_ssl_error(run: &Run, phase: &str, reason: &str) {
    run.expect_status(4)
        .expect_output(&format!("phase: {phase}\n"))
        .expect_output("error: SSLError\n")
        .expect_output(&format!("reason: {reason}\n"));
}

/// The handshake completed with `version`/`suite` and SNI `sni`, the request for `path`
/// arrived, and Python closed TCP without close_notify (`SSLSocket.close()` does not
/// send one).
fn assert_completed(obs: &Observation, version: &str, suite: &str, sni: Option<&str>, path: &str) {
    let log = obs.log_line();
    let n = negotiated(obs).unwrap_or_else(|| panic!("handshake did not complete: {log}"));
    assert_eq!(n.version, version, "{log}");
    assert_eq!(n.cipher_suite, suite, "{log}");
    assert_eq!(n.sni.as_deref(), sni, "{log}");
    assert_eq!(n.alpn, None, "{log}");
    let hello = obs.client_hello().expect("client hello");
    assert_eq!(hello.sni.as_deref(), sni, "{log}");
    assert!(hello.alpn.is_empty(), "Python sent ALPN: {log}");
    assert_eq!(
        obs.http_request(),
        Some(format!("GET {path} HTTP/1.1").as_str()),
        "{log}"
    );
    assert!(obs.alerts_received().is_empty(), "{log}");
    assert!(obs.alerts_sent().is_empty(), "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::Eof), "{log}");
}

/// Python refused the server with exactly one fatal `alert`, before any request.
fn assert_client_alert(obs: &Observation, alert: AlertDescription) {
    let log = obs.log_line();
    assert!(!obs.handshake_completed(), "{log}");
    assert_eq!(obs.alerts_received(), vec![Alert::fatal(alert)], "{log}");
    assert!(obs.alerts_sent().is_empty(), "{log}");
    assert_eq!(obs.http_request(), None, "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert), "{log}");
    assert_eq!(
        obs.client_hello().and_then(|h| h.sni.as_deref()),
        Some(HOST),
        "{log}"
    );
}

/// The server ended the handshake with exactly one fatal `alert`.
fn assert_server_alert(obs: &Observation, alert: AlertDescription) {
    let log = obs.log_line();
    assert!(!obs.handshake_completed(), "{log}");
    assert_eq!(obs.alerts_sent(), vec![Alert::fatal(alert)], "{log}");
    assert!(obs.alerts_received().is_empty(), "{log}");
    assert_eq!(obs.http_request(), None, "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert), "{log}");
}

/// A verification failure: exit 3 with `code`/`message`, and Python's alert.
async fn assert_refused(scenario: &str, code: u32, message: &str, alert: AlertDescription) {
    let server = common::start(scenario).await;
    expect_verify_error(&python(&server, HOST, "/", &[]).await, code, message);
    assert_client_alert(&common::observation(&server, 1).await, alert);
}

/// A plain success on TLS 1.3: exit 0, the default body, the request observed.
async fn assert_ok_tls13(scenario: &str) {
    let server = common::start(scenario).await;
    expect_ok(
        &python(&server, HOST, "/py", &[]).await,
        "TLSv1.3",
        TLS13_SUITE,
    )
    .expect_output(&format!(
        "quirktls {scenario}: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none"
    ));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/py");
    assert_eq!(obs.client_certificate(), None);
}

#[tokio::test]
async fn modern_baseline_completes_tls13() {
    assert_ok_tls13("modern-baseline").await;
}

#[tokio::test]
async fn reversed_chain_is_accepted() {
    assert_ok_tls13("reversed-chain").await;
}

#[tokio::test]
async fn x509v1_leaf_is_accepted() {
    assert_ok_tls13("x509v1-leaf").await;
}

#[tokio::test]
async fn x509v1_root_is_accepted() {
    assert_ok_tls13("x509v1-root").await;
}

#[tokio::test]
async fn no_san_cn_only_is_accepted_by_cn_fallback() {
    // Contrary to the scenario description: Python 3.11's default context keeps
    // hostname_checks_common_name = True, so a certificate without any SAN matches by CN.
    let server = common::start("no-san-cn-only").await;
    let ctx = common::run(
        "python3",
        &common::args(&[
            "-c",
            "import ssl; print(ssl.create_default_context().hostname_checks_common_name)",
        ]),
        b"",
    )
    .await;
    ctx.expect_status(0).expect_output("True");
    expect_ok(
        &python(&server, HOST, "/cn", &[]).await,
        "TLSv1.3",
        TLS13_SUITE,
    );
    assert_completed(
        &common::observation(&server, 1).await,
        TLS13,
        TLS13_SUITE,
        Some(HOST),
        "/cn",
    );
}

#[tokio::test]
async fn tls13_only_completes_with_tls13() {
    assert_ok_tls13("tls13-only").await;
}

#[tokio::test]
async fn tls13_only_refuses_python_capped_at_tls12_with_protocol_version() {
    let server = common::start("tls13-only").await;
    let run = python(&server, HOST, "/", &["--max-version", "1.2"]).await;
    expect_ssl_error(&run, "handshake", "TLSV1_ALERT_PROTOCOL_VERSION");
    assert_server_alert(
        &common::observation(&server, 1).await,
        AlertDescription::PROTOCOL_VERSION,
    );
}

#[tokio::test]
async fn tls12_only_completes_with_tls12() {
    let server = common::start("tls12-only").await;
    expect_ok(
        &python(&server, HOST, "/py12", &[]).await,
        "TLSv1.2",
        "ECDHE-RSA-AES256-GCM-SHA384",
    );
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS12, TLS12_SUITE, Some(HOST), "/py12");
    // The fallback is inside one ClientHello: 1.3 and 1.2 offered, no retry.
    let versions = &obs.client_hello().expect("client hello").supported_versions;
    assert!(
        versions.contains(&quirktls::wire::ProtocolVersion::TLS13)
            && versions.contains(&quirktls::wire::ProtocolVersion::TLS12),
        "{versions:?}"
    );
}

#[tokio::test]
async fn tls12_only_refuses_python_pinned_to_tls13_with_protocol_version() {
    let server = common::start("tls12-only").await;
    let run = python(&server, HOST, "/", &["--min-version", "1.3"]).await;
    expect_ssl_error(&run, "handshake", "TLSV1_ALERT_PROTOCOL_VERSION");
    assert_server_alert(
        &common::observation(&server, 1).await,
        AlertDescription::PROTOCOL_VERSION,
    );
}

#[tokio::test]
async fn cipher_restricted_ecdhe_completes_with_the_one_suite() {
    let server = common::start("cipher-restricted-ecdhe").await;
    expect_ok(
        &python(&server, HOST, "/one", &[]).await,
        "TLSv1.2",
        "ECDHE-RSA-AES256-GCM-SHA384",
    );
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS12, TLS12_SUITE, Some(HOST), "/one");
}

#[tokio::test]
async fn cipher_restricted_ecdhe_refuses_a_list_without_it_with_handshake_failure() {
    let server = common::start("cipher-restricted-ecdhe").await;
    let run = python(
        &server,
        HOST,
        "/",
        &[
            "--max-version",
            "1.2",
            "--ciphers",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .await;
    expect_ssl_error(&run, "handshake", "SSLV3_ALERT_HANDSHAKE_FAILURE");
    assert_server_alert(
        &common::observation(&server, 1).await,
        AlertDescription::HANDSHAKE_FAILURE,
    );
}

#[tokio::test]
async fn expired_is_refused_with_certificate_expired() {
    assert_refused(
        "expired",
        10,
        "certificate has expired",
        AlertDescription::CERTIFICATE_EXPIRED,
    )
    .await;
}

#[tokio::test]
async fn not_yet_valid_is_refused_with_bad_certificate() {
    assert_refused(
        "not-yet-valid",
        9,
        "certificate is not yet valid",
        AlertDescription::BAD_CERTIFICATE,
    )
    .await;
}

#[tokio::test]
async fn incomplete_chain_is_refused_with_unknown_ca() {
    assert_refused(
        "incomplete-chain",
        20,
        "unable to get local issuer certificate",
        AlertDescription::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn untrusted_root_is_refused_with_unknown_ca() {
    assert_refused(
        "untrusted-root",
        20,
        "unable to get local issuer certificate",
        AlertDescription::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn self_signed_is_refused_with_unknown_ca() {
    assert_refused(
        "self-signed",
        18,
        "self-signed certificate",
        AlertDescription::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn sha1_leaf_is_refused_as_too_weak_with_bad_certificate() {
    assert_refused(
        "sha1-leaf",
        68,
        "CA signature digest algorithm too weak",
        AlertDescription::BAD_CERTIFICATE,
    )
    .await;
}

#[tokio::test]
async fn wrong_host_is_refused_in_the_handshake_with_bad_certificate() {
    // Unlike curl, Python checks the name inside the handshake (X509_VERIFY_PARAM host).
    assert_refused(
        "wrong-host",
        62,
        "Hostname mismatch, certificate is not valid for 'server.quirktls.test'.",
        AlertDescription::BAD_CERTIFICATE,
    )
    .await;
}

#[tokio::test]
async fn sni_multi_cert_serves_each_name_its_certificate() {
    let server = common::start("sni-multi-cert").await;
    for (i, name) in ["a.quirktls.test", "b.quirktls.test", HOST]
        .iter()
        .enumerate()
    {
        expect_ok(
            &python(&server, name, "/multi", &[]).await,
            "TLSv1.3",
            TLS13_SUITE,
        );
        let obs = common::observation(&server, i + 1).await;
        assert_completed(&obs, TLS13, TLS13_SUITE, Some(name), "/multi");
    }
    // No SNI: the default certificate (its chain is still verified).
    expect_ok(
        &python(&server, "none", "/nosni", &[]).await,
        "TLSv1.3",
        TLS13_SUITE,
    );
    let obs = common::observation(&server, 4).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, None, "/nosni");
}

#[tokio::test]
async fn sni_required_completes_with_sni_and_rejects_none() {
    let server = common::start("sni-required").await;
    expect_ok(
        &python(&server, HOST, "/named", &[]).await,
        "TLSv1.3",
        TLS13_SUITE,
    );
    assert_completed(
        &common::observation(&server, 1).await,
        TLS13,
        TLS13_SUITE,
        Some(HOST),
        "/named",
    );

    let run = python(&server, "none", "/", &[]).await;
    expect_ssl_error(&run, "handshake", "TLSV1_UNRECOGNIZED_NAME");
    let obs = common::observation(&server, 2).await;
    assert_eq!(obs.client_hello().map(|h| h.sni.clone()), Some(None));
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::SniRejected { sni: None })));
    assert_server_alert(&obs, AlertDescription::UNRECOGNIZED_NAME);
}

#[tokio::test]
async fn mtls_required_presents_the_client_certificate() {
    let server = common::start("mtls-required").await;
    expect_ok(
        &python_with_identity(&server, "/mtls").await,
        "TLSv1.3",
        TLS13_SUITE,
    )
    .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/mtls");
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&client_subject())
    );
}

#[tokio::test]
async fn mtls_required_without_a_certificate_fails_reading_with_certificate_required() {
    // TLS 1.3: the client's handshake is over before the alert; the read reports it.
    let server = common::start("mtls-required").await;
    let run = python(&server, HOST, "/", &[]).await;
    expect_ssl_error(&run, "response", "TLSV13_ALERT_CERTIFICATE_REQUIRED");
    run.expect_output("version: TLSv1.3\n");
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::CERTIFICATE_REQUIRED);
}

#[tokio::test]
async fn mtls_optional_completes_without_and_with_a_certificate() {
    let server = common::start("mtls-optional").await;
    expect_ok(
        &python(&server, HOST, "/anon", &[]).await,
        "TLSv1.3",
        TLS13_SUITE,
    )
    .expect_output("client cert: none");
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/anon");
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::NoClientCertificate)));

    expect_ok(
        &python_with_identity(&server, "/mtls").await,
        "TLSv1.3",
        TLS13_SUITE,
    )
    .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 2).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/mtls");
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&client_subject())
    );
}

#[tokio::test]
async fn mtls_empty_ca_list_python_sends_its_certificate() {
    let server = common::start("mtls-empty-ca-list").await;
    expect_ok(
        &python_with_identity(&server, "/empty").await,
        "TLSv1.2",
        "ECDHE-RSA-AES256-GCM-SHA384",
    )
    .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS12, TLS12_SUITE, Some(HOST), "/empty");
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&client_subject())
    );
}

#[tokio::test]
async fn mtls_empty_ca_list_without_a_certificate_fails_in_the_handshake() {
    // TLS 1.2: the server's alert ends the client's handshake itself.
    let server = common::start("mtls-empty-ca-list").await;
    let run = python(&server, HOST, "/", &[]).await;
    expect_ssl_error(&run, "handshake", "TLSV13_ALERT_CERTIFICATE_REQUIRED");
    assert_server_alert(
        &common::observation(&server, 1).await,
        AlertDescription::CERTIFICATE_REQUIRED,
    );
}

#[tokio::test]
async fn mtls_unrelated_ca_list_python_sends_its_certificate_anyway() {
    let server = common::start("mtls-unrelated-ca-list").await;
    expect_ok(
        &python_with_identity(&server, "/unrelated").await,
        "TLSv1.2",
        "ECDHE-RSA-AES256-GCM-SHA384",
    )
    .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS12, TLS12_SUITE, Some(HOST), "/unrelated");
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&client_subject())
    );
}

#[tokio::test]
async fn mtls_wrong_client_ca_rejects_the_certificate_with_bad_certificate() {
    let server = common::start("mtls-wrong-client-ca").await;
    let run = python_with_identity(&server, "/").await;
    expect_ssl_error(&run, "response", "SSLV3_ALERT_BAD_CERTIFICATE");
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::BAD_CERTIFICATE);
    let failures = common::handshake_failures(&obs);
    assert!(
        failures.contains("client certificate rejected") && failures.contains("UnknownIssuer"),
        "{failures}"
    );
    // The rejected certificate is observed too: the client did present it.
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&client_subject()),
        "{}",
        obs.log_line()
    );
}
