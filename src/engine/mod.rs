//! Engines answer the ClientHello. They share the PKI, the wire codec and the event
//! vocabulary, and never talk to each other.

mod io;
mod rustls;
mod scripted;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub(crate) use self::io::Clock;
pub use self::io::{linger_close, BytesExhausted, DeadlineExceeded, ReplayTap};
use self::rustls::RustlsEngine;
#[cfg(feature = "fuzzing")]
pub(crate) use self::{rustls::subject_of, scripted::fuzz as scripted_fuzz};
use crate::observe::{CloseKind, Event, KeyLog, Observation};
use crate::pki::{Pki, PkiError};
use crate::scenario::{EngineKind, Scenario, TlsVersion};
use crate::wire::{Alert, AlertLevel};

/// Why an engine could not be prepared for a scenario.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The scenario asks for something the engine cannot set up.
    #[error("engine setup failed: {0} (hint: `quirktls validate` the scenario)")]
    Config(String),
    /// The PKI lacks what the scenario names.
    #[error(transparent)]
    Pki(#[from] PkiError),
}

/// A connection after a completed handshake, as the app layer sees it.
pub trait Session: AsyncRead + AsyncWrite + Unpin + Send {
    /// Run the scenario's server-initiated renegotiation, recording what the client did;
    /// `Some` when it ended the connection. Engines that cannot renegotiate do nothing
    /// (validation keeps such scenarios out).
    fn renegotiate<'a>(&'a mut self, obs: &'a mut Observation) -> BoxFuture<'a> {
        let _ = obs;
        Box::pin(async { None })
    }

    /// Move what the engine saw inside reads and writes (client warnings, its own
    /// renegotiations, transcript lines) into `obs`.
    fn observe(&mut self, obs: &mut Observation) {
        let _ = obs;
    }
}

/// The future `Session::renegotiate` returns.
pub type BoxFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<CloseKind>> + Send + 'a>>;

impl Session for tokio_rustls::server::TlsStream<ReplayTap<TcpStream>> {}

/// The CAs a scenario trusts for client certificates, as a rustls root store (both
/// engines verify client chains with webpki).
pub(crate) fn client_roots(
    trust: &[String],
    pki: &Pki,
) -> Result<::rustls::RootCertStore, EngineError> {
    let mut roots = ::rustls::RootCertStore::empty();
    for ca in trust {
        roots
            .add(pki.entity(ca)?.cert.clone())
            .map_err(|e| EngineError::Config(format!("client trust `{ca}`: {e}")))?;
    }
    Ok(roots)
}

/// Cipher suites the scripted engine negotiates: IANA name, oldest and newest version.
pub(crate) fn scripted_suites() -> impl Iterator<Item = (&'static str, TlsVersion, TlsVersion)> {
    scripted::suites()
}

/// The engine chosen by a scenario, prepared once at server start.
pub(crate) enum Engine {
    Rustls(RustlsEngine),
    Scripted(std::sync::Arc<scripted::ScriptedConfig>),
}

impl Engine {
    pub(crate) fn new(
        scenario: &Scenario,
        pki: &Pki,
        keylog: Option<KeyLog>,
    ) -> Result<Self, EngineError> {
        match scenario.engine {
            EngineKind::Rustls => Ok(Self::Rustls(RustlsEngine::new(scenario, pki, keylog)?)),
            EngineKind::Scripted => Ok(Self::Scripted(std::sync::Arc::new(
                scripted::ScriptedConfig::new(scenario, pki, keylog)?,
            ))),
        }
    }

    /// The largest ClientHello message (header included) the engine can take: rustls
    /// caps every handshake message at 64 KiB; ours takes OpenSSL's limit.
    pub(crate) fn max_hello(&self) -> usize {
        match self {
            // rustls' MAX_HANDSHAKE_SIZE (0xffff) bounds the body.
            Self::Rustls(_) => 0xffff + 4,
            Self::Scripted(_) => crate::observe::MAX_CLIENT_HELLO + 4,
        }
    }

    /// Run the handshake over `io` (first flight replayed; its transport enforces the
    /// handshake deadline); `None` when it failed, with the failure recorded in `obs`.
    pub(crate) async fn handshake(
        &self,
        io: ReplayTap<TcpStream>,
        obs: &mut Observation,
    ) -> Option<Box<dyn Session>> {
        match self {
            // Both boxed: a handshake's future is large (rustls' connection state, the
            // scripted engine's steps), and every connection's task would otherwise keep
            // its size for the connection's whole life, idle ones included.
            Self::Rustls(engine) => Box::pin(rustls_handshake(engine, io, obs)).await,
            Self::Scripted(engine) => Box::pin(engine.handshake(io, obs)).await,
        }
    }
}

