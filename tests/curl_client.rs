//! curl (OpenSSL 3 backend) against every built-in scenario: curl's exit status and
//! message, and what the server observed on the wire.
//!
//! curl exit codes seen here: 0 ok, 35 handshake failed (alert from the server),
//! 56 receive failed (a TLS 1.3 alert that arrives after the client's Finished),
//! 60 server certificate verification failed, 98 client certificate required.

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

/// `curl -sS` to `https://HOST:PORT/PATH`, HOST resolved to 127.0.0.1 (unless it is an
/// IP address, which curl sends no SNI for), trusting the generated CA bundle.
async fn curl(server: &ScenarioServer, host: &str, path: &str, extra: &[&str]) -> Run {
    let port = server.addr().port();
    let ca = common::ca_bundle();
    let mut args = common::args(&["-sS", "--max-time", "20", "--cacert"]);
    args.push(ca.to_str().expect("utf-8 path").to_string());
    if host.parse::<std::net::IpAddr>().is_err() {
        args.push("--resolve".into());
        args.push(format!("{host}:{port}:127.0.0.1"));
    }
    args.extend(common::args(extra));
    args.push(format!("https://{host}:{port}{path}"));
    common::run("curl", &args, b"").await
}

/// `--cert/--key` of the `client` identity (issued by client-ca).
fn client_identity() -> Vec<String> {
    let client = common::entity("client");
    vec![
        "--cert".into(),
        client.chain_pem.to_str().expect("utf-8 path").into(),
        "--key".into(),
        client.key_pem.to_str().expect("utf-8 path").into(),
    ]
}

async fn curl_with_identity(server: &ScenarioServer, path: &str) -> Run {
    let id = client_identity();
    let extra: Vec<&str> = id.iter().map(String::as_str).collect();
    curl(server, HOST, path, &extra).await
}

fn client_subject() -> String {
    common::entity("client").subject.clone()
}

/// The handshake completed with `version`/`suite`, SNI `sni`, the request for `path`,
/// and curl ended with close_notify.
fn assert_completed(obs: &Observation, version: &str, suite: &str, sni: Option<&str>, path: &str) {
    let log = obs.log_line();
    let n = negotiated(obs).unwrap_or_else(|| panic!("handshake did not complete: {log}"));
    assert_eq!(n.version, version, "{log}");
    assert_eq!(n.cipher_suite, suite, "{log}");
    assert_eq!(n.sni.as_deref(), sni, "{log}");
    assert_eq!(
        obs.client_hello().and_then(|h| h.sni.as_deref()),
        sni,
        "{log}"
    );
    assert_eq!(
        obs.http_request(),
        Some(format!("GET {path} HTTP/1.1").as_str()),
        "{log}"
    );
    assert!(obs.alerts_received().is_empty(), "{log}");
    assert!(obs.alerts_sent().is_empty(), "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::CloseNotify), "{log}");
}

/// curl refused the server with exactly one fatal `alert`, before any request.
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

/// A certificate verification failure: exit 60 with `message`, and curl's alert.
async fn assert_refused(scenario: &str, message: &str, alert: AlertDescription) {
    let server = common::start(scenario).await;
    curl(&server, HOST, "/", &[])
        .await
        .expect_status(60)
        .expect_output(&format!("SSL certificate problem: {message}"));
    assert_client_alert(&common::observation(&server, 1).await, alert);
}

/// A plain success: exit 0, the default body, and the server saw the request.
async fn assert_ok(scenario: &str, version: &str, suite: &str) {
    let server = common::start(scenario).await;
    curl(&server, HOST, "/ok", &[])
        .await
        .expect_status(0)
        .expect_output(&format!(
            "quirktls {scenario}: {version} {suite}, client cert: none"
        ));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, version, suite, Some(HOST), "/ok");
    assert_eq!(obs.client_certificate(), None);
}

#[tokio::test]
async fn modern_baseline_completes_tls13_with_alpn_http11() {
    let server = common::start("modern-baseline").await;
    curl(&server, HOST, "/hello", &[])
        .await
        .expect_status(0)
        .expect_output(
            "quirktls modern-baseline: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none",
        );
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/hello");
    let hello = obs.client_hello().expect("client hello");
    assert_eq!(hello.alpn, ["h2", "http/1.1"]);
    assert_eq!(negotiated(&obs).unwrap().alpn.as_deref(), Some("http/1.1"));
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::NoClientCertificate)));
}

#[tokio::test]
async fn cipher_restricted_ecdhe_completes_with_the_one_suite() {
    assert_ok("cipher-restricted-ecdhe", TLS12, TLS12_SUITE).await;
}

