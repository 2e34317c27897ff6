//! ClientHello intolerance (seed 001): a matching ClientHello gets the configured
//! reaction before any engine answers; others complete.

use crate::common;

use common::clients::{Client, SClient};
use common::HOST;
use quirktls::observe::{CloseKind, Event};
use quirktls::wire::AlertDescription;

#[tokio::test]
async fn a_short_cipher_list_gets_unexpected_message() {
    // AES128-SHA plus the renegotiation SCSV: two suites, fewer than ten.
    let (run, obs) = SClient::named(HOST)
        .args(&["-tls1", "-cipher", "AES128-SHA@SECLEVEL=0"])
        .once("clienthello-intolerant")
        .await;
    assert_ne!(run.status, Some(0), "{}", run.output());
    run.expect_output("SSL alert number 10");
    let rejected: Vec<&Event> = obs
        .events()
        .filter(|e| matches!(e, Event::HelloRejected { .. }))
        .collect();
    assert_eq!(
        rejected,
        [&Event::HelloRejected {
            rule: "fewer_suites_than 10".into()
        }]
    );
    assert_eq!(
        obs.alerts_sent()
            .iter()
            .map(|a| a.description)
            .collect::<Vec<_>>(),
        [AlertDescription::UNEXPECTED_MESSAGE]
    );
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert));
    assert!(
        obs.log_line()
            .contains("intolerant of fewer_suites_than 10"),
        "{}",
        obs.log_line()
    );
}

#[tokio::test]
async fn a_long_cipher_list_completes() {
    let (run, obs) = SClient::named(HOST).once("clienthello-intolerant").await;
    run.expect_status(0)
        .expect_output("quirktls clienthello-intolerant: TLS 1.2");
    assert!(obs.client_hello().expect("hello").cipher_suites.len() >= 10);
    assert!(obs.handshake_completed(), "{}", obs.log_line());
}

#[tokio::test]
async fn close_and_reset_reactions_end_the_connection_as_configured() {
    for (then, status_text, how) in [
        ("close", "unexpected eof", CloseKind::ServerClosed),
        ("reset", "errno=104", CloseKind::Reset), // ECONNRESET
    ] {
        let yaml = format!(
            "name: choke\ndescription: x\nengine: rustls\nintolerance:\n  - when: {{ has_extension: server_name }}\n    then: {then}\n"
        );
        let sc = quirktls::scenario::load_str(&yaml, "choke.yaml", common::spec()).unwrap();
        let server = common::start_scenario(sc).await;
        let run = SClient::named(HOST).run(&server).await;
        let obs = common::observation(&server, 1).await;
        assert_ne!(run.status, Some(0), "{then}: {}", run.output());
        assert!(
            run.output()
                .to_lowercase()
                .contains(&status_text.to_lowercase()),
            "{then}: {}",
            run.output()
        );
        assert_eq!(obs.closed(), Some(how), "{then}: {}", obs.log_line());
        assert!(obs.alerts_sent().is_empty());
        // Without SNI the rule does not match and rustls completes the handshake.
        let run = SClient::with(&["-noservername"]).run(&server).await;
        run.expect_status(0);
    }
}
