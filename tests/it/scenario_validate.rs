//! Scenario loading against the real certs/pki.yaml: defaults, and errors that point at
//! the offending value as FILE:LINE:COL.

use std::fs;
use std::path::{Path, PathBuf};

use quirktls::pki::{default_spec_path, PkiSpec};
use quirktls::scenario::{
    builtin_dir, json_schema, load_paths, load_str, AppMode, ClientAuthMode, Scenario,
    ScenarioError, SniPolicy, TlsVersion,
};
use quirktls::wire::AlertDescription;

const HEAD: &str = "name: test\ndescription: A test.\nengine: rustls\n";

fn pki() -> PkiSpec {
    PkiSpec::load(&default_spec_path()).expect("certs/pki.yaml loads")
}

fn load(text: &str) -> Result<Scenario, ScenarioError> {
    load_str(text, "test.yaml", &pki())
}

/// Asserts `text` fails at `line`:`column` with a message containing `fragment`; returns the hint.
#[track_caller]
fn assert_invalid(text: &str, line: u64, column: u64, fragment: &str) -> String {
    match load(text) {
        Err(ScenarioError::Invalid {
            path,
            line: l,
            column: c,
            message,
            hint,
        }) => {
            assert_eq!(path, Path::new("test.yaml"));
            assert_eq!((l, c), (line, column), "location of: {message}");
            assert!(message.contains(fragment), "{message:?} lacks {fragment:?}");
            hint
        }
        other => panic!("expected an invalid-scenario error, got {other:?}"),
    }
}

#[test]
fn minimal_scenario_gets_the_documented_defaults() {
    let s = load(HEAD).unwrap();
    assert_eq!(s.name, "test");
    assert_eq!(s.summary(), "A test.");
    assert_eq!(s.port, None);
    assert_eq!(s.tls.versions, [TlsVersion::Tls12, TlsVersion::Tls13]);
    assert!(s.tls.cipher_suites.is_empty() && s.tls.groups.is_empty() && s.tls.alpn.is_empty());
    assert_eq!(s.tls.certificate, "server-rsa");
    assert_eq!(s.tls.chain, None);
    assert_eq!(s.server_name(), "server.quirktls.test");
    assert_eq!(s.tls.sni.policy, SniPolicy::Optional);
    assert_eq!(s.tls.client_auth.mode, ClientAuthMode::None);
    assert!(s.tls.client_auth.trust.is_empty() && s.tls.client_auth.ca_names.is_empty());
    assert_eq!(s.tls.client_auth.client_identity, "client");
    assert_eq!(s.app.mode, AppMode::Http);
    assert_eq!(s.app.status, 200);
    assert!(s.app.body.contains("{client_cert_subject}"));
}

#[test]
fn every_key_loads_into_the_model() {
    let text = format!(
        "{HEAD}port: 8443
tls:
  versions: [tls1.3, tls1.2, tls1.3]
  cipher_suites: [TLS13_AES_128_GCM_SHA256, tls_ecdhe_rsa_with_aes_256_gcm_sha384]
  groups: [x25519, secp256r1, secp384r1, x25519mlkem768]
  alpn: [h2, http/1.1]
  certificate: server-via-intermediates
  chain: [server-via-intermediates, intermediate-ca, intermediate-ca-2]
  server_name: other.quirktls.test
  sni:
    policy: required
    certificates: {{ a.quirktls.test: server-a }}
  client_auth:
    mode: required
    ca_names: [unrelated-ca]
    reject_alert: bad_certificate
app:
  mode: echo
  status: 503
  body: down
"
    );
    let s = load(&text).unwrap();
    assert_eq!(s.port, Some(8443));
    assert_eq!(s.tls.versions, [TlsVersion::Tls12, TlsVersion::Tls13]);
    assert_eq!(
        s.tls.cipher_suites,
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        ]
    );
    assert_eq!(
        s.tls.groups,
        ["x25519", "secp256r1", "secp384r1", "x25519mlkem768"]
    );
    assert_eq!(s.tls.alpn, ["h2", "http/1.1"]);
    assert_eq!(s.tls.chain.as_ref().unwrap().len(), 3);
    assert_eq!(s.server_name(), "other.quirktls.test");
    assert_eq!(s.tls.sni.policy, SniPolicy::Required);
    assert_eq!(s.tls.sni.certificates["a.quirktls.test"], "server-a");
    assert_eq!(s.tls.client_auth.trust, ["client-ca"]);
    assert_eq!(s.tls.client_auth.ca_names, ["unrelated-ca"]);
    assert_eq!(
        s.tls.client_auth.reject_alert,
        AlertDescription::from_name("bad_certificate")
    );
    assert_eq!(
        (s.app.mode, s.app.status, s.app.body.as_str()),
        (AppMode::Echo, 503, "down")
    );
}

