//! A required client certificate that does not come: handshake_failure (40) on TLS 1.2,
//! which has no certificate_required, and certificate_required (116) on TLS 1.3; a
//! scenario's `reject_alert` picks another. Seen by the client and in the server's events.

use quirktls::observe::Observation;
use quirktls::server::ScenarioServer;
use quirktls::wire::AlertDescription as Desc;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, Error, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{self, clients::Client, clients::SClient, HOST};
use crate::tls_exchange::client_config;

/// rustls without a client certificate, speaking only `version`, against `scenario`: the
/// alert the client got (in the handshake, or on the first read after it) and what the
/// server observed.
async fn rustls_without_certificate(
    scenario: &str,
    version: &'static SupportedProtocolVersion,
) -> (AlertDescription, bool, Observation) {
    rustls_without_certificate_to(common::start(scenario).await, version).await
}

async fn rustls_without_certificate_to(
    server: ScenarioServer,
    version: &'static SupportedProtocolVersion,
) -> (AlertDescription, bool, Observation) {
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(client_config(&[version]));
    let (err, in_handshake) = match connector
        .connect(ServerName::try_from(HOST).unwrap(), tcp)
        .await
    {
        Err(e) => (e, true),
        Ok(mut tls) => {
            let _ = tls.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await;
            let mut buf = Vec::new();
            (tls.read_to_end(&mut buf).await.unwrap_err(), false)
        }
    };
    let alert = match err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        Some(Error::AlertReceived(alert)) => *alert,
        _ => panic!("no alert from the server: {err}"),
    };
    (alert, in_handshake, common::observation(&server, 1).await)
}

#[track_caller]
fn assert_sent_only(obs: &Observation, alert: Desc) {
    let sent: Vec<u8> = obs.alerts_sent().iter().map(|a| a.description.0).collect();
    assert_eq!(sent, [alert.0], "{}", obs.log_line());
    assert_eq!(obs.client_certificate(), None);
    assert!(
        common::handshake_failures(obs).contains("peer sent no certificates"),
        "{}",
        obs.log_line()
    );
}

#[tokio::test]
async fn rustls_tls12_without_certificate_gets_handshake_failure() {
    let (alert, in_handshake, obs) =
        rustls_without_certificate("mtls-required", &rustls::version::TLS12).await;
    assert_eq!(alert, AlertDescription::HandshakeFailure);
    assert!(
        in_handshake,
        "TLS 1.2: the alert ends the client's handshake"
    );
    assert_sent_only(&obs, Desc::HANDSHAKE_FAILURE);
}

#[tokio::test]
async fn rustls_tls13_without_certificate_gets_certificate_required() {
    let (alert, in_handshake, obs) =
        rustls_without_certificate("mtls-required", &rustls::version::TLS13).await;
    assert_eq!(alert, AlertDescription::CertificateRequired);
    assert!(
        !in_handshake,
        "TLS 1.3: the client's handshake is over first"
    );
    assert_sent_only(&obs, Desc::CERTIFICATE_REQUIRED);
}

/// `openssl s_client` with `flag`, no certificate: the alert number it reports on stderr
/// and the server's observation.
async fn openssl_without_certificate(scenario: &str, flag: &str) -> (String, Observation) {
    let (run, obs) = SClient::named(HOST).args(&[flag]).once(scenario).await;
    (run.stderr, obs)
}

#[tokio::test]
async fn openssl_tls12_without_certificate_gets_40_and_tls13_gets_116() {
    let (stderr, obs) = openssl_without_certificate("mtls-required", "-tls1_2").await;
    assert!(
        stderr.contains("alert handshake failure") && stderr.contains("SSL alert number 40"),
        "{stderr}"
    );
    assert_sent_only(&obs, Desc::HANDSHAKE_FAILURE);

    let (stderr, obs) = openssl_without_certificate("mtls-required", "-tls1_3").await;
    assert!(
        stderr.contains("alert certificate required") && stderr.contains("SSL alert number 116"),
        "{stderr}"
    );
    assert_sent_only(&obs, Desc::CERTIFICATE_REQUIRED);
}

/// mtls-wrong-client-ca says `reject_alert: bad_certificate`: on TLS 1.2 a missing
/// certificate gets that too.
#[tokio::test]
async fn reject_alert_also_answers_a_missing_tls12_certificate() {
    let (stderr, obs) = openssl_without_certificate("mtls-wrong-client-ca", "-tls1_2").await;
    assert!(stderr.contains("SSL alert number 42"), "{stderr}");
    assert_sent_only(&obs, Desc::BAD_CERTIFICATE);
}

/// The scripted engine answers a missing certificate as the rustls engine does, 40 on
/// TLS 1.2 and 116 on TLS 1.3, and takes `reject_alert` on both versions.
#[tokio::test]
async fn scripted_missing_certificate_gets_the_versions_alert_or_reject_alert() {
    let tls12 = &rustls::version::TLS12;
    let tls13 = &rustls::version::TLS13;
    let reject = "\n    reject_alert: access_denied";
    for (versions, extra, version, client_sees, server_sent) in [
        (
            "tls1.2",
            "",
            tls12,
            AlertDescription::HandshakeFailure,
            Desc::HANDSHAKE_FAILURE,
        ),
        (
            "tls1.3",
            "",
            tls13,
            AlertDescription::CertificateRequired,
            Desc::CERTIFICATE_REQUIRED,
        ),
        (
            "tls1.2",
            reject,
            tls12,
            AlertDescription::AccessDenied,
            Desc::ACCESS_DENIED,
        ),
        (
            "tls1.3",
            reject,
            tls13,
            AlertDescription::AccessDenied,
            Desc::ACCESS_DENIED,
        ),
    ] {
        let yaml = format!(
            "name: scripted-mtls\ndescription: x\nengine: scripted\ntls:\n  \
             versions: [{versions}]\n  client_auth:\n    mode: required{extra}\n"
        );
        let sc = quirktls::scenario::load_str(&yaml, "mtls.yaml", common::spec()).unwrap();
        let server = common::start_scenario(sc).await;
        let (alert, _, obs) = rustls_without_certificate_to(server, version).await;
        assert_eq!(alert, client_sees, "{versions}{extra}");
        let sent: Vec<u8> = obs.alerts_sent().iter().map(|a| a.description.0).collect();
        assert_eq!(
            sent,
            [server_sent.0],
            "{versions}{extra}: {}",
            obs.log_line()
        );
        assert_eq!(obs.client_certificate(), None);
    }
}