#[tokio::test]
async fn cipher_restricted_ecdhe_refuses_a_list_without_it_with_handshake_failure() {
    let server = common::start("cipher-restricted-ecdhe").await;
    curl(
        &server,
        HOST,
        "/",
        &[
            "--tls-max",
            "1.2",
            "--ciphers",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .await
    .expect_status(35)
    .expect_output("sslv3 alert handshake failure");
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::HANDSHAKE_FAILURE);
    assert!(common::handshake_failures(&obs).contains("NoCipherSuitesInCommon"));
}

#[tokio::test]
async fn expired_is_refused_with_certificate_expired() {
    assert_refused(
        "expired",
        "certificate has expired",
        AlertDescription::CERTIFICATE_EXPIRED,
    )
    .await;
}

#[tokio::test]
async fn not_yet_valid_is_refused_with_bad_certificate() {
    // OpenSSL maps X509_V_ERR_CERT_NOT_YET_VALID to bad_certificate, not certificate_expired.
    assert_refused(
        "not-yet-valid",
        "certificate is not yet valid",
        AlertDescription::BAD_CERTIFICATE,
    )
    .await;
}

#[tokio::test]
async fn incomplete_chain_is_refused_with_unknown_ca() {
    assert_refused(
        "incomplete-chain",
        "unable to get local issuer certificate",
        AlertDescription::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn untrusted_root_is_refused_with_unknown_ca() {
    assert_refused(
        "untrusted-root",
        "unable to get local issuer certificate",
        AlertDescription::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn self_signed_is_refused_with_unknown_ca() {
    assert_refused(
        "self-signed",
        "self-signed certificate",
        AlertDescription::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn sha1_leaf_is_refused_as_too_weak_with_bad_certificate() {
    assert_refused(
        "sha1-leaf",
        "CA signature digest algorithm too weak",
        AlertDescription::BAD_CERTIFICATE,
    )
    .await;
}

#[tokio::test]
async fn wrong_host_fails_after_the_handshake_without_an_alert() {
    // curl/OpenSSL checks the name after SSL_connect: the TLS 1.3 handshake completes on
    // the server's side, then curl closes (close_notify) without sending a request.
    let server = common::start("wrong-host").await;
    curl(&server, HOST, "/", &[])
        .await
        .expect_status(60)
        .expect_output(
        "no alternative certificate subject name matches target host name 'server.quirktls.test'",
    );
    let obs = common::observation(&server, 1).await;
    let log = obs.log_line();
    let n = negotiated(&obs).unwrap_or_else(|| panic!("{log}"));
    assert_eq!((n.version.as_str(), n.sni.as_deref()), (TLS13, Some(HOST)));
    assert_eq!(obs.http_request(), None, "{log}");
    assert!(obs.alerts_received().is_empty(), "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::CloseNotify), "{log}");
}

#[tokio::test]
async fn no_san_cn_only_is_accepted_by_cn_fallback() {
    // Contrary to the scenario description, curl 7.88 still matches the subject CN when
    // the certificate has no subjectAltName at all.
    assert_ok("no-san-cn-only", TLS13, TLS13_SUITE).await;
}

#[tokio::test]
async fn x509v1_leaf_is_accepted() {
    assert_ok("x509v1-leaf", TLS13, TLS13_SUITE).await;
}

#[tokio::test]
async fn x509v1_root_is_accepted() {
    assert_ok("x509v1-root", TLS13, TLS13_SUITE).await;
}

#[tokio::test]
async fn reversed_chain_is_accepted() {
    assert_ok("reversed-chain", TLS13, TLS13_SUITE).await;
}

#[tokio::test]
async fn tls12_only_completes_with_tls12() {
    assert_ok("tls12-only", TLS12, TLS12_SUITE).await;
}

#[tokio::test]
async fn tls12_only_refuses_curl_pinned_to_tls13_with_protocol_version() {
    let server = common::start("tls12-only").await;
    curl(&server, HOST, "/", &["--tlsv1.3"])
        .await
        .expect_status(35)
        .expect_output("tlsv1 alert protocol version");
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::PROTOCOL_VERSION);
    let hello = obs.client_hello().expect("client hello");
    assert_eq!(
        hello.supported_versions,
        [quirktls::wire::ProtocolVersion::TLS13]
    );
}

#[tokio::test]
async fn tls13_only_completes_with_tls13() {
    assert_ok("tls13-only", TLS13, TLS13_SUITE).await;
}

#[tokio::test]
async fn tls13_only_refuses_curl_capped_at_tls12_with_protocol_version() {
    let server = common::start("tls13-only").await;
    curl(&server, HOST, "/", &["--tls-max", "1.2"])
        .await
        .expect_status(35)
        .expect_output("tlsv1 alert protocol version");
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::PROTOCOL_VERSION);
}

#[tokio::test]
async fn sni_multi_cert_serves_each_name_its_certificate() {
    let server = common::start("sni-multi-cert").await;
    // server-a and server-b are valid only for their own names, so curl's verification
    // succeeding proves the server picked the certificate by SNI.
    for (i, host) in ["a.quirktls.test", "b.quirktls.test", HOST]
        .iter()
        .enumerate()
    {
        curl(&server, host, "/multi", &[])
            .await
            .expect_status(0)
            .expect_output("quirktls sni-multi-cert: TLS 1.3");
        let obs = common::observation(&server, i + 1).await;
        assert_completed(&obs, TLS13, TLS13_SUITE, Some(host), "/multi");
    }
}

#[tokio::test]
async fn sni_multi_cert_without_sni_gets_the_default_certificate() {
    // By IP curl sends no SNI; the default certificate has the SAN 127.0.0.1.
    let server = common::start("sni-multi-cert").await;
    curl(&server, "127.0.0.1", "/ip", &[])
        .await
        .expect_status(0);
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, None, "/ip");
}

#[tokio::test]
async fn sni_required_completes_with_sni_and_rejects_an_ip_url() {
    let server = common::start("sni-required").await;
    curl(&server, HOST, "/named", &[])
        .await
        .expect_status(0)
        .expect_output("quirktls sni-required: TLS 1.3");
    assert_completed(
        &common::observation(&server, 1).await,
        TLS13,
        TLS13_SUITE,
        Some(HOST),
        "/named",
    );

    curl(&server, "127.0.0.1", "/ip", &[])
        .await
        .expect_status(35)
        .expect_output("tlsv1 unrecognized name");
    let obs = common::observation(&server, 2).await;
    assert_eq!(obs.client_hello().map(|h| h.sni.clone()), Some(None));
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::SniRejected { sni: None })));
    assert_server_alert(&obs, AlertDescription::UNRECOGNIZED_NAME);
}

#[tokio::test]
async fn sni_required_rejects_a_name_it_does_not_host() {
    let server = common::start("sni-required").await;
    curl(&server, "other.quirktls.test", "/", &[])
        .await
        .expect_status(35)
        .expect_output("tlsv1 unrecognized name");
    let obs = common::observation(&server, 1).await;
    assert!(obs.events().any(|e| matches!(
        e,
        Event::SniRejected { sni: Some(name) } if name == "other.quirktls.test"
    )));
    assert_server_alert(&obs, AlertDescription::UNRECOGNIZED_NAME);
}

#[tokio::test]
async fn mtls_required_presents_the_client_certificate() {
    let server = common::start("mtls-required").await;
    curl_with_identity(&server, "/mtls")
        .await
        .expect_status(0)
        .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/mtls");
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&client_subject())
    );
}

