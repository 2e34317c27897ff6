//! After the handshake: an HTTP/1.1 responder, an echo, or an immediate close.

mod http;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::engine::{classify_error, Session};
use crate::observe::{CloseKind, Event, Observation};
use crate::scenario::{AppConfig, AppMode};

/// Bounds for the app layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppLimits {
    /// Largest HTTP request head accepted.
    pub max_request: usize,
    /// Timeout of each read.
    pub read_timeout: Duration,
}

/// Run the scenario's app behaviour on `session`, then end the connection and record how.
pub(crate) async fn serve(
    mut session: Box<dyn Session>,
    app: &AppConfig,
    obs: &mut Observation,
    limits: AppLimits,
) {
    let ended = match app.mode {
        AppMode::Http => http::respond(&mut session, app, obs, limits).await,
        AppMode::Echo => echo(&mut session, obs, limits).await,
        AppMode::None => None,
    };
    session.observe(obs);
    let how = match ended {
        Some(how) => how,
        None => {
            // Our side is done: close_notify, then see how the client ends its side.
            let _ = session.shutdown().await;
            drain(&mut session, obs, limits).await
        }
    };
    session.observe(obs);
    obs.push(Event::Closed { how });
}

/// Read until the client ends the connection; the ending is the observation.
async fn drain(
    session: &mut Box<dyn Session>,
    obs: &mut Observation,
    limits: AppLimits,
) -> CloseKind {
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limits.read_timeout, session.read(&mut buf)).await {
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

async fn echo(
    session: &mut Box<dyn Session>,
    obs: &mut Observation,
    limits: AppLimits,
) -> Option<CloseKind> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match tokio::time::timeout(limits.read_timeout, session.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) => return None,
            Ok(Ok(n)) => n,
            // A fatal alert (the client's or the session's own) or a broken connection.
            Ok(Err(e)) => return Some(ended_by(&e, obs)),
        };
        if session.write_all(&buf[..n]).await.is_err() {
            return Some(CloseKind::Reset);
        }
    }
}
