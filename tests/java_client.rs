//! Java 17's JSSE (javax.net.ssl) against a selection of scenarios through
//! tests/clients/TlsClient.java, trusting the generated PKCS#12 truststore and presenting
//! the `client` PKCS#12 identity where the scenario asks for one.
//!
//! TlsClient exit codes: 0 ok, 2 usage or keystore error, 3 `SSLHandshakeException`,
//! 4 another `SSLException`, 5 another `IOException`. It prints `phase:` and `error:` on
//! failure, `version:`/`cipher:`/`client_cert_sent:` after the handshake.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{negotiated, Run};
use quirktls::observe::{CloseKind, Event, Observation};
use quirktls::pki::P12_PASSWORD;
use quirktls::server::ScenarioServer;
use quirktls::wire::{Alert, AlertDescription};

const HOST: &str = "server.quirktls.test";
const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/TlsClient.java");

/// The directory holding TlsClient.class, compiled once per source version and kept under
/// target/tmp (keyed by a hash of the source, so an edit recompiles).
fn classes() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let source = std::fs::read(SOURCE).expect("read TlsClient.java");
        let mut h = std::collections::hash_map::DefaultHasher::new();
        source.hash(&mut h);
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = root.join(format!("java-tls-client-{:016x}", h.finish()));
        if dir.join("TlsClient.class").is_file() {
            return dir;
        }
        // Compile beside the final place, then rename, so a concurrent run never sees a
        // half-written directory.
        let tmp = root.join(format!(
            "java-tls-client-{:016x}.tmp{}",
            h.finish(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        let out = std::process::Command::new("javac")
            .arg("-d")
            .arg(&tmp)
            .arg(SOURCE)
            .output()
            .unwrap_or_else(|e| panic!("cannot run javac (make deps installs it): {e}"));
        assert!(
            out.status.success(),
            "javac failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another process won the race; its result is as good as ours.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        assert!(dir.join("TlsClient.class").is_file());
        dir
    })
}

/// Run TlsClient against `server` with SNI `servername` ("none" for no SNI), trusting
/// the generated truststore, optionally with the `client` identity.
async fn java(server: &ScenarioServer, servername: &str, identity: bool) -> Run {
    let classes = classes().to_str().expect("utf-8 path").to_string();
    let truststore = common::pki().truststore();
    let mut args = common::args(&[
        // Start fast: a short-lived client does not need the optimising JIT.
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-cp",
        &classes,
        "TlsClient",
        "127.0.0.1",
        &server.addr().port().to_string(),
        servername,
        truststore.to_str().expect("utf-8 path"),
        P12_PASSWORD,
    ]);
    if identity {
        args.push(
            common::entity("client")
                .p12
                .to_str()
                .expect("utf-8 path")
                .into(),
        );
        args.push(P12_PASSWORD.into());
    }
    common::run("java", &args, b"").await
}

fn client_subject() -> String {
    common::entity("client").subject.clone()
}

/// Exit 0, the session as Java saw it, and the response.
fn expect_ok<'a>(run: &'a Run, version: &str, suite: &str, cert_sent: bool) -> &'a Run {
    run.expect_status(0)
        .expect_output(&format!("version: {version}\n"))
        .expect_output(&format!("cipher: {suite}\n"))
        .expect_output(&format!("client_cert_sent: {cert_sent}\n"))
        .expect_output("result: ok\n")
        .expect_output("HTTP/1.1 200 OK")
}

/// The handshake completed with `version`/`suite` and SNI, `GET /java` arrived, and
/// Java ended with close_notify.
fn assert_completed(obs: &Observation, version: &str, suite: &str) {
    let log = obs.log_line();
    let n = negotiated(obs).unwrap_or_else(|| panic!("handshake did not complete: {log}"));
    assert_eq!(n.version, version, "{log}");
    assert_eq!(n.cipher_suite, suite, "{log}");
    assert_eq!(n.sni.as_deref(), Some(HOST), "{log}");
    assert_eq!(obs.http_request(), Some("GET /java HTTP/1.1"), "{log}");
    assert!(obs.alerts_received().is_empty(), "{log}");
    assert!(obs.alerts_sent().is_empty(), "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::CloseNotify), "{log}");
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

#[tokio::test]
async fn modern_baseline_completes_with_the_generated_pkcs12_truststore() {
    let server = common::start("modern-baseline").await;
    let run = java(&server, HOST, false).await;
    expect_ok(&run, "TLSv1.3", "TLS_AES_256_GCM_SHA384", false).expect_output(
        "quirktls modern-baseline: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none",
    );
    // Every trusted root of the spec became a trustedCertEntry Java can use.
    run.expect_output(&format!(
        "trusted_entries: {}\n",
        common::pki().roots().len()
    ));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, "TLS 1.3", "TLS_AES_256_GCM_SHA384");
    assert_eq!(
        obs.client_hello().and_then(|h| h.sni.as_deref()),
        Some(HOST)
    );
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::NoClientCertificate)));
}

