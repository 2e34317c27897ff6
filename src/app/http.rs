//! A one-request HTTP/1.1 responder whose body can quote what the server observed.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ended_by, AppLimits};
use crate::engine::{Clock, Session};
use crate::observe::{CloseKind, Deadline, Event, Observation};
use crate::scenario::AppConfig;

/// Read one request head, answer with the configured status and body. `Some` when the
/// client ended the connection before an answer could be sent.
pub(super) async fn respond(
    session: &mut Box<dyn Session>,
    app: &AppConfig,
    obs: &mut Observation,
    limits: AppLimits,
    clock: &Clock,
) -> Option<CloseKind> {
    // Nothing allocated until the client sends: idle connections wait here, each with
    // this future's buffer, so it is small (the engine's own buffer holds the record; this
    // only copies out of it); the request-head deadline (transport) bounds the whole
    // head, however slowly it trickles in.
    let mut head = Vec::new();
    let mut buf = [0u8; 128];
    while !head_complete(&head) {
        if head.len() > limits.max_request {
            // Oversized head: stop reading and answer nothing.
            return Some(CloseKind::ServerClosed);
        }
        match session.read(&mut buf).await {
            Ok(0) => return Some(CloseKind::CloseNotify),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Some(ended_by(&e, obs)),
        }
    }
    clock.enter(Deadline::Idle);
    // A line ends at LF, so the request line is the same with CRLF or a bare LF.
    let line = head
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
        .unwrap_or_default();
    obs.push(Event::HttpRequest { line });
    // IIS asks for the client certificate only now, by renegotiating.
    if let Some(ended) = session.renegotiate(obs).await {
        return Some(ended);
    }
    let (status, body) = if app.require_client_cert && obs.client_certificate().is_none() {
        (403, FORBIDDEN_403_7.to_string())
    } else {
        (app.status, render(&app.body, obs))
    };
    let response = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nServer: quirktls\r\n\r\n{}",
        status,
        reason(status),
        body.len(),
        body
    );
    match session.write_all(response.as_bytes()).await {
        Ok(()) => None,
        Err(e) => Some(ended_by(&e, obs)),
    }
}

/// Whether `head` holds a whole request head: after the request line, a line that is
/// empty once its CR is dropped. Lines end in CRLF or, as many test tools send them, in
/// a bare LF.
//= https://www.rfc-editor.org/rfc/rfc9112#section-2.2
//# Although the line terminator for the start-line and fields is the
//# sequence CRLF, a recipient MAY recognize a single LF as a line
//# terminator and ignore any preceding CR.
fn head_complete(head: &[u8]) -> bool {
    let mut lines = head.split(|&b| b == b'\n');
    // The last piece has no LF yet: it is not a line.
    lines.next_back();
    lines.skip(1).any(|line| line.is_empty() || line == b"\r")
}

/// IIS's answer when SSLRequireCert is set and no client certificate was presented.
const FORBIDDEN_403_7: &str =
    "HTTP Error 403.7 - Forbidden: The page you are trying to access requires your browser \
     to have a Secure Sockets Layer (SSL) client certificate that the Web server recognizes.\n";

/// Fill `{placeholders}` in the body template with observed facts.
pub(crate) fn render(template: &str, obs: &Observation) -> String {
    let (mut version, mut suite, mut alpn, mut sni) =
        (String::new(), String::new(), String::new(), String::new());
    let mut subject = "none".to_string();
    for event in obs.events() {
        match event {
            Event::Negotiated {
                version: v,
                cipher_suite,
                alpn: a,
                sni: s,
            } => {
                version = v.clone();
                suite = cipher_suite.clone();
                alpn = a.clone().unwrap_or_default();
                sni = s.clone().unwrap_or_default();
            }
            Event::ClientCertificate { subjects } => {
                subject = subjects.first().cloned().unwrap_or_default();
            }
            _ => {}
        }
    }
    template
        .replace("{scenario}", &obs.scenario)
        .replace("{version}", &version)
        .replace("{cipher_suite}", &suite)
        .replace("{alpn}", &alpn)
        .replace("{sni}", &sni)
        .replace("{client_cert_subject}", &subject)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        421 => "Misdirected Request",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_ends_at_an_empty_line_with_crlf_or_bare_lf() {
        for complete in [
            &b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..],
            b"GET / HTTP/1.1\nHost: a\n\n",
            b"GET / HTTP/1.1\r\nHost: a\n\r\n",
            b"GET / HTTP/1.1\nHost: a\r\n\n",
            b"GET / HTTP/1.0\n\nbody",
            b"\r\n\r\n",
        ] {
            assert!(head_complete(complete), "{}", complete.escape_ascii());
        }
        // A bare CR ends no line, and neither does a head that has not ended yet.
        for partial in [
            &b""[..],
            b"\r",
            b"GET / HTTP/1.1\r\n",
            b"\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r",
            b"GET / HTTP/1.1\nHost: a\n",
            b"GET / HTTP/1.1\r\rHost: a\r\r",
            b"GET / HTTP/1.1\nHost: a\n \n",
        ] {
            assert!(!head_complete(partial), "{}", partial.escape_ascii());
        }
    }

    #[test]
    fn render_fills_observed_facts() {
        let mut obs = Observation::new("demo", 1);
        obs.push(Event::Negotiated {
            version: "TLS 1.3".into(),
            cipher_suite: "TLS_AES_128_GCM_SHA256".into(),
            alpn: Some("http/1.1".into()),
            sni: Some("server.quirktls.test".into()),
        });
        let out = render(
            "{scenario} {version} {cipher_suite} {alpn} {sni} {client_cert_subject}",
            &obs,
        );
        assert_eq!(
            out,
            "demo TLS 1.3 TLS_AES_128_GCM_SHA256 http/1.1 server.quirktls.test none"
        );
    }
}
