//! The event vocabulary every engine speaks: what the client did, one typed event at a time.

use std::net::SocketAddr;
use std::time::Instant;

use serde::Serialize;

use super::{ClientHelloInfo, TranscriptLine};
use crate::wire::Alert;

/// One thing that happened on a connection, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A TCP connection was accepted.
    Accepted {
        /// The client's address.
        peer: SocketAddr,
    },
    /// The client's first ClientHello, parsed before any engine answered.
    ClientHello(Box<ClientHelloInfo>),
    /// The first flight was not a TLS ClientHello (plain HTTP, garbage, a timeout).
    NotTls {
        /// Why the first flight was rejected.
        reason: String,
    },
    /// An intolerance rule matched the ClientHello; the server choked as configured.
    HelloRejected {
        /// The rule that matched, as written in the scenario.
        rule: String,
    },
    /// The server refused the ClientHello's SNI before any engine answered.
    SniRejected {
        /// The name the client sent, if any.
        sni: Option<String>,
    },
    /// The handshake completed with these parameters.
    Negotiated {
        /// Protocol version, e.g. `TLS 1.3`.
        version: String,
        /// IANA cipher suite name.
        cipher_suite: String,
        /// ALPN protocol selected, if any.
        alpn: Option<String>,
        /// SNI the client sent, if any.
        sni: Option<String>,
    },
    /// The handshake resumed a cached session (abbreviated handshake).
    SessionResumed,
    /// The client presented a certificate chain (subjects, leaf first).
    ClientCertificate {
        /// Subject distinguished names, leaf first.
        subjects: Vec<String>,
    },
    /// The handshake completed without a client certificate.
    NoClientCertificate,
    /// The client rejected or ended something with an alert.
    AlertReceived(Alert),
    /// The server sent an alert.
    AlertSent(Alert),
    /// The handshake failed on the server side.
    HandshakeFailed {
        /// The engine's error message.
        reason: String,
    },
    /// The server asked the client to renegotiate (HelloRequest).
    HelloRequestSent,
    /// A renegotiation handshake completed with these parameters.
    Renegotiated {
        /// Who asked for it: the server (HelloRequest) or the client (a ClientHello of
        /// its own accord).
        initiated_by: Party,
        /// Protocol version of the new handshake.
        version: String,
        /// IANA cipher suite name.
        cipher_suite: String,
    },
    /// The client declined the server's HelloRequest: a no_renegotiation warning, or
    /// silence until the timeout.
    RenegotiationRefusedByClient {
        /// What the client did.
        reason: String,
    },
    /// The server refused the client's ClientHello after the handshake, per the
    /// scenario's `tls.client_renegotiation` policy or its `tls.max_renegotiations`.
    RenegotiationRefusedByServer {
        /// How: `refuse_warning`, `refuse_fatal`, `ignore`, or `max_renegotiations`.
        how: String,
        /// Renegotiations this connection had already completed or attempted.
        count: u32,
    },
    /// A renegotiation handshake started and did not finish: one side aborted it with a
    /// fatal alert, or the client closed or went silent.
    RenegotiationAborted {
        /// Who ended it.
        by: Party,
        /// What happened.
        reason: String,
    },
    /// After the handshake the client sent what TLS forbids (a record with a bad MAC or
    /// bad padding, an oversized record, a message out of place); the server answers
    /// with the fatal alert that follows this event.
    ProtocolViolation {
        /// What was wrong.
        reason: String,
    },
    /// The HTTP request line the client sent after the handshake.
    HttpRequest {
        /// Request line, e.g. `GET / HTTP/1.1`.
        line: String,
    },
    /// A connection limit was reached: the connection was accepted and closed at once.
    Refused {
        /// The limit, e.g. `scenario_connections`.
        limit: Limit,
        /// Its value.
        max: u64,
    },
    /// How the connection ended.
    Closed {
        /// The kind of ending.
        how: CloseKind,
        /// With `how: timeout`: the deadline that passed.
        #[serde(skip_serializing_if = "Option::is_none")]
        deadline: Option<Deadline>,
        /// With `how: limit`: the limit that was reached.
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<Limit>,
    },
}

