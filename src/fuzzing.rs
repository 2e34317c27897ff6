//! Entry points for the cargo-fuzz targets in `fuzz/` and for the test that replays
//! their checked-in corpus (feature `fuzzing`). One function per target, each taking
//! the fuzzer's bytes and returning what the parser made of them, so the replay test
//! can check that real clients' bytes get as far as they should. Not a stable API.
//!
//! Each function runs the code a connection runs; the scripted engine's handshakes and
//! the HTTP responder go over an in-memory pipe on a current-thread runtime, the
//! client's side holding the input and then EOF, so no read ever waits.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::app::{self, AppLimits};
use crate::engine::{scripted_fuzz, Session};
use crate::observe::{
    self, client_hello_build as build, Direction, Event, Observation, TranscriptLine,
};
use crate::pki::{default_out_dir, default_spec_path, Pki, PkiSpec};
use crate::scenario::{builtin_dir, load_file, load_str, Scenario};
use crate::wire::{
    Alert, Certificate, CertificateVerify, ClientKeyExchange, Codec, Finished, HandshakeJoiner,
    HandshakePayload, KeyExchangeKind, ProtocolVersion, RecordHeader,
};

/// Where [`scripted_resumption`] finds cached sessions: byte 30 is 1 for a session with
/// extended master secret, byte 31 the suite's place in the scenario's list.
pub const CACHED_SESSION_ID: [u8; 32] = [0x5e; 32];

/// Built-in scenarios [`scripted_flight`] plays, picked by the input's first byte: ECDHE
/// with a CertificateRequest, static RSA over TLS 1.0, ECDHE over TLS 1.0, static RSA
/// with GCM over TLS 1.2, RC4-MD5 with an RSA-1024 key.
pub const FLIGHT_SCENARIOS: [&str; 5] = [
    "iis-always-nego-client-cert",
    "tls10-only-rsa",
    "tls10-only-ecdhe",
    "cipher-restricted-rsa",
    "legacy-rc4-md5",
];

/// The built-in scenario [`scripted_renegotiation`] renegotiates for.
pub const RENEGOTIATION_SCENARIO: &str = "iis-renegotiation";

/// The scenario [`scripted_resumption`] plays, as a scenario file would say it.
pub const RESUMPTION_SCENARIO: &str = "name: fuzz-resumption\n\
    description: scripted TLS 1.2 with session-ID resumption\n\
    engine: scripted\n\
    tls:\n  versions: [tls1.2]\n  certificate: server-rsa\n  resumption: true\n";

/// Peer bytes through the first-flight parser; whether they hold a whole ClientHello.
/// Panics if the parser claims more bytes than it was given.
pub fn first_flight(data: &[u8]) -> bool {
    match observe::parse_first_flight(data) {
        Ok(Some((_, used))) => {
            assert!(used <= data.len(), "used {used} of {} bytes", data.len());
            true
        }
        _ => false,
    }
}

/// Handshake bytes straight into the ClientHello parser; whether it accepts them.
pub fn client_hello(data: &[u8]) -> bool {
    observe::parse_client_hello(data).is_ok()
}

/// Client handshake bytes as the scripted engine reassembles them, split into two
/// records where the first byte says, then every client-message decoder in every
/// context it is used in; how many messages came out.
pub fn handshake_messages(data: &[u8]) -> usize {
    let Some((&cut, rest)) = data.split_first() else {
        return 0;
    };
    let (a, b) = rest.split_at(usize::from(cut).min(rest.len()));
    let mut joiner = HandshakeJoiner::default();
    if joiner.push(a).is_err() || joiner.push(b).is_err() {
        return 0;
    }
    let mut count = 0;
    while let Some(msg) = joiner.pop() {
        count += 1;
        let _ = Certificate::from_message(&msg, ());
        let _ = Finished::from_message(&msg, ());
        for kind in [KeyExchangeKind::Rsa, KeyExchangeKind::Ecdhe] {
            let _ = ClientKeyExchange::from_message(&msg, kind);
        }
        for version in [ProtocolVersion::TLS10, ProtocolVersion::TLS12] {
            let _ = CertificateVerify::from_message(&msg, version);
        }
        let _ = observe::parse_client_hello(&msg.to_bytes());
    }
    count
}

