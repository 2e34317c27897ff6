//! The generated PKI as real tools see it: openssl and Java's keytool.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use quirktls::pki::{default_spec_path, Pki, PkiError, PkiSpec, P12_PASSWORD};

/// The shipped spec, generated from scratch once per test run.
fn shipped() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pki-shipped");
        let _ = fs::remove_dir_all(&dir);
        let spec = PkiSpec::load(&default_spec_path()).unwrap();
        Pki::ensure(&spec, &dir).unwrap()
    })
}

fn cert_pem(name: &str) -> PathBuf {
    shipped().entity(name).unwrap().cert_pem.clone()
}

/// Run a tool; its stdout, or a panic with its stderr.
fn run(program: &str, args: &[&str]) -> String {
    let (ok, stdout, stderr) = try_run(program, args);
    assert!(ok, "{program} {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

fn try_run(program: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

fn x509_text(path: &Path) -> String {
    run(
        "openssl",
        &["x509", "-text", "-noout", "-in", path.to_str().unwrap()],
    )
}

#[test]
fn layout_and_material_of_the_shipped_spec() {
    let pki = shipped();
    let spec = PkiSpec::load(&default_spec_path()).unwrap();
    for name in spec.names() {
        let m = pki.entity(&name).unwrap();
        for path in [&m.key_pem, &m.cert_pem, &m.chain_pem, &m.p12] {
            assert!(path.is_file(), "{}", path.display());
        }
        let mode = fs::metadata(&m.key_pem).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    assert!(matches!(pki.entity("nope"), Err(PkiError::UnknownEntity(n)) if n == "nope"));

    let client = pki.entity("client").unwrap();
    assert_eq!(
        client.subject,
        "CN=quirktls test client,OU=clients,O=quirktls"
    );
    assert_eq!(client.root, pki.entity("client-ca").unwrap().cert);
    assert!(client.intermediates.is_empty());

    let deep = pki.entity("server-via-intermediates").unwrap();
    let ca2 = pki.entity("intermediate-ca-2").unwrap();
    let ca1 = pki.entity("intermediate-ca").unwrap();
    assert_eq!(deep.intermediates, [ca2.cert.clone(), ca1.cert.clone()]);
    assert_eq!(deep.root, pki.entity("root-ca").unwrap().cert);
    assert_eq!(deep.chain_der().len(), 3);
    // subject_der is the DER Name inside the certificate.
    assert!(ca1
        .cert
        .windows(ca1.subject_der.len())
        .any(|w| w == ca1.subject_der));

    let root = pki.entity("root-ca").unwrap();
    assert_eq!(root.root, root.cert);
    let selfie = pki.entity("server-self-signed").unwrap();
    assert_eq!(selfie.root, selfie.cert);

    let bundle = fs::read_to_string(pki.ca_bundle()).unwrap();
    assert_eq!(
        bundle.matches("BEGIN CERTIFICATE").count(),
        pki.roots().len()
    );
    assert!(pki.roots().contains(&root.cert));
    assert!(!pki.roots().contains(&selfie.cert));
    assert!(!pki
        .roots()
        .contains(&pki.entity("untrusted-root").unwrap().cert));
}

#[test]
fn openssl_sees_version_1_without_extensions() {
    for name in ["server-v1", "root-v1"] {
        let text = x509_text(&cert_pem(name));
        assert!(text.contains("Version: 1 (0x0)"), "{name}:\n{text}");
        assert!(!text.contains("X509v3 extensions"), "{name}:\n{text}");
    }
    let text = x509_text(&cert_pem("server-ecdsa"));
    assert!(text.contains("Version: 3 (0x2)"));
    assert!(text.contains("X509v3 Subject Key Identifier"));
    assert!(text.contains("X509v3 Authority Key Identifier"));
    assert!(text.contains("DNS:server.quirktls.test, DNS:localhost, IP Address:127.0.0.1"));
}

#[test]
fn openssl_sees_sha1_and_weak_keys() {
    let text = x509_text(&cert_pem("server-sha1"));
    assert!(
        text.contains("Signature Algorithm: sha1WithRSAEncryption"),
        "{text}"
    );
    let text = x509_text(&cert_pem("server-rsa1024"));
    assert!(text.contains("Public-Key: (1024 bit)"), "{text}");
    assert!(
        text.contains("Signature Algorithm: sha256WithRSAEncryption"),
        "{text}"
    );
    let text = x509_text(&cert_pem("server-cn-only"));
    assert!(!text.contains("Subject Alternative Name"), "{text}");
}

#[test]
fn openssl_verifies_chains() {
    let pki = shipped();
    let root = cert_pem("root-ca");
    let deep = pki.entity("server-via-intermediates").unwrap();
    let out = run(
        "openssl",
        &[
            "verify",
            "-CAfile",
            root.to_str().unwrap(),
            "-untrusted",
            deep.chain_pem.to_str().unwrap(),
            deep.cert_pem.to_str().unwrap(),
        ],
    );
    assert!(out.trim_end().ends_with(": OK"), "{out}");

    let bundle = pki.ca_bundle();
    let verify = |name: &str| {
        try_run(
            "openssl",
            &[
                "verify",
                "-CAfile",
                bundle.to_str().unwrap(),
                cert_pem(name).to_str().unwrap(),
            ],
        )
    };
    for name in [
        "server-ecdsa",
        "server-rsa",
        "client",
        "server-under-v1-root",
    ] {
        let (ok, out, err) = verify(name);
        assert!(ok, "{name}: {out}{err}");
    }
    let (ok, out, err) = verify("server-untrusted");
    assert!(
        !ok && err.contains("unable to get local issuer certificate"),
        "{out}{err}"
    );
    let (ok, out, err) = verify("server-expired");
    assert!(!ok && err.contains("certificate has expired"), "{out}{err}");
    let (ok, out, err) = verify("server-not-yet-valid");
    assert!(
        !ok && err.contains("certificate is not yet valid"),
        "{out}{err}"
    );
}

#[test]
fn keytool_lists_trusted_roots_only() {
    let store = shipped().truststore();
    let out = run(
        "keytool",
        &[
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            store.to_str().unwrap(),
            "-storepass",
            P12_PASSWORD,
        ],
    );
    let entries: BTreeMap<&str, &str> = out
        .lines()
        .filter_map(|line| line.split_once(", "))
        .collect();
    assert!(
        entries
            .get("root-ca")
            .is_some_and(|e| e.contains("trustedCertEntry")),
        "{out}"
    );
    assert!(entries.contains_key("client-ca"), "{out}");
    assert!(!entries.contains_key("untrusted-root"), "{out}");
    assert!(!entries.contains_key("server-self-signed"), "{out}");
}

#[test]
fn client_keystore_opens_in_openssl_and_keytool() {
    let p12 = shipped().entity("client").unwrap().p12.clone();
    let out = run(
        "openssl",
        &[
            "pkcs12",
            "-in",
            p12.to_str().unwrap(),
            "-passin",
            "pass:changeit",
            "-nokeys",
        ],
    );
    // The client certificate and its root.
    assert_eq!(out.matches("BEGIN CERTIFICATE").count(), 2, "{out}");
    assert!(
        out.contains("subject=O = quirktls, OU = clients, CN = quirktls test client"),
        "{out}"
    );
    assert!(
        out.contains("subject=O = quirktls, CN = quirktls Client CA"),
        "{out}"
    );

    let out = run(
        "keytool",
        &[
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            p12.to_str().unwrap(),
            "-storepass",
            P12_PASSWORD,
        ],
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("client, ") && l.contains("PrivateKeyEntry")),
        "{out}"
    );
}

const SMALL_SPEC: &str = "entities:
  root:
    ca: true
  mid:
    issuer: root
    subject: { cn: Mid, o: One }
    ca: true
  under-mid:
    issuer: mid
  beside:
    issuer: root
    key: rsa-2048
  pinned:
    issuer: root
    validity: { not_before: 2020-01-01T00:00:00Z, not_after: 2040-01-01T00:00:00Z }
";

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            let modified = fs::metadata(&path).unwrap().modified().unwrap();
            files.insert(path.clone(), (fs::read(&path).unwrap(), modified));
        }
    }
    files
}

