//! Connection limits: over a scenario's or the process's limit a connection is accepted
//! and closed at once (recorded), while other scenarios keep answering; a connection
//! that spends its byte budget is cut.

use crate::common;
use crate::deadlines::{start, tls_connect};

use std::time::{Duration, Instant};

use quirktls::observe::{CloseKind, Event, Limit, Observation};
use quirktls::scenario::ScenarioBuilder;
use quirktls::server::{ConnectionBudget, ScenarioServer, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Wait until `server` has `n` connections in flight.
async fn in_flight(server: &ScenarioServer, n: usize) {
    let end = Instant::now() + Duration::from_secs(5);
    while server.in_flight() != n {
        assert!(
            Instant::now() < end,
            "{} in flight, not {n}",
            server.in_flight()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Connect, send a byte, and time how long until the server closes (EOF or reset).
async fn refused_within(server: &ScenarioServer) -> Duration {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let _ = tcp.write_all(&[22, 3, 1]).await;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("the refused connection is closed, not left hanging");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    started.elapsed()
}

/// `GET /` over the in-process rustls client: the status line.
async fn get(server: &ScenarioServer) -> String {
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut tls = tls_connect(server, tcp).await;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.scenario().server_name()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    response.lines().next().unwrap_or_default().to_string()
}

#[track_caller]
fn assert_refused(obs: &Observation, limit: Limit, max: u64) {
    let events: Vec<&Event> = obs.events().collect();
    assert!(matches!(events[0], Event::Accepted { .. }), "{events:?}");
    assert_eq!(events[1], &Event::Refused { limit, max });
    assert_eq!(
        events[2],
        &Event::Closed {
            how: CloseKind::Limit,
            deadline: None,
            limit: Some(limit),
        }
    );
    assert_eq!(events.len(), 3, "{events:?}");
    let json = serde_json::to_value(&obs.events[1]).unwrap();
    assert_eq!(json["event"], "refused");
    assert_eq!(json["limit"], limit.to_string());
}

#[tokio::test]
async fn over_the_scenario_limit_a_connection_is_closed_at_once_and_others_answer() {
    let options = ServerOptions::default();
    let limited = ScenarioBuilder::new("limited")
        .set("limits.connections", 2)
        .build(common::spec())
        .unwrap();
    let limited = ScenarioServer::start(limited, common::pki(), &options)
        .await
        .unwrap();
    let other = ScenarioServer::start(common::scenario("modern-baseline"), common::pki(), &options)
        .await
        .unwrap();
    let held = [
        TcpStream::connect(limited.addr()).await.unwrap(),
        TcpStream::connect(limited.addr()).await.unwrap(),
    ];
    in_flight(&limited, 2).await;
    let took = refused_within(&limited).await;
    assert!(took < Duration::from_millis(500), "refused after {took:?}");
    let obs = common::observation(&limited, 1).await;
    assert_refused(&obs, Limit::ScenarioConnections, 2);
    // The other scenario answers within its usual time.
    let started = Instant::now();
    assert_eq!(get(&other).await, "HTTP/1.1 200 OK");
    assert!(started.elapsed() < Duration::from_secs(2));
    // Below the limit again: served.
    drop(held);
    in_flight(&limited, 0).await;
    assert_eq!(get(&limited).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn over_the_process_limit_every_scenario_refuses_until_one_frees() {
    let options = ServerOptions {
        connections: ConnectionBudget::new(2),
        ..ServerOptions::default()
    };
    let a = ScenarioServer::start(common::scenario("modern-baseline"), common::pki(), &options)
        .await
        .unwrap();
    let b = ScenarioServer::start(common::scenario("tls12-only"), common::pki(), &options)
        .await
        .unwrap();
    let mut held = vec![
        TcpStream::connect(a.addr()).await.unwrap(),
        TcpStream::connect(a.addr()).await.unwrap(),
    ];
    in_flight(&a, 2).await;
    let took = refused_within(&b).await;
    assert!(took < Duration::from_millis(500), "refused after {took:?}");
    assert_refused(
        &common::observation(&b, 1).await,
        Limit::TotalConnections,
        2,
    );
    held.pop();
    in_flight(&a, 1).await;
    assert_eq!(get(&b).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_connection_past_its_byte_budget_is_cut() {
    let sc = ScenarioBuilder::new("budget")
        .set("app.mode", "echo")
        .set("limits.bytes", 20_000)
        .build(common::spec())
        .unwrap();
    let server = start(sc).await;
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut tls = tls_connect(&server, tcp).await;
    let mut echoed = 0;
    let mut buf = [0u8; 2048];
    for _ in 0..40 {
        if tls.write_all(&[1u8; 1000]).await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => echoed += n,
            _ => break,
        }
    }
    assert!(echoed > 0 && echoed < 20_000, "echoed {echoed}");
    let obs = common::observation(&server, 1).await;
    let closed = obs.events().last().unwrap();
    assert_eq!(
        closed,
        &Event::Closed {
            how: CloseKind::Limit,
            deadline: None,
            limit: Some(Limit::Bytes),
        }
    );
}