/// A record header and an alert as they arrive from a peer; whether the header parses.
pub fn records(data: &[u8]) -> bool {
    let _ = Alert::from_record(data);
    let _ = Alert::from_bytes(data);
    RecordHeader::from_bytes(data.get(..RecordHeader::LEN).unwrap_or(data)).is_ok()
}

/// The scripted engine's server handshake, reading a fixed valid ClientHello and then
/// `data[1..]` as the rest of the client's bytes, for the scenario of
/// [`FLIGHT_SCENARIOS`] that `data[0]` picks. The transcript both sides made.
pub fn scripted_flight(data: &[u8]) -> Vec<TranscriptLine> {
    let Some((&pick, rest)) = data.split_first() else {
        return Vec::new();
    };
    let f = fixtures();
    let cfg = &f.flights[usize::from(pick) % f.flights.len()];
    let client = [f.hello_record.as_slice(), rest].concat();
    block_on(scripted_fuzz::first_handshake(cfg, &client))
}

/// A renegotiation under [`RENEGOTIATION_SCENARIO`]: `data[0]` bit 0 says whether RFC
/// 5746 secure renegotiation is in force, the next 12 bytes are the previous client
/// verify_data, the rest is the client's records (ClientHello on). The transcript.
pub fn scripted_renegotiation(data: &[u8]) -> Vec<TranscriptLine> {
    let (Some(&flags), Some(verify), Some(client)) =
        (data.first(), data.get(1..13), data.get(13..))
    else {
        return Vec::new();
    };
    let cfg = &fixtures().renegotiation;
    block_on(scripted_fuzz::renegotiation(
        cfg,
        flags & 1 == 1,
        verify,
        client,
    ))
}

/// A first handshake under [`RESUMPTION_SCENARIO`] with sessions cached under
/// [`CACHED_SESSION_ID`] (byte 30: 1 with extended master secret; byte 31: the suite's
/// place): `data` is the client's records, ClientHello on. The transcript.
pub fn scripted_resumption(data: &[u8]) -> Vec<TranscriptLine> {
    block_on(scripted_fuzz::first_handshake(&fixtures().resumption, data))
}

/// One record fragment opened as the scripted engine opens the client's records
/// (CBC padding and MAC, GCM, RC4): `data[0..2]` the cipher suite, `data[2]` the
/// version's minor number, `data[3]` the mode. Even mode opens `data[4..]`; odd mode
/// seals `data[5..]`, flips the byte `data[4]` names (none for 0) and opens it,
/// panicking if a tampered record opens or an intact one does not. The plaintext when
/// the record opened.
pub fn record_open(data: &[u8]) -> Option<Vec<u8>> {
    scripted_fuzz::record_open(data)
}

/// Plaintext bytes after the handshake through the HTTP responder (the request head
/// reader, bounded at 16 KiB as a connection is); the request line it recorded.
pub fn http_head(data: &[u8]) -> Option<String> {
    let fixtures = fixtures();
    let (mut client, server) = tokio::io::duplex(data.len() + 64 * 1024);
    let mut obs = Observation::new("fuzz", 0);
    block_on(async {
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let limits = AppLimits {
            max_request: 16 * 1024,
            drain: Duration::from_secs(1),
        };
        let clock = crate::engine::Clock::new();
        app::serve(
            Box::new(server),
            &fixtures.http.app,
            &mut obs,
            limits,
            &clock,
        )
        .await;
    });
    let line = obs.events().find_map(|e| match e {
        Event::HttpRequest { line } => Some(line.clone()),
        _ => None,
    });
    line
}

