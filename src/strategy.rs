//! [proptest] strategies (feature `proptest`): fault plans for the scripted engine and
//! variations of a scenario within what the client under test speaks, for property
//! tests of one's own TLS client against [`TestServer`](crate::TestServer).
//!
//! Every generated [`Fault`] fits its step (the scenario loader would accept it) and its
//! numbers stay in ranges that exercise the message: offsets and lengths within the first
//! 128 bytes, non-zero XOR masks, any alert level and description, the classic versions or
//! any 16-bit value, delays of at most 100 ms.
//!
//! # Shrinking
//!
//! When a property fails, proptest simplifies the failing input for as long as it keeps
//! failing, so it reports a minimal failing fault plan:
//!
//! - a plan from [`fault_plan`] first loses faults, down to the ones the failure needs
//!   (often one);
//! - each fault's step moves toward [`Step::ServerHello`] while its action still fits;
//! - its action moves forward in this list, one place at a time: `drop`, `close`, `reset`,
//!   `duplicate`, `reorder`, `truncate`, `corrupt`, `alert_before`, `alert_after`,
//!   `record_version`, `hello_version`, `cipher_suite`, `compression`,
//!   `unknown_extension`, `wrong_verify_data`, `bad_record_mac`, `oversized`,
//!   `hello_request_storm`, `fragment`, `delay` (the bluntest first, what a correct client
//!   tolerates last), so a failure that any broken handshake causes ends at `drop`, and
//!   one that needs a particular fault keeps it;
//! - its numbers move toward the low end of their range: offset 0, XOR mask 1, length 0,
//!   alert level fatal and description 0, SSL 3.0, fragment size 1, delay 0;
//! - a [`variation`] moves back toward its base scenario, one setting at a time.
//!
//! `tests/fault_props.rs` checks this: against a property that fails whenever a plan
//! corrupts the Finished, proptest reports `[{at: finished, do: corrupt 0 0x01}]` (a
//! [`Fault`] displays as a `faults:` entry in YAML), whatever plan first tripped it.
//!
//! # Example
//!
//! ```
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//! use quirktls::scenario::FaultAction;
//! use quirktls::strategy;
//!
//! // Every generated fault fits its step and reads back from its text form.
//! TestRunner::default()
//!     .run(&strategy::fault(), |fault| {
//!         prop_assert!(fault.action.fits(fault.at));
//!         prop_assert_eq!(fault.action.to_string().parse::<FaultAction>(), Ok(fault.action));
//!         Ok(())
//!     })
//!     .unwrap();
//! ```
//!
//! `tests/fault_props.rs` runs the rustls client against generated fault plans.

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use crate::scenario::{
    iana_suite_name, CipherOrder, ClientAuthMode, EngineKind, Fault, FaultAction, Scenario, Step,
    TlsVersion, DEFAULT_TRUST,
};

/// Every step, in handshake order (shrinking moves toward the front).
const STEPS: [Step; 8] = [
    Step::ServerHello,
    Step::Certificate,
    Step::ServerKeyExchange,
    Step::CertificateRequest,
    Step::ServerHelloDone,
    Step::ChangeCipherSpec,
    Step::Finished,
    Step::ApplicationData,
];

/// Any server message; shrinks toward [`Step::ServerHello`].
pub fn step() -> impl Strategy<Value = Step> {
    select(&STEPS[..])
}

/// An alert level: fatal, warning, or any byte.
fn alert_level() -> impl Strategy<Value = u8> {
    prop_oneof![Just(2u8), Just(1u8), any::<u8>()]
}

/// A protocol version: SSL 3.0 to TLS 1.3, or any 16-bit value.
fn version() -> impl Strategy<Value = u16> {
    prop_oneof![
        select(vec![0x0300u16, 0x0301, 0x0302, 0x0303, 0x0304]),
        any::<u16>()
    ]
}

/// A cipher suite the scripted engine knows, or any code point.
fn suite() -> impl Strategy<Value = u16> {
    let known: Vec<u16> = EngineKind::Scripted
        .cipher_suites()
        .iter()
        .filter_map(|(name, _)| crate::wire::CipherSuite::from_name(name))
        .map(|s| s.0)
        .collect();
    prop_oneof![select(known), any::<u16>()]
}

