//! Java 17's JSSE (javax.net.ssl) against a selection of scenarios through
//! src/runner/TlsClient.java, trusting the generated PKCS#12 truststore and presenting
//! the `client` PKCS#12 identity where the scenario asks for one.
//!
//! TlsClient exit codes: 0 ok, 2 usage or keystore error, 3 `SSLHandshakeException`,
//! 4 another `SSLException`, 5 another `IOException`. It prints `phase:` and `error:` on
//! failure, `version:`/`cipher:`/`client_cert_sent:` after the handshake.

use crate::common;

use common::clients::{Client, Java};
use common::{Run, Session, HOST, TLS12, TLS13};
use quirktls::observe::{CloseKind, Observation};
use quirktls::wire::AlertDescription;

/// Exit 0, the session as Java saw it, and the response.
fn expect_ok<'a>(run: &'a Run, session: &Session, cert_sent: bool) -> &'a Run {
    run.expect_status(0)
        .expect_output(&format!("version: {}\n", session.protocol))
        .expect_output(&format!("cipher: {}\n", session.suite))
        .expect_output(&format!("client_cert_sent: {cert_sent}\n"))
        .expect_output("result: ok\n")
        .expect_output("HTTP/1.1 200 OK")
}

/// The handshake completed with `session` and SNI HOST, `GET /java` arrived (see
/// [`common::assert_completed`]), and Java ended with close_notify.
fn assert_completed(obs: &Observation, session: &Session) {
    common::assert_completed(obs, session, Some(HOST), "/java");
    common::assert_closed(obs, CloseKind::CloseNotify);
}

#[tokio::test]
async fn modern_baseline_completes_with_the_generated_pkcs12_truststore() {
    let (run, obs) = Java::to(HOST).once("modern-baseline").await;
    expect_ok(&run, &TLS13, false).expect_output(&TLS13.greeting("modern-baseline"));
    // Every trusted root of the spec became a trustedCertEntry Java can use.
    run.expect_output(&format!(
        "trusted_entries: {}\n",
        common::pki().roots().len()
    ));
    assert_completed(&obs, &TLS13);
    common::assert_no_client_cert(&obs);
}

/// Java presents the certificate from its PKCS#12 keystore. For mtls-empty-ca-list, the
/// "JSSE sends nothing for an empty CA list" story does not hold for Java 17: its key
/// manager treats an empty list as "any issuer" and the handshake completes.
#[tokio::test]
async fn mtls_scenarios_accept_the_certificate_java_presents_from_pkcs12() {
    for (scenario, session) in [("mtls-required", TLS13), ("mtls-empty-ca-list", TLS12)] {
        eprintln!("scenario {scenario}");
        let (run, obs) = Java::to(HOST).with_identity().once(scenario).await;
        expect_ok(&run, &session, true).expect_output(&common::client_cert_line());
        assert_completed(&obs, &session);
        common::assert_client_cert(&obs);
    }
}

#[tokio::test]
async fn mtls_unrelated_ca_list_java_sends_no_certificate() {
    // JSSE filters its identities by the CA list: none matches, so it sends an empty
    // Certificate and the server ends the TLS 1.2 handshake with handshake_failure.
    let (run, obs) = Java::to(HOST)
        .with_identity()
        .once("mtls-unrelated-ca-list")
        .await;
    common::assert_server_sent(&obs, AlertDescription::HANDSHAKE_FAILURE);
    assert_eq!(obs.client_certificate(), None, "{}", obs.log_line());
    assert!(
        common::handshake_failures(&obs).contains("peer sent no certificates"),
        "{}",
        obs.log_line()
    );
    // The server lingers after its alert (reading Java's rest of the flight), so Java
    // reads the alert instead of failing a write with "Broken pipe".
    let out = run.output();
    assert_eq!(run.status, Some(3), "unexpected Java result:\n{out}");
    assert!(
        out.contains("Received fatal alert: handshake_failure"),
        "{out}"
    );
    assert!(!out.contains("result: ok"), "{out}");
}

#[tokio::test]
async fn sni_required_completes_with_sni_and_rejects_none() {
    let server = common::start("sni-required").await;
    expect_ok(&Java::to(HOST).run(&server).await, &TLS13, false);
    assert_completed(&common::observation(&server, 1).await, &TLS13);

    Java::to("none")
        .run(&server)
        .await
        .expect_status(3)
        .expect_output("error: javax.net.ssl.SSLHandshakeException\n")
        .expect_output("Received fatal alert: unrecognized_name");
    common::assert_sni_rejected(&common::observation(&server, 2).await, None);
}

/// Certificates Java 17 accepts although the scenario descriptions expect a refusal.
#[tokio::test]
async fn x509v1_leaf_and_sha1_leaf_are_accepted_by_java17() {
    for scenario in [
        // PKIX validation accepts a v1 end-entity certificate (only v1 CA certificates get
        // special treatment), and the hostname check falls back to the CN as there is no
        // SAN.
        "x509v1-leaf",
        // jdk.certpath.disabledAlgorithms only refuses SHA-1 chains to the JDK's own
        // cacerts roots ("SHA1 jdkCA & usage TLSServer"); under our root the SHA-1 leaf
        // passes.
        "sha1-leaf",
    ] {
        eprintln!("scenario {scenario}");
        let (run, obs) = Java::to(HOST).once(scenario).await;
        expect_ok(&run, &TLS13, false).expect_output(&format!("quirktls {scenario}: TLS 1.3"));
        assert_completed(&obs, &TLS13);
    }
}

#[tokio::test]
async fn expired_is_refused_with_certificate_unknown() {
    // JSSE reports every trust-manager failure as certificate_unknown (46).
    let (run, obs) = Java::to(HOST).once("expired").await;
    run.expect_status(3)
        .expect_output("phase: handshake\n")
        .expect_output("error: javax.net.ssl.SSLHandshakeException\n")
        .expect_output("validity check failed")
        .expect_output("java.security.cert.CertificateExpiredException");
    common::assert_server_received(&obs, AlertDescription::CERTIFICATE_UNKNOWN);
}
