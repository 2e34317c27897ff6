//! An established scripted connection as the app layer sees it, able to renegotiate.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::handshake::{self, Established, Round};
use super::records::{AppRecords, RecordError};
use super::{record_client_chain, report_failure, ScriptedConfig};
use crate::engine::{BoxFuture, ReplayTap, Session};
use crate::observe::{CloseKind, Direction, Event, Observation};
use crate::wire::{AlertLevel, Codec, ContentType, HandshakePayload, HelloRequest};

/// Application data over our record layer, plus what renegotiation needs.
pub(crate) struct ScriptedSession {
    app: AppRecords<ReplayTap<TcpStream>>,
    cfg: Arc<ScriptedConfig>,
    last: Established,
}

impl ScriptedSession {
    pub(super) fn new(
        app: AppRecords<ReplayTap<TcpStream>>,
        cfg: Arc<ScriptedConfig>,
        last: Established,
    ) -> Self {
        Self { app, cfg, last }
    }

    /// HelloRequest, then a full handshake bound to the previous one (RFC 5746 when it
    /// is in force). A refusal leaves the connection usable; a failed handshake ends it.
    async fn run_renegotiation(&mut self, obs: &mut Observation) -> Option<CloseKind> {
        let cfg = self.cfg.clone();
        let Some(plan) = &cfg.renegotiate else {
            return None;
        };
        let rec = &mut self.app.rec;
        let queued = std::mem::take(&mut self.app.outbuf);
        let hello_request = HelloRequest.to_message().to_bytes();
        rec.note(Direction::Sent, ContentType::HANDSHAKE, &hello_request);
        if rec.write_raw(&queued).await.is_err()
            || rec
                .write(ContentType::HANDSHAKE, &hello_request)
                .await
                .is_err()
        {
            obs.push(Event::RenegotiationRefused {
                reason: "connection closed before HelloRequest".into(),
            });
            return Some(CloseKind::Reset);
        }
        obs.push(Event::HelloRequestSent);
        let round = Round {
            client_auth: plan.as_ref(),
            previous: Some(&self.last),
        };
        let result = handshake::run(&cfg, rec, &round).await;
        obs.transcript.append(&mut rec.transcript);
        match result {
            Ok(done) => {
                obs.push(Event::Renegotiated {
                    version: done.version.name().unwrap_or("unknown").to_string(),
                    cipher_suite: done.suite.name.to_string(),
                });
                if plan.is_some() {
                    record_client_chain(&done.client_chain, obs);
                }
                self.last = done;
                None
            }
            Err(failure) => {
                let reason = match &failure.from_client {
                    Some(RecordError::Alert(a)) if a.level == AlertLevel::WARNING => {
                        obs.push(Event::AlertReceived(*a));
                        obs.push(Event::RenegotiationRefused {
                            reason: format!("client answered {a}"),
                        });
                        return None;
                    }
                    Some(RecordError::Timeout) => "no ClientHello before the timeout".to_string(),
                    _ => failure.reason.clone(),
                };
                obs.push(Event::RenegotiationRefused { reason });
                let how = report_failure(failure, rec, obs).await;
                obs.transcript.append(&mut rec.transcript);
                Some(how)
            }
        }
    }
}

impl Session for ScriptedSession {
    fn renegotiate<'a>(&'a mut self, obs: &'a mut Observation) -> BoxFuture<'a> {
        Box::pin(self.run_renegotiation(obs))
    }
}

impl AsyncRead for ScriptedSession {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().app.poll_read_app(cx, buf)
    }
}

impl AsyncWrite for ScriptedSession {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().app.poll_write_app(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().app.poll_flush_app(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().app.poll_shutdown_app(cx)
    }
}
