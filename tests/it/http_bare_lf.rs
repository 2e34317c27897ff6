//! The HTTP responder answers request heads whose lines end in a bare LF (RFC 9112
//! section 2.2 lets a server accept them, and many test tools send them), and still
//! answers nothing to a head that never ends.

use std::time::Duration;

use crate::common;
use crate::tls_exchange::exchange;
use quirktls::observe::{CloseKind, Deadline};
use quirktls::scenario::Deadlines;
use quirktls::server::{ScenarioServer, ServerOptions};

#[tokio::test]
async fn bare_lf_and_mixed_line_ends_get_the_answer() {
    let server = common::start("modern-baseline").await;
    let heads: [&[u8]; 3] = [
        b"GET /lf HTTP/1.1\nHost: a\nConnection: close\n\n",
        b"GET /mixed HTTP/1.1\r\nHost: a\nConnection: close\r\n\n",
        b"GET /crlf HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    ];
    for (n, head) in heads.iter().enumerate() {
        let response = exchange(server.addr(), head).await;
        assert!(
            response.starts_with("HTTP/1.1 200 OK\r\n"),
            "{}: {response:?}",
            head.escape_ascii()
        );
        let obs = common::observation(&server, n + 1).await;
        let path = ["/lf", "/mixed", "/crlf"][n];
        assert_eq!(obs.http_request(), Some(&*format!("GET {path} HTTP/1.1")));
    }
}

#[tokio::test]
async fn a_head_without_its_empty_line_still_gets_no_answer() {
    let options = ServerOptions {
        deadlines: Deadlines {
            request_head: Duration::from_millis(500),
            ..Deadlines::default()
        },
        ..ServerOptions::default()
    };
    let server =
        ScenarioServer::start(common::scenario("modern-baseline"), common::pki(), &options)
            .await
            .unwrap();
    // A bare CR ends no line; one LF ends the request line but not the head.
    for (n, head) in [
        &b"GET / HTTP/1.1\r\rHost: a\r\r"[..],
        b"GET / HTTP/1.1\nHost: a\n",
    ]
    .iter()
    .enumerate()
    {
        let response = exchange(server.addr(), head).await;
        assert_eq!(response, "", "{}", head.escape_ascii());
        let obs = common::observation(&server, n + 1).await;
        assert_eq!(obs.http_request(), None);
        assert_eq!(obs.closed(), Some(CloseKind::Timeout));
        assert_eq!(obs.deadline(), Some(Deadline::RequestHead));
    }
}