#[test]
fn server_name_defaults_to_the_certificates_dns_name() {
    let s = load(&format!("{HEAD}tls: {{ certificate: server-a }}\n")).unwrap();
    assert_eq!(s.server_name(), "a.quirktls.test");
}

#[test]
fn misspelled_key_is_named_with_the_allowed_keys() {
    let hint = assert_invalid(
        &format!("{HEAD}tls: {{ verisons: [tls1.2] }}\n"),
        4,
        8,
        "unknown field `verisons`",
    );
    assert!(hint.contains("quirktls schema"));
    let err = load(&format!("{HEAD}tls: {{ verisons: [tls1.2] }}\n")).unwrap_err();
    assert!(err.to_string().contains("versions, cipher_suites"), "{err}");
}

#[test]
fn unknown_enum_values_point_at_the_value() {
    assert_invalid(
        &format!("{HEAD}tls:\n  client_auth:\n    mode: sometimes\n"),
        6,
        11,
        "unknown variant `sometimes`, expected one of none, optional, required",
    );
    assert_invalid(
        &format!("{HEAD}tls:\n  versions: [tls1.2, tls9]\n"),
        5,
        22,
        "unknown variant `tls9`",
    );
}

#[test]
fn yaml_syntax_error_is_one_line_starting_with_the_location() {
    let err = load("name: [x\n").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("test.yaml:1:7: "), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn unknown_certificate_lists_the_leaf_entities() {
    let hint = assert_invalid(
        &format!("{HEAD}tls:\n  certificate: nosuch\n"),
        5,
        16,
        "unknown certificate `nosuch`",
    );
    assert!(
        hint.contains("server-rsa") && !hint.contains("root-ca"),
        "{hint}"
    );
}

#[test]
fn ca_as_server_certificate_is_rejected() {
    assert_invalid(
        &format!("{HEAD}tls:\n  sni:\n    certificates: {{ a.quirktls.test: root-ca }}\n"),
        6,
        38,
        "`root-ca` is a CA, not a server certificate",
    );
}

#[test]
fn trust_must_name_cas() {
    let hint = assert_invalid(
        &format!(
            "{HEAD}tls:\n  client_auth:\n    mode: optional\n    trust: [client-ca, client]\n"
        ),
        7,
        24,
        "`client` is not a CA",
    );
    assert!(
        hint.contains("client-ca") && !hint.contains("server-rsa"),
        "{hint}"
    );
}

#[test]
fn tls10_with_engine_rustls_points_at_the_version() {
    let hint = assert_invalid(
        &format!("{HEAD}tls:\n  versions: [tls1.2, tls1.0]\n"),
        5,
        22,
        "engine rustls cannot play tls1.0",
    );
    assert!(hint.contains("scripted"), "{hint}");
}

#[test]
fn unsupported_cipher_suite_lists_the_supported_ones() {
    let hint = assert_invalid(
        &format!("{HEAD}tls:\n  cipher_suites:\n    - TLS_AES_256_GCM_SHA384\n    - TLS_RSA_WITH_AES_128_CBC_SHA\n"),
        7,
        7,
        "engine rustls does not support cipher suite `TLS_RSA_WITH_AES_128_CBC_SHA`",
    );
    assert!(
        hint.contains("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        "{hint}"
    );
}

#[test]
fn cipher_suites_must_fit_an_enabled_version() {
    let hint = assert_invalid(
        &format!(
            "{HEAD}tls:\n  versions: [tls1.3]\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n"
        ),
        6,
        18,
        "no listed cipher suite works with tls1.3",
    );
    assert!(hint.contains("tls1.2"), "{hint}");
}

#[test]
fn checked_values_point_at_the_value() {
    let cases = [
        (
            HEAD.replace("test", "Not Valid"),
            1,
            7,
            "invalid scenario name",
        ),
        (HEAD.replace("A test.", "' '"), 2, 14, "empty description"),
        (format!("{HEAD}port: 0\n"), 4, 7, "port 0"),
        (
            format!("{HEAD}port: 70000\n"),
            4,
            7,
            "expected an integer from 0 to 65535",
        ),
        (
            format!("{HEAD}app: {{ status: 99 }}\n"),
            4,
            16,
            "http status 99",
        ),
        (format!("{HEAD}tls: {{ alpn: [h2, ''] }}\n"), 4, 19, "ALPN"),
        (
            format!("{HEAD}tls: {{ chain: [nosuch] }}\n"),
            4,
            16,
            "unknown PKI entity `nosuch`",
        ),
        (
            format!("{HEAD}tls:\n  client_auth: {{ reject_alert: bad_mood }}\n"),
            5,
            32,
            "unknown alert `bad_mood`",
        ),
    ];
    for (text, line, column, fragment) in cases {
        assert_invalid(&text, line, column, fragment);
    }
}

#[test]
fn duplicate_names_across_paths_are_rejected_at_the_second_name() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
    fs::write(&a, HEAD).unwrap();
    fs::write(&b, format!("# copy\n{HEAD}")).unwrap();
    match load_paths(&[a.clone(), b.clone()], &pki()) {
        Err(ScenarioError::Invalid {
            path,
            line,
            column,
            message,
            hint,
        }) => {
            assert_eq!((path, line, column), (b, 2, 7));
            assert_eq!(message, "duplicate scenario name `test`");
            assert!(hint.contains(&a.display().to_string()), "{hint}");
        }
        other => panic!("expected a duplicate-name error, got {other:?}"),
    }
}

#[test]
fn directory_loads_every_yaml_file_sorted_by_name() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("b.yaml"), HEAD.replace("test", "alpha")).unwrap();
    fs::write(dir.path().join("a.yaml"), HEAD.replace("test", "beta")).unwrap();
    fs::write(dir.path().join("notes.txt"), "not a scenario").unwrap();
    let loaded = load_paths(&[dir.path().to_path_buf()], &pki()).unwrap();
    let names: Vec<_> = loaded.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["beta", "alpha"]);
    assert_eq!(
        loaded[0].source.as_deref(),
        Some(dir.path().join("a.yaml").as_path())
    );
}

