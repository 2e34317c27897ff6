//! curl (OpenSSL 3 backend) against every built-in scenario: curl's exit status and
//! message, and what the server observed on the wire.
//!
//! curl exit codes seen here: 0 ok, 35 handshake failed (alert from the server),
//! 56 receive failed (a TLS 1.3 alert that arrives after the client's Finished),
//! 60 server certificate verification failed, 98 client certificate required.

use crate::common;

use common::clients::{Client, Completion, Curl};
use common::{negotiated, Run, Session, HOST, TLS12, TLS13};
use quirktls::observe::{CloseKind, Observation};
use quirktls::wire::{AlertDescription, ProtocolVersion};

impl Completion for Curl {
    /// Exit 0.
    fn expect_ok<'a>(run: &'a Run, _: &Session) -> &'a Run {
        run.expect_status(0)
    }

    /// See [`common::assert_completed`]; curl ended with close_notify.
    fn assert_completed(obs: &Observation, session: &Session, sni: Option<&str>, path: &str) {
        common::assert_completed(obs, session, sni, path);
        common::assert_closed(obs, CloseKind::CloseNotify);
    }
}

/// `curl` fails against `scenario` with exit `status` and `message`, and the server sent
/// exactly one fatal `alert`.
async fn refused_by_server(
    curl: Curl,
    scenario: &str,
    status: i32,
    message: &str,
    alert: AlertDescription,
) -> Observation {
    let (run, obs) = curl.once(scenario).await;
    run.expect_status(status).expect_output(message);
    common::assert_server_sent(&obs, alert);
    obs
}

#[tokio::test]
async fn modern_baseline_completes_tls13_with_alpn_http11() {
    let (run, obs) = Curl::get(HOST, "/hello").once("modern-baseline").await;
    run.expect_status(0)
        .expect_output(&TLS13.greeting("modern-baseline"));
    Curl::assert_completed(&obs, &TLS13, Some(HOST), "/hello");
    let hello = obs.client_hello().expect("client hello");
    assert_eq!(hello.alpn, ["h2", "http/1.1"]);
    assert_eq!(negotiated(&obs).unwrap().alpn.as_deref(), Some("http/1.1"));
    common::assert_no_client_cert(&obs);
}

/// A plain success: exit 0, the default body, and the server saw `GET /ok`.
#[tokio::test]
async fn accepted_scenarios_complete_with_the_default_body() {
    for (scenario, session) in [
        ("cipher-restricted-ecdhe", TLS12),
        // Contrary to the scenario description, curl 7.88 still matches the subject CN
        // when the certificate has no subjectAltName at all.
        ("no-san-cn-only", TLS13),
        ("x509v1-leaf", TLS13),
        ("x509v1-root", TLS13),
        ("reversed-chain", TLS13),
        ("tls12-only", TLS12),
        ("tls13-only", TLS13),
    ] {
        eprintln!("scenario {scenario}");
        let (run, obs) = Curl::get(HOST, "/ok").once(scenario).await;
        run.expect_status(0)
            .expect_output(&session.greeting(scenario));
        Curl::assert_completed(&obs, &session, Some(HOST), "/ok");
        assert_eq!(obs.client_certificate(), None);
    }
}

/// A certificate verification failure: exit 60 with OpenSSL's `message`, and the alert
/// curl sends for it.
#[tokio::test]
async fn certificate_problems_are_refused_with_exit_60_and_an_alert() {
    for (scenario, _, message, alert) in common::OPENSSL_VERIFY_FAILURES {
        eprintln!("scenario {scenario}");
        let (run, obs) = Curl::get(HOST, "/").once(scenario).await;
        run.expect_status(60)
            .expect_output(&format!("SSL certificate problem: {message}"));
        common::assert_server_received(&obs, alert);
    }
}

#[tokio::test]
async fn cipher_restricted_ecdhe_refuses_a_list_without_it_with_handshake_failure() {
    let curl = Curl::get(HOST, "/").args(&[
        "--tls-max",
        "1.2",
        "--ciphers",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ]);
    let obs = refused_by_server(
        curl,
        "cipher-restricted-ecdhe",
        35,
        "sslv3 alert handshake failure",
        AlertDescription::HANDSHAKE_FAILURE,
    )
    .await;
    assert!(common::handshake_failures(&obs).contains("NoCipherSuitesInCommon"));
}

