//! The Rust test API against the rustls client: expectations verified on drop.

use std::io::{Read, Write};
use std::sync::Arc;

use quirktls::TestServer;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

fn client_config(server: &TestServer, identity: bool) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&server.ca_pem()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let config = match server.client_identity().filter(|_| identity) {
        Some(id) => builder
            .with_client_auth_cert(id.chain_der(), PrivateKeyDer::Pkcs8(id.key.clone_key()))
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    Arc::new(config)
}

/// GET / over TLS with rustls; the response, or the error that ended the exchange.
fn get(server: &TestServer, sni: bool, identity: bool) -> Result<String, std::io::Error> {
    let mut config = (*client_config(server, identity)).clone();
    config.enable_sni = sni;
    let name = ServerName::try_from(server.server_name().to_string()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(server.addr())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: server.quirktls.test\r\n\r\n")?;
    let mut response = String::new();
    tls.read_to_string(&mut response)?;
    Ok(response)
}

#[tokio::test(flavor = "multi_thread")]
async fn sni_required_meets_its_expectations_with_sni() {
    let server = TestServer::start("sni-required").await.unwrap();
    let s = &server;
    let response = tokio::task::block_in_place(|| get(s, true, false)).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    server.wait_for(1).await;
    // Dropping verifies `expect:` (handshake completes, SNI server.quirktls.test).
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "handshake: expected completes, observed server_aborts")]
async fn a_client_without_sni_fails_the_expectations_on_drop() {
    let server = TestServer::start("sni-required").await.unwrap();
    let s = &server;
    let err = tokio::task::block_in_place(|| get(s, false, false)).unwrap_err();
    assert!(err.to_string().contains("UnrecognisedName"), "{err}");
    server.wait_for(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rustls_refuses_iis_renegotiation_and_the_verdict_says_so() {
    let mut server = TestServer::start("iis-renegotiation").await.unwrap();
    let s = &server;
    let response = tokio::task::block_in_place(|| get(s, true, true)).unwrap();
    // rustls does not renegotiate by design: it declines, so IIS answers 403.7.
    assert!(response.contains("403 Forbidden"), "{response}");
    server.wait_for(1).await;
    let verdicts = server.verdicts();
    assert_eq!(verdicts.len(), 1);
    let text = verdicts[0].to_string();
    assert!(
        text.contains("renegotiation: expected completes, observed refused"),
        "{text}"
    );
    assert!(
        text.contains("client_certificate: expected presented, observed absent"),
        "{text}"
    );
    server.disarm();
}

#[test]
fn the_blocking_variant_serves_plain_tests() {
    let server = TestServer::start_blocking("modern-baseline").unwrap();
    let response = get(&server, true, false).unwrap();
    assert!(
        response.contains("quirktls modern-baseline: TLS 1.3"),
        "{response}"
    );
    assert!(server.url().starts_with("https://server.quirktls.test:"));
    for _ in 0..100 {
        if !server.observations().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(server.verdicts().len(), 1);
    assert!(server.verdicts()[0].passed(), "{}", server.verdicts()[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scenario_built_in_code_is_served_and_verified() {
    use quirktls::scenario::{ScenarioBuilder, TlsVersion};
    let built = ScenarioBuilder::new("built-tls12-chacha")
        .versions(&[TlsVersion::Tls12])
        .cipher_suites(&["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"])
        .set("app.body", "built {version} {cipher_suite}\n")
        .set("expect.version", "tls1.2")
        .set(
            "expect.cipher_suite",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        );
    let server = TestServer::start(built).await.unwrap();
    let s = &server;
    let response = tokio::task::block_in_place(|| get(s, true, false)).unwrap();
    assert!(
        response.contains("built TLS 1.2 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        "{response}"
    );
    server.wait_for(1).await;
    assert!(server.verdicts()[0].passed(), "{}", server.verdicts()[0]);
}