#[tokio::test]
async fn mtls_required_presents_the_client_certificate_from_pkcs12() {
    let server = common::start("mtls-required").await;
    expect_ok(
        &java(&server, HOST, true).await,
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        true,
    )
    .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, "TLS 1.3", "TLS_AES_256_GCM_SHA384");
    let chain = obs
        .client_certificate()
        .expect("client certificate observed");
    assert_eq!(chain.first(), Some(&client_subject()));
}

#[tokio::test]
async fn mtls_empty_ca_list_java17_sends_its_certificate() {
    // The "JSSE sends nothing for an empty CA list" story does not hold for Java 17: its
    // key manager treats an empty list as "any issuer" and the handshake completes.
    let server = common::start("mtls-empty-ca-list").await;
    expect_ok(
        &java(&server, HOST, true).await,
        "TLSv1.2",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        true,
    )
    .expect_output(&format!("client cert: {}", client_subject()));
    let obs = common::observation(&server, 1).await;
    assert_completed(&obs, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    let chain = obs
        .client_certificate()
        .expect("client certificate observed");
    assert_eq!(chain.first(), Some(&client_subject()));
}

#[tokio::test]
async fn mtls_unrelated_ca_list_java_sends_no_certificate() {
    // JSSE filters its identities by the CA list: none matches, so it sends an empty
    // Certificate and the server ends the handshake with certificate_required.
    let server = common::start("mtls-unrelated-ca-list").await;
    let run = java(&server, HOST, true).await;
    let obs = common::observation(&server, 1).await;
    assert_server_alert(&obs, AlertDescription::CERTIFICATE_REQUIRED);
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
    assert!(out.contains("Received fatal alert: certificate_required"), "{out}");
    assert!(!out.contains("result: ok"), "{out}");
}

#[tokio::test]
async fn sni_required_completes_with_sni_and_rejects_none() {
    let server = common::start("sni-required").await;
    expect_ok(
        &java(&server, HOST, false).await,
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        false,
    );
    assert_completed(
        &common::observation(&server, 1).await,
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
    );

    java(&server, "none", false)
        .await
        .expect_status(3)
        .expect_output("error: javax.net.ssl.SSLHandshakeException\n")
        .expect_output("Received fatal alert: unrecognized_name");
    let obs = common::observation(&server, 2).await;
    assert_eq!(obs.client_hello().map(|h| h.sni.clone()), Some(None));
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::SniRejected { sni: None })));
    assert_server_alert(&obs, AlertDescription::UNRECOGNIZED_NAME);
}

#[tokio::test]
async fn x509v1_leaf_is_accepted_by_java17() {
    // Contrary to the scenario description, Java 17's PKIX validation accepts a v1
    // end-entity certificate (only v1 CA certificates get special treatment) and its
    // hostname check falls back to the CN because there is no SAN.
    let server = common::start("x509v1-leaf").await;
    expect_ok(
        &java(&server, HOST, false).await,
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        false,
    )
    .expect_output("quirktls x509v1-leaf: TLS 1.3");
    assert_completed(
        &common::observation(&server, 1).await,
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
    );
}

#[tokio::test]
async fn sha1_leaf_is_accepted_by_java17_under_a_private_root() {
    // jdk.certpath.disabledAlgorithms only refuses SHA-1 chains to the JDK's own cacerts
    // roots ("SHA1 jdkCA & usage TLSServer"); under our root the SHA-1 leaf passes.
    let server = common::start("sha1-leaf").await;
    expect_ok(
        &java(&server, HOST, false).await,
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        false,
    );
    assert_completed(
        &common::observation(&server, 1).await,
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
    );
}

#[tokio::test]
async fn expired_is_refused_with_certificate_unknown() {
    // JSSE reports every trust-manager failure as certificate_unknown (46).
    let server = common::start("expired").await;
    java(&server, HOST, false)
        .await
        .expect_status(3)
        .expect_output("phase: handshake\n")
        .expect_output("error: javax.net.ssl.SSLHandshakeException\n")
        .expect_output("validity check failed")
        .expect_output("java.security.cert.CertificateExpiredException");
    let obs = common::observation(&server, 1).await;
    let log = obs.log_line();
    assert!(!obs.handshake_completed(), "{log}");
    assert_eq!(
        obs.alerts_received(),
        vec![Alert::fatal(AlertDescription::CERTIFICATE_UNKNOWN)],
        "{log}"
    );
    assert!(obs.alerts_sent().is_empty(), "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert), "{log}");
}
