//! IIS-style renegotiation (seed 004) against real clients: HelloRequest after the first
//! HTTP request, a second full handshake with a CertificateRequest, then 200 or 403.7.

use crate::common;

use common::clients::{Client, Curl, Java, Python, SClient};
use common::{Run, CLIENT_SUBJECT, HOST};
use quirktls::observe::{Event, Observation};
use quirktls::wire::AlertDescription;

const FORBIDDEN: &str = "HTTP Error 403.7 - Forbidden";

/// The server's events in order, without timestamps or ClientHello details.
fn kinds(obs: &Observation) -> Vec<&'static str> {
    obs.events()
        .map(|e| match e {
            Event::Accepted { .. } => "accepted",
            Event::ClientHello(_) => "client_hello",
            Event::Negotiated { .. } => "negotiated",
            Event::NoClientCertificate => "no_client_certificate",
            Event::ClientCertificate { .. } => "client_certificate",
            Event::HttpRequest { .. } => "http_request",
            Event::HelloRequestSent => "hello_request_sent",
            Event::Renegotiated { .. } => "renegotiated",
            Event::RenegotiationRefusedByClient { .. } => "renegotiation_refused_by_client",
            Event::AlertReceived(_) => "alert_received",
            Event::AlertSent(_) => "alert_sent",
            Event::HandshakeFailed { .. } => "handshake_failed",
            Event::Closed { .. } => "closed",
            _ => "other",
        })
        .collect()
}

/// The first handshake has no certificate; the renegotiation brings the client's.
fn assert_renegotiated_with_certificate(obs: &Observation) {
    let k = kinds(obs);
    let expected = [
        "accepted",
        "client_hello",
        "negotiated",
        "no_client_certificate",
        "http_request",
        "hello_request_sent",
        "renegotiated",
        "client_certificate",
    ];
    assert_eq!(&k[..expected.len()], expected, "{}", obs.log_line());
    assert_eq!(
        obs.client_certificate()
            .and_then(|c| c.first())
            .map(String::as_str),
        Some(CLIENT_SUBJECT),
        "{}",
        obs.log_line()
    );
}

fn assert_renegotiated_without_certificate(obs: &Observation) {
    let k = kinds(obs);
    assert!(
        k.windows(3).any(|w| w
            == [
                "hello_request_sent",
                "renegotiated",
                "no_client_certificate"
            ]),
        "{k:?}"
    );
    assert_eq!(obs.client_certificate(), None);
}

fn assert_body(run: &Run, needle: &str) {
    assert!(
        run.output().contains(needle),
        "lacks {needle:?}:\n{}",
        run.output()
    );
}

/// `client`, set up with the `client` identity, against `scenario`: it exits 0, the
/// response names its certificate, and the server observed the certificate arrive with
/// the renegotiation. Returns what the server observed.
async fn renegotiate_with_identity(client: impl Client, scenario: &str) -> Observation {
    let (run, obs) = client.once(scenario).await;
    run.expect_status(0);
    assert_body(&run, &format!("client cert: {CLIENT_SUBJECT}"));
    assert_renegotiated_with_certificate(&obs);
    obs
}

#[tokio::test]
async fn openssl_renegotiates_and_presents_its_certificate() {
    renegotiate_with_identity(SClient::named(HOST).with_identity(), "iis-renegotiation").await;
}

#[tokio::test]
async fn openssl_without_certificate_gets_the_403_7_page() {
    let (run, obs) = SClient::named(HOST).once("iis-renegotiation").await;
    run.expect_status(0);
    assert_body(&run, "HTTP/1.1 403 Forbidden");
    assert_body(&run, FORBIDDEN);
    assert_renegotiated_without_certificate(&obs);
}

#[tokio::test]
async fn curl_renegotiates_and_presents_its_certificate() {
    renegotiate_with_identity(Curl::get(HOST, "/").with_identity(), "iis-renegotiation").await;
}

#[tokio::test]
async fn python_renegotiates_and_presents_its_certificate() {
    renegotiate_with_identity(Python::get(HOST, "/").with_identity(), "iis-renegotiation").await;
}

#[tokio::test]
async fn java_renegotiates_and_presents_its_certificate() {
    renegotiate_with_identity(Java::to(HOST).with_identity(), "iis-renegotiation").await;
}

#[tokio::test]
async fn the_second_handshake_carries_the_certificate_request() {
    // s_client -msg prints every handshake message; the CertificateRequest must come
    // after the HelloRequest, in the second handshake, as in seed 004's transcript.
    let (run, _) = SClient::named(HOST)
        .with_identity()
        .args(&["-msg"])
        .once("iis-renegotiation")
        .await;
    let out = run.output();
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{out}"))
    };
    let hello_request = at("<<< TLS 1.2, Handshake [length 0004], HelloRequest");
    let request = at(", CertificateRequest");
    let second_hello = out[hello_request..]
        .find(">>> TLS 1.2, Handshake")
        .map(|i| i + hello_request)
        .expect("the client answers the HelloRequest");
    assert!(out[second_hello..].starts_with(">>> TLS 1.2, Handshake [length"));
    assert!(
        hello_request < second_hello && second_hello < request,
        "{out}"
    );
    assert_eq!(out.matches(", ClientHello").count(), 2, "{out}");
    assert_eq!(out.matches(", CertificateRequest").count(), 1, "{out}");
}

