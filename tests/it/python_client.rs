//! Python's `ssl` module (default context, OpenSSL 3) against every built-in scenario,
//! through tests/clients/py_client.py: its exit status and printed facts, and what the
//! server observed.
//!
//! py_client.py exit codes: 0 ok, 3 `ssl.SSLCertVerificationError` (prints
//! `verify_code`/`verify_message`), 4 another `ssl.SSLError` (prints `reason`), 5 another
//! `OSError`. It prints `phase: handshake|response` to say where an error happened.

use crate::common;

use common::clients::{Client, Completion, Python};
use common::{negotiated, Run, Session, HOST, TLS12, TLS13};
use quirktls::observe::{CloseKind, Observation};
use quirktls::wire::{AlertDescription, ProtocolVersion};

impl Completion for Python {
    /// Exit 0 and the client's own view of the session.
    fn expect_ok<'a>(run: &'a Run, session: &Session) -> &'a Run {
        run.expect_status(0)
            .expect_output(&format!("version: {}\n", session.protocol))
            .expect_output(&format!("cipher: {}\n", session.openssl_suite))
            .expect_output("result: ok\n")
            .expect_output("HTTP/1.1 200 OK")
    }

    /// See [`common::assert_completed`]; no ALPN either way, and Python closed TCP without
    /// close_notify (`SSLSocket.close()` does not send one).
    fn assert_completed(obs: &Observation, session: &Session, sni: Option<&str>, path: &str) {
        common::assert_completed(obs, session, sni, path);
        let log = obs.log_line();
        assert_eq!(negotiated(obs).unwrap().alpn, None, "{log}");
        let hello = obs.client_hello().expect("client hello");
        assert!(hello.alpn.is_empty(), "Python sent ALPN: {log}");
        common::assert_closed(obs, CloseKind::Eof);
    }
}

/// Exit 4 with this OpenSSL reason in `phase`.
fn expect_ssl_error(run: &Run, phase: &str, reason: &str) {
    run.expect_status(4)
        .expect_output(&format!("phase: {phase}\n"))
        .expect_output("error: SSLError\n")
        .expect_output(&format!("reason: {reason}\n"));
}

/// Python's `GET path` completes against `scenario` with `session` on both sides.
async fn expect_completed(scenario: &str, path: &str, session: &Session) -> (Run, Observation) {
    let (run, obs) = Python::get(HOST, path).once(scenario).await;
    Python::expect_ok(&run, session);
    Python::assert_completed(&obs, session, Some(HOST), path);
    (run, obs)
}

/// `python` fails against `scenario` with the server's `alert`, reported in `phase` as
/// OpenSSL's `reason`.
async fn refused_by_server(
    python: Python,
    scenario: &str,
    phase: &str,
    reason: &str,
    alert: AlertDescription,
) -> (Run, Observation) {
    let (run, obs) = python.once(scenario).await;
    expect_ssl_error(&run, phase, reason);
    common::assert_server_sent(&obs, alert);
    (run, obs)
}

/// A plain success on TLS 1.3: exit 0, the default body, the request observed.
#[tokio::test]
async fn accepted_scenarios_complete_tls13_with_the_default_body() {
    for scenario in [
        "modern-baseline",
        "reversed-chain",
        "x509v1-leaf",
        "x509v1-root",
        "tls13-only",
    ] {
        eprintln!("scenario {scenario}");
        let (run, obs) = expect_completed(scenario, "/py", &TLS13).await;
        run.expect_output(&TLS13.greeting(scenario));
        assert_eq!(obs.client_certificate(), None);
    }
}

#[tokio::test]
async fn no_san_cn_only_is_accepted_by_cn_fallback() {
    // Contrary to the scenario description: Python 3.11's default context keeps
    // hostname_checks_common_name = True, so a certificate without any SAN matches by CN.
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
    expect_completed("no-san-cn-only", "/cn", &TLS13).await;
}

#[tokio::test]
async fn tls12_only_completes_with_tls12() {
    let (_, obs) = expect_completed("tls12-only", "/py12", &TLS12).await;
    // The fallback is inside one ClientHello: 1.3 and 1.2 offered, no retry.
    let versions = &obs.client_hello().expect("client hello").supported_versions;
    assert!(
        versions.contains(&ProtocolVersion::TLS13) && versions.contains(&ProtocolVersion::TLS12),
        "{versions:?}"
    );
}

#[tokio::test]
async fn cipher_restricted_ecdhe_completes_with_the_one_suite() {
    expect_completed("cipher-restricted-ecdhe", "/one", &TLS12).await;
}

