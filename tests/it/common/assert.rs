//! What the server should have observed of one connection: a completed handshake, a
//! fatal alert either way, a refused SNI, the client's certificate.

use quirktls::observe::{CloseKind, Event, Observation};
use quirktls::wire::{Alert, AlertDescription, AlertLevel};

use super::{entity, handshake_failures, negotiated, Session, HOST};

/// Alerts on a connection that should have had none: every alert the server sent, and
/// the client's fatal ones.
pub fn alert_problems(obs: &Observation) -> Vec<String> {
    let mut problems = Vec::new();
    if !obs.alerts_sent().is_empty() {
        problems.push(format!("server sent alerts {:?}", obs.alerts_sent()));
    }
    let fatal: Vec<_> = obs
        .alerts_received()
        .into_iter()
        .filter(|a| a.level == AlertLevel::FATAL)
        .collect();
    if !fatal.is_empty() {
        problems.push(format!("client sent fatal alerts {fatal:?}"));
    }
    problems
}

/// The SNI the ClientHello carried, as the server parsed it.
pub fn hello_sni(obs: &Observation) -> Option<String> {
    obs.client_hello().expect("a ClientHello").sni.clone()
}

/// The handshake completed with `session` and SNI `sni` (the ClientHello carried that
/// SNI), the request `GET {path} HTTP/1.1` arrived, and no alert went either way.
#[track_caller]
pub fn assert_completed(obs: &Observation, session: &Session, sni: Option<&str>, path: &str) {
    let log = obs.log_line();
    let n = negotiated(obs).unwrap_or_else(|| panic!("handshake did not complete: {obs:#?}"));
    assert_eq!(n.version, session.version, "{log}");
    assert_eq!(n.cipher_suite, session.suite, "{log}");
    assert_eq!(n.sni.as_deref(), sni, "{log}");
    assert_eq!(hello_sni(obs).as_deref(), sni, "{log}");
    let request = format!("GET {path} HTTP/1.1");
    assert_eq!(obs.http_request(), Some(request.as_str()), "{log}");
    assert_eq!(obs.alerts_sent(), vec![], "{log}");
    assert_eq!(obs.alerts_received(), vec![], "{log}");
}

/// The connection ended `how`.
#[track_caller]
pub fn assert_closed(obs: &Observation, how: CloseKind) {
    assert_eq!(obs.closed(), Some(how), "{}", obs.log_line());
}

/// A fatal alert ended the handshake before any request.
#[track_caller]
fn assert_ended_by_alert(obs: &Observation) {
    let log = obs.log_line();
    assert!(!obs.handshake_completed(), "{log}");
    assert_eq!(obs.closed(), Some(CloseKind::FatalAlert), "{log}");
    assert_eq!(obs.http_request(), None, "{log}");
}

/// The server ended the handshake with exactly one fatal `alert`, before any request.
#[track_caller]
pub fn assert_server_sent(obs: &Observation, alert: AlertDescription) {
    assert_ended_by_alert(obs);
    let log = obs.log_line();
    assert_eq!(obs.alerts_sent(), vec![Alert::fatal(alert)], "{log}");
    assert_eq!(obs.alerts_received(), vec![], "{log}");
}

/// The client, connecting as HOST, refused the server with exactly one fatal `alert`,
/// before any request.
#[track_caller]
pub fn assert_server_received(obs: &Observation, alert: AlertDescription) {
    assert_ended_by_alert(obs);
    let log = obs.log_line();
    assert_eq!(obs.alerts_received(), vec![Alert::fatal(alert)], "{log}");
    assert_eq!(obs.alerts_sent(), vec![], "{log}");
    assert_eq!(hello_sni(obs).as_deref(), Some(HOST), "{log}");
}

/// The SNI policy refused a ClientHello carrying `sni` with unrecognized_name, before
/// any engine answered.
#[track_caller]
pub fn assert_sni_rejected(obs: &Observation, sni: Option<&str>) {
    assert_server_sent(obs, AlertDescription::UNRECOGNIZED_NAME);
    let log = obs.log_line();
    assert_eq!(hello_sni(obs).as_deref(), sni, "{log}");
    let rejected = Event::SniRejected {
        sni: sni.map(str::to_string),
    };
    assert!(obs.events().any(|e| *e == rejected), "{log}");
}

/// The server observed the `client` identity's certificate first in the client's chain.
#[track_caller]
pub fn assert_client_cert(obs: &Observation) {
    assert_eq!(
        obs.client_certificate().and_then(|c| c.first()),
        Some(&entity("client").subject),
        "{}",
        obs.log_line()
    );
}

/// The client presented no certificate, and the server recorded that.
#[track_caller]
pub fn assert_no_client_cert(obs: &Observation) {
    let log = obs.log_line();
    assert_eq!(obs.client_certificate(), None, "{log}");
    assert!(
        obs.events().any(|e| *e == Event::NoClientCertificate),
        "{log}"
    );
}

/// The server refused the `client` certificate (its issuer is not trusted) with
/// bad_certificate, said why, and observed the certificate all the same.
#[track_caller]
pub fn assert_client_cert_rejected(obs: &Observation) {
    assert_server_sent(obs, AlertDescription::BAD_CERTIFICATE);
    let failures = handshake_failures(obs);
    assert!(
        failures.contains("client certificate rejected") && failures.contains("UnknownIssuer"),
        "{failures}"
    );
    // The client did present it.
    assert_client_cert(obs);
}
