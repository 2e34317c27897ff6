//! An in-process rustls 0.23 client (tokio-rustls, aws-lc-rs) against every built-in
//! scenario: the client's specific outcome and what the server observed.

use crate::common;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{Session, CLIENT_SUBJECT, HOST, TLS12, TLS13};
use quirktls::observe::Observation;
use quirktls::server::ScenarioServer;
use quirktls::wire::{AlertDescription as Desc, ProtocolVersion as WireVersion};
use rustls::client::ResolvesClientCert;
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, CertificateError, CipherSuite, ClientConfig, Error, ProtocolVersion,
    RootCertStore, SignatureScheme, SupportedCipherSuite, SupportedProtocolVersion,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DAY: u64 = 86_400;
static TLS12_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];

// ---------------------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------------------

/// Every root of the generated `ca-bundle.pem`.
fn roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(common::ca_bundle()).expect("ca-bundle.pem") {
                roots
                    .add(cert.expect("PEM certificate"))
                    .expect("trust anchor");
            }
            assert!(!roots.is_empty());
            Arc::new(roots)
        })
        .clone()
}

/// The aws-lc-rs provider, optionally offering only `suites` (in that order).
fn provider(suites: &[CipherSuite]) -> Arc<CryptoProvider> {
    let mut provider = aws_lc_rs::default_provider();
    if !suites.is_empty() {
        provider.cipher_suites = suites
            .iter()
            .map(|want| {
                *aws_lc_rs::ALL_CIPHER_SUITES
                    .iter()
                    .find(|s| s.suite() == *want)
                    .unwrap_or_else(|| panic!("aws-lc-rs lacks {want:?}"))
            })
            .collect::<Vec<SupportedCipherSuite>>();
    }
    Arc::new(provider)
}

/// The `client` identity from certs/pki.yaml: its chain (cert + intermediates) and key.
fn client_identity() -> Arc<CertifiedKey> {
    let client = common::entity("client");
    let key = aws_lc_rs::default_provider()
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(client.key.clone_key()))
        .expect("client key");
    Arc::new(CertifiedKey::new(client.chain_der(), key))
}

/// Offers `identity` (if any) whatever the server asks, and records the CA names
/// (`root_hint_subjects`) of every CertificateRequest.
#[derive(Debug)]
struct HintRecorder {
    identity: Option<Arc<CertifiedKey>>,
    /// Only offer the identity when the hints name its issuer (or are empty), the way
    /// Java and browsers filter; rustls' own resolvers ignore the hints.
    filter_by_hints: bool,
    seen: Mutex<Vec<Vec<Vec<u8>>>>,
}

impl HintRecorder {
    fn new(identity: Option<Arc<CertifiedKey>>) -> Arc<Self> {
        Arc::new(Self {
            identity,
            filter_by_hints: false,
            seen: Mutex::default(),
        })
    }

    fn filtering(identity: Arc<CertifiedKey>) -> Arc<Self> {
        Arc::new(Self {
            identity: Some(identity),
            filter_by_hints: true,
            seen: Mutex::default(),
        })
    }

    /// The hint lists of every CertificateRequest so far.
    fn seen(&self) -> Vec<Vec<Vec<u8>>> {
        self.seen.lock().unwrap().clone()
    }
}

impl ResolvesClientCert for HintRecorder {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.seen
            .lock()
            .unwrap()
            .push(root_hint_subjects.iter().map(|s| s.to_vec()).collect());
        let issuer = common::entity("client-ca").subject_der.as_slice();
        if self.filter_by_hints
            && !root_hint_subjects.is_empty()
            && !root_hint_subjects.contains(&issuer)
        {
            return None;
        }
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

/// How the client is set up.
struct Client {
    versions: &'static [&'static SupportedProtocolVersion],
    suites: &'static [CipherSuite],
    resolver: Option<Arc<HintRecorder>>,
    alpn: &'static [&'static str],
    enable_sni: bool,
}

impl Default for Client {
    fn default() -> Self {
        Self {
            versions: rustls::DEFAULT_VERSIONS,
            suites: &[],
            resolver: None,
            alpn: &[],
            enable_sni: true,
        }
    }
}