/// Any action, whatever the step: the bluntest first, the ones a correct client
/// tolerates (a HelloRequest, fragments, a delay) last.
fn any_action() -> impl Strategy<Value = FaultAction> {
    use FaultAction::*;
    prop_oneof![
        Just(Drop),
        Just(Close),
        Just(Reset),
        Just(Duplicate),
        Just(Reorder),
        (0usize..128).prop_map(|len| Truncate { len }),
        (0usize..128, 1u8..=255).prop_map(|(offset, xor)| Corrupt { offset, xor }),
        (alert_level(), any::<u8>())
            .prop_map(|(level, description)| AlertBefore { level, description }),
        (alert_level(), any::<u8>())
            .prop_map(|(level, description)| AlertAfter { level, description }),
        version().prop_map(|version| RecordVersion { version }),
        version().prop_map(|version| HelloVersion { version }),
        suite().prop_map(|suite| CipherSuite { suite }),
        (1u8..=255).prop_map(|method| Compression { method }),
        any::<u16>().prop_map(|typ| UnknownExtension { typ }),
        Just(WrongVerifyData),
        Just(BadRecordMac),
        // Past 2^14 + 2048: too long for any record.
        (18_433usize..=20_000).prop_map(|len| Oversized { len }),
        Just(HelloRequestStorm),
        (1usize..=64).prop_map(|size| Fragment { size }),
        (0u64..=100).prop_map(|ms| Delay { ms }),
    ]
}

/// Any action that fits `step` ([`FaultAction::fits`]); shrinks toward simpler actions.
pub fn action_at(step: Step) -> impl Strategy<Value = FaultAction> {
    any_action().prop_filter("the action fits the step", move |a| a.fits(step))
}

/// Any fault: a step and an action that fits it; shrinks toward earlier steps and
/// simpler actions.
pub fn fault() -> impl Strategy<Value = Fault> {
    (step(), any_action())
        .prop_filter("the action fits the step", |(at, action)| action.fits(*at))
        .prop_map(|(at, action)| Fault { at, action })
}

/// Plans of 0 to `max` faults (the empty plan is the control: nothing breaks); shrinks
/// toward fewer faults, then simpler ones.
pub fn fault_plan(max: usize) -> impl Strategy<Value = Vec<Fault>> {
    proptest::collection::vec(fault(), 0..=max)
}

/// What a client under test speaks, so that every [`variation`] stays playable for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientProfile {
    /// Protocol versions it offers.
    pub versions: Vec<TlsVersion>,
    /// Cipher suites it offers, by IANA name.
    pub cipher_suites: Vec<String>,
    /// Whether it presents the scenario's client identity when asked (only then may a
    /// variation require a client certificate).
    pub client_certificate: bool,
}

impl ClientProfile {
    /// rustls 0.23 with the aws-lc-rs provider's defaults and no client certificate:
    /// TLS 1.2 and 1.3, ECDHE with AES-GCM and ChaCha20-Poly1305.
    pub fn rustls() -> Self {
        Self {
            versions: rustls::DEFAULT_VERSIONS
                .iter()
                .filter_map(|v| match v.version {
                    rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
                    rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
                    _ => None,
                })
                .collect(),
            cipher_suites: rustls::crypto::aws_lc_rs::default_provider()
                .cipher_suites
                .iter()
                .filter_map(|s| s.suite().as_str().map(iana_suite_name))
                .collect(),
            client_certificate: false,
        }
    }
}

/// Whether a suite needs an ECDSA server key (the others need RSA).
fn signs_with_ecdsa(suite: &str) -> bool {
    suite.starts_with("TLS_ECDHE_ECDSA_")
}

/// `base`, then the other values; shrinks toward `base`.
fn base_first<T: Clone + PartialEq + std::fmt::Debug + 'static>(
    base: T,
    others: impl IntoIterator<Item = T>,
) -> impl Strategy<Value = T> {
    let mut values = vec![base.clone()];
    values.extend(others.into_iter().filter(|v| *v != base));
    select(values)
}

