//! `openssl s_client` (OpenSSL 3.0) against every built-in scenario: its exit status and
//! output, and what the server observed.

mod common;

use quirktls::observe::{CloseKind, Event, Observation};
use quirktls::wire::{Alert, AlertDescription as Desc, ProtocolVersion as WireVersion};

const HOST: &str = "server.quirktls.test";
const CLIENT_SUBJECT: &str = "CN=quirktls test client,OU=clients,O=quirktls";
const CLIENT_CA_SUBJECT: &str = "CN=quirktls Client CA,O=quirktls";

/// `-servername NAME -verify_hostname NAME`.
fn named(host: &str) -> Vec<String> {
    common::args(&["-servername", host, "-verify_hostname", host])
}

/// `-cert`/`-key` of the `client` identity (its chain.pem: cert + intermediates).
fn client_identity() -> Vec<String> {
    let client = common::entity("client");
    vec![
        "-cert".into(),
        client.chain_pem.display().to_string(),
        "-key".into(),
        client.key_pem.display().to_string(),
    ]
}

fn http_get(host: &str) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes()
}

/// Start `scenario`, run `openssl s_client` against it with the CA bundle, verification
/// failures fatal and `-ign_eof` (so it waits for the response), then collect the
/// server's observation.
async fn s_client(scenario: &str, extra: &[String], stdin: &[u8]) -> (common::Run, Observation) {
    let server = common::start(scenario).await;
    let mut args = common::args(&[
        "s_client",
        "-connect",
        &server.addr().to_string(),
        "-CAfile",
        common::ca_bundle().to_str().unwrap(),
        "-verify_return_error",
        "-ign_eof",
    ]);
    args.extend_from_slice(extra);
    let run = common::run("openssl", &args, stdin).await;
    let obs = common::observation(&server, 1).await;
    (run, obs)
}

fn fatal(desc: Desc) -> Alert {
    Alert::fatal(desc)
}

fn hello_sni(obs: &Observation) -> Option<String> {
    obs.client_hello().expect("a ClientHello").sni.clone()
}

