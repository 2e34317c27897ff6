//! The scripted engine does what the scenario configures: the CertificateRequest
//! (certificate types, signature algorithms, CA names) and session resumption.

use crate::common;

use common::clients::{Client, SClient};
use common::HOST;

fn scenario(client_auth: &str) -> quirktls::scenario::Scenario {
    let yaml = format!(
        "name: request\ndescription: x\nengine: scripted\ntls:\n  versions: [tls1.2]\n  \
         certificate: server-rsa\n  client_auth:\n{client_auth}"
    );
    quirktls::scenario::load_str(&yaml, "request.yaml", common::spec()).expect("scenario")
}

#[tokio::test]
async fn certificate_types_and_signature_algorithms_are_as_configured() {
    let sc = scenario(
        "    mode: optional\n    certificate_types: [rsa_sign]\n    \
         signature_algorithms: [rsa_pkcs1_sha256, ecdsa_secp384r1_sha384]\n",
    );
    let server = common::start_scenario(sc).await;
    let run = SClient::named(HOST).run(&server).await;
    run.expect_status(0)
        .expect_output("Client Certificate Types: RSA sign\n")
        .expect_output("Requested Signature Algorithms: RSA+SHA256:ECDSA+SHA384\n")
        .expect_output(
            "Acceptable client certificate CA names\nO = quirktls, CN = quirktls Client CA\n",
        );
}

#[tokio::test]
async fn the_defaults_request_rsa_and_ecdsa_with_every_verified_scheme() {
    let server = common::start_scenario(scenario("    mode: optional\n")).await;
    let run = SClient::named(HOST).run(&server).await;
    run.expect_status(0)
        .expect_output("Client Certificate Types: RSA sign, ECDSA sign\n")
        .expect_output("Requested Signature Algorithms: ECDSA+SHA256:ECDSA+SHA384:RSA-PSS+SHA256");
}

#[test]
fn rustls_scenarios_cannot_choose_them() {
    let yaml = "name: r\ndescription: x\nengine: rustls\ntls:\n  client_auth:\n    mode: optional\n    certificate_types: [rsa_sign]\n";
    let err = quirktls::scenario::load_str(yaml, "r.yaml", common::spec()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("r.yaml:7:25: engine rustls cannot choose"),
        "{err}"
    );
    let yaml = "name: r\ndescription: x\nengine: scripted\ntls:\n  client_auth:\n    mode: optional\n    signature_algorithms: [rsa_sha7]\n";
    let err = quirktls::scenario::load_str(yaml, "r.yaml", common::spec()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("r.yaml:7:28: unknown signature algorithm `rsa_sha7`"),
        "{err}"
    );
}

#[tokio::test]
async fn sessions_resume_by_id_only_when_the_scenario_enables_it() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("session.pem");
    let session = session.to_str().unwrap();
    for resumption in [true, false] {
        let yaml = format!(
            "name: resume\ndescription: x\nengine: scripted\ntls:\n  versions: [tls1.2]\n  \
             certificate: server-rsa\n  resumption: {resumption}\n"
        );
        let sc = quirktls::scenario::load_str(&yaml, "resume.yaml", common::spec()).unwrap();
        let server = common::start_scenario(sc).await;
        SClient::named(HOST)
            .args(&["-sess_out", session])
            .run(&server)
            .await
            .expect_status(0);
        let run = SClient::named(HOST)
            .args(&["-sess_in", session, "-msg"])
            .run(&server)
            .await;
        run.expect_status(0);
        let second = common::observation(&server, 2).await;
        let sent: Vec<&str> = second
            .transcript
            .iter()
            .filter(|l| l.direction == quirktls::observe::Direction::Sent)
            .map(|l| l.what.as_str())
            .collect();
        if resumption {
            run.expect_output("Reused, TLSv1.2");
            assert_eq!(
                sent,
                ["ServerHello", "ChangeCipherSpec", "Finished"],
                "{}",
                second.transcript_text()
            );
            assert!(
                second.log_line().contains("session resumed"),
                "{}",
                second.log_line()
            );
        } else {
            run.expect_output("New, TLSv1.2");
            assert_eq!(
                sent[..2],
                ["ServerHello", "Certificate"],
                "{}",
                second.transcript_text()
            );
            assert!(!second.log_line().contains("session resumed"));
        }
        // The resumed connection still carries the request and its answer.
        run.expect_output("quirktls resume: TLS 1.2");
    }
}
