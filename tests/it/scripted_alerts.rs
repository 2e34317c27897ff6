//! The alerts TLS requires on the correct paths around a quirk: after the handshake of
//! the scripted engine (bad MAC, bad padding, a renegotiation ClientHello with the
//! SCSV), in its hello checks (a non-empty extended_master_secret) and before either
//! engine (malformed, oversized and reset first flights), plus the scripted engine's
//! `tls.client_renegotiation` policies. Clients: tlslite-ng (tests/clients/
//! tlslite_client.py), `openssl s_client`, and raw sockets where only bytes will do.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common;

use quirktls::observe::{CloseKind, Event, Observation, Party};
use quirktls::server::ScenarioServer;
use quirktls::wire::{Alert, AlertDescription, AlertLevel};

const TLSLITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/clients/tlslite_client.py"
);

/// A TLS 1.2 scripted scenario echoing what it reads, with `extra` YAML under `tls:`.
async fn scripted(extra: &str) -> ScenarioServer {
    let yaml = format!(
        "name: alerts\ndescription: x\nengine: scripted\napp:\n  mode: echo\ntls:\n  \
         versions: [tls1.2]\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, \
         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n{extra}"
    );
    let sc = quirktls::scenario::load_str(&yaml, "alerts.yaml", common::spec()).expect("scenario");
    common::start_scenario(sc).await
}

/// tlslite_client.py MODE ARG against `server`: its exit status and stdout.
async fn tlslite(server: &ScenarioServer, mode: &str, arg: &str) -> common::Run {
    let port = server.addr().port().to_string();
    let args = common::args(&[TLSLITE, mode, arg, "127.0.0.1", &port]);
    common::run("python3", &args, b"").await
}

fn sent(obs: &Observation) -> Vec<(u8, AlertDescription)> {
    obs.alerts_sent()
        .iter()
        .map(|a| (a.level.0, a.description))
        .collect()
}