/// Bytes of a connection through the passive transcript reader. `data` is a sequence
/// of chunks, each a direction byte (even: server to client, odd: client to server), a
/// big-endian 16-bit length and that many bytes (a short last chunk takes what is
/// left). The transcript lines.
pub fn wire_transcript(data: &[u8]) -> Vec<TranscriptLine> {
    let mut chunks = Vec::new();
    let mut rest = data;
    while let [dir, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let direction = match dir % 2 {
            0 => Direction::Sent,
            _ => Direction::Received,
        };
        chunks.push((direction, &tail[..len]));
        rest = &tail[len..];
    }
    observe::wire_transcript(chunks)
}

/// A DER certificate through the subject reader both engines use for the
/// `client_certificate` event; the subject, `None` when it does not parse.
pub fn client_cert_subject(data: &[u8]) -> Option<String> {
    let subject = crate::engine::subject_of(data);
    (!subject.starts_with("<unparsable")).then_some(subject)
}

/// A plain pipe as the app layer's session (no TLS under it).
impl Session for tokio::io::DuplexStream {}

/// What the entry points share, made once per process: the repository's PKI and the
/// scenarios' engine configurations.
struct Fixtures {
    flights: Vec<Arc<scripted_fuzz::Config>>,
    renegotiation: Arc<scripted_fuzz::Config>,
    resumption: Arc<scripted_fuzz::Config>,
    http: Scenario,
    /// The ClientHello record [`scripted_flight`] puts before its input.
    hello_record: Vec<u8>,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let spec = PkiSpec::load(&default_spec_path()).expect("the repository's PKI spec loads");
        let pki = Pki::ensure(&spec, &default_out_dir()).expect("the test PKI can be generated");
        let builtin = |name: &str| {
            load_file(&builtin_dir().join(format!("{name}.yaml")), &spec)
                .unwrap_or_else(|e| panic!("built-in scenario {name}: {e}"))
        };
        let config = |scenario: &Scenario| {
            scripted_fuzz::config(scenario, &pki)
                .unwrap_or_else(|e| panic!("scenario {}: {e}", scenario.name))
        };
        let resumption = load_str(RESUMPTION_SCENARIO, "<fuzz-resumption>", &spec)
            .expect("the resumption scenario is valid");
        let resumption = config(&resumption);
        scripted_fuzz::cache_sessions(&resumption, CACHED_SESSION_ID);
        Fixtures {
            flights: FLIGHT_SCENARIOS
                .iter()
                .map(|name| config(&builtin(name)))
                .collect(),
            renegotiation: config(&builtin(RENEGOTIATION_SCENARIO)),
            resumption,
            http: builtin("modern-baseline"),
            hello_record: hello_record(),
        }
    })
}

/// A TLS 1.2 ClientHello in one record that every [`FLIGHT_SCENARIOS`] entry accepts:
/// ECDHE and static-RSA suites with GCM, CBC and RC4, the NIST and X25519 groups,
/// extended master secret, the renegotiation SCSV, SNI and ALPN.
fn hello_record() -> Vec<u8> {
    let hello = build::client_hello(
        0x0303,
        &[0xc02f, 0xc013, 0x009c, 0x002f, 0x0004, 0x00ff],
        &[
            (10, build::u16s(2, &[29, 23, 24])),
            (11, build::prefixed(1, &[0])),
            (13, build::u16s(2, &[0x0401, 0x0804, 0x0403, 0x0201])),
            (23, Vec::new()),
            (0, build::sni("server.quirktls.test")),
            (16, build::alpn(&[b"http/1.1"])),
        ],
    );
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(hello.len() as u16).to_be_bytes());
    record.extend_from_slice(&hello);
    record
}

/// Run `future` to completion on this thread's current-thread runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds");
    }
    RUNTIME.with(|rt| rt.block_on(future))
}
