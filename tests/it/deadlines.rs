//! Deadlines per connection and per phase, enforced at the transport: tricklers, silent
//! clients and clients that never read are cut when the deadline named in their
//! `closed` event passes, under both engines.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use quirktls::observe::{CloseKind, Deadline, Event, Observation};
use quirktls::scenario::{EngineKind, Scenario, ScenarioBuilder, TlsVersion};
use quirktls::server::{ScenarioServer, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A TLS 1.2 scenario of `engine` with `deadlines` (key, value) set.
pub fn scenario(name: &str, engine: EngineKind, deadlines: &[(&str, &str)]) -> Scenario {
    let mut builder = ScenarioBuilder::new(name)
        .engine(engine)
        .versions(&[TlsVersion::Tls12]);
    for (key, value) in deadlines {
        builder = builder.set(&format!("deadlines.{key}"), *value);
    }
    builder.build(common::spec()).expect("scenario builds")
}

pub async fn start(scenario: Scenario) -> ScenarioServer {
    ScenarioServer::start(scenario, common::pki(), &ServerOptions::default())
        .await
        .expect("start")
}

/// rustls' TLS 1.2 client configured to trust the test PKI.
pub fn client_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for root in common::pki().roots() {
        roots.add(root.clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A completed handshake with `server` from the in-process rustls client.
pub async fn tls_connect(
    server: &ScenarioServer,
    tcp: TcpStream,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let name = rustls::pki_types::ServerName::try_from(server.scenario().server_name())
        .unwrap()
        .to_owned();
    let connector = tokio_rustls::TlsConnector::from(client_config());
    tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp))
        .await
        .expect("handshake within 10 s")
        .expect("handshake completes")
}

/// The first flight of rustls' TLS 1.2 client (one handshake record).
fn client_hello() -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(common::HOST).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut out = Vec::new();
    conn.write_tls(&mut out).unwrap();
    out
}