/// One end of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The TLS client (the program under test).
    Client,
    /// quirktls.
    Server,
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Client => "client",
            Self::Server => "server",
        })
    }
}

impl Event {
    /// `Closed` for an ending that is neither a deadline nor a limit.
    pub fn closed(how: CloseKind) -> Self {
        Self::Closed {
            how,
            deadline: None,
            limit: None,
        }
    }
}

/// A deadline of a connection; each is set per scenario (`deadlines:`) or per process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// From accept to the complete ClientHello.
    FirstFlight,
    /// From the ClientHello to the end of the handshake, all records together.
    Handshake,
    /// From the handshake's end to the end of the HTTP request head.
    RequestHead,
    /// Between two application reads (after the request head, or in echo mode).
    Idle,
    /// For one write to be taken by the socket (a client that never reads).
    Write,
    /// From accept to the end of the connection, whatever it does.
    Connection,
}

impl Deadline {
    /// The name used in events, scenario keys and flags (`first_flight`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::FirstFlight => "first_flight",
            Self::Handshake => "handshake",
            Self::RequestHead => "request_head",
            Self::Idle => "idle",
            Self::Write => "write",
            Self::Connection => "connection",
        }
    }
}

impl std::fmt::Display for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A limit that ends or refuses connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Concurrent connections of one scenario (`limits.connections`).
    ScenarioConnections,
    /// Concurrent connections of the whole process (`--max-connections`).
    TotalConnections,
    /// Bytes read and written on one connection (`limits.bytes`).
    Bytes,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ScenarioConnections => "scenario_connections",
            Self::TotalConnections => "total_connections",
            Self::Bytes => "bytes",
        })
    }
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseKind {
    /// The client sent close_notify.
    CloseNotify,
    /// The client closed TCP without close_notify.
    Eof,
    /// The TCP connection was reset.
    Reset,
    /// A deadline passed (the event's `deadline` says which).
    Timeout,
    /// A limit was reached (the event's `limit` says which).
    Limit,
    /// The server was stopped (SIGINT or SIGTERM) before the connection ended.
    Shutdown,
    /// A fatal alert (sent or received) ended it.
    FatalAlert,
    /// The server closed it (after its answer, or by policy).
    ServerClosed,
    /// Some other I/O error.
    Error,
}

/// Why the transport cut a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// A deadline passed.
    Deadline(Deadline),
    /// A limit was reached.
    Limit(Limit),
}

/// An event with its offset from the connection's start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimedEvent {
    /// Milliseconds since the connection was accepted.
    pub t_ms: u64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// Everything observed on one connection.
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    /// The scenario the connection was served by.
    pub scenario: String,
    /// Connection number within the server, from 1.
    pub conn: u64,
    /// Events in order.
    pub events: Vec<TimedEvent>,
    /// The handshake as it crossed the wire: the scripted engine's own, message by
    /// message; otherwise, when the server captures, record by record off the wire.
    #[serde(skip)]
    pub transcript: Vec<TranscriptLine>,
    #[serde(skip)]
    started: Option<Instant>,
}

impl Observation {
    /// A fresh observation for connection `conn` of `scenario`.
    pub fn new(scenario: impl Into<String>, conn: u64) -> Self {
        Self {
            scenario: scenario.into(),
            conn,
            // Room for the events up to an idle connection's (accepted, client_hello,
            // negotiated, client certificate or none): every idle connection holds this
            // Vec, and one regrowth per finished connection costs nothing next to its
            // handshake.
            events: Vec::with_capacity(4),
            transcript: Vec::new(),
            started: Some(Instant::now()),
        }
    }

    /// Record an event now.
    pub fn push(&mut self, event: Event) {
        let t_ms = self
            .started
            .map(|s| s.elapsed().as_millis() as u64)
            .unwrap_or(0);
        self.events.push(TimedEvent { t_ms, event });
    }

    /// An empty observation on the same clock: events recorded in it (by an engine,
    /// inside reads) keep the time they happened when [`Observation::absorb`]ed.
    pub(crate) fn fork(&self) -> Self {
        Self {
            scenario: String::new(),
            conn: self.conn,
            events: Vec::new(),
            transcript: Vec::new(),
            started: self.started,
        }
    }

