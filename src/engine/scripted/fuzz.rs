//! The scripted engine's peer-facing paths over in-memory bytes, for the fuzz targets
//! and their corpus replay (feature `fuzzing`): the client's flight after its
//! ClientHello, a client renegotiation, record opening and the session-ID lookup. Each
//! runs the engine's own code; only the transport is a pipe instead of a socket.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;

use super::crypto::protect::derive_protections;
use super::crypto::suites;
use super::handshake::{self, Established, Round};
use super::records::RecordIo;
use super::sessions::Saved;
use super::ScriptedConfig;
use crate::observe::TranscriptLine;
use crate::wire::{Alert, CipherSuite, ContentType, ProtocolVersion, RecordHeader};

/// The engine's configuration for one scenario.
pub(crate) type Config = ScriptedConfig;

/// Room for everything the server writes into the pipe that nobody reads: its flight
/// (certificate chains), Finished and an alert.
const SERVER_WRITES: usize = 64 * 1024;

/// The server side of a first handshake reading `client` (its records from the
/// ClientHello on, then EOF); the messages both sides sent, as the engine noted them.
pub(crate) async fn first_handshake(cfg: &ScriptedConfig, client: &[u8]) -> Vec<TranscriptLine> {
    let round = Round {
        client_auth: cfg.client_auth.as_ref(),
        previous: None,
        already_read: &[],
    };
    drive(cfg, &round, client).await
}

/// A renegotiation bound to a previous handshake whose client verify_data is
/// `client_verify` (RFC 5746 in force when `secure`), reading `client` as the client's
/// records of the new handshake. The records travel in the clear: the previous epoch's
/// protection is [`record_open`]'s subject, not this one's.
pub(crate) async fn renegotiation(
    cfg: &ScriptedConfig,
    secure: bool,
    client_verify: &[u8],
    client: &[u8],
) -> Vec<TranscriptLine> {
    let Some(&suite) = cfg.suites.first() else {
        return Vec::new();
    };
    let previous = Established {
        version: ProtocolVersion::TLS12,
        suite,
        alpn: None,
        client_chain: Vec::new(),
        resumed: false,
        secure_renegotiation: secure,
        client_verify: client_verify.to_vec(),
        server_verify: vec![0x5a; client_verify.len()],
    };
    let plan = cfg.renegotiate.as_ref().and_then(Option::as_ref);
    let round = Round {
        client_auth: plan,
        previous: Some(&previous),
        already_read: &[],
    };
    drive(cfg, &round, client).await
}

/// Remember a TLS 1.2 session for every suite the scenario allows, with and without
/// extended master secret, so that hellos naming one take the abbreviated handshake:
/// under `base` with byte 30 set to 1 for extended master secret and byte 31 the
/// suite's place in the scenario.
pub(crate) fn cache_sessions(cfg: &ScriptedConfig, base: [u8; 32]) {
    let Some(cache) = &cfg.sessions else { return };
    for (i, suite) in cfg.suites.iter().enumerate() {
        for ems in [false, true] {
            let mut id = base.to_vec();
            id[30] = u8::from(ems);
            id[31] = i as u8;
            cache.put(
                id,
                Saved {
                    version: ProtocolVersion::TLS12,
                    suite,
                    master: [0x4d; 48],
                    extended_master_secret: ems,
                    client_chain: Vec::new(),
                },
            );
        }
    }
}

async fn drive(cfg: &ScriptedConfig, round: &Round<'_>, client: &[u8]) -> Vec<TranscriptLine> {
    let (mut peer, server) = tokio::io::duplex(client.len() + SERVER_WRITES);
    // Fits the pipe's buffer: never blocks. EOF after the last byte.
    let _ = peer.write_all(client).await;
    let _ = peer.shutdown().await;
    let mut rec = RecordIo::new(server);
    if let Err(failure) = handshake::run(cfg, &mut rec, round).await {
        if let Some(alert) = failure.alert {
            rec.fail(Alert::fatal(alert)).await;
        }
    }
    std::mem::take(&mut rec.transcript)
}

/// Open one record fragment as the client's, under keys every run derives alike.
/// `data`: the cipher suite (2 bytes), the version's minor number (1: TLS 1.0 … 3:
/// TLS 1.2; `None` when the engine lacks the suite at that version), a mode byte, then
/// - mode even: the fragment, opened as application data; `Some` plaintext if it
///   authenticates;
/// - mode odd: a flip position and a plaintext, sealed, one byte flipped unless the
///   position is 0, then opened: the plaintext must come back intact exactly when
///   nothing was flipped (a tampered record that opens is a broken MAC check).
pub(crate) fn record_open(data: &[u8]) -> Option<Vec<u8>> {
    let [hi, lo, minor, mode, rest @ ..] = data else {
        return None;
    };
    let suite = suites::suite(CipherSuite(u16::from_be_bytes([*hi, *lo])))?;
    let version = ProtocolVersion(0x0300 | u16::from(*minor));
    if !(ProtocolVersion::TLS10..=ProtocolVersion::TLS12).contains(&version)
        || !suite.supports(version)
    {
        return None;
    }
    let epoch = || {
        let (client_read, _) =
            derive_protections(suite, version, &[0x4d; 48], &[0x11; 32], &[0x22; 32]);
        client_read
    };
    let app = ContentType::APPLICATION_DATA;
    if mode % 2 == 0 {
        return epoch().open(app, version, rest).ok();
    }
    let [flip, plaintext @ ..] = rest else {
        return None;
    };
    let plaintext = &plaintext[..plaintext.len().min(RecordHeader::MAX_PLAINTEXT)];
    let mut fragment = epoch().seal(app, version, plaintext);
    if *flip != 0 {
        let at = usize::from(*flip - 1) % fragment.len();
        fragment[at] ^= 0x01;
    }
    let opened = epoch().open(app, version, &fragment);
    match (*flip, &opened) {
        (0, Ok(p)) => assert_eq!(p, plaintext, "{} round trip", suite.name),
        (0, Err(e)) => panic!("{} did not open its own record: {e}", suite.name),
        (_, Ok(_)) => panic!("{} opened a tampered record", suite.name),
        (_, Err(_)) => {}
    }
    opened.ok()
}

/// The scripted engine's configuration for `scenario`, shared by the fuzz entry points.
pub(crate) fn config(
    scenario: &crate::scenario::Scenario,
    pki: &crate::pki::Pki,
) -> Result<Arc<ScriptedConfig>, crate::EngineError> {
    ScriptedConfig::new(scenario, pki, None).map(Arc::new)
}