fn changed(before: &BTreeMap<PathBuf, (Vec<u8>, SystemTime)>, dir: &Path) -> Vec<String> {
    let after = snapshot(dir);
    after
        .iter()
        .filter(|(path, file)| before.get(*path) != Some(*file))
        .map(|(path, _)| path.strip_prefix(dir).unwrap().display().to_string())
        .collect()
}

#[test]
fn second_ensure_regenerates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = PkiSpec::from_str(SMALL_SPEC, "small.yaml").unwrap();
    let first = Pki::ensure(&spec, dir.path()).unwrap();
    let before = snapshot(dir.path());
    let second = Pki::ensure(&spec, dir.path()).unwrap();
    assert_eq!(changed(&before, dir.path()), Vec::<String>::new());
    for name in spec.names() {
        assert_eq!(
            first.entity(&name).unwrap().cert,
            second.entity(&name).unwrap().cert
        );
    }
}

#[test]
fn editing_an_entity_reissues_it_and_its_descendants_only() {
    let dir = tempfile::tempdir().unwrap();
    let spec = PkiSpec::from_str(SMALL_SPEC, "small.yaml").unwrap();
    Pki::ensure(&spec, dir.path()).unwrap();
    let before = snapshot(dir.path());

    let edited = SMALL_SPEC.replace("o: One", "o: Two");
    let spec = PkiSpec::from_str(&edited, "small.yaml").unwrap();
    let pki = Pki::ensure(&spec, dir.path()).unwrap();
    let mut touched = changed(&before, dir.path());
    touched.sort();
    // Keys stay: only the certificates (and what embeds them) are new.
    assert_eq!(
        touched,
        [
            "manifest.json",
            "mid/cert.pem",
            "mid/chain.pem",
            "mid/mid.p12",
            "under-mid/cert.pem",
            "under-mid/chain.pem",
            "under-mid/under-mid.p12",
        ]
    );
    assert_eq!(pki.entity("mid").unwrap().subject, "CN=Mid,O=Two");

    // A new key type means a new key.
    let before = snapshot(dir.path());
    let spec = PkiSpec::from_str(
        &edited.replace("key: rsa-2048", "key: ed25519"),
        "small.yaml",
    )
    .unwrap();
    Pki::ensure(&spec, dir.path()).unwrap();
    let mut touched = changed(&before, dir.path());
    touched.sort();
    assert_eq!(
        touched,
        [
            "beside/beside.p12",
            "beside/cert.pem",
            "beside/chain.pem",
            "beside/key.pem",
            "manifest.json"
        ]
    );
}

