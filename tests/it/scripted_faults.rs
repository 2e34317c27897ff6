//! Message-level faults of the scripted engine against `openssl s_client`: what reaches
//! the wire (seen with `-msg`) and how the client reacts, as the server observed it.

use crate::common;

use common::clients::{Client, SClient};
use common::{Run, HOST};
use quirktls::observe::{CloseKind, Observation};
use quirktls::server::ScenarioServer;
use quirktls::wire::AlertDescription;

/// A TLS 1.2 scripted scenario with one fault.
async fn with_fault(at: &str, action: &str) -> ScenarioServer {
    let yaml = format!(
        "name: fault\ndescription: x\nengine: scripted\ntls:\n  versions: [tls1.2]\n  \
         cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_GCM_SHA256]\n  \
         certificate: server-rsa\nfaults:\n  - at: {at}\n    do: {action}\n"
    );
    let sc = quirktls::scenario::load_str(&yaml, "fault.yaml", common::spec()).expect("scenario");
    common::start_scenario(sc).await
}

async fn openssl(server: &ScenarioServer) -> (Run, Observation) {
    let run = SClient::named(HOST)
        .args(&["-msg", "-tls1_2"])
        .run(server)
        .await;
    (run, common::observation(server, 1).await)
}

fn received(obs: &Observation) -> Vec<AlertDescription> {
    obs.alerts_received()
        .iter()
        .map(|a| a.description)
        .collect()
}

/// (at, do, what s_client prints, the alert the server receives from it)
const REFUSED: &[(&str, &str, &str, AlertDescription)] = &[
    (
        "server_hello",
        "truncate 40",
        "length mismatch",
        AlertDescription::DECODE_ERROR,
    ),
    (
        "certificate",
        "drop",
        "unexpected message",
        AlertDescription::UNEXPECTED_MESSAGE,
    ),
    (
        "server_hello",
        "duplicate",
        "unexpected message",
        AlertDescription::UNEXPECTED_MESSAGE,
    ),
    (
        "server_key_exchange",
        "reorder",
        "unexpected message",
        AlertDescription::UNEXPECTED_MESSAGE,
    ),
    (
        "certificate",
        "corrupt 20 0xff",
        "",
        AlertDescription::BAD_CERTIFICATE,
    ),
    (
        "server_hello",
        "cipher_suite 0x009c",
        "unexpected message",
        AlertDescription::UNEXPECTED_MESSAGE,
    ),
    (
        "server_hello",
        "hello_version 0x0300",
        "",
        AlertDescription::PROTOCOL_VERSION,
    ),
    (
        "server_hello",
        "compression 1",
        "",
        AlertDescription::ILLEGAL_PARAMETER,
    ),
    (
        "finished",
        "wrong_verify_data",
        "digest check failed",
        AlertDescription::DECRYPT_ERROR,
    ),
    (
        "server_hello_done",
        "alert_before fatal 201",
        "SSL alert number 201",
        AlertDescription(0xff),
    ),
];

#[tokio::test]
async fn each_handshake_fault_makes_openssl_abort_with_its_alert() {
    for &(at, action, says, alert) in REFUSED {
        let server = with_fault(at, action).await;
        let (run, obs) = openssl(&server).await;
        assert_ne!(run.status, Some(0), "{at} {action}: {}", run.output());
        assert!(
            run.output().contains(says),
            "{at} {action}: {}",
            run.output()
        );
        if alert == AlertDescription(0xff) {
            // The client only reports our alert; it sends nothing back.
            assert!(
                received(&obs).is_empty(),
                "{at} {action}: {}",
                obs.log_line()
            );
        } else {
            assert_eq!(received(&obs), [alert], "{at} {action}: {}", obs.log_line());
        }
    }
}

#[tokio::test]
async fn fragments_unknown_extensions_and_warnings_are_tolerated_and_visible() {
    let server = with_fault("certificate", "fragment 100").await;
    let (run, obs) = openssl(&server).await;
    run.expect_status(0);
    assert!(obs.handshake_completed());
    // -msg shows one line per record header: the certificate takes many 100-byte records.
    let small = run
        .output()
        .matches("<<< TLS 1.2, RecordHeader [length 0005]")
        .count();
    assert!(small > 5, "{}", run.output());

    // RFC 5246 says abort on an extension never offered; OpenSSL 3.0 lets an unknown
    // one pass in a TLS 1.2 ServerHello.
    let server = with_fault("server_hello", "unknown_extension 0x7777").await;
    let (run, obs) = openssl(&server).await;
    run.expect_status(0);
    assert!(obs.handshake_completed());

    let server = with_fault("server_hello_done", "alert_after warning 201").await;
    let (run, obs) = openssl(&server).await;
    run.expect_status(0);
    // OpenSSL has no name for 201: it prints `???` and the bytes, level 1, code 0xc9.
    assert!(
        run.output()
            .contains("Alert [length 0002], warning ???\n    01 c9"),
        "{}",
        run.output()
    );
    assert!(obs.handshake_completed());
}

