//! An established scripted connection as the app layer sees it: it renegotiates when the
//! scenario asks (server-initiated, IIS style) and answers the client's renegotiations
//! (after a HelloRequest storm).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::handshake::{self, Established, Failure, Round};
use super::records::{AppRecords, HandshakeArrived, RecordError};
use super::{record_client_chain, report_failure, ScriptedConfig};
use crate::engine::{BoxFuture, ReplayTap, Session};
use crate::observe::{CloseKind, Direction, Event, Observation};
use crate::wire::{AlertLevel, Codec, ContentType, HandshakePayload, HelloRequest};

type Records = AppRecords<ReplayTap<TcpStream>>;

/// A renegotiation the client started, driven from `poll_read`; it owns the records
/// while it runs and hands them back with its observation.
type ClientRenegotiation =
    Pin<Box<dyn Future<Output = (Records, Observation, Option<Established>)> + Send>>;

/// Application data over our record layer, plus what renegotiation needs.
pub(crate) struct ScriptedSession {
    /// `None` only while a client renegotiation runs.
    app: Option<Records>,
    cfg: Arc<ScriptedConfig>,
    last: Established,
    client_renegotiation: Option<ClientRenegotiation>,
    /// What happened inside reads, for the app layer's observation.
    seen: Observation,
}

impl ScriptedSession {
    pub(super) fn new(app: Records, cfg: Arc<ScriptedConfig>, last: Established) -> Self {
        Self {
            app: Some(app),
            cfg,
            last,
            client_renegotiation: None,
            seen: Observation::new("", 0),
        }
    }

    fn records(&mut self) -> io::Result<&mut Records> {
        self.app
            .as_mut()
            .ok_or_else(|| io::Error::other("a renegotiation is in progress"))
    }

    /// HelloRequest, then a full handshake bound to the previous one (RFC 5746 when it
    /// is in force). A refusal leaves the connection usable; a failed handshake ends it.
    async fn run_renegotiation(&mut self, obs: &mut Observation) -> Option<CloseKind> {
        let cfg = self.cfg.clone();
        let plan = cfg.renegotiate.as_ref()?;
        let Some(app) = self.app.as_mut() else {
            return Some(CloseKind::Error);
        };
        let queued = std::mem::take(&mut app.outbuf);
        let rec = &mut app.rec;
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
            already_read: &[],
        };
        let result = handshake::run(&cfg, rec, &round).await;
        obs.transcript.append(&mut rec.transcript);
        match result {
            Ok(done) => {
                renegotiated(&done, plan.is_some(), obs);
                self.last = done;
                None
            }
            Err(failure) => {
                if let Some(RecordError::Alert(a)) = &failure.from_client {
                    if a.level == AlertLevel::WARNING {
                        obs.push(Event::AlertReceived(*a));
                        obs.push(Event::RenegotiationRefused {
                            reason: format!("client answered {a}"),
                        });
                        return None;
                    }
                }
                Some(refused(failure, rec, obs).await)
            }
        }
    }

    /// Start answering the ClientHello that arrived with application data.
    fn start_client_renegotiation(&mut self) {
        let Some(mut app) = self.app.take() else {
            return;
        };
        let cfg = self.cfg.clone();
        let last = self.last.clone();
        self.client_renegotiation = Some(Box::pin(async move {
            let mut obs = Observation::new("", 0);
            let hello = std::mem::take(&mut app.client_handshake);
            let plan = cfg.renegotiate.as_ref().and_then(Option::as_ref);
            let round = Round {
                client_auth: plan,
                previous: Some(&last),
                already_read: &hello,
            };
            let result = handshake::run(&cfg, &mut app.rec, &round).await;
            obs.transcript.append(&mut app.rec.transcript);
            let done = match result {
                Ok(done) => {
                    renegotiated(&done, plan.is_some(), &mut obs);
                    Some(done)
                }
                Err(failure) => {
                    refused(failure, &mut app.rec, &mut obs).await;
                    app.peer_closed = true;
                    None
                }
            };
            (app, obs, done)
        }));
    }

    /// Move what the records noted (warnings, transcript) into `seen`.
    fn collect(&mut self) {
        if let Some(app) = &mut self.app {
            for alert in app.warnings.drain(..) {
                self.seen.push(Event::AlertReceived(alert));
            }
            self.seen.transcript.append(&mut app.rec.transcript);
        }
    }
}

fn renegotiated(done: &Established, asked_for_certificate: bool, obs: &mut Observation) {
    obs.push(Event::Renegotiated {
        version: done.version.name().unwrap_or("unknown").to_string(),
        cipher_suite: done.suite.name.to_string(),
    });
    if asked_for_certificate {
        record_client_chain(&done.client_chain, obs);
    }
}

async fn refused(
    failure: Failure,
    rec: &mut super::records::RecordIo<ReplayTap<TcpStream>>,
    obs: &mut Observation,
) -> CloseKind {
    let reason = match &failure.from_client {
        Some(RecordError::Timeout(_)) => "no ClientHello before the timeout".to_string(),
        _ => failure.reason.clone(),
    };
    obs.push(Event::RenegotiationRefused { reason });
    let how = report_failure(failure, rec, obs).await;
    obs.transcript.append(&mut rec.transcript);
    how
}

impl Session for ScriptedSession {
    fn renegotiate<'a>(&'a mut self, obs: &'a mut Observation) -> BoxFuture<'a> {
        Box::pin(self.run_renegotiation(obs))
    }

    fn observe(&mut self, obs: &mut Observation) {
        self.collect();
        for event in std::mem::take(&mut self.seen.events) {
            obs.push(event.event);
        }
        obs.transcript.append(&mut self.seen.transcript);
    }
}

impl AsyncRead for ScriptedSession {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(running) = this.client_renegotiation.as_mut() {
                let (app, obs, done) = std::task::ready!(running.as_mut().poll(cx));
                this.client_renegotiation = None;
                this.app = Some(app);
                for event in obs.events {
                    this.seen.push(event.event);
                }
                this.seen.transcript.extend(obs.transcript);
                match done {
                    Some(done) => this.last = done,
                    None => return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into())),
                }
                continue;
            }
            let result = std::task::ready!(this.records()?.poll_read_app(cx, buf));
            match result {
                Err(e) if e.get_ref().is_some_and(|i| i.is::<HandshakeArrived>()) => {
                    this.collect();
                    // After our close_notify the connection is over for us: a late
                    // ClientHello is left unanswered.
                    if this.app.as_ref().is_some_and(|a| !a.closing) {
                        this.start_client_renegotiation();
                    }
                }
                other => {
                    this.collect();
                    return Poll::Ready(other);
                }
            }
        }
    }
}

impl AsyncWrite for ScriptedSession {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().records()?.poll_write_app(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().records()?.poll_flush_app(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().records()?.poll_shutdown_app(cx)
    }
}