/// Variations of the scripted scenario `base` that `client` can complete:
///
/// - the versions: the highest one both speak, plus any older ones;
/// - the cipher suites and their order: for each server key type (RSA, ECDSA), one suite
///   the client offers at that version, so `base`'s certificate finds one, and up to three
///   other suites of the engine, which the client may not offer;
/// - whose order wins, extended master secret, secure renegotiation;
/// - the client certificate request: `none`, `optional`, and `required` only when the
///   client presents an identity (trusting `base`'s CAs, or `client-ca`).
///
/// Everything else, faults included, comes from `base`. Shrinks toward `base`'s
/// switches, one version and the fewest suites in their first order.
///
/// # Panics
///
/// When `base` is not a scripted scenario, or `client` shares no version or cipher suite
/// with the scripted engine.
pub fn variation(base: Scenario, client: &ClientProfile) -> impl Strategy<Value = Scenario> {
    assert_eq!(
        base.engine,
        EngineKind::Scripted,
        "variation needs a scripted base scenario"
    );
    let engine_suites = EngineKind::Scripted.cipher_suites();
    let mut played: Vec<TlsVersion> = engine_suites
        .iter()
        .flat_map(|(_, versions)| versions.iter().copied())
        .collect();
    played.sort();
    played.dedup();
    // The engine answers with its highest version up to the client's: this one.
    let top = played
        .iter()
        .copied()
        .filter(|v| client.versions.contains(v))
        .max()
        .expect("the client shares no version with the scripted engine");
    let older: Vec<TlsVersion> = played.into_iter().filter(|v| *v < top).collect();
    let versions = subsequence(older.clone(), 0..=older.len()).prop_map(move |mut v| {
        v.push(top);
        v
    });

    let shared: Vec<String> = engine_suites
        .iter()
        .filter(|(name, versions)| versions.contains(&top) && client.cipher_suites.contains(name))
        .map(|(name, _)| name.clone())
        .collect();
    let needed: Vec<_> = [false, true]
        .into_iter()
        .map(|ecdsa| {
            let family = shared.iter().filter(|s| signs_with_ecdsa(s) == ecdsa);
            family.cloned().collect::<Vec<String>>()
        })
        .filter(|family| !family.is_empty())
        .map(select)
        .collect();
    assert!(
        !needed.is_empty(),
        "the client shares no cipher suite with the scripted engine at {top}"
    );
    let all: Vec<String> = engine_suites.into_iter().map(|(name, _)| name).collect();
    let suites = (needed, subsequence(all, 0..=3))
        .prop_map(|(mut suites, others)| {
            for suite in others {
                if !suites.contains(&suite) {
                    suites.push(suite);
                }
            }
            suites
        })
        .prop_shuffle();

    let tls = &base.tls;
    let order = base_first(tls.cipher_order, [CipherOrder::Server, CipherOrder::Client]);
    let ems = base_first(tls.extended_master_secret, [true, false]);
    let reneg = base_first(tls.secure_renegotiation, [true, false]);
    let mut modes = vec![ClientAuthMode::None, ClientAuthMode::Optional];
    if client.client_certificate {
        modes.push(ClientAuthMode::Required);
    }
    let first = if modes.contains(&tls.client_auth.mode) {
        tls.client_auth.mode
    } else {
        modes[0]
    };
    let auth = base_first(first, modes);

    (versions, suites, order, ems, reneg, auth).prop_map(
        move |(versions, suites, order, ems, reneg, mode)| {
            let mut sc = base.clone();
            sc.tls.versions = versions;
            sc.tls.cipher_suites = suites;
            sc.tls.cipher_order = order;
            sc.tls.extended_master_secret = ems;
            sc.tls.secure_renegotiation = reneg;
            let auth = &mut sc.tls.client_auth;
            auth.mode = mode;
            if mode != ClientAuthMode::None && auth.trust.is_empty() {
                auth.trust = vec![DEFAULT_TRUST.to_owned()];
                auth.ca_names = auth.trust.clone();
            }
            sc
        },
    )
}

#[cfg(test)]
mod tests {
    use proptest::test_runner::TestRunner;

    use super::*;
    use crate::pki::{default_spec_path, PkiSpec};

    /// Generated plans, written as a scenario's `faults:`, load back unchanged: each
    /// action has a text form and fits its step.
    #[test]
    fn plans_read_back_from_scenario_yaml() {
        let spec = PkiSpec::load(&default_spec_path()).unwrap();
        TestRunner::default()
            .run(&fault_plan(4), |plan| {
                let entries: Vec<String> = plan.iter().map(|f| f.to_string()).collect();
                let yaml = format!(
                    "name: plan\ndescription: x\nengine: scripted\nfaults: [{}]\n",
                    entries.join(", ")
                );
                let sc = crate::scenario::load_str(&yaml, "plan.yaml", &spec).unwrap();
                prop_assert_eq!(sc.faults, plan);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn the_rustls_profile_speaks_tls12_ecdhe_gcm() {
        let rustls = ClientProfile::rustls();
        assert_eq!(rustls.versions, [TlsVersion::Tls13, TlsVersion::Tls12]);
        for suite in [
            "TLS_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        ] {
            assert!(rustls.cipher_suites.iter().any(|s| s == suite), "{suite}");
        }
        assert!(!rustls.cipher_suites.iter().any(|s| s.contains("CBC")));
    }
}