fn violation(obs: &Observation) -> Option<String> {
    obs.events().find_map(|e| match e {
        Event::ProtocolViolation { reason } => Some(reason.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn a_bad_mac_and_bad_cbc_padding_get_bad_record_mac() {
    for mode in ["mac", "padding"] {
        let server = scripted("").await;
        let run = tlslite(&server, "corrupt", mode).await;
        // tlslite reports the alert it decrypted: sent under the connection's keys.
        run.expect_status(0).expect_output("alert 20");
        let obs = common::observation(&server, 1).await;
        assert!(obs.handshake_completed(), "{}", obs.log_line());
        assert_eq!(
            sent(&obs),
            [(2, AlertDescription::BAD_RECORD_MAC)],
            "{mode}"
        );
        let reason = violation(&obs).unwrap_or_default();
        assert!(reason.starts_with("bad record mac"), "{reason}");
        assert_eq!(obs.closed(), Some(CloseKind::FatalAlert), "{mode}");
    }
}

/// supported_groups: secp256r1.
const GROUPS: (u16, &[u8]) = (10, &[0, 2, 0, 23]);
/// signature_algorithms: rsa_pkcs1_sha256.
const SIGNATURE_ALGORITHMS: (u16, &[u8]) = (13, &[0, 2, 4, 1]);

/// A ClientHello body offering one suite, with `extensions` (type, data).
fn hello_body(extensions: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend([7u8; 32]); // random
    body.push(0); // session id
    body.extend([0, 2, 0xc0, 0x2f]); // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    body.extend([1, 0]); // null compression
    let mut block = Vec::new();
    for (typ, data) in extensions {
        block.extend(typ.to_be_bytes());
        block.extend((data.len() as u16).to_be_bytes());
        block.extend(*data);
    }
    if !extensions.is_empty() {
        body.extend((block.len() as u16).to_be_bytes());
        body.extend(block);
    }
    body
}

/// `body` as a ClientHello message in one handshake record.
fn hello_record(body: &[u8]) -> Vec<u8> {
    let mut msg = vec![1];
    msg.extend(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend(body);
    let mut record = vec![22, 3, 1];
    record.extend((msg.len() as u16).to_be_bytes());
    record.extend(msg);
    record
}

/// Send `bytes`, then read what the server answers until it closes (at most 5 s).
async fn answer_to(server: &ScenarioServer, bytes: &[u8]) -> (Vec<u8>, Duration) {
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let start = Instant::now();
    tcp.write_all(bytes).await.unwrap();
    let mut got = Vec::new();
    let read = tcp.read_to_end(&mut got);
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("the server answers and closes within 5 s")
        .expect("read");
    (got, start.elapsed())
}

/// Send `bytes`; the answer starts with a handshake record holding a ServerHello.
async fn assert_server_hello(server: &ScenarioServer, bytes: &[u8]) {
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut head = [0u8; 6];
    tokio::time::timeout(Duration::from_secs(5), tcp.read_exact(&mut head))
        .await
        .expect("an answer within 5 s")
        .expect("6 bytes");
    assert_eq!(
        [head[0], head[1], head[2], head[5]],
        [22, 3, 3, 2],
        "{head:?}"
    );
}

/// A plaintext fatal alert record, as the server writes it before any keys exist.
fn alert_record(desc: AlertDescription) -> Vec<u8> {
    vec![21, 3, 1, 0, 2, 2, desc.0]
}

/// Connection `n` sends `bytes` and gets the fatal alert `desc`, then a clean close.
async fn assert_refused_with(
    server: &ScenarioServer,
    n: usize,
    bytes: &[u8],
    desc: AlertDescription,
) {
    let (got, _) = answer_to(server, bytes).await;
    assert_eq!(got, alert_record(desc));
    let obs = common::observation(server, n).await;
    assert_eq!(sent(&obs), [(2, desc)], "{}", obs.log_line());
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert));
}

#[tokio::test]
async fn malformed_hellos_get_decode_error() {
    let server = scripted("").await;
    let whole = hello_body(&[GROUPS, SIGNATURE_ALGORITHMS]);
    // Truncated: the message's length matches, its fields end inside the suite list.
    let truncated = hello_record(&whole[..37]);
    assert_refused_with(&server, 1, &truncated, AlertDescription::DECODE_ERROR).await;
    // One byte after the compression methods: no extensions block.
    let mut trailing = hello_body(&[]);
    trailing.push(0);
    let trailing = hello_record(&trailing);
    assert_refused_with(&server, 2, &trailing, AlertDescription::DECODE_ERROR).await;
    // The control: the same hello, whole, gets a ServerHello.
    assert_server_hello(&server, &hello_record(&whole)).await;
}

#[tokio::test]
async fn a_non_empty_extended_master_secret_gets_decode_error() {
    let server = scripted("").await;
    let ems = hello_body(&[GROUPS, SIGNATURE_ALGORITHMS, (23, &[0])]);
    assert_refused_with(
        &server,
        1,
        &hello_record(&ems),
        AlertDescription::DECODE_ERROR,
    )
    .await;
    let obs = common::observation(&server, 1).await;
    assert!(
        common::handshake_failures(&obs).contains("RFC 7627"),
        "{}",
        obs.log_line()
    );
    // The control: empty, as RFC 7627 defines it, the hello is answered.
    let ems = hello_body(&[GROUPS, SIGNATURE_ALGORITHMS, (23, &[])]);
    assert_server_hello(&server, &hello_record(&ems)).await;
}

#[tokio::test]
async fn a_hello_declaring_16_mb_is_refused_at_its_header() {
    for server in [scripted("").await, common::start("modern-baseline").await] {
        // A record header and the first 4 handshake bytes; the rest never comes.
        let bytes = [22, 3, 1, 0x40, 0, 1, 0xff, 0xff, 0xff];
        let (got, took) = answer_to(&server, &bytes).await;
        assert_eq!(got, alert_record(AlertDescription::ILLEGAL_PARAMETER));
        assert!(
            took < Duration::from_secs(3),
            "{took:?}: not the 10 s timeout"
        );
        let obs = common::observation(&server, 1).await;
        assert_eq!(sent(&obs), [(2, AlertDescription::ILLEGAL_PARAMETER)]);
    }
}

#[tokio::test]
async fn a_100_kb_hello_completes_on_scripted_and_gets_decode_error_on_rustls() {
    let server = scripted("").await;
    let run = tlslite(&server, "big-hello", "100000").await;
    run.expect_status(0);
    let obs = common::observation(&server, 1).await;
    assert!(obs.handshake_completed(), "{}", obs.log_line());
    let hello = obs.client_hello().expect("hello");
    assert!(
        hello.cipher_suites.len() > 20_000,
        "{}",
        hello.cipher_suites.len()
    );

    // rustls caps handshake messages at 64 KiB: an alert and an event that says so.
    let server = common::start("modern-baseline").await;
    let run = tlslite(&server, "big-hello", "100000").await;
    assert_ne!(run.status, Some(0));
    run.expect_output("decode_error");
    let obs = common::observation(&server, 1).await;
    assert_eq!(sent(&obs), [(2, AlertDescription::DECODE_ERROR)]);
    assert!(
        common::handshake_failures(&obs).contains("over the engine's 65539-byte"),
        "{}",
        obs.log_line()
    );
}

#[tokio::test]
async fn scsv_in_a_renegotiation_hello_gets_handshake_failure() {
    let server = scripted("").await;
    let run = tlslite(&server, "reneg-hello", "scsv").await;
    run.expect_status(0).expect_output("alert 40");
    let obs = common::observation(&server, 1).await;
    assert_eq!(sent(&obs), [(2, AlertDescription::HANDSHAKE_FAILURE)]);
    let aborted = obs.events().find_map(|e| match e {
        Event::RenegotiationAborted { by, reason } => Some((*by, reason.clone())),
        _ => None,
    });
    let (by, reason) = aborted.expect("renegotiation_aborted");
    assert_eq!(by, Party::Server);
    assert!(reason.contains("RFC 5746 §3.7"), "{reason}");

    // The control: the same hello without the SCSV gets a ServerHello (type 2).
    let server = scripted("").await;
    let run = tlslite(&server, "reneg-hello", "plain").await;
    run.expect_status(0).expect_output("handshake 2");
}

#[tokio::test]
async fn a_reset_during_the_first_flight_is_logged_as_reset() {
    let server = scripted("").await;
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    // Half a hello: the record announces 40 bytes, 2 come.
    tcp.write_all(&[22, 3, 1, 0, 40, 1, 0]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    #[allow(deprecated)] // SO_LINGER 0: the close sends RST (and never blocks)
    tcp.set_linger(Some(Duration::ZERO)).unwrap();
    drop(tcp);
    let obs = common::observation(&server, 1).await;
    assert_eq!(obs.closed(), Some(CloseKind::Reset), "{:?}", obs.events);
}

/// `openssl s_client -msg` over TLS 1.2, typing `R` (renegotiate) once per pause, then
/// closing its input; killed after `deadline`. Its output.
async fn s_client_renegotiating(
    server: &ScenarioServer,
    times: usize,
    deadline: Duration,
) -> String {
    let mut child = tokio::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &server.addr().to_string(),
            "-tls1_2",
            "-msg",
        ])
        .arg("-CAfile")
        .arg(common::ca_bundle())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("openssl (make deps installs it)");
    let mut stdin = child.stdin.take().unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..times {
        let _ = stdin.write_all(b"R\n").await;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    drop(stdin);
    let out = tokio::time::timeout(deadline, child.wait_with_output()).await;
    match out {
        Ok(out) => {
            let out = out.unwrap();
            format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        }
        // Still waiting for the ServerHello `ignore` never sends.
        Err(_) => String::new(),
    }
}

fn refusals(obs: &Observation) -> Vec<(String, u32)> {
    obs.events()
        .filter_map(|e| match e {
            Event::RenegotiationRefusedByServer { how, count } => Some((how.clone(), *count)),
            _ => None,
        })
        .collect()
}

fn client_renegotiations(obs: &Observation) -> Vec<u64> {
    obs.events
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                Event::Renegotiated {
                    initiated_by: Party::Client,
                    ..
                }
            )
        })
        .map(|e| e.t_ms)
        .collect()
}

