//! The built-in scripted-engine scenarios against real clients: `openssl s_client`, curl,
//! Python's default `ssl` context, Java 17's JSSE and `gnutls-cli`, each asserting the
//! client's exit status and what the server observed (negotiated version and suite, the
//! request, alerts either way).
//!
//! OpenSSL here is 3.0 as Debian builds it: default security level 2, no RC4, no 3DES.
//! Java 17's `jdk.tls.disabledAlgorithms` disables TLS 1.0/1.1, RC4 and 3DES but still
//! enables the static-RSA (TLS_RSA_*) suites and RSA keys of 1024 bits.

use crate::common;

use std::time::Duration;

use common::clients::{Client, Curl, GnutlsCli, Java, Python, SClient};
use common::{Run, Session, HOST, TLS12};
use quirktls::observe::Observation;
use quirktls::wire::{AlertDescription, CipherSuite};

/// cipher-restricted-rsa with s_client's `-cipher AES128-GCM-SHA256`.
const RSA_AES128_GCM: Session =
    TLS12.with_suite("TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256");

/// cipher-restricted-rsa with s_client's `-cipher AES128-SHA256:AES256-GCM-SHA384`.
const RSA_AES128_CBC_SHA256: Session =
    TLS12.with_suite("TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256");

/// cipher-restricted-rsa with Java: the first static-RSA suite of its list.
const RSA_AES256_GCM: Session =
    TLS12.with_suite("TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384");

/// tls10-only-rsa.
const TLS10_RSA: Session = Session {
    version: "TLS 1.0",
    suite: "TLS_RSA_WITH_AES_128_CBC_SHA",
    protocol: "TLSv1",
    openssl_suite: "AES128-SHA",
};

/// tls10-only-ecdhe.
const TLS10_ECDHE: Session =
    TLS10_RSA.with_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA");

/// tls11-only-rsa: tls10-only-rsa's suite at TLS 1.1.
const TLS11_RSA: Session = Session {
    version: "TLS 1.1",
    protocol: "TLSv1.1",
    ..TLS10_RSA
};

/// legacy-rc4-md5.
const TLS10_RC4_MD5: Session = TLS10_RSA.with_suite("TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5");

/// s_client exited 0 after the session `session` and the response body of `scenario`.
#[track_caller]
fn expect_s_client_ok<'a>(run: &'a Run, session: &Session, scenario: &str) -> &'a Run {
    run.expect_status(0)
        .expect_output(&format!("Protocol  : {}\n", session.protocol))
        .expect_output(&format!("Cipher    : {}\n", session.openssl_suite))
        .expect_output(&session.greeting(scenario))
}

/// gnutls-cli exited 0 after a handshake its description line shows (`(TLS1.0-X.509)-…`)
/// and the response body of `scenario`.
#[track_caller]
fn expect_gnutls_ok<'a>(
    run: &'a Run,
    session: &Session,
    description: &str,
    scenario: &str,
) -> &'a Run {
    run.expect_status(0)
        .expect_output("- Handshake was completed")
        .expect_output(&format!("- Description: {description}\n"))
        .expect_output(&session.greeting(scenario))
}

/// Java exited 0 after the session `session` and the response body of `scenario`.
#[track_caller]
fn expect_java_ok<'a>(run: &'a Run, session: &Session, scenario: &str) -> &'a Run {
    run.expect_status(0)
        .expect_output(&format!("version: {}\n", session.protocol))
        .expect_output(&format!("cipher: {}\n", session.suite))
        .expect_output("result: ok\n")
        .expect_output(&session.greeting(scenario))
}

/// The handshake failed on "no cipher suite in common" and the server sent
/// handshake_failure (40).
#[track_caller]
fn assert_no_common_suite(obs: &Observation) {
    common::assert_server_sent(obs, AlertDescription::HANDSHAKE_FAILURE);
    let failures = common::handshake_failures(obs);
    assert!(
        failures.contains("no cipher suite in common"),
        "{}",
        obs.log_line()
    );
}

/// Whether the ClientHello offered any suite whose IANA name starts with `prefix`.
fn offered(obs: &Observation, prefix: &str) -> bool {
    obs.client_hello()
        .expect("a ClientHello")
        .cipher_suites
        .iter()
        .any(|s| s.name().is_some_and(|n| n.starts_with(prefix)))
}

