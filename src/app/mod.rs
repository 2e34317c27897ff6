//! After the handshake: an HTTP/1.1 responder, an echo, or an immediate close.

mod http;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::engine::{classify_error, Clock, Session};
use crate::observe::{CloseKind, Deadline, Event, Observation};
use crate::scenario::{AppConfig, AppMode};

/// Bounds for the app layer; the session's transport enforces the deadlines, the clock
/// says which phase it is in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppLimits {
    /// Largest HTTP request head accepted.
    pub max_request: usize,
    /// How long to wait for the client to close after our close_notify and FIN (the
    /// transport's deadlines are off once our side is shut).
    pub drain: Duration,
}

/// Run the scenario's app behaviour on `session`, then end the connection and record how.
pub(crate) async fn serve(
    mut session: Box<dyn Session>,
    app: &AppConfig,
    obs: &mut Observation,
    limits: AppLimits,
    clock: &Clock,
) {
    let ended = match app.mode {
        AppMode::Http => {
            clock.enter(Deadline::RequestHead);
            http::respond(&mut session, app, obs, limits, clock).await
        }
        AppMode::Echo => {
            clock.enter(Deadline::Idle);
            echo(&mut session, obs).await
        }
        AppMode::None => None,
    };
    session.observe(obs);
    let how = match ended {
        Some(CloseKind::CloseNotify) => {
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.1
            //# The other party MUST respond with a close_notify alert of its own
            //# and close down the connection immediately, discarding any pending
            //# writes.
            let _ = session.shutdown().await;
            CloseKind::CloseNotify
        }
        Some(how) => how,
        None => {
            // Our side is done: close_notify, then see how the client ends its side.
            let _ = session.shutdown().await;
            drain(&mut session, obs, limits).await
        }
    };
    session.observe(obs);
    obs.push(Event::closed(how));
}

/// Read until the client ends the connection, within `limits.drain` in all; the ending
/// is the observation.
async fn drain(
    session: &mut Box<dyn Session>,
    obs: &mut Observation,
    limits: AppLimits,
) -> CloseKind {
    let deadline = tokio::time::Instant::now() + limits.drain;
    // Small: what the client sends now is discarded.
    let mut buf = [0u8; 128];
    loop {
        match tokio::time::timeout_at(deadline, session.read(&mut buf)).await {
            Err(_) => return CloseKind::ServerClosed,
            Ok(Ok(0)) => return CloseKind::CloseNotify,
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => return ended_by(&e, obs),
        }
    }
}

/// Record what an I/O error says about the client and return the close kind.
fn ended_by(err: &std::io::Error, obs: &mut Observation) -> CloseKind {
    let (how, alert) = classify_error(err);
    if let Some(alert) = alert {
        obs.push(Event::AlertReceived(alert));
    }
    how
}

/// Echo until the client closes; the transport's idle and write deadlines bound the
/// wait for each read and write.
async fn echo(session: &mut Box<dyn Session>, obs: &mut Observation) -> Option<CloseKind> {
    // Small while idle (every waiting connection holds it), doubled while reads fill it.
    const START: usize = 512;
    const MAX: usize = 16 * 1024;
    let mut buf = vec![0u8; START];
    loop {
        let n = match session.read(&mut buf).await {
            Ok(0) => return None,
            Ok(n) => n,
            Err(e) => return Some(ended_by(&e, obs)),
        };
        if let Err(e) = session.write_all(&buf[..n]).await {
            return Some(ended_by(&e, obs));
        }
        if n == buf.len() && n < MAX {
            buf.resize(2 * n, 0);
        }
    }
}
