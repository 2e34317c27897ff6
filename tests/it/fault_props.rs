//! Property tests of the in-process rustls client against generated fault plans and
//! scenario variations (feature `proptest`), and of shrinking itself. Case counts are
//! modest; `PROPTEST_CASES` overrides them.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use quirktls::observe::{Event, Observation};
use quirktls::pki::{default_spec_path, PkiSpec};
use quirktls::scenario::{self, Deadlines, Fault, FaultAction, Scenario, Step};
use quirktls::server::ServerOptions;
use quirktls::strategy::{fault_plan, variation, ClientProfile};
use quirktls::TestServer;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// TLS 1.2 ECDHE-RSA with AES-GCM and an HTTP answer: what rustls completes unfaulted.
const BASE: &str = "\
name: fault-props
description: TLS 1.2 ECDHE_RSA AES-GCM, the target of generated faults
engine: scripted
tls:
  versions: [tls1.2]
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  certificate: server-rsa
  client_auth: { mode: optional }
app:
  mode: http
";

/// The server gives up on a stalled handshake or read after this long (default 10 s)...
const SERVER_TIMEOUT: Duration = Duration::from_millis(750);
/// ...so a client that is still busy after this long hangs on a connection that is over.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

fn base() -> Scenario {
    let spec = PkiSpec::load(&default_spec_path()).expect("PKI spec");
    scenario::load_str(BASE, "fault-props.yaml", &spec).expect("base scenario")
}

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        ..Config::default()
    }
}

/// `GET /` with rustls (tokio-rustls), trusting the test CA and sending SNI: the
/// response, or the error that ended the exchange.
async fn get(server: &TestServer) -> std::io::Result<String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&server.ca_pem()) {
        roots.add(cert.expect("PEM")).expect("trust anchor");
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(server.server_name().to_owned()).expect("server name");
    let tcp = tokio::net::TcpStream::connect(server.addr()).await?;
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.server_name()
    );
    tls.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// The client against `scenario` under the hard timeout: its outcome (`None` if it hung)
/// and what the server observed. A panic in the client fails the case: proptest
/// catches it like any failure.
fn exchange(scenario: Scenario) -> (Option<std::io::Result<String>>, Observation) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let options = ServerOptions {
            deadlines: Deadlines {
                handshake: SERVER_TIMEOUT,
                request_head: SERVER_TIMEOUT,
                idle: SERVER_TIMEOUT,
                ..Deadlines::default()
            },
            ..ServerOptions::default()
        };
        let mut server = TestServer::start_with(scenario, &options)
            .await
            .expect("server");
        // The base's `expect:` says nothing about faulted handshakes.
        server.disarm();
        let outcome = tokio::time::timeout(CLIENT_TIMEOUT, get(&server))
            .await
            .ok();
        let obs = server.wait_for(1).await.into_iter().next();
        (outcome, obs.expect("the server observed the connection"))
    })
}

fn negotiated_suite(obs: &Observation) -> Option<&str> {
    obs.events().find_map(|e| match e {
        Event::Negotiated { cipher_suite, .. } => Some(cipher_suite.as_str()),
        _ => None,
    })
}

proptest! {
    #![proptest_config(config(32))]

    /// Whatever the faults, rustls finishes before the timeout with a clean outcome: an
    /// error whenever the handshake did not complete, only authentic bytes otherwise,
    /// and the 200 answer when there is no fault.
    #[test]
    fn rustls_fails_cleanly_whenever_a_fault_breaks_the_handshake(plan in fault_plan(3)) {
        let mut sc = base();
        sc.faults = plan.clone();
        let (outcome, obs) = exchange(sc);
        let Some(outcome) = outcome else {
            return Err(TestCaseError::fail(format!(
                "rustls still busy {CLIENT_TIMEOUT:?} after connecting; {}",
                obs.log_line()
            )));
        };
        if !obs.handshake_completed() {
            prop_assert!(
                outcome.is_err(),
                "handshake not completed, yet rustls returned {:?}; {}",
                outcome,
                obs.log_line()
            );
        }
        if let Ok(response) = &outcome {
            // Application data is authenticated: the real answer or nothing.
            prop_assert!(
                response.is_empty() || response.starts_with("HTTP/1.1 200 OK\r\n"),
                "{:?}",
                response
            );
        }
        if plan.is_empty() {
            prop_assert!(
                matches!(&outcome, Ok(r) if r.starts_with("HTTP/1.1 200 OK\r\n")),
                "unfaulted: {:?}; {}",
                outcome,
                obs.log_line()
            );
        }
    }
}

proptest! {
    #![proptest_config(config(16))]

    /// Every variation for rustls' profile is one it completes, on a suite it listed.
    #[test]
    fn rustls_completes_every_variation_of_its_profile(
        sc in variation(base(), &ClientProfile::rustls())
    ) {
        let suites = sc.tls.cipher_suites.clone();
        let (outcome, obs) = exchange(sc);
        let outcome = outcome.expect("no hang without faults");
        prop_assert!(
            matches!(&outcome, Ok(r) if r.starts_with("HTTP/1.1 200 OK\r\n")),
            "{:?}; {}",
            outcome,
            obs.log_line()
        );
        let suite = negotiated_suite(&obs).expect("negotiated");
        prop_assert!(suites.iter().any(|s| s == suite), "{} not in {:?}", suite, suites);
    }
}

/// Shrinking, deterministically: against a property that fails whenever a plan corrupts
/// the Finished, proptest reports that one fault, with the smallest numbers.
#[test]
fn shrinking_lands_on_one_minimal_fault() {
    let corrupts_finished = |plan: &[Fault]| {
        plan.iter()
            .any(|f| f.at == Step::Finished && matches!(f.action, FaultAction::Corrupt { .. }))
    };
    let config = Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&fault_plan(6), |plan| {
        prop_assert!(!corrupts_finished(&plan));
        Ok(())
    });
    let Err(TestError::Fail(_, minimal)) = result else {
        panic!("no generated plan corrupted the Finished: {result:?}");
    };
    assert_eq!(
        minimal,
        [Fault {
            at: Step::Finished,
            action: FaultAction::Corrupt { offset: 0, xor: 1 },
        }]
    );
    assert_eq!(minimal[0].to_string(), "{at: finished, do: corrupt 0 0x01}");
}