impl Client {
    /// The default client, answering CertificateRequests through `rec`.
    fn resolving(rec: &Arc<HintRecorder>) -> Self {
        Self {
            resolver: Some(rec.clone()),
            ..Self::default()
        }
    }

    fn config(&self) -> ClientConfig {
        let builder = ClientConfig::builder_with_provider(provider(self.suites))
            .with_protocol_versions(self.versions)
            .expect("client versions and suites")
            .with_root_certificates(roots());
        let mut config = match &self.resolver {
            Some(r) => builder.with_client_cert_resolver(r.clone()),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        config.enable_sni = self.enable_sni;
        config
    }
}

/// A completed handshake, as the client saw it.
#[derive(Debug)]
struct Done {
    version: Option<ProtocolVersion>,
    suite: Option<CipherSuite>,
    alpn: Option<Vec<u8>>,
    peer_certs: Vec<CertificateDer<'static>>,
    /// The HTTP response to `GET /`, or the TLS error that ended the read instead.
    response: Result<String, Error>,
}

impl Done {
    /// The client negotiated `session`.
    fn assert_session(&self, session: &Session) {
        let (version, suite) = if *session == TLS13 {
            (
                ProtocolVersion::TLSv1_3,
                CipherSuite::TLS13_AES_256_GCM_SHA384,
            )
        } else {
            assert_eq!(*session, TLS12);
            (
                ProtocolVersion::TLSv1_2,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            )
        };
        assert_eq!((self.version, self.suite), (Some(version), Some(suite)));
    }

    fn body(&self) -> &str {
        let response = self.response.as_ref().expect("an HTTP response");
        assert!(
            response.starts_with("HTTP/1.1 200 OK\r\n"),
            "not a 200: {response:?}"
        );
        response.split_once("\r\n\r\n").expect("response head").1
    }
}

/// The rustls error inside a tokio-rustls I/O error.
fn tls_error(err: &std::io::Error) -> Error {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
        .cloned()
        .unwrap_or_else(|| panic!("not a TLS error: {err:?}"))
}

/// Handshake with `server` as `name`; on success send `GET /` and read the answer.
async fn connect(
    server: &ScenarioServer,
    client: &Client,
    name: ServerName<'static>,
) -> Result<Done, Error> {
    let tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client.config()));
    let host = match &name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        other => format!("{other:?}"),
    };
    let io = tokio::time::timeout(Duration::from_secs(15), connector.connect(name, tcp))
        .await
        .expect("handshake within 15 s");
    let mut stream = io.map_err(|e| tls_error(&e))?;
    let (_, conn) = stream.get_ref();
    let mut done = Done {
        version: conn.protocol_version(),
        suite: conn.negotiated_cipher_suite().map(|s| s.suite()),
        alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        peer_certs: conn
            .peer_certificates()
            .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default(),
        response: Ok(String::new()),
    };
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let mut buf = Vec::new();
    let read = async {
        stream.write_all(request.as_bytes()).await?;
        stream.read_to_end(&mut buf).await
    };
    let read = tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("response within 15 s");
    done.response = match read {
        Ok(_) => Ok(String::from_utf8(buf).expect("UTF-8 response")),
        Err(e) => Err(tls_error(&e)),
    };
    Ok(done)
}

fn dns(name: &str) -> ServerName<'static> {
    ServerName::try_from(name.to_string()).expect("DNS name")
}

/// Start `scenario`, connect as HOST with `client`, and return both sides.
async fn run(scenario: &str, client: &Client) -> (Result<Done, Error>, Observation) {
    run_as(scenario, client, dns(HOST)).await
}

async fn run_as(
    scenario: &str,
    client: &Client,
    name: ServerName<'static>,
) -> (Result<Done, Error>, Observation) {
    let server = common::start(scenario).await;
    let outcome = connect(&server, client, name).await;
    let obs = common::observation(&server, 1).await;
    (outcome, obs)
}

