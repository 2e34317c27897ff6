//! `openssl s_client` (OpenSSL 3.0) against every built-in scenario: its exit status and
//! output, and what the server observed.

use crate::common;

use common::clients::{Client, SClient};
use common::{Run, Session, CLIENT_SUBJECT, HOST, TLS12, TLS13};
use quirktls::observe::{CloseKind, Event, Observation};
use quirktls::wire::{AlertDescription as Desc, ProtocolVersion as WireVersion};

const CLIENT_CA_SUBJECT: &str = "CN=quirktls Client CA,O=quirktls";

/// s_client completed, verified the server, and printed the HTTP response with `body`;
/// the server negotiated `session`, saw `GET / HTTP/1.1` (see
/// [`common::assert_completed`]) and a close_notify.
fn assert_completed(
    run: &Run,
    obs: &Observation,
    session: &Session,
    sni: Option<&str>,
    body: &str,
) {
    let new_line = format!(
        "New, {}, Cipher is {}",
        session.protocol, session.openssl_suite
    );
    run.expect_status(0)
        .expect_output(&new_line)
        .expect_output("Verify return code: 0 (ok)")
        .expect_output("HTTP/1.1 200 OK\r\n")
        .expect_output(&format!("\r\n\r\n{body}"));
    common::assert_completed(obs, session, sni, "/");
    common::assert_closed(obs, CloseKind::CloseNotify);
}