#[test]
fn bare_name_resolves_to_the_builtin_scenario() {
    let loaded = load_paths(&[PathBuf::from("sni-required")], &pki()).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].name, "sni-required");
    assert_eq!(
        loaded[0].source,
        Some(builtin_dir().join("sni-required.yaml"))
    );
}

#[test]
fn unknown_bare_name_lists_the_builtins() {
    match load_paths(&[PathBuf::from("no-such-quirk")], &pki()) {
        Err(err @ ScenarioError::UnknownBuiltin { .. }) => {
            assert!(err.to_string().contains("sni-required"), "{err}");
        }
        other => panic!("expected an unknown-builtin error, got {other:?}"),
    }
}

#[test]
fn missing_file_is_a_read_error_naming_it() {
    let err = load_paths(&[PathBuf::from("nowhere/x.yaml")], &pki()).unwrap_err();
    assert!(matches!(err, ScenarioError::Read { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("nowhere/x.yaml: cannot read: "),
        "{err}"
    );
}

#[test]
fn every_builtin_scenario_loads_and_is_named_after_its_file() {
    let loaded = load_paths(&[builtin_dir()], &pki()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!loaded.is_empty());
    for s in loaded {
        let stem = s.source.as_ref().and_then(|p| p.file_stem()).unwrap();
        assert_eq!(stem.to_str(), Some(s.name.as_str()));
    }
}

#[test]
fn json_schema_describes_the_file_shape() {
    let schema = json_schema();
    assert!(schema["properties"]["tls"].is_object(), "{schema:#}");
    let required = schema["required"].as_array().unwrap();
    for key in ["name", "description", "engine"] {
        assert!(required.iter().any(|r| r == key), "{key} not required");
    }
}