/// Read (and discard) until the server closes; how long that took from `since`, or
/// `None` if it did not close within `limit`.
async fn closed_within(tcp: &mut TcpStream, since: Instant, limit: Duration) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    let end = since + limit;
    loop {
        match tokio::time::timeout_at(end.into(), tcp.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(since.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

/// The `closed` event: how, and which deadline.
#[track_caller]
pub fn assert_cut(obs: &Observation, deadline: Deadline) {
    let closed = obs
        .events()
        .find(|e| matches!(e, Event::Closed { .. }))
        .unwrap_or_else(|| panic!("no closed event: {:?}", obs.events));
    assert_eq!(
        closed,
        &Event::Closed {
            how: CloseKind::Timeout,
            deadline: Some(deadline),
            limit: None,
        },
        "{:?}",
        obs.events
    );
    let json = serde_json::to_value(closed).unwrap();
    assert_eq!(json["how"], "timeout");
    assert_eq!(json["deadline"], deadline.name());
}

/// The `closed` event's time since accept.
fn closed_at(obs: &Observation) -> Duration {
    let ms = obs
        .events
        .iter()
        .find(|e| matches!(e.event, Event::Closed { .. }))
        .map(|e| e.t_ms)
        .expect("closed");
    Duration::from_millis(ms)
}

/// A complete ClientHello, then the handshake trickled: one record every 150 ms, each
/// carrying one byte of a ClientKeyExchange that never completes. Every read and every
/// record arrives well within a second, so only the whole-handshake deadline (1 s)
/// ends it.
async fn trickle_handshake(engine: EngineKind) {
    let server = start(scenario(
        "trickle",
        engine,
        &[("handshake", "1s"), ("first_flight", "5s")],
    ))
    .await;
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(&client_hello()).await.unwrap();
    let started = Instant::now();
    // client_key_exchange (16), length 256: header first, then the body byte by byte.
    let message = [[16u8, 0, 1, 0].as_slice(), &[7u8; 256]].concat();
    let mut sent = 0;
    for byte in &message {
        tokio::time::sleep(Duration::from_millis(150)).await;
        if tcp.write_all(&[22, 3, 3, 0, 1, *byte]).await.is_err() {
            break;
        }
        sent += 1;
        if started.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    let took = closed_within(&mut tcp, started, Duration::from_secs(5))
        .await
        .expect("the server closes the trickling connection");
    assert!(sent >= 5, "only {sent} records went out");
    assert!(took < Duration::from_secs(4), "closed after {took:?}");
    let obs = common::observation(&server, 1).await;
    assert_cut(&obs, Deadline::Handshake);
    assert!(!obs.handshake_completed());
    let at = closed_at(&obs);
    assert!(
        at >= Duration::from_millis(1000) && at < Duration::from_millis(2500),
        "closed at {at:?}: {:?}",
        obs.events
    );
}

#[tokio::test]
async fn trickled_handshake_is_cut_at_the_whole_handshake_deadline_rustls() {
    trickle_handshake(EngineKind::Rustls).await;
}

#[tokio::test]
async fn trickled_handshake_is_cut_at_the_whole_handshake_deadline_scripted() {
    trickle_handshake(EngineKind::Scripted).await;
}

#[tokio::test]
async fn silent_client_is_cut_at_the_first_flight_deadline() {
    let server = start(scenario(
        "silent",
        EngineKind::Rustls,
        &[("first_flight", "500ms")],
    ))
    .await;
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let took = closed_within(&mut tcp, Instant::now(), Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(took >= Duration::from_millis(450), "{took:?}");
    let obs = common::observation(&server, 1).await;
    assert_cut(&obs, Deadline::FirstFlight);
}

/// After the handshake, an echo client that sends a byte every 200 ms never lets the
/// idle deadline (1 s) pass; the connection deadline (2 s from accept) cuts it.
async fn trickle_echo(engine: EngineKind) {
    let sc = ScenarioBuilder::new("trickle-echo")
        .engine(engine)
        .versions(&[TlsVersion::Tls12])
        .set("app.mode", "echo")
        .set("deadlines.idle", "1s")
        .set("deadlines.connection", "2s")
        .build(common::spec())
        .unwrap();
    let server = start(sc).await;
    let started = Instant::now();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut tls = tls_connect(&server, tcp).await;
    let mut echoed = 0;
    let mut buf = [0u8; 16];
    let ended = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if tls.write_all(b"x").await.is_err() {
            break started.elapsed();
        }
        match tokio::time::timeout(Duration::from_secs(3), tls.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => echoed += n,
            _ => break started.elapsed(),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never cut");
    };
    assert!(echoed >= 5, "only {echoed} bytes echoed");
    assert!(ended >= Duration::from_millis(1900), "ended at {ended:?}");
    let obs = common::observation(&server, 1).await;
    assert!(obs.handshake_completed());
    assert_cut(&obs, Deadline::Connection);
}

#[tokio::test]
async fn echo_trickler_is_cut_at_the_connection_deadline_rustls() {
    trickle_echo(EngineKind::Rustls).await;
}

#[tokio::test]
async fn echo_trickler_is_cut_at_the_connection_deadline_scripted() {
    trickle_echo(EngineKind::Scripted).await;
}

#[tokio::test]
async fn trickled_request_head_is_cut_at_its_deadline() {
    let sc = ScenarioBuilder::new("trickle-head")
        .set("deadlines.request_head", "1s")
        .set("deadlines.idle", "5s")
        .build(common::spec())
        .unwrap();
    let server = start(sc).await;
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut tls = tls_connect(&server, tcp).await;
    let head_started = Instant::now();
    let mut sent = 0;
    for byte in b"GET / HTTP/1.1\r\nHost: server.quirktls.test\r\n" {
        tokio::time::sleep(Duration::from_millis(150)).await;
        if tls.write_all(&[*byte]).await.is_err() || tls.flush().await.is_err() {
            break;
        }
        sent += 1;
        if head_started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    assert!(sent >= 5, "only {sent} bytes went out");
    let obs = common::observation(&server, 1).await;
    assert_cut(&obs, Deadline::RequestHead);
    assert_eq!(obs.http_request(), None);
}

/// A client that writes and never reads: the echo's writes back fill the socket
/// buffers, and the write deadline (1 s) cuts the connection.
#[tokio::test]
async fn never_reading_echo_client_is_cut_at_the_write_deadline() {
    let sc = ScenarioBuilder::new("never-reads")
        .set("app.mode", "echo")
        .set("deadlines.write", "1s")
        .set("deadlines.idle", "10s")
        .set("deadlines.connection", "60s")
        .build(common::spec())
        .unwrap();
    let server = start(sc).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    // A small receive window: the server's writes stall after a few hundred KiB.
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(server.addr()).await.unwrap();
    let tls = tls_connect(&server, tcp).await;
    let (_unread, mut writer) = tokio::io::split(tls);
    let started = Instant::now();
    let writing = tokio::spawn(async move {
        let chunk = vec![0x61u8; 64 * 1024];
        let mut written = 0usize;
        while written < 48 << 20 {
            if writer.write_all(&chunk).await.is_err() {
                break;
            }
            written += chunk.len();
        }
        written
    });
    let obs = server
        .wait_for(1, Duration::from_secs(20))
        .await
        .expect("the connection ends")
        .remove(0);
    assert_cut(&obs, Deadline::Write);
    assert!(started.elapsed() < Duration::from_secs(15));
    let written = tokio::time::timeout(Duration::from_secs(10), writing)
        .await
        .expect("the client's writes end once the server is gone")
        .unwrap();
    assert!(written < 48 << 20, "the client wrote everything: {written}");
}

#[test]
fn deadlines_key_rejects_bad_durations_with_the_location() {
    let yaml = "name: x\ndescription: d\nengine: rustls\ndeadlines:\n  handshake: 10 seconds\n";
    let err = quirktls::scenario::load_str(yaml, "x.yaml", common::spec())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("x.yaml:5:14: deadlines.handshake: invalid duration `10 seconds`"),
        "{err}"
    );
    let yaml = "name: x\ndescription: d\nengine: rustls\ndeadlines:\n  handshke: 1s\n";
    let err = quirktls::scenario::load_str(yaml, "x.yaml", common::spec())
        .unwrap_err()
        .to_string();
    assert!(err.contains("handshke"), "{err}");
}
