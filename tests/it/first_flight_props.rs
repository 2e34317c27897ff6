//! Properties of the first-flight reader on hostile input, with real ClientHellos from
//! rustls' client as the valid baseline, and the async reader's bounds.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use quirktls::observe::{
    parse_first_flight, read_first_flight, FirstFlightError, FirstFlightLimits,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The first flight rustls' client sends for `sni` and `alpn`: one handshake record.
fn rustls_hello(sni: &str, alpn: &[String]) -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    let name = rustls::pki_types::ServerName::try_from(sni.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut out = Vec::new();
    conn.write_tls(&mut out).unwrap();
    out
}

static HELLO: LazyLock<Vec<u8>> =
    LazyLock::new(|| rustls_hello("example.test", &["h2".into(), "http/1.1".into()]));

/// The handshake payload of a single-record flight, re-split into records that end at
/// `cuts` (positions inside the payload).
fn refragment(flight: &[u8], cuts: &[usize]) -> Vec<u8> {
    let (header, payload) = flight.split_at(5);
    let mut out = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain([&payload.len()]) {
        out.extend_from_slice(&header[..3]);
        out.extend_from_slice(&((end - start) as u16).to_be_bytes());
        out.extend_from_slice(&payload[start..end]);
        start = end;
    }
    out
}

