//! An established scripted connection as the app layer sees it: it renegotiates when the
//! scenario asks (server-initiated, IIS style), answers the client's renegotiations per
//! `tls.client_renegotiation` (and always those its own HelloRequests asked for), and
//! answers a record TLS forbids with its fatal alert.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::handshake::{self, Established, Failure, Round};
use super::records::{AppRecords, Ended, HandshakeArrived, RecordError, RecordFailure, RecordIo};
use super::{record_client_chain, report_failure, ScriptedConfig};
use crate::engine::{BoxFuture, ReplayTap, Session};
use crate::observe::{
    CloseKind, Direction, Event, Observation, Party, TranscriptLine, MAX_CLIENT_HELLO,
};
use crate::scenario::ClientRenegotiation;
use crate::wire::{
    Alert, AlertDescription, AlertLevel, Codec, ContentType, HandshakeMessage, HandshakePayload,
    HandshakeType, HelloRequest, KeyUpdate, KeyUpdateRequest, ProtocolVersion,
};

type Records = AppRecords<ReplayTap<TcpStream>>;

/// How the connection goes on after an interlude.
enum After {
    /// Reading resumes; with the new handshake when one completed.
    Continue(Option<Established>),
    /// It ended this way.
    Ended(CloseKind),
}

/// Work driven from `poll_read` (a renegotiation the client started, an alert going
/// out); it owns the records while it runs and hands them back with what it observed.
type Interlude = Pin<Box<dyn Future<Output = (Records, Observation, After)> + Send>>;

/// Application data over our record layer, plus what renegotiation needs.
pub(crate) struct ScriptedSession {
    /// `None` only while an interlude runs.
    app: Option<Records>,
    cfg: Arc<ScriptedConfig>,
    last: Established,
    interlude: Option<Interlude>,
    /// ClientHellos after the first handshake, and HelloRequests sent by the scenario's
    /// renegotiation: what `tls.max_renegotiations` bounds.
    attempts: u32,
    /// What happened inside reads, on the connection's clock, for the app layer.
    seen: Observation,
}