async fn rustls_handshake(
    engine: &RustlsEngine,
    io: ReplayTap<TcpStream>,
    obs: &mut Observation,
) -> Option<Box<dyn Session>> {
    let (config, note) = match engine.config() {
        Ok(c) => c,
        Err(e) => {
            obs.push(Event::HandshakeFailed {
                reason: e.to_string(),
            });
            return None;
        }
    };
    let accept = tokio_rustls::TlsAcceptor::from(config)
        .accept(engine.transport(io))
        .into_fallible();
    match accept.await {
        Ok(mut stream) => {
            let (io, conn) = stream.get_mut();
            io.stop_tap();
            record_negotiated(conn, obs);
            Some(Box::new(stream))
        }
        Err((err, mut io)) => {
            let seen = io.take_alerts();
            let tls_err = rustls_error(&err);
            if let Some(subjects) = note.presented() {
                obs.push(Event::ClientCertificate { subjects });
            }
            // The verifier's reason, not the error a `reject_alert` was mapped through.
            let reason = note.rejected().map_or_else(
                || err.to_string(),
                |r| format!("client certificate rejected: {r}"),
            );
            obs.push(Event::HandshakeFailed { reason });
            if let Some(::rustls::Error::AlertReceived(desc)) = tls_err {
                obs.push(Event::AlertReceived(Alert::fatal(
                    crate::wire::AlertDescription(u8::from(*desc)),
                )));
            }
            let sent: Vec<Alert> = if seen.is_empty() {
                tls_err
                    .and_then(self::rustls::alert_for_error)
                    .map(Alert::fatal)
                    .into_iter()
                    .collect()
            } else {
                seen
            };
            let fatal =
                !sent.is_empty() || matches!(tls_err, Some(::rustls::Error::AlertReceived(_)));
            for alert in sent {
                obs.push(Event::AlertSent(alert));
            }
            let how = if fatal {
                CloseKind::FatalAlert
            } else {
                close_kind(&err)
            };
            linger_close(&mut io).await;
            obs.push(Event::closed(how));
            None
        }
    }
}

fn record_negotiated(conn: &::rustls::ServerConnection, obs: &mut Observation) {
    let version = match conn.protocol_version() {
        Some(::rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(::rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        other => format!("{other:?}"),
    };
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|s| {
            let suite = crate::wire::CipherSuite(u16::from(s.suite()));
            suite
                .name()
                .map_or_else(|| suite.to_string(), str::to_string)
        })
        .unwrap_or_default();
    obs.push(Event::Negotiated {
        version,
        cipher_suite,
        alpn: conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        sni: conn.server_name().map(str::to_string),
    });
    match conn.peer_certificates() {
        Some(chain) if !chain.is_empty() => obs.push(Event::ClientCertificate {
            subjects: chain.iter().map(|c| self::rustls::subject_of(c)).collect(),
        }),
        _ => obs.push(Event::NoClientCertificate),
    }
}

fn rustls_error(err: &std::io::Error) -> Option<&::rustls::Error> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<::rustls::Error>())
}

/// How an I/O error on a session ended the connection, and the alert it carried, if any.
pub(crate) fn classify_error(err: &std::io::Error) -> (CloseKind, Option<Alert>) {
    // The session ended it itself (its fatal alert is already observed).
    if let Some(scripted::Ended(how)) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<scripted::Ended>())
    {
        return (*how, None);
    }
    if let Some(scripted::PeerAlert(alert)) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<scripted::PeerAlert>())
    {
        return (CloseKind::FatalAlert, Some(*alert));
    }
    if let Some(::rustls::Error::AlertReceived(desc)) = rustls_error(err) {
        let alert = Alert {
            level: AlertLevel::FATAL,
            description: crate::wire::AlertDescription(u8::from(*desc)),
        };
        return (CloseKind::FatalAlert, Some(alert));
    }
    (close_kind(err), None)
}

fn close_kind(err: &std::io::Error) -> CloseKind {
    use std::io::ErrorKind as K;
    match err.kind() {
        K::UnexpectedEof => CloseKind::Eof,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => CloseKind::Reset,
        K::TimedOut => CloseKind::Timeout,
        _ => CloseKind::Error,
    }
}
