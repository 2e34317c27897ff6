//! Verdicts: each built-in scenario's `expect:` checked against what the server observed
//! when a real client (openssl s_client, with the client identity) connected.

use crate::common;

use common::clients::{Client, SClient};
use common::HOST;
use quirktls::scenario::EngineKind;
use quirktls::verdict::{Mismatch, Verdict};

async fn verdict_for(name: &str) -> Verdict {
    let (_, obs) = SClient::named(HOST).with_identity().once(name).await;
    Verdict::check(name, &common::scenario(name).expect, &obs)
}

#[tokio::test]
async fn openssl_meets_every_rustls_scenario_expectation_but_two() {
    // OpenSSL 3.0 still matches a host name against the CN and accepts a v1 leaf: the two
    // quirks it does not catch. Every other expectation holds.
    let mut failed = Vec::new();
    for name in common::built_in_scenarios(EngineKind::Rustls) {
        let verdict = verdict_for(&name).await;
        if !verdict.passed() {
            failed.push(verdict);
        }
    }
    let names: Vec<&str> = failed.iter().map(|v| v.scenario.as_str()).collect();
    assert_eq!(names, ["no-san-cn-only", "x509v1-leaf"], "{failed:#?}");
    for verdict in &failed {
        assert_eq!(
            verdict.mismatches[0],
            Mismatch {
                field: "handshake",
                expected: "client_aborts".into(),
                observed: "completes".into(),
            },
            "{verdict}"
        );
    }
}

#[tokio::test]
async fn a_wrong_expectation_flips_to_fail_with_a_diff_naming_the_field() {
    let (_, obs) = SClient::named(HOST).once("tls12-only").await;
    let mut expect = common::scenario("tls12-only").expect;
    assert!(Verdict::check("tls12-only", &expect, &obs).passed());
    expect.version = Some(quirktls::scenario::TlsVersion::Tls13);
    let verdict = Verdict::check("tls12-only", &expect, &obs);
    assert!(!verdict.passed());
    assert_eq!(
        verdict.to_string(),
        "tls12-only: FAIL\n  version: expected TLS 1.3, observed TLS 1.2"
    );
}

#[tokio::test]
async fn scripted_expectations_hold_for_a_correct_client() {
    for name in [
        "iis-renegotiation",
        "iis-always-nego-client-cert",
        "bad-finished",
        "truncated-server-hello",
    ] {
        let verdict = verdict_for(name).await;
        assert!(verdict.passed(), "{verdict}");
    }
}