/// Client settings the server refuses: exit 4 with OpenSSL's reason for the server's
/// alert, in the handshake or (TLS 1.3, when the client's handshake was over before the
/// server judged it) reading the response.
#[tokio::test]
async fn server_refusals_end_with_an_ssl_error() {
    for (scenario, flags, phase, reason, alert) in [
        (
            "tls13-only",
            &["--max-version", "1.2"][..],
            "handshake",
            "TLSV1_ALERT_PROTOCOL_VERSION",
            AlertDescription::PROTOCOL_VERSION,
        ),
        (
            "tls12-only",
            &["--min-version", "1.3"],
            "handshake",
            "TLSV1_ALERT_PROTOCOL_VERSION",
            AlertDescription::PROTOCOL_VERSION,
        ),
        (
            "cipher-restricted-ecdhe",
            &[
                "--max-version",
                "1.2",
                "--ciphers",
                "ECDHE-RSA-AES128-GCM-SHA256",
            ],
            "handshake",
            "SSLV3_ALERT_HANDSHAKE_FAILURE",
            AlertDescription::HANDSHAKE_FAILURE,
        ),
        // No certificate on TLS 1.3: the client's handshake is over before the alert; the
        // read reports it.
        (
            "mtls-required",
            &[],
            "response",
            "TLSV13_ALERT_CERTIFICATE_REQUIRED",
            AlertDescription::CERTIFICATE_REQUIRED,
        ),
        // No certificate on TLS 1.2: the server's handshake_failure (TLS 1.2 has no
        // certificate_required) ends the client's handshake itself.
        (
            "mtls-empty-ca-list",
            &[],
            "handshake",
            "SSLV3_ALERT_HANDSHAKE_FAILURE",
            AlertDescription::HANDSHAKE_FAILURE,
        ),
    ] {
        eprintln!("scenario {scenario} {flags:?}");
        let python = Python::get(HOST, "/").args(flags);
        let (run, _) = refused_by_server(python, scenario, phase, reason, alert).await;
        if phase == "response" {
            run.expect_output("version: TLSv1.3\n");
        }
    }
}

/// A verification failure: exit 3 in the handshake with OpenSSL's `code`/`message`, and
/// the alert Python sends for it.
#[tokio::test]
async fn certificate_problems_are_refused_with_a_verification_error_and_an_alert() {
    // Unlike curl, Python checks the name inside the handshake (X509_VERIFY_PARAM host).
    let wrong_host = (
        "wrong-host",
        62,
        "Hostname mismatch, certificate is not valid for 'server.quirktls.test'.",
        AlertDescription::BAD_CERTIFICATE,
    );
    for (scenario, code, message, alert) in common::OPENSSL_VERIFY_FAILURES
        .into_iter()
        .chain([wrong_host])
    {
        eprintln!("scenario {scenario}");
        let (run, obs) = Python::get(HOST, "/").once(scenario).await;
        run.expect_status(3)
            .expect_output("phase: handshake\n")
            .expect_output("error: SSLCertVerificationError\n")
            .expect_output(&format!("verify_code: {code}\n"))
            .expect_output(&format!("verify_message: {message}\n"))
            .expect_output("reason: CERTIFICATE_VERIFY_FAILED\n");
        common::assert_server_received(&obs, alert);
    }
}

#[tokio::test]
async fn sni_multi_cert_serves_each_name_its_certificate() {
    let server = common::start("sni-multi-cert").await;
    for (i, name) in ["a.quirktls.test", "b.quirktls.test", HOST]
        .iter()
        .enumerate()
    {
        Python::expect_ok(&Python::get(name, "/multi").run(&server).await, &TLS13);
        let obs = common::observation(&server, i + 1).await;
        Python::assert_completed(&obs, &TLS13, Some(name), "/multi");
    }
    // No SNI: the default certificate (its chain is still verified).
    Python::expect_ok(&Python::get("none", "/nosni").run(&server).await, &TLS13);
    let obs = common::observation(&server, 4).await;
    Python::assert_completed(&obs, &TLS13, None, "/nosni");
}

#[tokio::test]
async fn sni_required_completes_with_sni_and_rejects_none() {
    let server = common::start("sni-required").await;
    Python::expect_ok(&Python::get(HOST, "/named").run(&server).await, &TLS13);
    let obs = common::observation(&server, 1).await;
    Python::assert_completed(&obs, &TLS13, Some(HOST), "/named");

    let run = Python::get("none", "/").run(&server).await;
    expect_ssl_error(&run, "handshake", "TLSV1_UNRECOGNIZED_NAME");
    common::assert_sni_rejected(&common::observation(&server, 2).await, None);
}

/// Python presents its certificate whatever CA names the CertificateRequest carries.
#[tokio::test]
async fn mtls_scenarios_accept_the_certificate_python_presents() {
    Python::assert_mtls_scenarios_accept_the_identity().await;
}

#[tokio::test]
async fn mtls_optional_completes_without_and_with_a_certificate() {
    let server = common::start("mtls-optional").await;
    Python::expect_ok(&Python::get(HOST, "/anon").run(&server).await, &TLS13)
        .expect_output("client cert: none");
    let obs = common::observation(&server, 1).await;
    Python::assert_completed(&obs, &TLS13, Some(HOST), "/anon");
    common::assert_no_client_cert(&obs);

    Python::assert_presents_identity(&server, 2, "/mtls", &TLS13).await;
}

#[tokio::test]
async fn mtls_wrong_client_ca_rejects_the_certificate_with_bad_certificate() {
    let (_, obs) = refused_by_server(
        Python::get(HOST, "/").with_identity(),
        "mtls-wrong-client-ca",
        "response",
        "SSLV3_ALERT_BAD_CERTIFICATE",
        AlertDescription::BAD_CERTIFICATE,
    )
    .await;
    common::assert_client_cert_rejected(&obs);
}
