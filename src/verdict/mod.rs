//! Expectations (a scenario's `expect:`) checked against what the server observed: a
//! verdict per connection, with a readable expected-versus-observed diff.

use std::fmt;

use serde::Serialize;

use crate::observe::{Event, Observation};
use crate::scenario::{ClientExit, Expect, Handshake, Presence, TlsVersion};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The `expect:` key, e.g. `handshake`.
    pub field: &'static str,
    /// What the scenario expects.
    pub expected: String,
    /// What the server observed.
    pub observed: String,
}

/// The outcome of checking one connection against a scenario's expectations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The scenario's name.
    pub scenario: String,
    /// Every expectation that did not hold; empty means pass.
    pub mismatches: Vec<Mismatch>,
}

impl Verdict {
    /// Check `obs` against `expect`.
    pub fn check(scenario: &str, expect: &Expect, obs: &Observation) -> Self {
        let mut mismatches = Vec::new();
        let mut compare = |field: &'static str, expected: Option<String>, observed: String| {
            if let Some(expected) = expected {
                if expected != observed {
                    mismatches.push(Mismatch {
                        field,
                        expected,
                        observed,
                    });
                }
            }
        };
        compare(
            "handshake",
            expect.handshake.map(|h| h.to_string()),
            handshake(obs).to_string(),
        );
        compare(
            "client_alert",
            expect.client_alert.clone(),
            client_alert(obs),
        );
        compare(
            "version",
            expect.version.map(|v| version_name(v).to_string()),
            negotiated(obs).0,
        );
        compare(
            "cipher_suite",
            expect.cipher_suite.clone(),
            negotiated(obs).1,
        );
        compare(
            "client_certificate",
            expect.client_certificate.clone(),
            certificate(expect.client_certificate.as_deref(), obs),
        );
        compare("sni", expect.sni.clone(), sni(obs));
        compare(
            "renegotiation",
            expect.renegotiation.map(|r| r.to_string()),
            renegotiation(obs).to_string(),
        );
        compare(
            "http_request",
            expect.http_request.map(|p| p.to_string()),
            Presence::from(obs.http_request().is_some()).to_string(),
        );
        Self {
            scenario: scenario.to_string(),
            mismatches,
        }
    }

    /// Also check `expect.client_exit` against the client program's exit code (`None`:
    /// it was killed, e.g. by a timeout, which meets neither expectation).
    pub fn check_client_exit(&mut self, expect: &Expect, exit: Option<i32>) {
        let Some(expected) = expect.client_exit else {
            return;
        };
        let (observed, held) = match exit {
            Some(0) => ("success".to_string(), expected == ClientExit::Success),
            Some(code) => (
                format!("failure (exit {code})"),
                expected == ClientExit::Failure,
            ),
            None => ("no exit (killed or timed out)".to_string(), false),
        };
        if !held {
            self.mismatches.push(Mismatch {
                field: "client_exit",
                expected: expected.to_string(),
                observed,
            });
        }
    }

    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passed() {
            return write!(f, "{}: pass", self.scenario);
        }
        write!(f, "{}: FAIL", self.scenario)?;
        for m in &self.mismatches {
            write!(
                f,
                "\n  {}: expected {}, observed {}",
                m.field, m.expected, m.observed
            )?;
        }
        Ok(())
    }
}

/// How the handshake ended as the server saw it: a fatal alert from the client before
/// any request means the client aborted (also after our Finished).
fn handshake(obs: &Observation) -> Handshake {
    let client_fatal = obs.alerts_received().iter().any(|a| a.level.0 == 2);
    if client_fatal && obs.http_request().is_none() {
        Handshake::ClientAborts
    } else if obs.handshake_completed() {
        Handshake::Completes
    } else {
        Handshake::ServerAborts
    }
}

fn client_alert(obs: &Observation) -> String {
    obs.alerts_received()
        .iter()
        .find(|a| a.level.0 == 2)
        .map(|a| a.description.name().unwrap_or("unknown").to_string())
        .unwrap_or_else(|| "none".into())
}

fn negotiated(obs: &Observation) -> (String, String) {
    obs.events()
        .find_map(|e| match e {
            Event::Negotiated {
                version,
                cipher_suite,
                ..
            } => Some((version.clone(), cipher_suite.clone())),
            _ => None,
        })
        .unwrap_or_else(|| ("none".into(), "none".into()))
}

fn version_name(v: TlsVersion) -> &'static str {
    match v {
        TlsVersion::Tls10 => "TLS 1.0",
        TlsVersion::Tls11 => "TLS 1.1",
        TlsVersion::Tls12 => "TLS 1.2",
        TlsVersion::Tls13 => "TLS 1.3",
    }
}

/// `absent`, `presented` when that is all the expectation asks, else the leaf subject.
fn certificate(expected: Option<&str>, obs: &Observation) -> String {
    match (obs.client_certificate().and_then(|c| c.first()), expected) {
        (None, _) => "absent".into(),
        (Some(_), Some("presented")) => "presented".into(),
        (Some(subject), _) => subject.clone(),
    }
}

fn sni(obs: &Observation) -> String {
    obs.client_hello()
        .and_then(|h| h.sni.clone())
        .unwrap_or_else(|| "absent".into())
}

fn renegotiation(obs: &Observation) -> crate::scenario::Renegotiation {
    use crate::scenario::Renegotiation as R;
    if obs.renegotiated() {
        R::Completes
    } else if obs.events().any(|e| {
        matches!(
            e,
            Event::RenegotiationRefusedByClient { .. }
                | Event::RenegotiationRefusedByServer { .. }
                | Event::RenegotiationAborted { .. }
        )
    }) {
        R::Refused
    } else {
        R::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_exit(expected: Option<ClientExit>, exit: Option<i32>) -> Vec<Mismatch> {
        let expect = Expect {
            client_exit: expected,
            ..Expect::default()
        };
        let mut verdict = Verdict {
            scenario: "s".into(),
            mismatches: Vec::new(),
        };
        verdict.check_client_exit(&expect, exit);
        verdict.mismatches
    }

    #[test]
    fn client_exit_compares_success_and_failure_and_never_accepts_a_kill() {
        use ClientExit::{Failure, Success};
        assert!(client_exit(Some(Success), Some(0)).is_empty());
        assert!(client_exit(Some(Failure), Some(60)).is_empty());
        assert!(client_exit(None, None).is_empty());
        let m = client_exit(Some(Success), Some(35));
        assert_eq!(
            (m[0].field, m[0].expected.as_str(), m[0].observed.as_str()),
            ("client_exit", "success", "failure (exit 35)")
        );
        assert_eq!(client_exit(Some(Failure), Some(0))[0].observed, "success");
        assert_eq!(
            client_exit(Some(Failure), None)[0].observed,
            "no exit (killed or timed out)"
        );
    }
}