#[tokio::test]
async fn close_and_reset_at_a_step_end_the_connection_there() {
    for (action, says, how) in [
        ("close", "unexpected eof", CloseKind::ServerClosed),
        ("reset", "errno=104", CloseKind::Reset),
    ] {
        let server = with_fault("certificate", action).await;
        let (run, obs) = openssl(&server).await;
        assert_ne!(run.status, Some(0));
        assert!(
            run.output().to_lowercase().contains(says),
            "{action}: {}",
            run.output()
        );
        // ServerHello went out, the Certificate never did.
        assert!(run.output().contains(", ServerHello"), "{}", run.output());
        assert!(!run.output().contains(", Certificate"), "{}", run.output());
        assert_eq!(obs.closed(), Some(how), "{action}: {}", obs.log_line());
    }
}

#[tokio::test]
async fn a_delay_holds_the_message_back() {
    let server = with_fault("server_hello_done", "delay 700").await;
    let started = std::time::Instant::now();
    let (run, obs) = openssl(&server).await;
    run.expect_status(0);
    assert!(obs.handshake_completed());
    assert!(started.elapsed() >= std::time::Duration::from_millis(700));
}

#[tokio::test]
async fn first_application_record_faults_break_the_response() {
    for (action, says, alert) in [
        (
            "bad_record_mac",
            "bad record mac",
            AlertDescription::BAD_RECORD_MAC,
        ),
        ("oversized 20000", "", AlertDescription::RECORD_OVERFLOW),
    ] {
        let server = with_fault("application_data", action).await;
        let (run, obs) = openssl(&server).await;
        assert!(obs.handshake_completed(), "{action}: {}", obs.log_line());
        assert!(
            !run.output().contains("quirktls fault"),
            "{action}: {}",
            run.output()
        );
        assert!(
            run.output().to_lowercase().contains(says),
            "{action}: {}",
            run.output()
        );
        assert_eq!(received(&obs), [alert], "{action}: {}", obs.log_line());
    }
}

#[tokio::test]
async fn the_showcase_scenarios_make_openssl_abort() {
    for (scenario, alert) in [
        ("truncated-server-hello", AlertDescription::DECODE_ERROR),
        ("bad-finished", AlertDescription::DECRYPT_ERROR),
        (
            "server-hello-suite-lie",
            AlertDescription::UNEXPECTED_MESSAGE,
        ),
    ] {
        let (run, obs) = SClient::named(HOST).args(&["-tls1_2"]).once(scenario).await;
        assert_ne!(run.status, Some(0), "{scenario}: {}", run.output());
        assert_eq!(received(&obs), [alert], "{scenario}: {}", obs.log_line());
        assert_eq!(obs.http_request(), None, "{scenario}");
    }
}

/// s_client fed two lines a second apart (each its own record), then EOF.
async fn echo_two_lines(server: &ScenarioServer, flags: &[&str]) -> (Option<i32>, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &server.addr().to_string(),
            "-servername",
            HOST,
        ])
        .args(flags)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("openssl");
    let mut stdin = child.stdin.take().unwrap();
    for line in ["one\n", "two\n"] {
        stdin.write_all(line.as_bytes()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    drop(stdin);
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("s_client finishes")
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn a_hello_request_storm_is_answered_by_renegotiation_or_declined() {
    // Non-blocking s_client renegotiates before each echo; the server answers each time.
    let server = common::start("hello-request-storm").await;
    let (status, out) = echo_two_lines(&server, &["-nbio"]).await;
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("\none\n") && out.contains("\ntwo\n"), "{out}");
    let obs = common::observation(&server, 1).await;
    let renegotiations = obs
        .events()
        .filter(|e| matches!(e, quirktls::observe::Event::Renegotiated { .. }))
        .count();
    assert_eq!(renegotiations, 2, "{}", obs.log_line());
    let hello_requests = obs
        .transcript
        .iter()
        .filter(|l| l.what == "HelloRequest")
        .count();
    assert_eq!(hello_requests, 2, "{}", obs.transcript_text());
    assert_eq!(obs.closed(), Some(CloseKind::CloseNotify));

    // -no_renegotiation declines each HelloRequest with a warning and keeps going.
    let server = common::start("hello-request-storm").await;
    let (status, out) = echo_two_lines(&server, &["-nbio", "-no_renegotiation"]).await;
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("\ntwo\n"), "{out}");
    let obs = common::observation(&server, 1).await;
    assert!(!obs.renegotiated());
    assert_eq!(
        obs.alerts_received()
            .iter()
            .map(|a| (a.level.0, a.description))
            .collect::<Vec<_>>(),
        [(1, AlertDescription::NO_RENEGOTIATION); 2],
        "{}",
        obs.log_line()
    );
}