/// Start `scenario` and run `s_client` against it: it ends with the server's fatal `alert`
/// (number and OpenSSL's `text`), and the server sent exactly that alert.
async fn refused_by_server(
    s_client: SClient,
    scenario: &str,
    alert: Desc,
    text: &str,
) -> (Run, Observation) {
    let (run, obs) = s_client.once(scenario).await;
    run.expect_status(1);
    // OpenSSL reports the received alert on stderr, e.g. `...:tlsv1 unrecognized
    // name:...:SSL alert number 112`.
    for needle in [format!("SSL alert number {}", alert.0), text.to_string()] {
        assert!(
            run.stderr.contains(&needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
    assert!(!run.output().contains("HTTP/1.1 200 OK"));
    common::assert_server_sent(&obs, alert);
    (run, obs)
}

/// The hex dump `s_client -msg` prints for the first received handshake message `name`.
fn msg_bytes(stdout: &str, name: &str) -> Vec<u8> {
    let mut lines = stdout.lines();
    lines
        .find(|l| l.starts_with("<<< ") && l.ends_with(&format!(", {name}")))
        .unwrap_or_else(|| panic!("no {name} in -msg output:\n{stdout}"));
    lines
        .take_while(|l| l.starts_with("    "))
        .flat_map(|l| l.split_whitespace())
        .map(|h| u8::from_str_radix(h, 16).expect("hex byte"))
        .collect()
}

/// The certificate_authorities of a TLS 1.2 CertificateRequest (RFC 5246 §7.4.4).
fn tls12_ca_names(msg: &[u8]) -> Vec<Vec<u8>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> &'a [u8] {
        assert!(b.len() >= n, "truncated CertificateRequest");
        let (head, tail) = b.split_at(n);
        *b = tail;
        head
    }
    fn len(b: &mut &[u8], width: usize) -> usize {
        take(b, width)
            .iter()
            .fold(0, |n, &x| n << 8 | usize::from(x))
    }
    let mut b = msg;
    assert_eq!(
        take(&mut b, 1),
        [13],
        "handshake type certificate_request(13)"
    );
    let body_len = len(&mut b, 3);
    assert_eq!(body_len, b.len(), "one whole message");
    let types = len(&mut b, 1);
    take(&mut b, types);
    let sigalgs = len(&mut b, 2);
    take(&mut b, sigalgs);
    let total = len(&mut b, 2);
    let mut cas = take(&mut b, total);
    assert!(b.is_empty(), "trailing bytes after certificate_authorities");
    let mut names = Vec::new();
    while !cas.is_empty() {
        let n = len(&mut cas, 2);
        names.push(take(&mut cas, n).to_vec());
    }
    names
}

/// The lines s_client prints after `Acceptable client certificate CA names`.
fn acceptable_ca_names(stdout: &str) -> Vec<&str> {
    let mut lines = stdout.lines();
    lines
        .find(|l| *l == "Acceptable client certificate CA names")
        .unwrap_or_else(|| panic!("no CA names printed:\n{stdout}"));
    lines
        .take_while(|l| {
            !l.starts_with("Client Certificate Types")
                && !l.starts_with("Requested Signature Algorithms")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Every scenario is covered
// ---------------------------------------------------------------------------------------

#[test]
fn every_built_in_scenario_has_an_openssl_test() {
    let shared = common::OPENSSL_VERIFY_FAILURES.map(|(scenario, ..)| scenario);
    common::assert_every_scenario_named(include_str!("openssl_client.rs"), &shared);
}

// ---------------------------------------------------------------------------------------
// Certificate problems OpenSSL refuses
// ---------------------------------------------------------------------------------------

/// s_client refuses the certificate with verify error `code (text)` and sends `alert`.
#[tokio::test]
async fn certificate_problems_fail_verification_and_the_server_receives_an_alert() {
    let wrong_host = ("wrong-host", 62, "hostname mismatch", Desc::BAD_CERTIFICATE);
    for (scenario, code, text, alert) in common::OPENSSL_VERIFY_FAILURES
        .into_iter()
        .chain([wrong_host])
    {
        eprintln!("scenario {scenario}");
        let (run, obs) = SClient::named(HOST).once(scenario).await;
        run.expect_status(1)
            .expect_output(&format!("verify error:num={code}:{text}"))
            .expect_output(&format!("Verify return code: {code} ({text})"))
            .expect_output("certificate verify failed");
        assert!(!run.output().contains("HTTP/1.1 200 OK"));
        common::assert_server_received(&obs, alert);
    }
}

// ---------------------------------------------------------------------------------------
// What OpenSSL accepts
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn modern_baseline_completes_with_tls13_alpn_and_http() {
    let (run, obs) = SClient::named(HOST)
        .args(&["-alpn", "http/1.1"])
        .once("modern-baseline")
        .await;
    run.expect_output("ALPN protocol: http/1.1");
    assert_eq!(
        obs.client_hello().unwrap().alpn,
        vec!["http/1.1".to_string()]
    );
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::Negotiated { alpn: Some(a), .. } if a == "http/1.1")));
    common::assert_no_client_cert(&obs);
    let body = TLS13.body("modern-baseline");
    assert_completed(&run, &obs, &TLS13, Some(HOST), &body);
}

/// TLS 1.3 scenarios s_client completes with `-verify_hostname` and `-verify_return_error`,
/// printing these lines of the verified chain.
#[tokio::test]
async fn accepted_scenarios_complete_and_print_the_verified_chain() {
    for (scenario, chain) in [
        // OpenSSL builds the path from the reversed chain.
        (
            "reversed-chain",
            &[
                "depth=3 O = quirktls, CN = quirktls Root CA",
                "depth=2 O = quirktls, CN = quirktls Intermediate CA\n",
                "depth=1 O = quirktls, CN = quirktls Intermediate CA 2",
                "depth=0 O = quirktls, CN = server.quirktls.test",
            ][..],
        ),
        // The v1 root is the anchor.
        (
            "x509v1-root",
            &["depth=1 O = quirktls, CN = quirktls v1 Root CA"],
        ),
        // The scenario's "OpenSSL-based clients may accept it by CN": OpenSSL 3.0 does,
        // even with -verify_hostname and -verify_return_error.
        (
            "x509v1-leaf",
            &["depth=0 O = quirktls, CN = server.quirktls.test"],
        ),
        // OpenSSL's X509_check_host falls back to the subject CN when a certificate has no
        // DNS subjectAltName (unless X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, which s_client
        // cannot set), so -verify_hostname passes. The scenario description claims
        // OpenSSL with host checks refuses it; that is not what OpenSSL 3.0 does.
        ("no-san-cn-only", &["depth=0 CN = server.quirktls.test"]),
        ("tls13-only", &[]),
    ] {
        eprintln!("scenario {scenario}");
        let (run, obs) = SClient::named(HOST).once(scenario).await;
        for line in chain {
            run.expect_output(line);
        }
        let body = TLS13.body(scenario);
        assert_completed(&run, &obs, &TLS13, Some(HOST), &body);
    }
}

/// `openssl x509 -text -noout` of an entity's certificate.
async fn x509_text(entity: &str) -> String {
    let pem = common::entity(entity).cert_pem.display().to_string();
    let run = common::run(
        "openssl",
        &common::args(&["x509", "-in", &pem, "-text", "-noout"]),
        b"",
    )
    .await;
    run.expect_status(0);
    run.stdout
}

#[tokio::test]
async fn openssl_x509_shows_the_v1_leaf_as_version_1() {
    let v1 = x509_text("server-v1").await;
    assert!(v1.contains("Version: 1 (0x0)"), "{v1}");
    assert!(!v1.contains("X509v3 extensions"), "{v1}");
    assert!(
        v1.contains("Subject: O = quirktls, CN = server.quirktls.test"),
        "{v1}"
    );
    let v3 = x509_text("server-rsa").await;
    assert!(v3.contains("Version: 3 (0x2)"), "{v3}");
}

// ---------------------------------------------------------------------------------------
// Versions and cipher suites
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn tls12_only_completes_with_tls12() {
    let (run, obs) = SClient::named(HOST).once("tls12-only").await;
    run.expect_output("Protocol  : TLSv1.2");
    let body = TLS12.body("tls12-only");
    assert_completed(&run, &obs, &TLS12, Some(HOST), &body);
    assert_eq!(
        obs.client_hello().unwrap().supported_versions[..2],
        [WireVersion::TLS13, WireVersion::TLS12]
    );
}

#[tokio::test]
async fn tls12_only_refuses_tls13_only_client_with_protocol_version() {
    let (_, obs) = refused_by_server(
        SClient::named(HOST).args(&["-tls1_3"]),
        "tls12-only",
        Desc::PROTOCOL_VERSION,
        "alert protocol version",
    )
    .await;
    assert_eq!(
        obs.client_hello().unwrap().supported_versions,
        vec![WireVersion::TLS13]
    );
}

#[tokio::test]
async fn tls13_only_refuses_tls12_client_with_protocol_version() {
    let (_, obs) = refused_by_server(
        SClient::named(HOST).args(&["-tls1_2"]),
        "tls13-only",
        Desc::PROTOCOL_VERSION,
        "alert protocol version",
    )
    .await;
    let hello = obs.client_hello().unwrap();
    assert_eq!(hello.legacy_version, WireVersion::TLS12);
    assert_eq!(hello.supported_versions, vec![]);
    assert_eq!(common::hello_sni(&obs).as_deref(), Some(HOST));
}

#[tokio::test]
async fn cipher_restricted_ecdhe_completes_when_its_suite_is_offered_last() {
    let (run, obs) = SClient::named(HOST)
        .args(&[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384",
        ])
        .once("cipher-restricted-ecdhe")
        .await;
    let body = TLS12.body("cipher-restricted-ecdhe");
    assert_completed(&run, &obs, &TLS12, Some(HOST), &body);
}

#[tokio::test]
async fn cipher_restricted_ecdhe_refuses_other_suites_with_handshake_failure() {
    let (_, obs) = refused_by_server(
        SClient::named(HOST).args(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]),
        "cipher-restricted-ecdhe",
        Desc::HANDSHAKE_FAILURE,
        "alert handshake failure",
    )
    .await;
    let offered: Vec<_> = obs
        .client_hello()
        .unwrap()
        .cipher_suites
        .iter()
        .filter_map(|s| s.name())
        .collect();
    assert_eq!(
        offered,
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// SNI
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sni_required_without_sni_gets_unrecognized_name() {
    let (_, obs) = refused_by_server(
        SClient::with(&["-noservername"]),
        "sni-required",
        Desc::UNRECOGNIZED_NAME,
        "unrecognized name",
    )
    .await;
    common::assert_sni_rejected(&obs, None);
    let line = obs.log_line();
    assert!(line.contains("no SNI"), "{line}");
    assert!(
        line.contains("sent alert fatal unrecognized_name(112)"),
        "{line}"
    );
}

#[tokio::test]
async fn sni_required_with_sni_completes() {
    let (run, obs) = SClient::named(HOST).once("sni-required").await;
    let body = TLS13.body("sni-required");
    assert_completed(&run, &obs, &TLS13, Some(HOST), &body);
    assert!(obs.log_line().contains("SNI=server.quirktls.test"));
}

#[tokio::test]
async fn sni_multi_cert_serves_a_and_b_their_own_certificates() {
    for host in ["a.quirktls.test", "b.quirktls.test"] {
        let (run, obs) = SClient::named(host).once("sni-multi-cert").await;
        run.expect_output(&format!("depth=0 CN = {host}\n"))
            .expect_output(&format!("subject=CN = {host}\n"));
        let body = TLS13.body("sni-multi-cert");
        assert_completed(&run, &obs, &TLS13, Some(host), &body);
    }
}

#[tokio::test]
async fn sni_multi_cert_without_sni_serves_the_default_certificate() {
    let (run, obs) = SClient::with(&["-noservername", "-verify_hostname", HOST])
        .once("sni-multi-cert")
        .await;
    run.expect_output("subject=O = quirktls, CN = server.quirktls.test\n");
    let body = TLS13.body("sni-multi-cert");
    assert_completed(&run, &obs, &TLS13, None, &body);
}

// ---------------------------------------------------------------------------------------
// Client certificates
// ---------------------------------------------------------------------------------------

fn client_body() -> String {
    format!("client cert: {CLIENT_SUBJECT}\n")
}

/// s_client completed with `session` presenting the `client` identity: the response names
/// it, and the server saw it followed by the client CA. chain.pem holds only the leaf
/// (client-ca is a root), but OpenSSL completes the chain from -CAfile (auto chain
/// building) and sends the client CA too.
fn assert_presented(run: &Run, obs: &Observation, session: &Session) {
    assert_completed(run, obs, session, Some(HOST), &client_body());
    assert_eq!(
        obs.client_certificate(),
        Some(&[CLIENT_SUBJECT.to_string(), CLIENT_CA_SUBJECT.to_string()][..]),
        "{obs:#?}"
    );
    assert_eq!(common::entity("client").intermediates, vec![]);
}

/// The CA names s_client printed from the CertificateRequest: only the client CA.
fn assert_lists_client_ca(run: &Run) {
    assert_eq!(
        acceptable_ca_names(&run.stdout),
        ["O = quirktls, CN = quirktls Client CA"]
    );
}

#[tokio::test]
async fn mtls_required_with_identity_completes_and_lists_client_ca() {
    let (run, obs) = SClient::named(HOST)
        .with_identity()
        .once("mtls-required")
        .await;
    assert_lists_client_ca(&run);
    assert_presented(&run, &obs, &TLS13);
}

#[tokio::test]
async fn mtls_required_without_identity_gets_certificate_required() {
    let (_, obs) = refused_by_server(
        SClient::named(HOST),
        "mtls-required",
        Desc::CERTIFICATE_REQUIRED,
        "alert certificate required",
    )
    .await;
    assert_eq!(obs.client_certificate(), None);
    assert_eq!(common::hello_sni(&obs).as_deref(), Some(HOST));
}

#[tokio::test]
async fn mtls_optional_completes_with_and_without_identity() {
    for identity in [true, false] {
        let s_client = SClient::named(HOST);
        let s_client = if identity {
            s_client.with_identity()
        } else {
            s_client
        };
        let (run, obs) = s_client.once("mtls-optional").await;
        assert_lists_client_ca(&run);
        if identity {
            assert_presented(&run, &obs, &TLS13);
        } else {
            assert_completed(&run, &obs, &TLS13, Some(HOST), "client cert: none\n");
            common::assert_no_client_cert(&obs);
        }
    }
}

#[tokio::test]
async fn mtls_empty_ca_list_openssl_still_sends_its_certificate() {
    let (run, obs) = SClient::named(HOST)
        .with_identity()
        .args(&["-msg"])
        .once("mtls-empty-ca-list")
        .await;
    run.expect_output("No client certificate CA names sent");
    let request = msg_bytes(&run.stdout, "CertificateRequest");
    assert_eq!(tls12_ca_names(&request), Vec::<Vec<u8>>::new());
    assert_presented(&run, &obs, &TLS12);
}

#[tokio::test]
async fn mtls_empty_ca_list_without_identity_gets_handshake_failure() {
    // TLS 1.2 has no certificate_required: the server answers as TLS 1.2 servers do.
    let (run, obs) = refused_by_server(
        SClient::named(HOST),
        "mtls-empty-ca-list",
        Desc::HANDSHAKE_FAILURE,
        "alert handshake failure",
    )
    .await;
    run.expect_output("No client certificate CA names sent");
    assert_eq!(obs.client_certificate(), None);
}

#[tokio::test]
async fn mtls_unrelated_ca_list_names_only_the_unrelated_ca_and_openssl_sends_its_cert_anyway() {
    let (run, obs) = SClient::named(HOST)
        .with_identity()
        .args(&["-msg"])
        .once("mtls-unrelated-ca-list")
        .await;
    assert_eq!(
        acceptable_ca_names(&run.stdout),
        ["O = partner, CN = Unrelated Partner CA"]
    );
    assert!(!run.stdout.contains("quirktls Client CA"));
    let request = msg_bytes(&run.stdout, "CertificateRequest");
    let unrelated = common::entity("unrelated-ca").subject_der.clone();
    let client_ca = common::entity("client-ca").subject_der.clone();
    assert_eq!(tls12_ca_names(&request), vec![unrelated.clone()]);
    assert!(request.windows(unrelated.len()).any(|w| w == unrelated));
    assert!(!request.windows(client_ca.len()).any(|w| w == client_ca));
    assert_presented(&run, &obs, &TLS12);
}

#[tokio::test]
async fn mtls_wrong_client_ca_client_sees_bad_certificate() {
    let (run, obs) = refused_by_server(
        SClient::named(HOST).with_identity(),
        "mtls-wrong-client-ca",
        Desc::BAD_CERTIFICATE,
        "alert bad certificate",
    )
    .await;
    assert_lists_client_ca(&run);
    assert_eq!(common::hello_sni(&obs).as_deref(), Some(HOST));
}