/// Java (src/runner/TlsClient.java) refuses the version `scenario`'s server selects,
/// `server_version`, with protocol_version (70): `SSLHandshakeException`, exit 3.
async fn java_refuses_version(scenario: &str, server_version: &str) {
    let (run, obs) = Java::to(HOST).once(scenario).await;
    run.expect_status(3).expect_output(&format!(
        "The server selected protocol version {server_version} is not accepted by client preferences [TLS13, TLS12]"
    ));
    common::assert_server_received(&obs, AlertDescription::PROTOCOL_VERSION);
}

/// Python's default context (tests/clients/py_client.py) offers `scenario` no suite it
/// allows: the server sends handshake_failure (40) and Python fails its handshake on that
/// alert (exit 4). What the server observed.
async fn python_gets_handshake_failure(scenario: &str) -> Observation {
    let (run, obs) = Python::get(HOST, "/py").once(scenario).await;
    run.expect_status(4)
        .expect_output("phase: handshake\n")
        .expect_output("reason: SSLV3_ALERT_HANDSHAKE_FAILURE\n");
    assert_no_common_suite(&obs);
    obs
}

/// s_client with `flags` completes `GET /` on `scenario` with `session`, as its output
/// and the server's observation show. The client's run, for further checks.
async fn s_client_completes(flags: &[&str], scenario: &str, session: &Session) -> Run {
    let (run, obs) = SClient::named(HOST).args(flags).once(scenario).await;
    expect_s_client_ok(&run, session, scenario);
    common::assert_completed(&obs, session, Some(HOST), "/");
    run
}

/// gnutls-cli with priority NORMAL completes `GET /gnutls` on `scenario` with `session`,
/// in the handshake its `description` line shows. The client's run, for further checks.
async fn gnutls_cli_completes(scenario: &str, session: &Session, description: &str) -> Run {
    let server = common::start(scenario).await;
    let run = GnutlsCli::with_priority("NORMAL")
        .get("/gnutls")
        .run(&server)
        .await;
    expect_gnutls_ok(&run, session, description, scenario);
    let obs = common::observation(&server, 1).await;
    common::assert_completed(&obs, session, Some(HOST), "/gnutls");
    run
}

// ---------------------------------------------------------------------------------------
// cipher-restricted-rsa
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn cipher_restricted_rsa_s_client_with_aes128_gcm_sha256_completes() {
    let flags = ["-tls1_2", "-cipher", "AES128-GCM-SHA256"];
    s_client_completes(&flags, "cipher-restricted-rsa", &RSA_AES128_GCM).await;
}

/// `cipher_order: client`: of two allowed suites, the server takes the client's first
/// (seed 000: "the server just picked the first one"), not its own preference.
#[tokio::test]
async fn cipher_restricted_rsa_picks_the_clients_first_allowed_suite() {
    let flags = ["-tls1_2", "-cipher", "AES128-SHA256:AES256-GCM-SHA384"];
    s_client_completes(&flags, "cipher-restricted-rsa", &RSA_AES128_CBC_SHA256).await;
}

#[tokio::test]
async fn cipher_restricted_rsa_s_client_with_only_ecdhe_gets_handshake_failure() {
    let (run, obs) = SClient::named(HOST)
        .args(&["-tls1_2", "-cipher", "ECDHE"])
        .once("cipher-restricted-rsa")
        .await;
    run.expect_status(1)
        .expect_output("sslv3 alert handshake failure")
        .expect_output("SSL alert number 40");
    assert!(!offered(&obs, "TLS_RSA_"), "{}", obs.log_line());
    assert_no_common_suite(&obs);
}

#[tokio::test]
async fn cipher_restricted_rsa_python_default_context_offers_no_static_rsa_and_fails() {
    let obs = python_gets_handshake_failure("cipher-restricted-rsa").await;
    assert!(!offered(&obs, "TLS_RSA_"), "{}", obs.log_line());
}

/// Java 17 still enables TLS_RSA_* suites by default; in client order the server takes
/// the first of them Java lists, TLS_RSA_WITH_AES_256_GCM_SHA384.
#[tokio::test]
async fn cipher_restricted_rsa_java_completes_with_static_rsa() {
    let (run, obs) = Java::to(HOST).once("cipher-restricted-rsa").await;
    expect_java_ok(&run, &RSA_AES256_GCM, "cipher-restricted-rsa");
    assert!(offered(&obs, "TLS_RSA_"), "{}", obs.log_line());
    common::assert_completed(&obs, &RSA_AES256_GCM, Some(HOST), "/java");
}