impl ScriptedSession {
    /// `seen` is a fork of the connection's observation (same clock).
    pub(super) fn new(
        app: Records,
        cfg: Arc<ScriptedConfig>,
        last: Established,
        seen: Observation,
    ) -> Self {
        Self {
            app: Some(app),
            cfg,
            last,
            interlude: None,
            attempts: 0,
            seen,
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
        // TLS 1.3 has no renegotiation.
        if self.last.version == ProtocolVersion::TLS13 {
            return None;
        }
        let cfg = self.cfg.clone();
        let plan = cfg.renegotiate.as_ref()?;
        let Some(app) = self.app.as_mut() else {
            return Some(CloseKind::Error);
        };
        self.attempts += 1;
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
            obs.push(Event::RenegotiationRefusedByClient {
                reason: "the client closed the connection before the HelloRequest".into(),
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
        let hello_seen = client_hello_in(&rec.transcript);
        obs.transcript.append(&mut rec.transcript);
        match result {
            Ok(done) => {
                renegotiated(&done, Party::Server, plan.is_some(), obs);
                self.last = done;
                None
            }
            Err(failure) => {
                if let (Some(RecordError::Alert(a)), false) = (&failure.from_client, hello_seen) {
                    if a.level == AlertLevel::WARNING {
                        obs.push(Event::AlertReceived(*a));
                        obs.push(Event::RenegotiationRefusedByClient {
                            reason: format!("client answered {a}"),
                        });
                        return None;
                    }
                }
                Some(failed(failure, hello_seen, rec, obs).await)
            }
        }
    }

    /// A handshake record arrived with application data: answer the ClientHello per
    /// the scenario, or wait for the rest of it.
    fn on_client_handshake(&mut self) {
        let cfg = self.cfg.clone();
        let Some(app) = self.app.as_mut() else {
            return;
        };
        // After our close_notify the connection is over for us: a late ClientHello is
        // left unanswered.
        if app.closing {
            app.client_handshake.clear();
            return;
        }
        if self.last.version == ProtocolVersion::TLS13 {
            return self.on_post_handshake();
        }
        let pending = &app.client_handshake;
        // An empty handshake record (which RFC 5246 §6.2.1 forbids) says nothing yet.
        let Some(&first) = pending.first() else {
            return;
        };
        let typ = HandshakeType(first);
        if typ != HandshakeType::CLIENT_HELLO {
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
            //# unexpected_message
            //#    An inappropriate message was received.
            let reason = format!("{typ} from the client after the handshake");
            return self.fatal(AlertDescription::UNEXPECTED_MESSAGE, None, reason);
        }
        let declared = pending
            .get(1..4)
            .map(|l| u32::from_be_bytes([0, l[0], l[1], l[2]]) as usize);
        if declared.is_some_and(|n| n > MAX_CLIENT_HELLO) {
            // OpenSSL's answer to a message over its size limit, at its header.
            let reason = format!("renegotiation ClientHello declares {declared:?} bytes");
            return self.fatal(AlertDescription::ILLEGAL_PARAMETER, None, reason);
        }
        let complete = declared.is_some_and(|n| pending.len() >= 4 + n);
        let count = self.attempts;
        if count >= cfg.max_renegotiations {
            let refusal = Event::RenegotiationRefusedByServer {
                how: "max_renegotiations".into(),
                count,
            };
            let reason = format!("renegotiation {} is over tls.max_renegotiations", count + 1);
            return self.fatal(AlertDescription::HANDSHAKE_FAILURE, Some(refusal), reason);
        }
        // A ClientHello that answers our HelloRequest is ours to finish, whatever the
        // policy for the client's own.
        let policy = match app.hello_requested {
            true => ClientRenegotiation::Accept,
            false => cfg.client_renegotiation,
        };
        let refusal = Event::RenegotiationRefusedByServer {
            how: policy.name().into(),
            count,
        };
        match policy {
            ClientRenegotiation::Accept => {
                app.hello_requested = false;
                self.attempts += 1;
                self.accept();
            }
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
            //# no_renegotiation
            //#    Sent by the client in response to a hello request or by the server
            //#    in response to a client hello after initial handshaking.  Either of
            //#    these would normally lead to renegotiation; when that is not
            //#    appropriate, the recipient should respond with this alert.  At that
            //#    point, the original requester can decide whether to proceed with
            //#    the connection.  [...]  This message is always a warning.
            // refuse_fatal breaks the last sentence on purpose, as BoringSSL does.
            ClientRenegotiation::RefuseFatal => {
                self.attempts += 1;
                let reason =
                    "client renegotiation refused (tls.client_renegotiation: refuse_fatal)";
                self.fatal(
                    AlertDescription::NO_RENEGOTIATION,
                    Some(refusal),
                    reason.into(),
                );
            }
            // The rest of a ClientHello split over records comes before the answer.
            _ if !complete => {}
            ClientRenegotiation::RefuseWarning => {
                self.attempts += 1;
                app.client_handshake.clear();
                self.seen.push(refusal);
                self.warn_no_renegotiation();
            }
            ClientRenegotiation::Ignore => {
                self.attempts += 1;
                app.client_handshake.clear();
                self.seen.push(refusal);
            }
        }
    }

    /// TLS 1.3 handshake messages after the handshake: the client's KeyUpdate, answered
    /// in kind when it asks; anything else is unexpected.
    fn on_post_handshake(&mut self) {
        let Some(app) = self.app.as_mut() else {
            return;
        };
        while app.client_handshake.len() >= 4 {
            let pending = &app.client_handshake;
            let typ = HandshakeType(pending[0]);
            let len = u32::from_be_bytes([0, pending[1], pending[2], pending[3]]) as usize;
            if typ != HandshakeType::KEY_UPDATE {
                //= https://www.rfc-editor.org/rfc/rfc8446#section-4
                //# If an implementation
                //# receives an unexpected message, it MUST abort the handshake with an
                //# "unexpected_message" alert.
                let reason = format!("{typ} from the client after the TLS 1.3 handshake");
                return self.fatal(AlertDescription::UNEXPECTED_MESSAGE, None, reason);
            }
            if pending.len() < 4 + len {
                return;
            }
            let message: Vec<u8> = app.client_handshake.drain(..4 + len).collect();
            app.rec
                .note(Direction::Received, ContentType::HANDSHAKE, &message);
            let request = match HandshakeMessage::from_bytes(&message)
                .and_then(|m| KeyUpdate::from_message(&m, ()))
            {
                Ok(update) => update.request,
                Err(e) => {
                    let reason = format!("bad KeyUpdate: {e}");
                    return self.fatal(AlertDescription::DECODE_ERROR, None, reason);
                }
            };
            //= https://www.rfc-editor.org/rfc/rfc8446#section-4.6.3
            //# If an implementation receives any other value, it MUST terminate the
            //# connection with an "illegal_parameter" alert.
            if request != KeyUpdateRequest::UPDATE_REQUESTED
                && request != KeyUpdateRequest::UPDATE_NOT_REQUESTED
            {
                let reason = format!("KeyUpdate with request_update {request}");
                return self.fatal(AlertDescription::ILLEGAL_PARAMETER, None, reason);
            }
            if let Some(next) = app.rec.read.updated() {
                app.rec.read = next;
            }
            //= https://www.rfc-editor.org/rfc/rfc8446#section-4.6.3
            //# If the request_update
            //# field is set to "update_requested", then the receiver MUST send a
            //# KeyUpdate of its own with request_update set to
            //# "update_not_requested" prior to sending its next Application Data
            //# record.
            if request == KeyUpdateRequest::UPDATE_REQUESTED {
                let ours = KeyUpdate {
                    request: KeyUpdateRequest::UPDATE_NOT_REQUESTED,
                };
                app.queue_handshake(&ours.to_message().to_bytes());
                if let Some(next) = app.rec.write.updated() {
                    app.rec.write = next;
                }
            }
        }
    }

    /// Run the client's renegotiation on the ClientHello bytes read so far.
    fn accept(&mut self) {
        let Some(mut app) = self.app.take() else {
            return;
        };
        let cfg = self.cfg.clone();
        let last = self.last.clone();
        let mut obs = self.seen.fork();
        self.interlude = Some(Box::pin(async move {
            let hello = std::mem::take(&mut app.client_handshake);
            let plan = cfg.renegotiate.as_ref().and_then(Option::as_ref);
            let round = Round {
                client_auth: plan,
                previous: Some(&last),
                already_read: &hello,
            };
            let result = handshake::run(&cfg, &mut app.rec, &round).await;
            obs.transcript.append(&mut app.rec.transcript);
            let after = match result {
                Ok(done) => {
                    renegotiated(&done, Party::Client, plan.is_some(), &mut obs);
                    After::Continue(Some(done))
                }
                Err(failure) => {
                    let how = failed(failure, true, &mut app.rec, &mut obs).await;
                    app.peer_closed = true;
                    After::Ended(how)
                }
            };
            (app, obs, after)
        }));
    }

    /// A no_renegotiation warning after whatever is queued; reading goes on.
    fn warn_no_renegotiation(&mut self) {
        let Some(mut app) = self.app.take() else {
            return;
        };
        let mut obs = self.seen.fork();
        self.interlude = Some(Box::pin(async move {
            let warning = Alert {
                level: AlertLevel::WARNING,
                description: AlertDescription::NO_RENEGOTIATION,
            };
            let queued = std::mem::take(&mut app.outbuf);
            app.rec
                .note(Direction::Sent, ContentType::ALERT, &warning.to_bytes());
            let sent = match app.rec.write_raw(&queued).await {
                Ok(()) => app.rec.write(ContentType::ALERT, &warning.to_bytes()).await,
                Err(e) => Err(e),
            };
            obs.push(Event::AlertSent(warning));
            let after = match sent {
                Ok(()) => After::Continue(None),
                Err(_) => After::Ended(CloseKind::Reset),
            };
            (app, obs, after)
        }));
    }

    /// A fatal alert (encrypted under the current keys) after whatever is queued, then
    /// a clean close; `event` first, when the alert answers a policy.
    fn fatal(&mut self, description: AlertDescription, event: Option<Event>, reason: String) {
        let Some(mut app) = self.app.take() else {
            return;
        };
        let mut obs = self.seen.fork();
        obs.push(event.unwrap_or(Event::ProtocolViolation { reason }));
        self.interlude = Some(Box::pin(async move {
            let queued = std::mem::take(&mut app.outbuf);
            let _ = app.rec.write_raw(&queued).await;
            let alert = Alert::fatal(description);
            app.rec.fail(alert).await;
            obs.push(Event::AlertSent(alert));
            obs.transcript.append(&mut app.rec.transcript);
            app.peer_closed = true;
            (app, obs, After::Ended(CloseKind::FatalAlert))
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

/// Whether the client sent a ClientHello in these transcript lines.
fn client_hello_in(lines: &[TranscriptLine]) -> bool {
    lines
        .iter()
        .any(|l| l.direction == Direction::Received && l.what == "ClientHello")
}

fn renegotiated(
    done: &Established,
    initiated_by: Party,
    asked_for_certificate: bool,
    obs: &mut Observation,
) {
    obs.push(Event::Renegotiated {
        initiated_by,
        version: done.version.name().unwrap_or("unknown").to_string(),
        cipher_suite: done.suite.name.to_string(),
    });
    if asked_for_certificate {
        record_client_chain(&done.client_chain, obs);
    }
}

/// A renegotiation that did not complete: who refused or aborted it (a client that
/// never sent its ClientHello refused; after it, whoever failed the handshake aborted
/// it), then the failure's alert and close.
async fn failed(
    failure: Failure,
    hello_seen: bool,
    rec: &mut RecordIo<ReplayTap<TcpStream>>,
    obs: &mut Observation,
) -> CloseKind {
    let (by, what) = match &failure.from_client {
        Some(RecordError::Timeout(_)) => (
            Party::Client,
            "the client sent nothing before the timeout".to_string(),
        ),
        Some(RecordError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => (
            Party::Client,
            "the client closed the connection".to_string(),
        ),
        Some(RecordError::Io(e)) => (Party::Client, format!("the connection failed: {e}")),
        Some(RecordError::Alert(a)) => (Party::Client, format!("the client sent {a}")),
        Some(RecordError::Bad { .. }) | None => (Party::Server, failure.reason.clone()),
    };
    obs.push(match (by, hello_seen) {
        (Party::Client, false) => Event::RenegotiationRefusedByClient { reason: what },
        _ => Event::RenegotiationAborted { by, reason: what },
    });
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
        obs.absorb(&mut self.seen);
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
            if let Some(running) = this.interlude.as_mut() {
                let (app, mut obs, after) = std::task::ready!(running.as_mut().poll(cx));
                this.interlude = None;
                this.app = Some(app);
                this.seen.absorb(&mut obs);
                match after {
                    After::Continue(Some(done)) => this.last = done,
                    After::Continue(None) => {}
                    After::Ended(how) => return Poll::Ready(Err(io::Error::other(Ended(how)))),
                }
                continue;
            }
            let result = std::task::ready!(this.records()?.poll_read_app(cx, buf));
            this.collect();
            let inner = result.as_ref().err().and_then(|e| e.get_ref());
            if inner.is_some_and(|i| i.is::<HandshakeArrived>()) {
                this.on_client_handshake();
            } else if let Some(f) = inner.and_then(|i| i.downcast_ref::<RecordFailure>()) {
                let (alert, reason) = (f.alert, f.reason.clone());
                this.fatal(alert, None, reason);
            } else {
                return Poll::Ready(result);
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