#[tokio::test]
async fn client_renegotiation_accept_renegotiates_each_time_with_its_own_time() {
    let server = scripted("  client_renegotiation: accept\n").await;
    let out = s_client_renegotiating(&server, 2, Duration::from_secs(10)).await;
    assert_eq!(out.matches("RENEGOTIATING").count(), 2, "{out}");
    let obs = common::observation(&server, 1).await;
    let times = client_renegotiations(&obs);
    assert_eq!(times.len(), 2, "{}", obs.log_line());
    // Typed 700 ms apart: each event carries the time it happened.
    assert!(times[1] >= times[0] + 400, "{times:?}");
    assert!(refusals(&obs).is_empty());
}

#[tokio::test]
async fn client_renegotiation_refuse_warning_sends_no_renegotiation_as_a_warning() {
    let server = scripted("  client_renegotiation: refuse_warning\n").await;
    let out = s_client_renegotiating(&server, 1, Duration::from_secs(10)).await;
    assert!(
        out.contains("<<< TLS 1.2, Alert [length 0002], warning no_renegotiation"),
        "{out}"
    );
    let obs = common::observation(&server, 1).await;
    assert_eq!(refusals(&obs), [("refuse_warning".to_string(), 0)]);
    // OpenSSL, having asked, gives up on the connection (its SSL_R_NO_RENEGOTIATION).
    assert_eq!(
        obs.alerts_received(),
        [Alert::fatal(AlertDescription::HANDSHAKE_FAILURE)]
    );
    assert_eq!(
        sent(&obs),
        [(AlertLevel::WARNING.0, AlertDescription::NO_RENEGOTIATION)]
    );
    assert!(client_renegotiations(&obs).is_empty());
}