// ---------------------------------------------------------------------------------------
// tls10-only-rsa
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn tls10_only_rsa_s_client_completes_tls10_with_aes128_sha() {
    let flags = ["-tls1", "-cipher", "AES128-SHA@SECLEVEL=0"];
    s_client_completes(&flags, "tls10-only-rsa", &TLS10_RSA).await;
}

#[tokio::test]
async fn tls10_only_rsa_curl_completes_tls10_with_aes128_sha() {
    let (run, obs) = Curl::get(HOST, "/curl")
        .args(&[
            "--tlsv1.0",
            "--tls-max",
            "1.0",
            "--ciphers",
            "AES128-SHA@SECLEVEL=0",
        ])
        .once("tls10-only-rsa")
        .await;
    run.expect_status(0)
        .expect_output(&TLS10_RSA.greeting("tls10-only-rsa"));
    common::assert_completed(&obs, &TLS10_RSA, Some(HOST), "/curl");
}

/// Java 17 reads the TLS 1.0 ServerHello, refuses the version and says so with a fatal
/// protocol_version (70).
#[tokio::test]
async fn tls10_only_rsa_java_fails_with_protocol_version() {
    java_refuses_version("tls10-only-rsa", "TLS10").await;
}

/// Python's default context never gets to refuse the version: it offers no suite the
/// server allows (no static RSA, no SHA-1 MACs), so the server sends handshake_failure
/// (40) first.
#[tokio::test]
async fn tls10_only_rsa_python_default_context_gets_handshake_failure() {
    python_gets_handshake_failure("tls10-only-rsa").await;
}

// ---------------------------------------------------------------------------------------
// tls10-only-ecdhe
// ---------------------------------------------------------------------------------------

/// OpenSSL 3 refuses the MD5+SHA-1 ServerKeyExchange signature of TLS 1.0 at its default
/// security level (2 here) and at level 1: it aborts with internal_error (80) after the
/// server's flight, and the server observes that alert.
#[tokio::test]
async fn tls10_only_ecdhe_s_client_at_its_default_security_level_aborts() {
    for flags in [&["-tls1"][..], &["-tls1", "-cipher", "DEFAULT@SECLEVEL=1"]] {
        eprintln!("s_client {flags:?}");
        let (run, obs) = SClient::named(HOST)
            .args(flags)
            .once("tls10-only-ecdhe")
            .await;
        run.expect_status(1)
            .expect_output("legacy sigalg disallowed or unsupported");
        assert!(offered(&obs, "TLS_ECDHE_RSA_"), "{}", obs.log_line());
        common::assert_server_received(&obs, AlertDescription::INTERNAL_ERROR);
    }
}

#[tokio::test]
async fn tls10_only_ecdhe_s_client_at_seclevel_0_completes() {
    let flags = ["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA@SECLEVEL=0"];
    s_client_completes(&flags, "tls10-only-ecdhe", &TLS10_ECDHE).await;
}

/// curl 7.88 still allows TLS 1.0 by default, so it goes as far as s_client and aborts on
/// the same signature (exit 35).
#[tokio::test]
async fn tls10_only_ecdhe_curl_defaults_abort_on_the_signature() {
    let (run, obs) = Curl::get(HOST, "/curl").once("tls10-only-ecdhe").await;
    run.expect_status(35)
        .expect_output("legacy sigalg disallowed or unsupported");
    common::assert_server_received(&obs, AlertDescription::INTERNAL_ERROR);
}

/// GnuTLS 3.7 signs off MD5+SHA-1 in TLS 1.0 and still enables TLS 1.0 in NORMAL.
#[tokio::test]
async fn tls10_only_ecdhe_gnutls_cli_completes() {
    let description = "(TLS1.0-X.509)-(ECDHE-X25519)-(AES-128-CBC)-(SHA1)";
    gnutls_cli_completes("tls10-only-ecdhe", &TLS10_ECDHE, description).await;
}

/// Java 17 refuses TLS 1.0 (protocol_version, 70); Python's default context offers no
/// SHA-1 suite and gets handshake_failure (40).
#[tokio::test]
async fn tls10_only_ecdhe_java_and_python_defaults_refuse() {
    java_refuses_version("tls10-only-ecdhe", "TLS10").await;

    python_gets_handshake_failure("tls10-only-ecdhe").await;
}

// ---------------------------------------------------------------------------------------
// tls11-only-rsa
// ---------------------------------------------------------------------------------------