/// The DNS names in a certificate's subjectAltName.
fn dns_sans(der: &[u8]) -> Vec<String> {
    use x509_cert::der::Decode;
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::SubjectAltName;
    let cert = x509_cert::Certificate::from_der(der).expect("certificate DER");
    let Some((_, san)) = cert.tbs_certificate.get::<SubjectAltName>().expect("SAN") else {
        return Vec::new();
    };
    san.0
        .iter()
        .filter_map(|n| match n {
            GeneralName::DnsName(d) => Some(d.to_string()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------------------

/// A completed handshake with `session` and one `GET / HTTP/1.1` (see
/// [`common::assert_completed`]), no ALPN and no handshake failure.
fn assert_server_completed(obs: &Observation, session: &Session, sni: Option<&str>) {
    common::assert_completed(obs, session, sni, "/");
    assert_eq!(common::negotiated(obs).unwrap().alpn, None, "{obs:#?}");
    let reasons = common::failure_reasons(obs);
    assert!(reasons.is_empty(), "{obs:#?}");
}

/// Start `scenario` and connect as HOST with `client`: the handshake completed on both
/// sides with `session` and the server saw SNI HOST.
async fn expect_completed(
    scenario: &str,
    client: &Client,
    session: &Session,
) -> (Done, Observation) {
    let (done, obs) = run(scenario, client).await;
    let done = done.unwrap_or_else(|e| panic!("{scenario}: handshake failed: {e}"));
    assert_server_completed(&obs, session, Some(HOST));
    (done, obs)
}

/// The server ended the handshake with `alert`, and the client's handshake or first read
/// failed with `err`: that alert received.
fn assert_alerted_by_server(err: Error, obs: &Observation, alert: AlertDescription) {
    assert_eq!(err, Error::AlertReceived(alert));
    common::assert_server_sent(obs, Desc(u8::from(alert)));
}

/// The default-config client refuses the server's certificate with `check`'s error and
/// sends `alert`.
async fn expect_refused(scenario: &str, alert: Desc, check: impl FnOnce(&CertificateError)) {
    let (outcome, obs) = run(scenario, &Client::default()).await;
    match outcome {
        Err(Error::InvalidCertificate(e)) => check(&e),
        other => panic!("{scenario}: expected InvalidCertificate, got {other:?}"),
    }
    common::assert_server_received(&obs, alert);
}

fn unix(t: rustls::pki_types::UnixTime) -> u64 {
    t.as_secs()
}

// ---------------------------------------------------------------------------------------
// Every scenario is covered
// ---------------------------------------------------------------------------------------

#[test]
fn every_built_in_scenario_has_a_rustls_test() {
    common::assert_every_scenario_named(include_str!("rustls_client.rs"), &[]);
}

// ---------------------------------------------------------------------------------------
// Certificate problems the client must refuse
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn expired_is_refused_as_expired_and_server_receives_certificate_expired() {
    expect_refused("expired", Desc::CERTIFICATE_EXPIRED, |e| match e {
        CertificateError::ExpiredContext { time, not_after } => {
            let ago = unix(*time) - unix(*not_after);
            assert!((DAY - 60..2 * DAY).contains(&ago), "expired {ago} s ago");
        }
        other => panic!("expected ExpiredContext, got {other:?}"),
    })
    .await;
}

#[tokio::test]
async fn not_yet_valid_is_refused_and_server_receives_certificate_expired() {
    // rustls maps "not yet valid" onto certificate_expired(45) too.
    expect_refused("not-yet-valid", Desc::CERTIFICATE_EXPIRED, |e| match e {
        CertificateError::NotValidYetContext { time, not_before } => {
            let ahead = unix(*not_before) - unix(*time);
            assert!((29 * DAY..31 * DAY).contains(&ahead), "valid in {ahead} s");
        }
        other => panic!("expected NotValidYetContext, got {other:?}"),
    })
    .await;
}

/// The certificate does not name HOST: refused for the name the client expected, with
/// bad_certificate.
#[tokio::test]
async fn names_not_matching_are_refused_for_name_and_server_receives_bad_certificate() {
    for (scenario, names) in [
        ("wrong-host", &[r#"DnsName("wrong.quirktls.test")"#][..]),
        // No subjectAltName: the CN must not count.
        ("no-san-cn-only", &[]),
    ] {
        expect_refused(scenario, Desc::BAD_CERTIFICATE, |e| match e {
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => {
                assert_eq!(expected, &dns(HOST));
                assert_eq!(presented, names, "{scenario}");
            }
            other => panic!("expected NotValidForNameContext, got {other:?}"),
        })
        .await;
    }
}

#[tokio::test]
async fn unknown_issuers_are_refused_and_server_receives_unknown_ca() {
    for scenario in ["self-signed", "untrusted-root", "incomplete-chain"] {
        expect_refused(scenario, Desc::UNKNOWN_CA, |e| {
            assert_eq!(e, &CertificateError::UnknownIssuer, "{scenario}")
        })
        .await;
    }
}

#[tokio::test]
async fn sha1_leaf_is_an_unsupported_signature_algorithm_and_server_receives_decrypt_error() {
    // AlgorithmIdentifier contents of sha1WithRSAEncryption (1.2.840.113549.1.1.5), NULL params.
    const SHA1_WITH_RSA: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
    ];
    expect_refused("sha1-leaf", Desc::DECRYPT_ERROR, |e| match e {
        CertificateError::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id,
            ..
        } => assert_eq!(signature_algorithm_id.as_slice(), SHA1_WITH_RSA),
        other => panic!("expected UnsupportedSignatureAlgorithmContext, got {other:?}"),
    })
    .await;
}

#[tokio::test]
async fn x509v1_leaf_is_unsupported_cert_version_and_server_receives_certificate_unknown() {
    // webpki refuses v1 end-entity certificates with Error::UnsupportedCertVersion, which
    // rustls has no variant for: Other(..), sent as certificate_unknown(46).
    expect_refused("x509v1-leaf", Desc::CERTIFICATE_UNKNOWN, |e| match e {
        CertificateError::Other(other) => {
            assert_eq!(format!("{other:?}"), "OtherError(UnsupportedCertVersion)")
        }
        other => panic!("expected Other(UnsupportedCertVersion), got {other:?}"),
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Chains and certificates the client must accept
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn modern_baseline_completes_with_tls13_and_alpn() {
    let client = Client {
        alpn: &["http/1.1"],
        ..Client::default()
    };
    let (done, obs) = run("modern-baseline", &client).await;
    let done = done.expect("handshake");
    done.assert_session(&TLS13);
    assert_eq!(done.alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(done.peer_certs, common::entity("server-rsa").chain_der());
    assert_eq!(done.body(), TLS13.body("modern-baseline"));
    common::assert_completed(&obs, &TLS13, Some(HOST), "/");
    let negotiated = common::negotiated(&obs).unwrap();
    assert_eq!(negotiated.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(
        obs.client_hello().unwrap().alpn,
        vec!["http/1.1".to_string()]
    );
    common::assert_no_client_cert(&obs);
}

#[tokio::test]
async fn modern_baseline_completes_with_a_tls12_only_client() {
    let client = Client {
        versions: TLS12_ONLY,
        ..Client::default()
    };
    let (done, _) = expect_completed("modern-baseline", &client, &TLS12).await;
    done.assert_session(&TLS12);
}

/// Chains rustls accepts, arriving exactly as served.
#[tokio::test]
async fn unusual_chains_complete_and_arrive_as_served() {
    for (scenario, served) in [
        // rustls tolerates a reordered chain: the root-side intermediate comes first.
        (
            "reversed-chain",
            &[
                "server-via-intermediates",
                "intermediate-ca",
                "intermediate-ca-2",
            ][..],
        ),
        // webpki accepts v1 trust anchors.
        ("x509v1-root", &["server-under-v1-root"]),
    ] {
        let (done, _) = expect_completed(scenario, &Client::default(), &TLS13).await;
        let served: Vec<_> = served
            .iter()
            .map(|n| common::entity(n).cert.clone())
            .collect();
        assert_eq!(done.peer_certs, served, "{scenario}");
        assert_eq!(done.body(), TLS13.body(scenario));
    }
}

// ---------------------------------------------------------------------------------------
// Versions and cipher suites
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn tls12_only_negotiates_tls12() {
    let (done, obs) = expect_completed("tls12-only", &Client::default(), &TLS12).await;
    done.assert_session(&TLS12);
    assert_eq!(done.body(), TLS12.body("tls12-only"));
    let hello = obs.client_hello().unwrap();
    assert_eq!(
        hello.supported_versions,
        vec![WireVersion::TLS13, WireVersion::TLS12],
        "the client offered 1.3 and 1.2 in one ClientHello"
    );
}

#[tokio::test]
async fn tls12_only_refuses_a_tls13_only_client_with_protocol_version() {
    let client = Client {
        versions: TLS13_ONLY,
        ..Client::default()
    };
    let (outcome, obs) = run("tls12-only", &client).await;
    assert_alerted_by_server(
        outcome.unwrap_err(),
        &obs,
        AlertDescription::ProtocolVersion,
    );
    assert_eq!(common::hello_sni(&obs).as_deref(), Some(HOST));
}

#[tokio::test]
async fn tls13_only_negotiates_tls13() {
    let (done, _) = expect_completed("tls13-only", &Client::default(), &TLS13).await;
    done.assert_session(&TLS13);
    assert_eq!(done.body(), TLS13.body("tls13-only"));
}

#[tokio::test]
async fn tls13_only_refuses_a_tls12_only_client_with_protocol_version() {
    let client = Client {
        versions: TLS12_ONLY,
        ..Client::default()
    };
    let (outcome, obs) = run("tls13-only", &client).await;
    assert_alerted_by_server(
        outcome.unwrap_err(),
        &obs,
        AlertDescription::ProtocolVersion,
    );
    let hello = obs.client_hello().unwrap();
    assert_eq!(hello.supported_versions, vec![WireVersion::TLS12]);
    assert_eq!(hello.legacy_version, WireVersion::TLS12);
}

#[tokio::test]
async fn cipher_restricted_ecdhe_negotiates_its_one_suite_even_when_offered_last() {
    let client = Client {
        suites: &[
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ],
        ..Client::default()
    };
    let (done, _) = expect_completed("cipher-restricted-ecdhe", &client, &TLS12).await;
    done.assert_session(&TLS12);
}

#[tokio::test]
async fn cipher_restricted_ecdhe_refuses_other_suites_with_handshake_failure() {
    let client = Client {
        versions: TLS12_ONLY,
        suites: &[
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ],
        ..Client::default()
    };
    let (outcome, obs) = run("cipher-restricted-ecdhe", &client).await;
    assert_alerted_by_server(
        outcome.unwrap_err(),
        &obs,
        AlertDescription::HandshakeFailure,
    );
    let offered: Vec<String> = obs
        .client_hello()
        .unwrap()
        .cipher_suites
        .iter()
        .filter_map(|s| s.name().map(str::to_string))
        .collect();
    assert!(
        !offered.contains(&"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".to_string()),
        "{offered:?}"
    );
}

// ---------------------------------------------------------------------------------------
// SNI
// ---------------------------------------------------------------------------------------

/// `client`, connecting to sni-required as `name`, sends a ClientHello with `sni`; the SNI
/// policy refuses it with unrecognized_name before any engine answers.
async fn expect_sni_refused(
    client: &Client,
    name: ServerName<'static>,
    sni: Option<&str>,
) -> Observation {
    let (outcome, obs) = run_as("sni-required", client, name).await;
    assert_alerted_by_server(
        outcome.unwrap_err(),
        &obs,
        AlertDescription::UnrecognisedName,
    );
    common::assert_sni_rejected(&obs, sni);
    obs
}

#[tokio::test]
async fn sni_required_without_sni_gets_unrecognized_name() {
    let client = Client {
        enable_sni: false,
        ..Client::default()
    };
    let obs = expect_sni_refused(&client, dns(HOST), None).await;
    assert!(obs.log_line().contains("no SNI"), "{}", obs.log_line());
}

#[tokio::test]
async fn sni_required_refuses_a_client_connecting_by_ip_address() {
    // rustls never sends an IP address as SNI, so this is the "connect by IP" case.
    let ip = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
    expect_sni_refused(&Client::default(), ip, None).await;
}

#[tokio::test]
async fn sni_required_refuses_a_name_it_does_not_host() {
    let other = "other.quirktls.test";
    expect_sni_refused(&Client::default(), dns(other), Some(other)).await;
}

#[tokio::test]
async fn sni_required_with_sni_completes() {
    let (done, obs) = expect_completed("sni-required", &Client::default(), &TLS13).await;
    assert_eq!(done.body(), TLS13.body("sni-required"));
    assert!(obs.log_line().contains("SNI=server.quirktls.test"));
}

#[tokio::test]
async fn sni_multi_cert_serves_each_name_its_own_certificate() {
    for (name, entity) in [
        ("a.quirktls.test", "server-a"),
        ("b.quirktls.test", "server-b"),
        (HOST, "server-rsa"),
    ] {
        let (done, obs) = run_as("sni-multi-cert", &Client::default(), dns(name)).await;
        let done = done.unwrap_or_else(|e| panic!("{name}: {e}"));
        let leaf = &done.peer_certs[0];
        assert_eq!(leaf, &common::entity(entity).cert, "{name}");
        assert!(
            dns_sans(leaf).contains(&name.to_string()),
            "{name}: {:?}",
            dns_sans(leaf)
        );
        assert_server_completed(&obs, &TLS13, Some(name));
    }
    // Sanity: the a/b certificates name only their host.
    assert_eq!(
        dns_sans(&common::entity("server-a").cert),
        vec!["a.quirktls.test"]
    );
}

#[tokio::test]
async fn sni_multi_cert_without_sni_serves_the_default_certificate() {
    let client = Client {
        enable_sni: false,
        ..Client::default()
    };
    let (done, obs) = run("sni-multi-cert", &client).await;
    let done = done.expect("default certificate is valid for server.quirktls.test");
    assert_eq!(done.peer_certs[0], common::entity("server-rsa").cert);
    assert_server_completed(&obs, &TLS13, None);
}

// ---------------------------------------------------------------------------------------
// Client certificates
// ---------------------------------------------------------------------------------------

fn subject(entity: &str) -> Vec<u8> {
    common::entity(entity).subject_der.clone()
}

fn client_body() -> String {
    format!("client cert: {CLIENT_SUBJECT}\n")
}

fn assert_server_saw_client_cert(obs: &Observation) {
    assert_eq!(
        obs.client_certificate(),
        Some(&[CLIENT_SUBJECT.to_string()][..]),
        "{obs:#?}"
    );
    assert_eq!(common::entity("client").subject, CLIENT_SUBJECT);
}

/// The client presented its identity, completing with `session`: the response names it
/// and the server saw exactly it.
async fn expect_presented(scenario: &str, rec: &Arc<HintRecorder>, session: &Session) -> Done {
    let (done, obs) = expect_completed(scenario, &Client::resolving(rec), session).await;
    assert_eq!(done.body(), client_body());
    assert_server_saw_client_cert(&obs);
    done
}

#[tokio::test]
async fn mtls_required_with_identity_completes_and_names_client_ca() {
    let rec = HintRecorder::new(Some(client_identity()));
    expect_presented("mtls-required", &rec, &TLS13).await;
    assert_eq!(rec.seen(), vec![vec![subject("client-ca")]]);
}

#[tokio::test]
async fn mtls_required_without_identity_gets_certificate_required() {
    let rec = HintRecorder::new(None);
    let (done, obs) = run("mtls-required", &Client::resolving(&rec)).await;
    // TLS 1.3: the client's handshake ends before the server judges its (empty)
    // Certificate, so the alert arrives on the first read.
    let done = done.expect("client-side handshake completes in TLS 1.3");
    let err = done.response.unwrap_err();
    assert_alerted_by_server(err, &obs, AlertDescription::CertificateRequired);
    assert_eq!(rec.seen(), vec![vec![subject("client-ca")]]);
    assert_eq!(obs.client_certificate(), None);
    assert_eq!(common::hello_sni(&obs).as_deref(), Some(HOST));
}

#[tokio::test]
async fn mtls_optional_completes_with_and_without_identity() {
    let rec = HintRecorder::new(Some(client_identity()));
    expect_presented("mtls-optional", &rec, &TLS13).await;
    assert_eq!(rec.seen(), vec![vec![subject("client-ca")]]);

    let rec = HintRecorder::new(None);
    let (done, obs) = expect_completed("mtls-optional", &Client::resolving(&rec), &TLS13).await;
    assert_eq!(rec.seen(), vec![vec![subject("client-ca")]]);
    assert_eq!(done.body(), "client cert: none\n");
    common::assert_no_client_cert(&obs);
}

#[tokio::test]
async fn mtls_empty_ca_list_sends_no_hints_and_the_certificate_is_accepted() {
    let rec = HintRecorder::new(Some(client_identity()));
    let done = expect_presented("mtls-empty-ca-list", &rec, &TLS12).await;
    assert_eq!(
        rec.seen(),
        vec![Vec::<Vec<u8>>::new()],
        "an empty certificate_authorities list"
    );
    assert_eq!(done.version, Some(ProtocolVersion::TLSv1_2));
}

#[tokio::test]
async fn mtls_empty_ca_list_without_identity_gets_handshake_failure() {
    let rec = HintRecorder::new(None);
    let (outcome, obs) = run("mtls-empty-ca-list", &Client::resolving(&rec)).await;
    // TLS 1.2: the server's verdict comes before the client's handshake ends, as
    // handshake_failure (TLS 1.2 has no certificate_required).
    let err = outcome.unwrap_err();
    assert_alerted_by_server(err, &obs, AlertDescription::HandshakeFailure);
    assert_eq!(rec.seen(), vec![Vec::<Vec<u8>>::new()]);
    assert_eq!(obs.client_certificate(), None);
}

#[tokio::test]
async fn mtls_unrelated_ca_list_hints_only_the_unrelated_ca_and_rustls_sends_its_cert_anyway() {
    // The server trusts client-ca whatever it names.
    let rec = HintRecorder::new(Some(client_identity()));
    expect_presented("mtls-unrelated-ca-list", &rec, &TLS12).await;
    assert_eq!(rec.seen(), vec![vec![subject("unrelated-ca")]]);
    assert_ne!(subject("unrelated-ca"), subject("client-ca"));
}

#[tokio::test]
async fn mtls_unrelated_ca_list_fails_for_a_client_that_filters_by_the_hints() {
    // The Java/browser behaviour from the scenario description.
    let rec = HintRecorder::filtering(client_identity());
    let (outcome, obs) = run("mtls-unrelated-ca-list", &Client::resolving(&rec)).await;
    assert_eq!(rec.seen(), vec![vec![subject("unrelated-ca")]]);
    let err = outcome.unwrap_err();
    assert_alerted_by_server(err, &obs, AlertDescription::HandshakeFailure);
    assert_eq!(obs.client_certificate(), None);
}

#[tokio::test]
async fn mtls_wrong_client_ca_rejects_the_certificate_with_bad_certificate() {
    let rec = HintRecorder::new(Some(client_identity()));
    let (done, obs) = run("mtls-wrong-client-ca", &Client::resolving(&rec)).await;
    // The CertificateRequest names client-ca although only other-client-ca is trusted.
    assert_eq!(rec.seen(), vec![vec![subject("client-ca")]]);
    let done = done.expect("client-side handshake completes in TLS 1.3");
    assert_eq!(done.version, Some(ProtocolVersion::TLSv1_3));
    let err = done.response.unwrap_err();
    assert_alerted_by_server(err, &obs, AlertDescription::BadCertificate);
    assert_eq!(common::hello_sni(&obs).as_deref(), Some(HOST));
    let reasons = common::failure_reasons(&obs);
    assert!(
        reasons.first().is_some_and(|r| r.contains("UnknownIssuer")),
        "the first reason says why webpki refused it: {reasons:?}"
    );
}

#[tokio::test]
async fn mtls_wrong_client_ca_observation_records_the_rejected_certificate() {
    // The client did present a certificate: the observation should say which one, and
    // give webpki's reason rather than the BadEncoding used to force bad_certificate(42).
    let client = Client::resolving(&HintRecorder::new(Some(client_identity())));
    let (_, obs) = run("mtls-wrong-client-ca", &client).await;
    assert_server_saw_client_cert(&obs);
    let reasons = common::failure_reasons(&obs);
    assert!(
        !reasons.iter().any(|r| r.contains("BadEncoding")),
        "the certificate is well-formed: {reasons:?}"
    );
}
