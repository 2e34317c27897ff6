//! The conformance suite: RFC 5246, 5746, 7627 and 8446 requirements, each exercised by
//! a crafted client flight against real quirktls servers on 127.0.0.1 (built-in
//! scenarios of both engines, on the correct paths around their quirks) and judged by
//! what comes back. Where quirktls is deliberately or not yet conformant, the ledger
//! ([`ledger`]) says so; CI checks it both ways.
//!
//! Each requirement is quoted above its case, s2n-quic style; the case's name carries
//! the RFC and section. `s_server_table` (ignored) runs the same flights against
//! `openssl s_server` for comparison.

mod client;
mod ledger;
mod rfc5246;
mod rfc5746;
mod rfc7627;
mod rfc8446;

use std::net::SocketAddr;

use quirktls::wire::{AlertDescription, AlertLevel, ServerHello};

use client::Outcome;

/// One requirement: how to probe it, what a conformant server does, and where.
pub struct Case {
    /// The test's name: RFC, section and what is checked.
    pub id: &'static str,
    /// Built-in scenarios it runs against.
    pub scenarios: &'static [&'static str],
    /// Crafts the flight and reads the answer (blocking).
    pub probe: fn(SocketAddr) -> Outcome,
    /// What a conformant server does.
    pub expect: Expect,
}

/// What a conformant server does with the flight.
pub enum Expect {
    /// A fatal alert with one of these descriptions (several where the RFC only says
    /// "abort").
    Fatal(&'static [AlertDescription]),
    /// A ServerHello that passes this check (and no alert before it).
    Hello(fn(&ServerHello) -> Result<(), String>),
    /// The plaintext handshake messages answered pass this check.
    Flight(fn(&[quirktls::wire::HandshakeMessage]) -> Result<(), String>),
    /// The handshake (and an HTTP exchange, for the tlslite-ng probe) completes.
    Completes,
    /// A renegotiation ServerHello bound to the previous handshake (RFC 5746 §3.7).
    BoundRenegotiation,
    /// The server answers close_notify with its own.
    CloseNotify,
    /// The server ends the connection without answering.
    Closes,
}

impl Expect {
    /// `Ok` when `outcome` is what a conformant server does.
    pub fn judge(&self, outcome: &Outcome) -> Result<(), String> {
        let fail = || Err(format!("got {outcome}"));
        match (self, outcome) {
            (Self::Fatal(any), Outcome::Alert(a))
                if a.level == AlertLevel::FATAL && any.contains(&a.description) =>
            {
                Ok(())
            }
            (Self::Fatal(any), _) => {
                let want: Vec<String> = any.iter().map(|d| d.to_string()).collect();
                Err(format!("want fatal {}, got {outcome}", want.join(" or ")))
            }
            (Self::Hello(check), Outcome::Handshake(_)) => match outcome.server_hello() {
                Some(sh) => check(&sh).map_err(|e| format!("{e}; got {outcome}")),
                None => fail(),
            },
            (Self::Flight(check), Outcome::Handshake(msgs)) => {
                check(msgs).map_err(|e| format!("{e}; got {outcome}"))
            }
            (Self::Completes, Outcome::Completed { .. }) => Ok(()),
            (Self::BoundRenegotiation, Outcome::Renegotiating { binding_ok: true }) => Ok(()),
            (Self::CloseNotify, Outcome::Alert(a))
                if a.description == AlertDescription::CLOSE_NOTIFY =>
            {
                Ok(())
            }
            (Self::Closes, Outcome::Closed) => Ok(()),
            _ => fail(),
        }
    }
}

/// Declare requirements: each becomes a `Case` in the module's `cases()` and a test of
/// the same name that runs it on its scenarios and checks the result against the ledger.
macro_rules! requirements {
    ($( $name:ident on [$($scenario:literal),+ $(,)?] => $probe:expr, $expect:expr; )+) => {
        /// Every requirement of this module.
        pub(super) fn cases() -> Vec<super::Case> {
            vec![$(super::Case {
                id: stringify!($name),
                scenarios: &[$($scenario),+],
                probe: $probe,
                expect: $expect,
            }),+]
        }

        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let case = cases()
                    .into_iter()
                    .find(|c| c.id == stringify!($name))
                    .expect("declared");
                super::ledger::verify(&case).await;
            }
        )+
    };
}
pub(crate) use requirements;

/// Every requirement of the suite.
pub fn all_cases() -> Vec<Case> {
    let mut all = rfc5246::cases();
    all.extend(rfc5746::cases());
    all.extend(rfc7627::cases());
    all.extend(rfc8446::cases());
    all
}

/// Run `case`'s probe against `addr` off the async runtime.
pub async fn probe(case: &Case, addr: SocketAddr) -> Outcome {
    let probe = case.probe;
    tokio::task::spawn_blocking(move || probe(addr))
        .await
        .unwrap_or_else(|e| Outcome::Broken(format!("probe panicked: {e}")))
}

#[test]
fn the_suite_covers_at_least_forty_requirements_across_the_four_rfcs() {
    let all = all_cases();
    for rfc in ["rfc5246_", "rfc5746_", "rfc7627_", "rfc8446_"] {
        assert!(all.iter().any(|c| c.id.starts_with(rfc)), "no {rfc} case");
    }
    let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "duplicate requirement ids");
    assert!(all.len() >= 40, "only {} requirements", all.len());
}
