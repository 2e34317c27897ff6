//! The ledger: every (requirement, scenario) where quirktls is not conformant, and why.
//! CI reads it both ways: a listed pair that now conforms fails ("remove it from the
//! ledger"), and an unlisted pair that does not conform fails.
//!
//! Two kinds of entry: `Deliberate` names the scenario key that breaks the rule on
//! purpose (the quirk the scenario exists to play); `Gap` is a known defect not fixed
//! yet, which the fix removes from here.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{all_cases, probe, Case};
use crate::common;

/// Why quirktls does not conform.
#[derive(Debug, Clone, Copy)]
pub enum Why {
    /// The scenario breaks the rule on purpose through this key.
    Deliberate { key: &'static str },
    /// Not fixed yet.
    Gap { note: &'static str },
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Deliberate { key } => write!(f, "deliberate: `{key}`"),
            Self::Gap { note } => write!(f, "known gap: {note}"),
        }
    }
}

/// The ledger's entry for `requirement` on `scenario`.
pub fn listed(requirement: &str, scenario: &str) -> Option<&'static Entry> {
    LEDGER
        .iter()
        .find(|e| e.requirement == requirement && e.scenario == scenario)
}

/// One non-conformant (requirement, scenario).
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub requirement: &'static str,
    pub scenario: &'static str,
    pub why: Why,
}

const fn gap(requirement: &'static str, scenario: &'static str, note: &'static str) -> Entry {
    Entry {
        requirement,
        scenario,
        why: Why::Gap { note },
    }
}

const fn deliberate(requirement: &'static str, scenario: &'static str, key: &'static str) -> Entry {
    Entry {
        requirement,
        scenario,
        why: Why::Deliberate { key },
    }
}

/// Every non-conformant (requirement, scenario), by cause.
pub const LEDGER: &[Entry] = &[
    // Deliberate: the quirk the scenario plays.
    deliberate(
        "rfc5746_3_6_scsv_gets_an_empty_renegotiation_info",
        "iis-renegotiation-insecure",
        "secure_renegotiation: false",
    ),
    deliberate(
        "rfc5746_3_6_empty_renegotiation_info_is_answered",
        "iis-renegotiation-insecure",
        "secure_renegotiation: false",
    ),
    deliberate(
        "rfc5246_7_4_1_3_selected_cipher_suite_was_offered",
        "server-hello-suite-lie",
        "do: cipher_suite 0x009c",
    ),
    deliberate(
        "rfc5246_7_4_1_3_short_acceptable_hello_gets_a_server_hello",
        "clienthello-intolerant",
        "fewer_suites_than: 10",
    ),
    deliberate(
        "rfc5246_7_4_1_3_server_hello_is_well_formed",
        "truncated-server-hello",
        "do: truncate 40",
    ),
    deliberate(
        "rfc5246_7_4_9_server_finished_verifies",
        "bad-finished",
        "do: wrong_verify_data",
    ),
    // The rustls engine: rustls itself answers this way.
    gap(
        "rfc5246_7_4_1_2_hello_without_extensions_accepted",
        "tls12-only",
        "rustls offers only ECDHE in TLS 1.2 and refuses a hello without supported_groups (handshake_failure)",
    ),
    gap(
        "rfc5246_7_4_1_4_1_no_signature_algorithms_means_sha1_rsa",
        "tls12-only",
        "rustls never signs with SHA-1, so a hello without signature_algorithms gets handshake_failure",
    ),
    gap(
        "rfc5746_3_6_non_empty_renegotiation_info_aborts",
        "tls12-only",
        "rustls ignores the contents of renegotiation_info in an initial hello",
    ),
    gap(
        "rfc5246_6_unknown_record_type_after_handshake_unexpected_message",
        "tls12-only",
        "rustls answers an unknown content type with decode_error",
    ),
    gap(
        "rfc8446_5_unknown_record_type_after_handshake_unexpected_message",
        "tls13-only",
        "rustls answers an unknown inner content type with decode_error",
    ),
    gap(
        "rfc8446_4_2_3_missing_signature_algorithms_missing_extension",
        "tls13-only",
        "rustls answers a TLS 1.3 hello without signature_algorithms with handshake_failure",
    ),
    gap(
        "rfc8446_4_2_3_missing_signature_algorithms_missing_extension",
        "modern-baseline",
        "rustls answers a TLS 1.3 hello without signature_algorithms with handshake_failure",
    ),
    gap(
        "rfc8446_9_2_key_share_without_supported_groups_missing_extension",
        "tls13-only",
        "rustls answers key_share without supported_groups with handshake_failure",
    ),
];