/// Whatever the input: no panic, a typed error or a hello, and never a claim on more
/// bytes than were given.
fn check_outcome(bytes: &[u8]) -> Result<(), TestCaseError> {
    match parse_first_flight(bytes) {
        Ok(Some((_, used))) => prop_assert!(used <= bytes.len()),
        Ok(None) => {}
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match *m {
            Mutation::Flip(i, bit) if len > 0 => bytes[i % len] ^= 1 << bit,
            Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Mutation::Delete(i) if len > 0 => {
                bytes.remove(i % len);
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_handled(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_outcome(&bytes)?;
    }

    #[test]
    fn arbitrary_handshake_records_are_handled(body in prop::collection::vec(any::<u8>(), 0..600)) {
        // A valid record and handshake header in front of random contents.
        let mut bytes = vec![22, 3, 1];
        bytes.extend(((body.len() + 4) as u16).to_be_bytes());
        bytes.extend([1, 0]);
        bytes.extend((body.len() as u16).to_be_bytes());
        bytes.extend(&body);
        check_outcome(&bytes)?;
    }

    #[test]
    fn rustls_hellos_parse_and_every_prefix_needs_more(
        sni in "[a-z]{1,12}(\\.[a-z]{1,8}){1,2}",
        alpn in prop::collection::vec("[a-z0-9/.]{1,10}", 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let flight = rustls_hello(&sni, &alpn);
        let (hello, used) = parse_first_flight(&flight).unwrap().unwrap();
        prop_assert_eq!(used, flight.len());
        prop_assert_eq!(hello.sni.as_deref(), Some(sni.as_str()));
        prop_assert_eq!(&hello.alpn, &alpn);
        prop_assert!(hello.malformed_extensions.is_empty());
        let cut = cut.index(flight.len());
        prop_assert!(parse_first_flight(&flight[..cut]).unwrap().is_none(), "prefix {}", cut);
    }

    #[test]
    fn mutated_hellos_are_handled(mutations in prop::collection::vec(mutation(), 1..8)) {
        check_outcome(&mutate(HELLO.clone(), &mutations))?;
    }

    #[test]
    fn fragmentation_does_not_change_the_hello(
        cuts in prop::collection::btree_set(1..HELLO.len() - 5, 0..12),
        trailer in prop::collection::vec(any::<u8>(), 0..32),
        prefix in any::<prop::sample::Index>(),
    ) {
        let (whole, _) = parse_first_flight(&HELLO).unwrap().unwrap();
        let cuts: Vec<usize> = cuts.into_iter().collect();
        let mut flight = refragment(&HELLO, &cuts);
        let records = flight.len();
        flight.extend(&trailer);
        let (hello, used) = parse_first_flight(&flight).unwrap().unwrap();
        prop_assert_eq!(used, records);
        prop_assert_eq!(hello, whole);
        let cut = prefix.index(records);
        prop_assert!(parse_first_flight(&flight[..cut]).unwrap().is_none(), "prefix {}", cut);
    }

    #[test]
    fn mutated_fragmented_hellos_are_handled(
        cuts in prop::collection::btree_set(1..HELLO.len() - 5, 1..12),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let cuts: Vec<usize> = cuts.into_iter().collect();
        check_outcome(&mutate(refragment(&HELLO, &cuts), &mutations))?;
    }
}

fn limits(max_bytes: usize, timeout_ms: u64) -> FirstFlightLimits {
    FirstFlightLimits {
        max_bytes,
        timeout: Duration::from_millis(timeout_ms),
    }
}

/// Everything still unread in `server` after the client side closed.
async fn unread(server: &mut tokio::io::DuplexStream) -> Vec<u8> {
    let mut rest = Vec::new();
    server.read_to_end(&mut rest).await.unwrap();
    rest
}

#[tokio::test]
async fn bytes_after_the_hello_are_kept_for_the_engine() {
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    let flight = refragment(&HELLO, &[100, 101]);
    client
        .write_all(&[flight.as_slice(), b"early bytes"].concat())
        .await
        .unwrap();
    drop(client);
    let got = read_first_flight(&mut server, FirstFlightLimits::default())
        .await
        .unwrap();
    // What arrived with the hello is read too, and kept in order for the replay.
    assert_eq!(got.bytes, [flight.as_slice(), b"early bytes"].concat());
    assert_eq!(got.hello.sni.as_deref(), Some("example.test"));
    assert_eq!(unread(&mut server).await, b"");
}

#[tokio::test]
async fn a_stalled_hello_times_out() {
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    client.write_all(&HELLO[..40]).await.unwrap();
    let start = Instant::now();
    let err = read_first_flight(&mut server, limits(1 << 16, 150))
        .await
        .unwrap_err();
    assert!(matches!(err, FirstFlightError::Timeout), "{err}");
    assert!(start.elapsed() < Duration::from_secs(2));
    drop(client);
}

#[tokio::test]
async fn the_timeout_covers_the_whole_flight_not_each_read() {
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    let drip = tokio::spawn(async move {
        for &b in HELLO.iter() {
            if client.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let start = Instant::now();
    let err = read_first_flight(&mut server, limits(1 << 16, 300))
        .await
        .unwrap_err();
    assert!(matches!(err, FirstFlightError::Timeout), "{err}");
    assert!(start.elapsed() < Duration::from_secs(2));
    drop(server);
    drip.await.unwrap();
}

#[tokio::test]
async fn max_bytes_bounds_what_is_read() {
    // One big record: refused after its header, before its body is read.
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    client.write_all(&HELLO).await.unwrap();
    drop(client);
    let max = HELLO.len() - 1;
    let err = read_first_flight(&mut server, limits(max, 5000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, FirstFlightError::TooLarge { limit } if limit == max),
        "{err}"
    );
    assert!(HELLO.len() - unread(&mut server).await.len() <= max);

    // Many one-byte records.
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    let cuts: Vec<usize> = (1..HELLO.len() - 5).collect();
    let flight = refragment(&HELLO, &cuts);
    client.write_all(&flight).await.unwrap();
    drop(client);
    let err = read_first_flight(&mut server, limits(1000, 5000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, FirstFlightError::TooLarge { limit: 1000 }),
        "{err}"
    );
    assert!(flight.len() - unread(&mut server).await.len() <= 1000);
}

#[tokio::test]
async fn eof_and_plain_http_are_reported() {
    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    client.write_all(&HELLO[..10]).await.unwrap();
    drop(client);
    let err = read_first_flight(&mut server, FirstFlightLimits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FirstFlightError::Eof { received: 10 }),
        "{err}"
    );

    let (mut client, mut server) = tokio::io::duplex(1 << 16);
    client
        .write_all(b"DELETE /thing HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let err = read_first_flight(&mut server, FirstFlightLimits::default())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(r"DELETE /thing HTTP/1.1\r\n"), "{msg}");
    assert!(msg.contains("plain HTTP"), "{msg}");
}