/// With `-tls1_1`, and with no version flag at all (negotiating down from TLS 1.3): static
/// RSA involves no signature, so OpenSSL's default security level does not object.
#[tokio::test]
async fn tls11_only_rsa_s_client_completes_tls11() {
    for flags in [
        &["-tls1_1", "-cipher", "AES128-SHA@SECLEVEL=0"][..],
        &["-tls1_1"],
        &[],
    ] {
        eprintln!("s_client {flags:?}");
        s_client_completes(flags, "tls11-only-rsa", &TLS11_RSA).await;
    }
}

#[tokio::test]
async fn tls11_only_rsa_curl_defaults_complete_tls11() {
    let (run, obs) = Curl::get(HOST, "/curl").once("tls11-only-rsa").await;
    run.expect_status(0)
        .expect_output(&TLS11_RSA.greeting("tls11-only-rsa"));
    common::assert_completed(&obs, &TLS11_RSA, Some(HOST), "/curl");
}

#[tokio::test]
async fn tls11_only_rsa_gnutls_cli_completes_tls11() {
    let description = "(TLS1.1-X.509)-(RSA)-(AES-128-CBC)-(SHA1)";
    gnutls_cli_completes("tls11-only-rsa", &TLS11_RSA, description).await;
}

/// A TLS 1.2-only client reads the TLS 1.1 ServerHello and refuses it with
/// protocol_version (70): s_client -tls1_2 and Java 17.
#[tokio::test]
async fn tls11_only_rsa_tls12_only_clients_send_protocol_version() {
    let (run, obs) = SClient::named(HOST)
        .args(&["-tls1_2"])
        .once("tls11-only-rsa")
        .await;
    run.expect_status(1).expect_output("unsupported protocol");
    common::assert_server_received(&obs, AlertDescription::PROTOCOL_VERSION);

    java_refuses_version("tls11-only-rsa", "TLS11").await;
}

#[tokio::test]
async fn tls11_only_rsa_python_default_context_gets_handshake_failure() {
    let obs = python_gets_handshake_failure("tls11-only-rsa").await;
    assert!(!offered(&obs, "TLS_RSA_"), "{}", obs.log_line());
}

// ---------------------------------------------------------------------------------------
// legacy-rc4-md5
// ---------------------------------------------------------------------------------------