#[tokio::test]
async fn wrong_host_fails_after_the_handshake_without_an_alert() {
    // curl/OpenSSL checks the name after SSL_connect: the TLS 1.3 handshake completes on
    // the server's side, then curl closes (close_notify) without sending a request.
    let (run, obs) = Curl::get(HOST, "/").once("wrong-host").await;
    run.expect_status(60).expect_output(
        "no alternative certificate subject name matches target host name 'server.quirktls.test'",
    );
    let log = obs.log_line();
    let n = negotiated(&obs).unwrap_or_else(|| panic!("{log}"));
    assert_eq!(
        (n.version.as_str(), n.sni.as_deref()),
        (TLS13.version, Some(HOST))
    );
    assert_eq!(obs.http_request(), None, "{log}");
    assert!(obs.alerts_received().is_empty(), "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::CloseNotify), "{log}");
}

#[tokio::test]
async fn tls12_only_refuses_curl_pinned_to_tls13_with_protocol_version() {
    let obs = refused_by_server(
        Curl::get(HOST, "/").args(&["--tlsv1.3"]),
        "tls12-only",
        35,
        "tlsv1 alert protocol version",
        AlertDescription::PROTOCOL_VERSION,
    )
    .await;
    let hello = obs.client_hello().expect("client hello");
    assert_eq!(hello.supported_versions, [ProtocolVersion::TLS13]);
}

#[tokio::test]
async fn tls13_only_refuses_curl_capped_at_tls12_with_protocol_version() {
    refused_by_server(
        Curl::get(HOST, "/").args(&["--tls-max", "1.2"]),
        "tls13-only",
        35,
        "tlsv1 alert protocol version",
        AlertDescription::PROTOCOL_VERSION,
    )
    .await;
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
        Curl::get(host, "/multi")
            .run(&server)
            .await
            .expect_status(0)
            .expect_output("quirktls sni-multi-cert: TLS 1.3");
        let obs = common::observation(&server, i + 1).await;
        Curl::assert_completed(&obs, &TLS13, Some(host), "/multi");
    }
}

#[tokio::test]
async fn sni_multi_cert_without_sni_gets_the_default_certificate() {
    // By IP curl sends no SNI; the default certificate has the SAN 127.0.0.1.
    let (run, obs) = Curl::get("127.0.0.1", "/ip").once("sni-multi-cert").await;
    run.expect_status(0);
    Curl::assert_completed(&obs, &TLS13, None, "/ip");
}

#[tokio::test]
async fn sni_required_completes_with_sni_and_rejects_an_ip_url() {
    let server = common::start("sni-required").await;
    Curl::get(HOST, "/named")
        .run(&server)
        .await
        .expect_status(0)
        .expect_output("quirktls sni-required: TLS 1.3");
    let obs = common::observation(&server, 1).await;
    Curl::assert_completed(&obs, &TLS13, Some(HOST), "/named");

    Curl::get("127.0.0.1", "/ip")
        .run(&server)
        .await
        .expect_status(35)
        .expect_output("tlsv1 unrecognized name");
    common::assert_sni_rejected(&common::observation(&server, 2).await, None);
}

#[tokio::test]
async fn sni_required_rejects_a_name_it_does_not_host() {
    let (run, obs) = Curl::get("other.quirktls.test", "/")
        .once("sni-required")
        .await;
    run.expect_status(35)
        .expect_output("tlsv1 unrecognized name");
    common::assert_sni_rejected(&obs, Some("other.quirktls.test"));
}

/// curl presents its certificate whatever CA names the CertificateRequest carries.
#[tokio::test]
async fn mtls_scenarios_accept_the_certificate_curl_presents() {
    Curl::assert_mtls_scenarios_accept_the_identity().await;
}

#[tokio::test]
async fn mtls_required_without_a_certificate_gets_certificate_required() {
    // TLS 1.3: curl's handshake is over before the server's alert, so it fails reading (56).
    let obs = refused_by_server(
        Curl::get(HOST, "/"),
        "mtls-required",
        56,
        "tlsv13 alert certificate required",
        AlertDescription::CERTIFICATE_REQUIRED,
    )
    .await;
    assert!(common::handshake_failures(&obs).contains("peer sent no certificates"));
}

#[tokio::test]
async fn mtls_optional_completes_without_and_with_a_certificate() {
    let server = common::start("mtls-optional").await;
    Curl::get(HOST, "/anon")
        .run(&server)
        .await
        .expect_status(0)
        .expect_output("client cert: none");
    let obs = common::observation(&server, 1).await;
    Curl::assert_completed(&obs, &TLS13, Some(HOST), "/anon");
    common::assert_no_client_cert(&obs);

    Curl::assert_presents_identity(&server, 2, "/mtls", &TLS13).await;
}

#[tokio::test]
async fn mtls_empty_ca_list_without_a_certificate_fails_in_the_handshake() {
    // TLS 1.2: handshake_failure arrives during SSL_connect, which curl reports as 35.
    refused_by_server(
        Curl::get(HOST, "/"),
        "mtls-empty-ca-list",
        35,
        "alert handshake failure",
        AlertDescription::HANDSHAKE_FAILURE,
    )
    .await;
}

#[tokio::test]
async fn mtls_wrong_client_ca_rejects_the_certificate_with_bad_certificate() {
    let obs = refused_by_server(
        Curl::get(HOST, "/").with_identity(),
        "mtls-wrong-client-ca",
        56,
        "sslv3 alert bad certificate",
        AlertDescription::BAD_CERTIFICATE,
    )
    .await;
    common::assert_client_cert_rejected(&obs);
}