#[tokio::test]
async fn mtls_required_without_a_certificate_gets_certificate_required() {
    // TLS 1.3: curl's handshake is over before the server's alert, so it fails reading (56).
    let server = common::start("mtls-required").await;
    curl(&server, HOST, "/", &[])
        .await
        .expect_status(56)
        .expect_output("tlsv13 alert certificate required");
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::CERTIFICATE_REQUIRED);
    assert!(common::handshake_failures(&obs).contains("peer sent no certificates"));
}

#[tokio::test]
async fn mtls_optional_completes_without_and_with_a_certificate() {
    let server = common::start("mtls-optional").await;
    curl(&server, HOST, "/anon", &[])
        .await
        .expect_status(0)
        .expect_output("client cert: none");
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/anon");
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::NoClientCertificate)));

    curl_with_identity(&server, "/mtls")
        .await
        .expect_status(0)
        .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 2).await;
    assert_completed(&obs, TLS13, TLS13_SUITE, Some(HOST), "/mtls");
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&client_subject())
    );
}

#[tokio::test]
async fn mtls_empty_ca_list_curl_sends_its_certificate_anyway() {
    let server = common::start("mtls-empty-ca-list").await;
    curl_with_identity(&server, "/empty")
        .await
        .expect_status(0)
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
    // TLS 1.2: the alert arrives during SSL_connect, which curl reports as 98.
    let server = common::start("mtls-empty-ca-list").await;
    curl(&server, HOST, "/", &[])
        .await
        .expect_status(98)
        .expect_output("alert certificate required");
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::CERTIFICATE_REQUIRED);
}

#[tokio::test]
async fn mtls_unrelated_ca_list_curl_sends_its_certificate_anyway() {
    let server = common::start("mtls-unrelated-ca-list").await;
    curl_with_identity(&server, "/unrelated")
        .await
        .expect_status(0)
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
    curl_with_identity(&server, "/")
        .await
        .expect_status(56)
        .expect_output("sslv3 alert bad certificate");
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