#[test]
fn damaged_files_are_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let spec = PkiSpec::from_str(SMALL_SPEC, "small.yaml").unwrap();
    let first = Pki::ensure(&spec, dir.path()).unwrap();
    let old_cert = first.entity("pinned").unwrap().cert.clone();
    fs::remove_file(dir.path().join("pinned/chain.pem")).unwrap();
    fs::write(dir.path().join("beside/cert.pem"), "garbage").unwrap();
    fs::remove_file(dir.path().join("truststore.p12")).unwrap();

    let pki = Pki::ensure(&spec, dir.path()).unwrap();
    assert!(dir.path().join("pinned/chain.pem").is_file());
    assert!(dir.path().join("truststore.p12").is_file());
    assert_ne!(pki.entity("pinned").unwrap().cert, old_cert);
    let text = fs::read_to_string(dir.path().join("beside/cert.pem")).unwrap();
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[test]
fn spec_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pki.yaml");
    fs::write(&path, "entities:\n  leaf:\n    issuer: ghost\n").unwrap();
    let e = PkiSpec::load(&path).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "pki.yaml:3:13: unknown issuer `ghost`; name an entity defined under `entities:`"
        ),
        "{e}"
    );
    let e = PkiSpec::load(&dir.path().join("missing.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot read ") && e.contains("missing.yaml"),
        "{e}"
    );
}

/// The performance targets hold for release builds; debug crypto is far slower.
#[test]
#[cfg_attr(debug_assertions, ignore = "timing targets apply to release builds")]
fn cold_and_warm_ensure_meet_the_targets() {
    let dir = tempfile::tempdir().unwrap();
    let spec = PkiSpec::load(&default_spec_path()).unwrap();
    let started = Instant::now();
    Pki::ensure(&spec, dir.path()).unwrap();
    let cold = started.elapsed();
    let started = Instant::now();
    Pki::ensure(&spec, dir.path()).unwrap();
    let warm = started.elapsed();
    eprintln!(
        "{} entities: cold {cold:?}, warm {warm:?}",
        spec.names().len()
    );
    assert!(cold < Duration::from_secs(3), "cold {cold:?}");
    assert!(warm < Duration::from_millis(100), "warm {warm:?}");
}