    /// Move `other`'s events (with their own times) and transcript into this one.
    pub(crate) fn absorb(&mut self, other: &mut Observation) {
        self.events.append(&mut other.events);
        self.transcript.append(&mut other.transcript);
    }

    /// The events without timestamps.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().map(|e| &e.event)
    }

    /// The parsed ClientHello, if one arrived.
    pub fn client_hello(&self) -> Option<&ClientHelloInfo> {
        self.events().find_map(|e| match e {
            Event::ClientHello(h) => Some(&**h),
            _ => None,
        })
    }

    /// Alerts the server sent.
    pub fn alerts_sent(&self) -> Vec<Alert> {
        self.events()
            .filter_map(|e| match e {
                Event::AlertSent(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// Alerts the client sent.
    pub fn alerts_received(&self) -> Vec<Alert> {
        self.events()
            .filter_map(|e| match e {
                Event::AlertReceived(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// Subjects of the client certificate chain, if one was presented (the latest, when
    /// a renegotiation asked again).
    pub fn client_certificate(&self) -> Option<&[String]> {
        self.events()
            .filter_map(|e| match e {
                Event::ClientCertificate { subjects } => Some(subjects.as_slice()),
                _ => None,
            })
            .last()
    }

    /// Whether a renegotiation completed.
    pub fn renegotiated(&self) -> bool {
        self.events()
            .any(|e| matches!(e, Event::Renegotiated { .. }))
    }

    /// True once the handshake completed.
    pub fn handshake_completed(&self) -> bool {
        self.events().any(|e| matches!(e, Event::Negotiated { .. }))
    }

    /// The HTTP request line, if one arrived.
    pub fn http_request(&self) -> Option<&str> {
        self.events().find_map(|e| match e {
            Event::HttpRequest { line } => Some(line.as_str()),
            _ => None,
        })
    }

    /// How the connection ended, if it has.
    pub fn closed(&self) -> Option<CloseKind> {
        self.events().find_map(|e| match e {
            Event::Closed { how, .. } => Some(*how),
            _ => None,
        })
    }

    /// The deadline that ended the connection, if one did.
    pub fn deadline(&self) -> Option<Deadline> {
        self.events().find_map(|e| match e {
            Event::Closed { deadline, .. } => *deadline,
            _ => None,
        })
    }

    /// The connection was cut by `cut`: that is how it ended, whatever the engine
    /// made of the error it got (the transport is the ground truth, as for alerts).
    pub fn cut_by(&mut self, cut: Cut) {
        let (how, deadline, limit) = match cut {
            Cut::Deadline(d) => (CloseKind::Timeout, Some(d), None),
            Cut::Limit(l) => (CloseKind::Limit, None, Some(l)),
        };
        let closed = Event::Closed {
            how,
            deadline,
            limit,
        };
        match self
            .events
            .iter_mut()
            .find(|e| matches!(e.event, Event::Closed { .. }))
        {
            Some(event) => event.event = closed,
            None => self.push(closed),
        }
    }

    /// The transcript as text, one `-msg` style block per message.
    pub fn transcript_text(&self) -> String {
        self.transcript.iter().map(|l| format!("{l}\n")).collect()
    }

    /// One human line per connection, in the spirit of Exchange's TLS log (seed 002).
    /// Every string the peer chose (SNI, certificate subjects, the request line, engine
    /// reasons that may quote them) is escaped (`escape_peer`), so a client can neither
    /// forge a line nor send the terminal escape sequences.
    pub fn log_line(&self) -> String {
        let sni = self
            .client_hello()
            .and_then(|h| h.sni.as_deref())
            .map_or_else(
                || "no SNI".to_string(),
                |s| format!("SNI={}", escape_peer(s)),
            );
        let cert = match self.client_certificate() {
            Some(s) => format!(
                "client cert: {}",
                s.first().map_or("?".into(), |s| escape_peer(s))
            ),
            None => "client cert: none".to_string(),
        };
        let mut line = format!("[{} #{}] ", self.scenario, self.conn);
        let negotiated = self.events().find_map(|e| match e {
            Event::Negotiated {
                version,
                cipher_suite,
                ..
            } => Some((version, cipher_suite)),
            _ => None,
        });
        if let Some((version, suite)) = negotiated {
            line += &format!("{version} negotiation succeeded using {suite}, {sni}, {cert}");
            if self.events().any(|e| matches!(e, Event::SessionResumed)) {
                line += ", session resumed";
            }
            // The client may still refuse what followed (our Finished, a record).
            for a in self.alerts_received() {
                line += &format!(", then received alert {a}");
            }
        } else {
            line += &format!("handshake failed, {sni}");
            for a in self.alerts_sent() {
                line += &format!(", sent alert {a}");
            }
            for a in self.alerts_received() {
                line += &format!(", received alert {a}");
            }
            for e in self.events() {
                match e {
                    Event::HandshakeFailed { reason } => {
                        line += &format!(", {}", escape_peer(reason))
                    }
                    // Already escaped: the preview of the first bytes is `escape_ascii`.
                    Event::NotTls { reason } => line += &format!(", {reason}"),
                    Event::HelloRejected { rule } => line += &format!(", intolerant of {rule}"),
                    _ => {}
                }
            }
        }
        if self.events().any(|e| matches!(e, Event::HelloRequestSent)) {
            line += match self.renegotiated() {
                true => ", renegotiated",
                false => ", renegotiation refused",
            };
        }
        for e in self.events() {
            match e {
                Event::RenegotiationRefusedByServer { how, .. } => {
                    line += &format!(", refused the client's renegotiation ({how})")
                }
                Event::RenegotiationAborted { by, reason } => {
                    line += &format!(", renegotiation aborted by the {by}: {reason}")
                }
                _ => {}
            }
        }
        if let Some(req) = self.http_request() {
            line += &format!(", request: {}", escape_peer(req));
        }
        line
    }
}

/// `text` with every character that could end the log line or drive a terminal written
/// as a Rust string escape: `\\`, `\0`, `\t`, `\n`, `\r`, `\xNN` for the other ASCII
/// controls and DEL, `\u{NNNN}` for C1 controls and the bidirectional overrides (which
/// reorder what a terminal shows). Everything else, non-ASCII letters included, is kept.
pub(crate) fn escape_peer(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Unicode's explicit directional formatting characters (UAX #9, section 2).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_text_escapes_controls_backslash_and_bidi_but_keeps_letters() {
        assert_eq!(
            escape_peer("a\x1b[31mb\r\n\0\t\x7f\\x1b\u{9b}\u{202e}é"),
            "a\\x1b[31mb\\r\\n\\0\\t\\x7f\\\\x1b\\u{009b}\\u{202e}é"
        );
    }

    #[test]
    fn log_line_escapes_sni_subject_request_and_reason() {
        let hello = ClientHelloInfo {
            sni: Some("evil\x1b]0;pwned\x07.test".into()),
            ..ClientHelloInfo::default()
        };
        let mut obs = Observation::new("s", 1);
        obs.push(Event::ClientHello(Box::new(hello)));
        obs.push(Event::Negotiated {
            version: "TLS 1.3".into(),
            cipher_suite: "TLS_AES_128_GCM_SHA256".into(),
            alpn: None,
            sni: None,
        });
        obs.push(Event::ClientCertificate {
            subjects: vec!["CN=a\rb".into()],
        });
        obs.push(Event::HttpRequest {
            line: "GET /\r\n[s #2] forged\0 HTTP/1.1".into(),
        });
        assert_eq!(
            obs.log_line(),
            "[s #1] TLS 1.3 negotiation succeeded using TLS_AES_128_GCM_SHA256, \
             SNI=evil\\x1b]0;pwned\\x07.test, client cert: CN=a\\rb, \
             request: GET /\\r\\n[s #2] forged\\0 HTTP/1.1"
        );

        let mut failed = Observation::new("s", 2);
        failed.push(Event::HandshakeFailed {
            reason: "bad\nline".into(),
        });
        assert_eq!(
            failed.log_line(),
            "[s #2] handshake failed, no SNI, bad\\nline"
        );
    }
}