#[tokio::test]
async fn always_nego_asks_in_the_first_handshake() {
    let (run, obs) = SClient::named(HOST)
        .with_identity()
        .once("iis-always-nego-client-cert")
        .await;
    run.expect_status(0);
    assert_body(&run, &format!("client cert: {CLIENT_SUBJECT}"));
    assert!(!obs.renegotiated());
    assert_eq!(
        obs.client_certificate()
            .and_then(|c| c.first())
            .map(String::as_str),
        Some(CLIENT_SUBJECT)
    );

    let (run, obs) = Curl::get(HOST, "/")
        .once("iis-always-nego-client-cert")
        .await;
    run.expect_status(0);
    assert_body(&run, FORBIDDEN);
    assert!(obs.handshake_completed());
    assert_eq!(obs.client_certificate(), None);
}

#[tokio::test]
async fn openssl_refuses_a_server_without_secure_renegotiation() {
    // OpenSSL 3 will not even complete a first handshake with a server that does not
    // answer RFC 5746: "unsafe legacy renegotiation disabled", alert handshake_failure.
    let (run, obs) = SClient::named(HOST)
        .once("iis-renegotiation-insecure")
        .await;
    assert_ne!(run.status, Some(0), "{}", run.output());
    assert_body(&run, "unsafe legacy renegotiation disabled");
    assert_eq!(
        obs.alerts_received()
            .iter()
            .map(|a| a.description)
            .collect::<Vec<_>>(),
        vec![AlertDescription::HANDSHAKE_FAILURE],
        "{}",
        obs.log_line()
    );
    assert!(!obs.handshake_completed());
}

#[tokio::test]
async fn openssl_with_legacy_renegotiation_allowed_renegotiates_insecurely() {
    let client = SClient::named(HOST)
        .with_identity()
        .args(&["-legacy_renegotiation", "-legacy_server_connect"]);
    let obs = renegotiate_with_identity(client, "iis-renegotiation-insecure").await;
    let hello = obs.client_hello().expect("hello");
    assert!(
        hello.renegotiation_info || hello.scsv,
        "the client offered RFC 5746"
    );
}

#[tokio::test]
async fn a_client_that_refuses_renegotiation_is_observed_and_gets_403_7() {
    // -no_renegotiation: OpenSSL answers HelloRequest with a no_renegotiation warning.
    let (run, obs) = SClient::named(HOST)
        .with_identity()
        .args(&["-no_renegotiation"])
        .once("iis-renegotiation")
        .await;
    run.expect_status(0);
    assert_body(&run, FORBIDDEN);
    let refused = obs.events().find_map(|e| match e {
        Event::RenegotiationRefusedByClient { reason } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        refused.as_deref(),
        Some("client answered warning no_renegotiation(100)"),
        "{}",
        obs.log_line()
    );
    assert!(!obs.renegotiated());
    assert!(
        obs.log_line().contains("renegotiation refused"),
        "{}",
        obs.log_line()
    );
}

#[tokio::test]
async fn the_servers_own_transcript_shows_the_second_handshake_like_seed_004() {
    let (run, obs) = SClient::named(HOST)
        .with_identity()
        .once("iis-renegotiation")
        .await;
    run.expect_status(0);
    let text = obs.transcript_text();
    let heads: Vec<&str> = text.lines().filter(|l| !l.starts_with("    ")).collect();
    // From the HelloRequest on, the server's view of the renegotiation.
    let from = heads
        .iter()
        .position(|l| l.ends_with(", HelloRequest"))
        .unwrap_or_else(|| panic!("no HelloRequest in:\n{text}"));
    let names: Vec<&str> = heads[from..]
        .iter()
        .map(|l| l.rsplit(", ").next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "HelloRequest",
            "ClientHello",
            "ServerHello",
            "Certificate",
            "ServerKeyExchange",
            "CertificateRequest",
            "ServerHelloDone",
            "Certificate",
            "ClientKeyExchange",
            "CertificateVerify",
            "ChangeCipherSpec",
            "Finished",
            "ChangeCipherSpec",
            "Finished",
            // After the response, the client's close_notify.
            "warning close_notify(0)",
        ],
        "{text}"
    );
    assert!(
        heads[from].starts_with(">>> TLS 1.2, Handshake [length 0004]"),
        "{text}"
    );
    assert!(
        heads[from + 1].starts_with("<<< TLS 1.2, Handshake"),
        "{text}"
    );
}