#[tokio::test]
async fn client_renegotiation_refuse_fatal_ends_the_connection() {
    let server = scripted("  client_renegotiation: refuse_fatal\n").await;
    let out = s_client_renegotiating(&server, 1, Duration::from_secs(10)).await;
    assert!(
        out.contains("<<< TLS 1.2, Alert [length 0002], fatal no_renegotiation"),
        "{out}"
    );
    let obs = common::observation(&server, 1).await;
    assert_eq!(refusals(&obs), [("refuse_fatal".to_string(), 0)]);
    assert_eq!(sent(&obs), [(2, AlertDescription::NO_RENEGOTIATION)]);
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert));
}

#[tokio::test]
async fn client_renegotiation_ignore_answers_nothing() {
    let server = scripted("  client_renegotiation: ignore\n").await;
    s_client_renegotiating(&server, 1, Duration::from_secs(2)).await;
    let obs = common::observation(&server, 1).await;
    assert_eq!(refusals(&obs), [("ignore".to_string(), 0)]);
    assert!(sent(&obs).is_empty(), "{:?}", sent(&obs));
    assert!(client_renegotiations(&obs).is_empty());
}

#[tokio::test]
async fn max_renegotiations_refuses_the_next_one_with_a_fatal_alert() {
    let server = scripted("  max_renegotiations: 1\n").await;
    let out = s_client_renegotiating(&server, 2, Duration::from_secs(10)).await;
    assert!(
        out.contains("<<< TLS 1.2, Alert [length 0002], fatal handshake_failure"),
        "{out}"
    );
    let obs = common::observation(&server, 1).await;
    assert_eq!(client_renegotiations(&obs).len(), 1, "{}", obs.log_line());
    assert_eq!(refusals(&obs), [("max_renegotiations".to_string(), 1)]);
    assert_eq!(
        obs.alerts_sent(),
        [Alert::fatal(AlertDescription::HANDSHAKE_FAILURE)]
    );
}