/// This OpenSSL has no RC4: asked for RC4-MD5 alone, s_client stops before connecting;
/// with every suite it has, it connects and the server finds none in common.
#[tokio::test]
async fn legacy_rc4_md5_s_client_has_no_rc4_and_gets_handshake_failure() {
    let server = common::start("legacy-rc4-md5").await;
    let run = SClient::named(HOST)
        .args(&["-tls1", "-cipher", "RC4-MD5@SECLEVEL=0"])
        .run(&server)
        .await;
    run.expect_status(1).expect_output("no cipher match");
    assert!(
        server
            .wait_for(1, Duration::from_millis(300))
            .await
            .is_none(),
        "s_client connected: {:?}",
        server.observations()
    );

    let run = SClient::named(HOST)
        .args(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"])
        .run(&server)
        .await;
    run.expect_status(1).expect_output("SSL alert number 40");
    let obs = common::observation(&server, 1).await;
    let rc4_md5 = CipherSuite::from_name(TLS10_RC4_MD5.suite).unwrap();
    let hello = obs.client_hello().expect("a ClientHello");
    assert!(!hello.cipher_suites.contains(&rc4_md5), "{hello:?}");
    assert_no_common_suite(&obs);
}

/// curl, Python and Java have no RC4 either: the server ends each handshake with
/// handshake_failure (40).
#[tokio::test]
async fn legacy_rc4_md5_curl_python_java_get_handshake_failure() {
    let (run, obs) = Curl::get(HOST, "/curl").once("legacy-rc4-md5").await;
    run.expect_status(35)
        .expect_output("alert handshake failure");
    assert_no_common_suite(&obs);

    python_gets_handshake_failure("legacy-rc4-md5").await;

    let (run, obs) = Java::to(HOST).once("legacy-rc4-md5").await;
    run.expect_status(3)
        .expect_output("Received fatal alert: handshake_failure");
    assert_no_common_suite(&obs);
}

/// GnuTLS still has ARCFOUR-128 and MD5, off by default: NORMAL gets handshake_failure
/// (40), NORMAL with them (and TLS 1.0) completes against the 1024-bit key.
#[tokio::test]
async fn legacy_rc4_md5_gnutls_cli_with_arcfour_and_md5_completes() {
    const PRIORITY: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.0:+ARCFOUR-128:+MD5";
    let server = common::start("legacy-rc4-md5").await;

    let run = GnutlsCli::with_priority("NORMAL").run(&server).await;
    run.expect_status(1)
        .expect_output("*** Received alert [40]: Handshake failed");
    assert_no_common_suite(&common::observation(&server, 1).await);

    let listing = std::process::Command::new("gnutls-cli")
        .args(["--list", "--priority", PRIORITY])
        .output()
        .expect("run gnutls-cli (make deps installs gnutls-bin)");
    if !String::from_utf8_lossy(&listing.stdout).contains("TLS_RSA_ARCFOUR_128_MD5") {
        println!("SKIP: this GnuTLS has no TLS_RSA_ARCFOUR_128_MD5 for {PRIORITY}");
        return;
    }
    let run = GnutlsCli::with_priority(PRIORITY)
        .get("/gnutls")
        .run(&server)
        .await;
    expect_gnutls_ok(
        &run,
        &TLS10_RC4_MD5,
        "(TLS1.0-X.509)-(RSA)-(ARCFOUR-128)-(MD5)",
        "legacy-rc4-md5",
    )
    .expect_output("RSA key 1024 bits");
    let obs = common::observation(&server, 2).await;
    common::assert_completed(&obs, &TLS10_RC4_MD5, Some(HOST), "/gnutls");
}

// ---------------------------------------------------------------------------------------
// rsa1024-server-key
// ---------------------------------------------------------------------------------------

/// At Debian's default security level 2 (112 bits) OpenSSL rejects the 1024-bit leaf in
/// chain verification (X509 error 66) and sends bad_certificate (42).
#[tokio::test]
async fn rsa1024_server_key_s_client_at_its_default_security_level_rejects_the_key() {
    let (run, obs) = SClient::named(HOST).once("rsa1024-server-key").await;
    run.expect_status(1)
        .expect_output("verify error:num=66:EE certificate key too weak");
    common::assert_server_received(&obs, AlertDescription::BAD_CERTIFICATE);
}

/// Security level 1 (80 bits) admits RSA-1024, and so does 0; with ECDHE_RSA and with
/// static RSA.
#[tokio::test]
async fn rsa1024_server_key_s_client_at_seclevel_1_or_0_completes() {
    for (cipher, session) in [
        ("DEFAULT@SECLEVEL=1", TLS12),
        ("DEFAULT@SECLEVEL=0", TLS12),
        ("AES128-GCM-SHA256@SECLEVEL=1", RSA_AES128_GCM),
    ] {
        eprintln!("s_client -cipher {cipher}");
        let flags = ["-tls1_2", "-cipher", cipher];
        s_client_completes(&flags, "rsa1024-server-key", &session)
            .await
            .expect_output("Server public key is 1024 bit");
    }
}

/// curl (exit 60) and Python (verify code 66) use OpenSSL's default level too.
#[tokio::test]
async fn rsa1024_server_key_curl_and_python_reject_the_key() {
    let (run, obs) = Curl::get(HOST, "/curl").once("rsa1024-server-key").await;
    run.expect_status(60)
        .expect_output("EE certificate key too weak");
    common::assert_server_received(&obs, AlertDescription::BAD_CERTIFICATE);

    let (run, obs) = Python::get(HOST, "/py").once("rsa1024-server-key").await;
    run.expect_status(3)
        .expect_output("verify_code: 66\n")
        .expect_output("verify_message: EE certificate key too weak\n");
    common::assert_server_received(&obs, AlertDescription::BAD_CERTIFICATE);
}

/// Java 17 refuses RSA keys below 1024 bits only; GnuTLS 3.7's default profile accepts
/// 1024 bits too.
#[tokio::test]
async fn rsa1024_server_key_java_and_gnutls_cli_complete() {
    let (run, obs) = Java::to(HOST).once("rsa1024-server-key").await;
    expect_java_ok(&run, &TLS12, "rsa1024-server-key");
    common::assert_completed(&obs, &TLS12, Some(HOST), "/java");

    let description = "(TLS1.2-X.509)-(ECDHE-X25519)-(RSA-SHA256)-(AES-256-GCM)";
    gnutls_cli_completes("rsa1024-server-key", &TLS12, description)
        .await
        .expect_output("RSA key 1024 bits");
}