fn negotiated(obs: &Observation) -> (String, String, Option<String>) {
    obs.events()
        .find_map(|e| match e {
            Event::Negotiated {
                version,
                cipher_suite,
                sni,
                ..
            } => Some((version.clone(), cipher_suite.clone(), sni.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Negotiated event: {obs:#?}"))
}

/// s_client completed, verified the server, and printed the HTTP response with `body`;
/// the server negotiated `version`/`suite`, saw `GET / HTTP/1.1` and a close_notify.
fn assert_completed(
    run: &common::Run,
    obs: &Observation,
    new_line: &str,
    version: &str,
    suite: &str,
    sni: Option<&str>,
    body: &str,
) {
    run.expect_status(0)
        .expect_output(new_line)
        .expect_output("Verify return code: 0 (ok)")
        .expect_output("HTTP/1.1 200 OK\r\n")
        .expect_output(&format!("\r\n\r\n{body}"));
    assert_eq!(
        negotiated(obs),
        (version.into(), suite.into(), sni.map(str::to_string)),
        "{obs:#?}"
    );
    assert_eq!(hello_sni(obs).as_deref(), sni);
    assert_eq!(obs.http_request(), Some("GET / HTTP/1.1"));
    assert_eq!(obs.alerts_sent(), vec![], "{obs:#?}");
    assert_eq!(obs.alerts_received(), vec![], "{obs:#?}");
    assert_eq!(obs.closed(), Some(CloseKind::CloseNotify), "{obs:#?}");
}

/// s_client ended with the server's fatal `alert` (number and OpenSSL's text); the server
/// sent exactly that alert.
fn assert_server_alert(run: &common::Run, obs: &Observation, alert: Desc, text: &str) {
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
    assert!(!obs.handshake_completed(), "{obs:#?}");
    assert_eq!(obs.alerts_sent(), vec![fatal(alert)], "{obs:#?}");
    assert_eq!(obs.alerts_received(), vec![], "{obs:#?}");
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert), "{obs:#?}");
    assert_eq!(obs.http_request(), None);
}

/// s_client refused the certificate with verify error `code (text)` and sent `alert`.
async fn expect_verify_failure(scenario: &str, code: u32, text: &str, alert: Desc) {
    let (run, obs) = s_client(scenario, &named(HOST), &http_get(HOST)).await;
    run.expect_status(1)
        .expect_output(&format!("verify error:num={code}:{text}"))
        .expect_output(&format!("Verify return code: {code} ({text})"))
        .expect_output("certificate verify failed");
    assert!(!run.output().contains("HTTP/1.1 200 OK"));
    assert!(!obs.handshake_completed(), "{scenario}: {obs:#?}");
    assert_eq!(
        obs.alerts_received(),
        vec![fatal(alert)],
        "{scenario}: {obs:#?}"
    );
    assert_eq!(obs.alerts_sent(), vec![], "{scenario}: {obs:#?}");
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert));
    assert_eq!(obs.http_request(), None);
    assert_eq!(hello_sni(&obs).as_deref(), Some(HOST));
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
    let source = include_str!("openssl_client.rs");
    let mut names: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
    names.sort();
    assert_eq!(names.len(), 22, "{names:?}");
    for name in names {
        assert!(
            source.contains(&format!("\"{name}\"")),
            "no test starts {name}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Certificate problems OpenSSL refuses
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn expired_fails_verification_and_server_receives_certificate_expired() {
    expect_verify_failure(
        "expired",
        10,
        "certificate has expired",
        Desc::CERTIFICATE_EXPIRED,
    )
    .await;
}

#[tokio::test]
async fn not_yet_valid_fails_verification_and_server_receives_bad_certificate() {
    // OpenSSL sends bad_certificate(42) for "not yet valid", unlike rustls (45).
    expect_verify_failure(
        "not-yet-valid",
        9,
        "certificate is not yet valid",
        Desc::BAD_CERTIFICATE,
    )
    .await;
}

#[tokio::test]
async fn wrong_host_fails_hostname_check_and_server_receives_bad_certificate() {
    expect_verify_failure("wrong-host", 62, "hostname mismatch", Desc::BAD_CERTIFICATE).await;
}

#[tokio::test]
async fn self_signed_fails_verification_and_server_receives_unknown_ca() {
    expect_verify_failure(
        "self-signed",
        18,
        "self-signed certificate",
        Desc::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn untrusted_root_fails_verification_and_server_receives_unknown_ca() {
    expect_verify_failure(
        "untrusted-root",
        20,
        "unable to get local issuer certificate",
        Desc::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn incomplete_chain_fails_verification_and_server_receives_unknown_ca() {
    expect_verify_failure(
        "incomplete-chain",
        20,
        "unable to get local issuer certificate",
        Desc::UNKNOWN_CA,
    )
    .await;
}

#[tokio::test]
async fn sha1_leaf_is_too_weak_at_security_level_1_and_server_receives_bad_certificate() {
    expect_verify_failure(
        "sha1-leaf",
        68,
        "CA signature digest algorithm too weak",
        Desc::BAD_CERTIFICATE,
    )
    .await;
}

// ---------------------------------------------------------------------------------------
// What OpenSSL accepts
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn modern_baseline_completes_with_tls13_alpn_and_http() {
    let mut args = named(HOST);
    args.extend(common::args(&["-alpn", "http/1.1"]));
    let (run, obs) = s_client("modern-baseline", &args, &http_get(HOST)).await;
    run.expect_output("ALPN protocol: http/1.1");
    assert_eq!(
        obs.client_hello().unwrap().alpn,
        vec!["http/1.1".to_string()]
    );
    assert!(obs
        .events()
        .any(|e| matches!(e, Event::Negotiated { alpn: Some(a), .. } if a == "http/1.1")));
    assert!(obs.events().any(|e| *e == Event::NoClientCertificate));
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls modern-baseline: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
}

#[tokio::test]
async fn reversed_chain_completes_and_openssl_builds_the_path() {
    let (run, obs) = s_client("reversed-chain", &named(HOST), &http_get(HOST)).await;
    run.expect_output("depth=3 O = quirktls, CN = quirktls Root CA")
        .expect_output("depth=2 O = quirktls, CN = quirktls Intermediate CA\n")
        .expect_output("depth=1 O = quirktls, CN = quirktls Intermediate CA 2")
        .expect_output("depth=0 O = quirktls, CN = server.quirktls.test");
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls reversed-chain: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
}

#[tokio::test]
async fn x509v1_root_completes_with_the_v1_root_as_anchor() {
    let (run, obs) = s_client("x509v1-root", &named(HOST), &http_get(HOST)).await;
    run.expect_output("depth=1 O = quirktls, CN = quirktls v1 Root CA");
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls x509v1-root: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
}

#[tokio::test]
async fn x509v1_leaf_is_accepted_by_openssl_via_the_subject_cn() {
    // The scenario's "OpenSSL-based clients may accept it by CN": OpenSSL 3.0 does, even
    // with -verify_hostname and -verify_return_error.
    let (run, obs) = s_client("x509v1-leaf", &named(HOST), &http_get(HOST)).await;
    run.expect_output("depth=0 O = quirktls, CN = server.quirktls.test");
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls x509v1-leaf: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
}

#[tokio::test]
async fn no_san_cn_only_is_accepted_by_openssl_hostname_check_via_cn_fallback() {
    // OpenSSL's X509_check_host falls back to the subject CN when a certificate has no
    // DNS subjectAltName (unless X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, which s_client
    // cannot set), so -verify_hostname passes. The scenario description claims OpenSSL
    // with host checks refuses it; that is not what OpenSSL 3.0 does.
    let (run, obs) = s_client("no-san-cn-only", &named(HOST), &http_get(HOST)).await;
    run.expect_output("depth=0 CN = server.quirktls.test");
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls no-san-cn-only: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
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
    let (run, obs) = s_client("tls12-only", &named(HOST), &http_get(HOST)).await;
    run.expect_output("Protocol  : TLSv1.2");
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384",
        "TLS 1.2",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls tls12-only: TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, client cert: none\n",
    );
    assert_eq!(
        obs.client_hello().unwrap().supported_versions[..2],
        [WireVersion::TLS13, WireVersion::TLS12]
    );
}

#[tokio::test]
async fn tls12_only_refuses_tls13_only_client_with_protocol_version() {
    let mut args = named(HOST);
    args.push("-tls1_3".into());
    let (run, obs) = s_client("tls12-only", &args, &http_get(HOST)).await;
    assert_server_alert(&run, &obs, Desc::PROTOCOL_VERSION, "alert protocol version");
    assert_eq!(
        obs.client_hello().unwrap().supported_versions,
        vec![WireVersion::TLS13]
    );
}

#[tokio::test]
async fn tls13_only_completes_with_tls13() {
    let (run, obs) = s_client("tls13-only", &named(HOST), &http_get(HOST)).await;
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls tls13-only: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
}

#[tokio::test]
async fn tls13_only_refuses_tls12_client_with_protocol_version() {
    let mut args = named(HOST);
    args.push("-tls1_2".into());
    let (run, obs) = s_client("tls13-only", &args, &http_get(HOST)).await;
    assert_server_alert(&run, &obs, Desc::PROTOCOL_VERSION, "alert protocol version");
    let hello = obs.client_hello().unwrap();
    assert_eq!(hello.legacy_version, WireVersion::TLS12);
    assert_eq!(hello.supported_versions, vec![]);
    assert_eq!(hello_sni(&obs).as_deref(), Some(HOST));
}

#[tokio::test]
async fn cipher_restricted_ecdhe_completes_when_its_suite_is_offered_last() {
    let mut args = named(HOST);
    args.extend(common::args(&[
        "-tls1_2",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384",
    ]));
    let (run, obs) = s_client("cipher-restricted-ecdhe", &args, &http_get(HOST)).await;
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384",
        "TLS 1.2",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls cipher-restricted-ecdhe: TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, client cert: none\n",
    );
}

#[tokio::test]
async fn cipher_restricted_ecdhe_refuses_other_suites_with_handshake_failure() {
    let mut args = named(HOST);
    args.extend(common::args(&[
        "-tls1_2",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ]));
    let (run, obs) = s_client("cipher-restricted-ecdhe", &args, &http_get(HOST)).await;
    assert_server_alert(
        &run,
        &obs,
        Desc::HANDSHAKE_FAILURE,
        "alert handshake failure",
    );
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
    let (run, obs) = s_client(
        "sni-required",
        &common::args(&["-noservername"]),
        &http_get(HOST),
    )
    .await;
    assert_server_alert(&run, &obs, Desc::UNRECOGNIZED_NAME, "unrecognized name");
    assert_eq!(hello_sni(&obs), None);
    assert!(obs.events().any(|e| *e == Event::SniRejected { sni: None }));
    let line = obs.log_line();
    assert!(line.contains("no SNI"), "{line}");
    assert!(
        line.contains("sent alert fatal unrecognized_name(112)"),
        "{line}"
    );
}

#[tokio::test]
async fn sni_required_with_sni_completes() {
    let (run, obs) = s_client("sni-required", &named(HOST), &http_get(HOST)).await;
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        "quirktls sni-required: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
    assert!(obs.log_line().contains("SNI=server.quirktls.test"));
}

#[tokio::test]
async fn sni_multi_cert_serves_a_and_b_their_own_certificates() {
    for host in ["a.quirktls.test", "b.quirktls.test"] {
        let (run, obs) = s_client("sni-multi-cert", &named(host), &http_get(host)).await;
        run.expect_output(&format!("depth=0 CN = {host}\n"))
            .expect_output(&format!("subject=CN = {host}\n"));
        assert_completed(
            &run,
            &obs,
            "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
            Some(host),
            "quirktls sni-multi-cert: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
        );
    }
}

#[tokio::test]
async fn sni_multi_cert_without_sni_serves_the_default_certificate() {
    let args = common::args(&["-noservername", "-verify_hostname", HOST]);
    let (run, obs) = s_client("sni-multi-cert", &args, &http_get(HOST)).await;
    run.expect_output("subject=O = quirktls, CN = server.quirktls.test\n");
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        None,
        "quirktls sni-multi-cert: TLS 1.3 TLS_AES_256_GCM_SHA384, client cert: none\n",
    );
}

// ---------------------------------------------------------------------------------------
// Client certificates
// ---------------------------------------------------------------------------------------

fn client_body() -> String {
    format!("client cert: {CLIENT_SUBJECT}\n")
}

/// chain.pem holds only the leaf (client-ca is a root), but OpenSSL completes the chain
/// from -CAfile (auto chain building) and sends the client CA too.
fn assert_server_saw_client_cert(obs: &Observation) {
    assert_eq!(
        obs.client_certificate(),
        Some(&[CLIENT_SUBJECT.to_string(), CLIENT_CA_SUBJECT.to_string()][..]),
        "{obs:#?}"
    );
    assert_eq!(common::entity("client").intermediates, vec![]);
}

#[tokio::test]
async fn mtls_required_with_identity_completes_and_lists_client_ca() {
    let mut args = named(HOST);
    args.extend(client_identity());
    let (run, obs) = s_client("mtls-required", &args, &http_get(HOST)).await;
    assert_eq!(
        acceptable_ca_names(&run.stdout),
        ["O = quirktls, CN = quirktls Client CA"]
    );
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
        "TLS 1.3",
        "TLS_AES_256_GCM_SHA384",
        Some(HOST),
        &client_body(),
    );
    assert_server_saw_client_cert(&obs);
}

#[tokio::test]
async fn mtls_required_without_identity_gets_certificate_required() {
    let (run, obs) = s_client("mtls-required", &named(HOST), &http_get(HOST)).await;
    assert_server_alert(
        &run,
        &obs,
        Desc::CERTIFICATE_REQUIRED,
        "alert certificate required",
    );
    assert_eq!(obs.client_certificate(), None);
    assert_eq!(hello_sni(&obs).as_deref(), Some(HOST));
}

#[tokio::test]
async fn mtls_optional_completes_with_and_without_identity() {
    let mut with = named(HOST);
    with.extend(client_identity());
    for (args, body) in [
        (with, client_body()),
        (named(HOST), "client cert: none\n".to_string()),
    ] {
        let (run, obs) = s_client("mtls-optional", &args, &http_get(HOST)).await;
        assert_eq!(
            acceptable_ca_names(&run.stdout),
            ["O = quirktls, CN = quirktls Client CA"]
        );
        assert_completed(
            &run,
            &obs,
            "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
            "TLS 1.3",
            "TLS_AES_256_GCM_SHA384",
            Some(HOST),
            &body,
        );
        if body == client_body() {
            assert_server_saw_client_cert(&obs);
        } else {
            assert_eq!(obs.client_certificate(), None);
            assert!(obs.events().any(|e| *e == Event::NoClientCertificate));
        }
    }
}

#[tokio::test]
async fn mtls_empty_ca_list_openssl_still_sends_its_certificate() {
    let mut args = named(HOST);
    args.extend(client_identity());
    args.push("-msg".into());
    let (run, obs) = s_client("mtls-empty-ca-list", &args, &http_get(HOST)).await;
    run.expect_output("No client certificate CA names sent");
    let request = msg_bytes(&run.stdout, "CertificateRequest");
    assert_eq!(tls12_ca_names(&request), Vec::<Vec<u8>>::new());
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384",
        "TLS 1.2",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Some(HOST),
        &client_body(),
    );
    assert_server_saw_client_cert(&obs);
}

#[tokio::test]
async fn mtls_empty_ca_list_without_identity_gets_certificate_required() {
    let (run, obs) = s_client("mtls-empty-ca-list", &named(HOST), &http_get(HOST)).await;
    run.expect_output("No client certificate CA names sent");
    assert_server_alert(
        &run,
        &obs,
        Desc::CERTIFICATE_REQUIRED,
        "alert certificate required",
    );
    assert_eq!(obs.client_certificate(), None);
}

#[tokio::test]
async fn mtls_unrelated_ca_list_names_only_the_unrelated_ca_and_openssl_sends_its_cert_anyway() {
    let mut args = named(HOST);
    args.extend(client_identity());
    args.push("-msg".into());
    let (run, obs) = s_client("mtls-unrelated-ca-list", &args, &http_get(HOST)).await;
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
    assert_completed(
        &run,
        &obs,
        "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384",
        "TLS 1.2",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Some(HOST),
        &client_body(),
    );
    assert_server_saw_client_cert(&obs);
}

#[tokio::test]
async fn mtls_wrong_client_ca_client_sees_bad_certificate() {
    let mut args = named(HOST);
    args.extend(client_identity());
    let (run, obs) = s_client("mtls-wrong-client-ca", &args, &http_get(HOST)).await;
    assert_eq!(
        acceptable_ca_names(&run.stdout),
        ["O = quirktls, CN = quirktls Client CA"]
    );
    assert_server_alert(&run, &obs, Desc::BAD_CERTIFICATE, "alert bad certificate");
    assert_eq!(hello_sni(&obs).as_deref(), Some(HOST));
}
