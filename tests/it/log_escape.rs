//! The stderr log line of `quirktls serve` shows what the client chose (SNI, request
//! line) escaped: a client can neither forge a log line nor drive the terminal.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::serve_process::Serve;
use crate::tls_exchange::exchange;

/// A TLS 1.2 ClientHello record whose server_name is `sni`, byte for byte.
fn client_hello(sni: &[u8]) -> Vec<u8> {
    fn u16_prefixed(body: &[u8]) -> Vec<u8> {
        [&(body.len() as u16).to_be_bytes()[..], body].concat()
    }
    let name = [&[0u8][..], &u16_prefixed(sni)].concat(); // host_name(0)
    let extensions = [
        &[0u8, 0][..], // server_name
        &u16_prefixed(&u16_prefixed(&name)),
        &[0, 10], // supported_groups: x25519
        &u16_prefixed(&u16_prefixed(&[0, 29])),
        &[0, 13], // signature_algorithms: rsa_pss_rsae_sha256
        &u16_prefixed(&u16_prefixed(&[8, 4])),
    ]
    .concat();
    let body = [
        &[3u8, 3][..],
        &[7; 32],                     // random
        &[0],                         // no session id
        &u16_prefixed(&[0xc0, 0x2f]), // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        &[1, 0],                      // null compression
        &u16_prefixed(&extensions),
    ]
    .concat();
    let len = (body.len() as u32).to_be_bytes();
    let handshake = [&[1u8][..], &len[1..], &body].concat();
    [&[22u8, 3, 1][..], &u16_prefixed(&handshake)].concat()
}

/// No byte that ends a line or starts a terminal sequence.
#[track_caller]
fn assert_inert(line: &str) {
    assert!(
        !line.chars().any(|c| c.is_control()),
        "raw control characters in {line:?}"
    );
}

#[tokio::test]
async fn sni_and_request_line_with_esc_cr_and_nul_are_escaped_on_stderr() {
    let serve = Serve::start(&[], &["modern-baseline"]);
    let addr = serve.addr("modern-baseline");

    // An SNI no DNS name allows, sent raw: ESC [2J clears a terminal's screen.
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(&client_hello(b"a\x1b[2J\rb\0c.test"))
        .unwrap();
    tcp.shutdown(std::net::Shutdown::Write).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = tcp.read_to_end(&mut Vec::new());
    let line = serve.log_line();
    assert!(line.starts_with("[modern-baseline #1] "), "{line}");
    assert!(line.contains(", SNI=a\\x1b[2J\\rb\\0c.test, "), "{line}");
    assert_inert(&line);

    // A request line that would end the log line and start a forged one.
    let response = exchange(
        addr,
        b"GET /\x1b[31mred\r\n[modern-baseline #9] forged\0 HTTP/1.1\r\nHost: a\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    let line = serve.log_line();
    assert!(
        line.starts_with("[modern-baseline #2] TLS 1.3 negotiation succeeded"),
        "{line}"
    );
    assert!(line.ends_with(", request: GET /\\x1b[31mred"), "{line}");
    assert_inert(&line);

    let response = exchange(addr, b"GET /a\rb\0c\x7f HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    let line = serve.log_line();
    assert!(
        line.ends_with(", request: GET /a\\rb\\0c\\x7f HTTP/1.1"),
        "{line}"
    );
    assert_inert(&line);
    serve.stop();
}