/// The messages the server sent, in order, with their bytes as they went out.
fn sent(obs: &Observation) -> Vec<(&str, &[u8])> {
    obs.transcript
        .iter()
        .filter(|l| l.direction == quirktls::observe::Direction::Sent)
        .map(|l| (l.what.as_str(), l.bytes.as_slice()))
        .collect()
}

fn names<'a>(sent: &[(&'a str, &[u8])]) -> Vec<&'a str> {
    sent.iter().map(|(n, _)| *n).collect()
}

fn message<'a>(sent: &[(&str, &'a [u8])], name: &str) -> &'a [u8] {
    sent.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
        .unwrap_or_else(|| panic!("no {name} sent"))
}

/// ServerHello body offsets (after the 4-byte header): version 0..2, random 2..34,
/// session id length 34, a 32-byte session id, then suite and compression.
const HELLO_SUITE: usize = 4 + 2 + 32 + 1 + 32;

#[tokio::test]
async fn the_server_transcript_shows_each_fault_in_the_bytes_it_sent() {
    let flight = [
        "ServerHello",
        "Certificate",
        "ServerKeyExchange",
        "ServerHelloDone",
    ];
    let check = |at: &'static str, action: &'static str| async move {
        let server = with_fault(at, action).await;
        let (_, obs) = openssl(&server).await;
        obs
    };

    let obs = check("certificate", "drop").await;
    assert_eq!(
        names(&sent(&obs))[..3],
        ["ServerHello", "ServerKeyExchange", "ServerHelloDone"]
    );

    let obs = check("server_hello", "duplicate").await;
    assert_eq!(names(&sent(&obs))[..2], ["ServerHello", "ServerHello"]);

    let obs = check("server_key_exchange", "reorder").await;
    assert_eq!(
        names(&sent(&obs))[..4],
        [
            "ServerHello",
            "Certificate",
            "ServerHelloDone",
            "ServerKeyExchange"
        ]
    );

    let obs = check("server_hello", "truncate 40").await;
    let hello = message(&sent(&obs), "ServerHello");
    assert_eq!(hello.len(), 40);
    assert_eq!(hello[1..4], [0, 0, 36], "the length header says 36 bytes");

    let obs = check("certificate", "corrupt 20 0xff").await;
    // Certificate: header(4), list length(3), first cert length(3), then the DER.
    let der = common::entity("server-rsa").cert.to_vec();
    assert_eq!(message(&sent(&obs), "Certificate")[20], der[10] ^ 0xff);

    let obs = check("server_hello", "cipher_suite 0x009c").await;
    let hello = message(&sent(&obs), "ServerHello");
    assert_eq!(hello[HELLO_SUITE..HELLO_SUITE + 2], [0x00, 0x9c]);
    assert_eq!(
        names(&sent(&obs))[..4],
        flight,
        "the server still runs ECDHE"
    );

    let obs = check("server_hello", "hello_version 0x0300").await;
    assert_eq!(message(&sent(&obs), "ServerHello")[4..6], [3, 0]);

    let obs = check("server_hello", "compression 1").await;
    assert_eq!(message(&sent(&obs), "ServerHello")[HELLO_SUITE + 2], 1);

    let obs = check("server_hello", "unknown_extension 0x7777").await;
    let hello = message(&sent(&obs), "ServerHello");
    assert!(
        hello.windows(4).any(|w| w == [0x77, 0x77, 0, 0]),
        "{hello:02x?}"
    );

    let obs = check("server_hello_done", "alert_before fatal 201").await;
    let order = names(&sent(&obs));
    let alert = order
        .iter()
        .position(|n| *n == "fatal unknown(201)")
        .expect("alert sent");
    assert_eq!(order[alert + 1], "ServerHelloDone", "{order:?}");

    let obs = check("finished", "wrong_verify_data").await;
    let ours = message(&sent(&obs), "Finished");
    assert_eq!(ours.len(), 16);
}