/// Run `case` on each of its scenarios and hold the results against the ledger.
pub async fn verify(case: &Case) {
    let mut problems = Vec::new();
    for &scenario in case.scenarios {
        let server = common::start(scenario).await;
        let outcome = probe(case, server.addr()).await;
        let verdict = case.expect.judge(&outcome);
        match (verdict, listed(case.id, scenario)) {
            (Ok(()), None) => {}
            (Err(_), Some(_)) => {}
            (Ok(()), Some(entry)) => problems.push(format!(
                "{scenario}: conforms now ({outcome}); remove it from the ledger ({})",
                entry.why
            )),
            (Err(why), None) => problems.push(format!(
                "{scenario}: not conformant: {why} (fix it, or list it in the ledger)"
            )),
        }
    }
    assert!(problems.is_empty(), "{}:\n{}", case.id, problems.join("\n"));
}

#[test]
fn every_ledger_entry_names_a_case_and_one_of_its_scenarios() {
    let cases = all_cases();
    for entry in LEDGER {
        let case = cases
            .iter()
            .find(|c| c.id == entry.requirement)
            .unwrap_or_else(|| panic!("no requirement named {}", entry.requirement));
        assert!(
            case.scenarios.contains(&entry.scenario),
            "{} does not run on {}",
            entry.requirement,
            entry.scenario
        );
        let dups = LEDGER
            .iter()
            .filter(|e| e.requirement == entry.requirement && e.scenario == entry.scenario)
            .count();
        assert_eq!(dups, 1, "{entry:?} is listed twice");
    }
}

#[test]
fn deliberate_entries_name_a_key_their_scenario_sets() {
    for entry in LEDGER {
        if let Why::Deliberate { key } = entry.why {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios")
                .join(format!("{}.yaml", entry.scenario));
            let yaml = std::fs::read_to_string(&path).expect("built-in scenario file");
            assert!(
                yaml.contains(key),
                "{}: {} does not set `{key}`",
                entry.requirement,
                path.display()
            );
        }
    }
}

/// `openssl s_server` on the test PKI, killed on drop.
struct SServer {
    child: Child,
    addr: SocketAddr,
}

impl SServer {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let server = common::entity("server-rsa");
        let child = Command::new("openssl")
            .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-www"])
            .args(["-cipher", "ALL:@SECLEVEL=0", "-client_renegotiation"])
            .arg("-cert")
            .arg(&server.cert_pem)
            .arg("-key")
            .arg(&server.key_pem)
            .arg("-cert_chain")
            .arg(&server.chain_pem)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server (make deps installs openssl)");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "s_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, addr }
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same flights against `openssl s_server`, side by side with quirktls: run with
/// `cargo test --features proptest --test it -- --ignored s_server_table --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a comparison table for humans, not a check"]
async fn s_server_table() {
    let s_server = SServer::start();
    println!("| requirement | quirktls (scenario: outcome) | openssl s_server |");
    println!("|---|---|---|");
    for case in all_cases() {
        let mut ours = Vec::new();
        for &scenario in case.scenarios {
            let server = common::start(scenario).await;
            let outcome = probe(&case, server.addr()).await;
            let mark = match (case.expect.judge(&outcome), listed(case.id, scenario)) {
                (Ok(()), _) => "ok".to_string(),
                (Err(_), Some(entry)) => format!("NO ({})", entry.why),
                (Err(_), None) => "NO (unlisted!)".to_string(),
            };
            ours.push(format!("{scenario}: {mark}, {outcome}"));
        }
        let theirs = probe(&case, s_server.addr).await;
        let mark = if case.expect.judge(&theirs).is_ok() {
            "ok"
        } else {
            "NO"
        };
        println!("| {} | {} | {mark}, {theirs} |", case.id, ours.join("<br>"));
    }
}
