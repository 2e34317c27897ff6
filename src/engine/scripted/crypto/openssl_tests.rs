//! This module against a real peer.
//!
//! OpenSSL's `s_client` talks to `s_server` through a proxy that follows the handshake
//! with this module alone: it hashes the transcript, checks the server's
//! ServerKeyExchange and the client's CertificateVerify signatures, checks both
//! Finished messages, and opens every protected record with [`derive_protections`]
//! and seals it again with its own state before passing it on. So OpenSSL checks our
//! sealing while we check its. With static RSA the proxy holds the server key and
//! derives the master secret itself (with and without the extended master secret);
//! otherwise it takes it from s_client's key log.
//!
//! A second test has OpenSSL verify our signatures. Both skip, saying so, when no
//! `openssl` is on PATH. The matrix covers what OpenSSL 3 offers of our suites:
//! every AES suite at every version; its builds leave out RC4 and 3DES, which
//! `protect`'s Python vectors cover.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::hash::Transcript;
use super::keys::ServerKey;
use super::prf::{extended_master_secret, master_secret, verify_data, Prf, Sender};
use super::protect::{derive_protections, Protection};
use super::suites::{suite, Kx};
use super::verify::verify_signature;
use crate::wire::{CipherSuite, ContentType, ProtocolVersion, Reader, SignatureScheme};

type Result<T> = std::result::Result<T, String>;

/// Run `openssl` in `dir`; its stdout.
fn openssl(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("openssl {args:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// A directory with self-signed certificates and keys made by OpenSSL: `NAME.pem`,
/// `NAME.key`, the key as PKCS#8 DER `NAME.p8`, the certificate as DER `NAME.der`
/// and the public key `NAME.pub`. `None` when there is no `openssl`.
fn pki(names: &[&str]) -> Option<tempfile::TempDir> {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: no `openssl` on PATH");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    for &name in names {
        let key: &[&str] = match name.split_once('-').unwrap().1 {
            "rsa2048" => &["-newkey", "rsa:2048"],
            "rsa1024" => &["-newkey", "rsa:1024"],
            "p256" => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "p384" => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            other => panic!("no key type {other}"),
        };
        let (pem, key_file) = (format!("{name}.pem"), format!("{name}.key"));
        let subject = format!("/CN={name}");
        let mut args = vec!["req", "-x509", "-nodes", "-days", "2", "-subj", &subject];
        args.extend(key);
        args.extend(["-keyout", &key_file, "-out", &pem]);
        openssl(path, &args).unwrap();
        let (p8, der, public) = (
            format!("{name}.p8"),
            format!("{name}.der"),
            format!("{name}.pub"),
        );
        openssl(
            path,
            &[
                "pkcs8", "-topk8", "-nocrypt", "-in", &key_file, "-outform", "DER", "-out", &p8,
            ],
        )
        .unwrap();
        openssl(
            path,
            &["x509", "-in", &pem, "-outform", "DER", "-out", &der],
        )
        .unwrap();
        openssl(
            path,
            &["pkey", "-in", &key_file, "-pubout", "-out", &public],
        )
        .unwrap();
    }
    fs::write(
        path.join("no-ems.cnf"),
        "openssl_conf = conf\n[conf]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n\
         [sys]\nOptions = -ExtendedMasterSecret\n",
    )
    .unwrap();
    Some(dir)
}

/// OpenSSL verifies what [`ServerKey::sign`] makes, for every scheme of every key
/// type: `openssl dgst -verify` for TLS 1.2 schemes and TLS 1.0 ECDSA-SHA1,
/// `openssl pkeyutl -verifyrecover` to see the bare MD5 || SHA-1 of TLS 1.0 RSA.
#[test]
fn openssl_verifies_our_signatures() {
    let Some(dir) = pki(&["srv-rsa2048", "srv-rsa1024", "srv-p256", "srv-p384"]) else {
        return;
    };
    let path = dir.path();
    let message = b"client random || server random || ServerECDHParams";
    fs::write(path.join("message"), message).unwrap();
    type S = SignatureScheme;
    let rsa = [
        (S::RSA_PKCS1_SHA1, "sha1", false),
        (S::RSA_PKCS1_SHA256, "sha256", false),
        (S::RSA_PKCS1_SHA384, "sha384", false),
        (S::RSA_PKCS1_SHA512, "sha512", false),
        (S::RSA_PSS_RSAE_SHA256, "sha256", true),
        (S::RSA_PSS_RSAE_SHA384, "sha384", true),
        (S::RSA_PSS_RSAE_SHA512, "sha512", true),
    ];
    let ecdsa = [
        (S::ECDSA_SHA1, "sha1", false),
        (S::ECDSA_SECP256R1_SHA256, "sha256", false),
        (S::ECDSA_SECP384R1_SHA384, "sha384", false),
        (S::ECDSA_SECP521R1_SHA512, "sha512", false),
    ];
    let mut verified = 0;
    for name in ["srv-rsa2048", "srv-rsa1024", "srv-p256", "srv-p384"] {
        let key =
            ServerKey::from_pkcs8(&fs::read(path.join(format!("{name}.p8"))).unwrap()).unwrap();
        let public = format!("{name}.pub");
        let schemes = if key.is_rsa() { &rsa[..] } else { &ecdsa[..] };
        // TLS 1.2 schemes, and TLS 1.0's SHA-1 ECDSA.
        let legacy_ecdsa = (!key.is_rsa()).then_some((None, "sha1", false));
        let cases = schemes
            .iter()
            .map(|&(s, h, pss)| (Some(s), h, pss))
            .chain(legacy_ecdsa);
        for (scheme, hash, pss) in cases {
            if name == "srv-rsa1024" && scheme == Some(S::RSA_PSS_RSAE_SHA512) {
                continue; // no room in 1024 bits
            }
            fs::write(path.join("sig"), key.sign(scheme, message).unwrap()).unwrap();
            let digest = format!("-{hash}");
            let mut args = vec!["dgst", &digest, "-verify", &public, "-signature", "sig"];
            if pss {
                args.extend([
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-sigopt",
                    "rsa_pss_saltlen:digest",
                ]);
            }
            args.push("message");
            let out = openssl(path, &args).unwrap_or_else(|e| panic!("{name} {scheme:?}: {e}"));
            assert_eq!(
                String::from_utf8_lossy(&out).trim(),
                "Verified OK",
                "{name} {scheme:?}"
            );
            verified += 1;
        }
        if key.is_rsa() {
            fs::write(path.join("sig"), key.sign(None, message).unwrap()).unwrap();
            let recovered = openssl(
                path,
                &[
                    "pkeyutl",
                    "-verifyrecover",
                    "-pubin",
                    "-inkey",
                    &public,
                    "-in",
                    "sig",
                ],
            )
            .unwrap();
            let md5_sha1 = [
                openssl(path, &["dgst", "-md5", "-binary", "message"]).unwrap(),
                openssl(path, &["dgst", "-sha1", "-binary", "message"]).unwrap(),
            ]
            .concat();
            assert_eq!(recovered, md5_sha1, "{name}: bare MD5 || SHA-1");
            verified += 1;
        }
    }
    assert_eq!(verified, 7 + 1 + 6 + 1 + 2 * (4 + 1));
}

/// One handshake of the interop matrix.
#[derive(Clone, Copy, Debug)]
struct Case {
    version: ProtocolVersion,
    /// OpenSSL's name of the suite.
    cipher: &'static str,
    server: &'static str,
    /// A client certificate, and the schemes s_server asks it to sign with.
    client: Option<(&'static str, Option<&'static str>)>,
    ems: bool,
}

fn matrix() -> Vec<Case> {
    let case = |version, cipher, server| Case {
        version,
        cipher,
        server,
        client: None,
        ems: true,
    };
    let (tls10, tls11, tls12) = (
        ProtocolVersion::TLS10,
        ProtocolVersion::TLS11,
        ProtocolVersion::TLS12,
    );
    let mut cases = vec![];
    for cipher in [
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-SHA256",
        "AES256-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-SHA256",
        "ECDHE-RSA-AES256-SHA384",
    ] {
        cases.push(case(tls12, cipher, "srv-rsa2048"));
    }
    for cipher in [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-ECDSA-AES256-SHA384",
    ] {
        cases.push(case(tls12, cipher, "srv-p256"));
    }
    for version in [tls10, tls11, tls12] {
        for cipher in [
            "AES128-SHA",
            "AES256-SHA",
            "ECDHE-RSA-AES128-SHA",
            "ECDHE-RSA-AES256-SHA",
        ] {
            cases.push(case(version, cipher, "srv-rsa2048"));
        }
        for cipher in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"] {
            cases.push(case(version, cipher, "srv-p256"));
        }
    }
    // RustCrypto's RSA (aws-lc refuses 1024 bits), ECDSA-SHA1 on P-384.
    cases.push(case(tls10, "AES128-SHA", "srv-rsa1024"));
    cases.push(case(tls12, "AES128-GCM-SHA256", "srv-rsa1024"));
    cases.push(case(tls10, "ECDHE-ECDSA-AES128-SHA", "srv-p384"));
    // The classic master secret.
    for (version, cipher) in [(tls12, "AES128-GCM-SHA256"), (tls10, "AES128-SHA")] {
        cases.push(Case {
            ems: false,
            ..case(version, cipher, "srv-rsa2048")
        });
    }
    // Client certificates: CertificateVerify of each kind.
    for (version, client, sigalgs) in [
        (tls12, "cli-rsa2048", Some("rsa_pss_rsae_sha256")),
        (tls12, "cli-rsa2048", Some("RSA+SHA384")),
        (tls12, "cli-p256", Some("ECDSA+SHA256")),
        (tls11, "cli-rsa2048", None),
        (tls10, "cli-rsa2048", None),
        (tls10, "cli-p256", None),
    ] {
        cases.push(Case {
            client: Some((client, sigalgs)),
            ..case(version, "ECDHE-RSA-AES128-SHA", "srv-rsa2048")
        });
    }
    cases
}

/// Every case of [`matrix`] completes a handshake and an HTTP exchange through the
/// checking proxy.
#[test]
fn openssl_peers_talk_through_our_record_layer() {
    let Some(dir) = pki(&[
        "srv-rsa2048",
        "srv-rsa1024",
        "srv-p256",
        "srv-p384",
        "cli-rsa2048",
        "cli-p256",
    ]) else {
        return;
    };
    let cases: Vec<_> = matrix().into_iter().enumerate().collect();
    let failures: Vec<String> = thread::scope(|scope| {
        let runs: Vec<_> = cases
            .chunks(cases.len().div_ceil(8))
            .map(|chunk| {
                let dir = dir.path();
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|(n, case)| {
                            run(dir, *n, case).err().map(|e| format!("{case:?}: {e}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        runs.into_iter()
            .flat_map(|run| run.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Poll `file` until `find` finds something in it.
fn wait_for<T>(file: &Path, find: impl Fn(&str) -> Option<T>) -> Result<T> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = fs::read_to_string(file).ok().as_deref().and_then(&find) {
            return Ok(found);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting on {}", file.display()));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Run case number `n`, its files named after `n`.
fn run(dir: &Path, n: usize, case: &Case) -> Result<()> {
    let file = |what: &str| dir.join(format!("case{n}.{what}"));
    let version_flag = match case.version {
        ProtocolVersion::TLS10 => "-tls1",
        ProtocolVersion::TLS11 => "-tls1_1",
        _ => "-tls1_2",
    };
    let cipher = format!("{}:@SECLEVEL=0", case.cipher);
    let (cert, key) = (
        format!("{}.pem", case.server),
        format!("{}.key", case.server),
    );
    let mut server = Command::new("openssl");
    server
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-naccept",
            "1",
            "-www",
            // Like the engine, MAC-then-encrypt only (no RFC 7366).
            "-no_etm",
            version_flag,
        ])
        .args(["-cipher", &cipher, "-cert", &cert, "-key", &key])
        .current_dir(dir)
        .stdout(fs::File::create(file("server.out")).unwrap())
        .stderr(fs::File::create(file("server.err")).unwrap());
    if let Some((client, sigalgs)) = case.client {
        server.args(["-Verify", "1", "-CAfile", &format!("{client}.pem")]);
        if let Some(sigalgs) = sigalgs {
            server.args(["-client_sigalgs", sigalgs]);
        }
    }
    if !case.ems {
        server.env("OPENSSL_CONF", dir.join("no-ems.cnf"));
    }
    let _server = Process(server.spawn().map_err(|e| e.to_string())?);
    let port: u16 = wait_for(&file("server.out"), |out| {
        out.lines()
            .find_map(|l| l.strip_prefix("ACCEPT 127.0.0.1:")?.trim().parse().ok())
    })?;

    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let proxy_port = listener.local_addr().unwrap().port();
    let mut client = Command::new("openssl");
    client
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{proxy_port}"),
            version_flag,
            "-ign_eof",
        ])
        .args([
            "-cipher",
            &cipher,
            "-keylogfile",
            file("keylog").to_str().unwrap(),
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(fs::File::create(file("client.out")).unwrap())
        .stderr(fs::File::create(file("client.err")).unwrap());
    if let Some((name, _)) = case.client {
        client.args([
            "-cert",
            &format!("{name}.pem"),
            "-key",
            &format!("{name}.key"),
        ]);
    }
    let mut client = Process(client.spawn().map_err(|e| e.to_string())?);
    client
        .0
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .map_err(|e| e.to_string())?;

    let keys = Keys {
        server: ServerKey::from_pkcs8(&fs::read(dir.join(format!("{}.p8", case.server))).unwrap())
            .map_err(|e| e.to_string())?,
        server_cert: fs::read(dir.join(format!("{}.der", case.server))).unwrap(),
        client_cert: case
            .client
            .map(|(name, _)| fs::read(dir.join(format!("{name}.der"))).unwrap()),
        keylog: file("keylog"),
    };
    let logs = || {
        ["server.err", "client.err"]
            .map(|f| format!("{f}: {}", fs::read_to_string(file(f)).unwrap_or_default()))
            .join("\n")
    };
    let response = proxy(&listener, port, case, &keys).map_err(|e| format!("{e}\n{}", logs()))?;
    if !response.starts_with(b"HTTP/1.0 200 ok\r\n") {
        return Err(format!(
            "response {:?}\n{}",
            String::from_utf8_lossy(&response),
            logs()
        ));
    }
    let output = wait_for(&file("client.out"), |out| {
        out.contains("</HTML>").then_some(())
    });
    output.map_err(|e| format!("{e}\n{}", logs()))
}

/// What the proxy knows besides the wire: the server's key and certificate, the
/// client's certificate, and where s_client logs the master secret.
struct Keys {
    server: ServerKey,
    server_cert: Vec<u8>,
    client_cert: Option<Vec<u8>>,
    keylog: PathBuf,
}

struct Record {
    typ: ContentType,
    version: ProtocolVersion,
    fragment: Vec<u8>,
}

fn read_record(stream: &mut TcpStream) -> io::Result<Record> {
    let mut header = [0; 5];
    stream.read_exact(&mut header)?;
    let mut fragment = vec![0; usize::from(u16::from_be_bytes([header[3], header[4]]))];
    stream.read_exact(&mut fragment)?;
    Ok(Record {
        typ: ContentType(header[0]),
        version: ProtocolVersion(u16::from_be_bytes([header[1], header[2]])),
        fragment,
    })
}

fn write_record(
    stream: &mut TcpStream,
    typ: ContentType,
    version: ProtocolVersion,
    fragment: &[u8],
) -> io::Result<()> {
    let mut record = vec![typ.0];
    record.extend(version.0.to_be_bytes());
    record.extend((fragment.len() as u16).to_be_bytes());
    record.extend(fragment);
    stream.write_all(&record)
}

/// One direction of the connection: its handshake messages, and after its
/// ChangeCipherSpec our opening and our sealing state for it.
struct Direction {
    from: TcpStream,
    to: TcpStream,
    handshake: Vec<u8>,
    protection: Option<(Protection, Protection)>,
}

impl Direction {
    /// Pass records on until a whole handshake message arrives; return it. Protected
    /// records are opened and sealed again on the way.
    fn next_message(&mut self) -> Result<Vec<u8>> {
        loop {
            if self.handshake.len() >= 4 {
                let len = 4 + u32::from_be_bytes([
                    0,
                    self.handshake[1],
                    self.handshake[2],
                    self.handshake[3],
                ]) as usize;
                if self.handshake.len() >= len {
                    return Ok(self.handshake.drain(..len).collect());
                }
            }
            let record = self.relay().map_err(|e| format!("relay: {e}"))?;
            match record.typ {
                ContentType::HANDSHAKE => self.handshake.extend(record.fragment),
                ContentType::CHANGE_CIPHER_SPEC => return Ok(vec![]),
                other => return Err(format!("unexpected {other} record in the handshake")),
            }
        }
    }

    /// Read one record, pass it on (opened and sealed again once protected), and
    /// return it in the clear.
    fn relay(&mut self) -> io::Result<Record> {
        let mut record = read_record(&mut self.from)?;
        let fragment = match &mut self.protection {
            None => record.fragment.clone(),
            Some((open, seal)) => {
                record.fragment = open
                    .open(record.typ, record.version, &record.fragment)
                    .map_err(|e| {
                        io::Error::other(format!("opening a {} record: {e}", record.typ))
                    })?;
                seal.seal(record.typ, record.version, &record.fragment)
            }
        };
        write_record(&mut self.to, record.typ, record.version, &fragment)?;
        Ok(record)
    }

    /// Relay application data until the sender closes; return it.
    fn relay_to_end(mut self) -> Result<Vec<u8>> {
        let mut data = vec![];
        loop {
            match self.relay() {
                Ok(record) if record.typ == ContentType::APPLICATION_DATA => {
                    data.extend(record.fragment)
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Other => return Err(e.to_string()),
                Err(_) => break, // closed
            }
        }
        let _ = self.to.shutdown(Shutdown::Write);
        Ok(data)
    }
}

/// The negotiated parameters, from ServerHello.
struct Hello {
    version: ProtocolVersion,
    random: [u8; 32],
    suite: CipherSuite,
    ems: bool,
}

fn parse_server_hello(body: &[u8]) -> Result<Hello> {
    let e = |e: crate::wire::DecodeError| e.to_string();
    let mut r = Reader::new(body);
    let version = ProtocolVersion(u16::from_be_bytes(r.take_array("version").map_err(e)?));
    let random = r.take_array("random").map_err(e)?;
    r.take_u8_prefixed("session id").map_err(e)?;
    let suite = CipherSuite(u16::from_be_bytes(r.take_array("suite").map_err(e)?));
    r.take(1, "compression").map_err(e)?;
    let mut ems = false;
    if !r.remaining().is_empty() {
        let mut extensions = Reader::new(r.take_u16_prefixed("extensions").map_err(e)?);
        while !extensions.remaining().is_empty() {
            let typ = u16::from_be_bytes(extensions.take_array("type").map_err(e)?);
            extensions.take_u16_prefixed("extension").map_err(e)?;
            ems |= typ == 23;
            if typ == 22 {
                return Err("encrypt_then_mac negotiated".into());
            }
        }
    }
    Ok(Hello {
        version,
        random,
        suite,
        ems,
    })
}

/// The master secret s_client logged for `client_random`.
fn logged_master(keylog: &Path, client_random: &[u8; 32]) -> Result<[u8; 48]> {
    let prefix = format!("CLIENT_RANDOM {} ", hex::encode(client_random));
    let master = wait_for(keylog, |log| {
        log.lines()
            .find_map(|l| Some(l.strip_prefix(&prefix)?.to_string()))
    })?;
    hex::decode(master.trim())
        .ok()
        .and_then(|m| m.try_into().ok())
        .ok_or("bad key log".into())
}

/// Relay one connection, checking everything this module can check; return the
/// application data the server sent.
fn proxy(listener: &TcpListener, server_port: u16, case: &Case, keys: &Keys) -> Result<Vec<u8>> {
    let io = |e: io::Error| e.to_string();
    let (client, _) = listener.accept().map_err(io)?;
    let server = TcpStream::connect(("127.0.0.1", server_port)).map_err(io)?;
    for stream in [&client, &server] {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(io)?;
    }
    let direction = |from: &TcpStream, to: &TcpStream| -> Result<Direction> {
        Ok(Direction {
            from: from.try_clone().map_err(io)?,
            to: to.try_clone().map_err(io)?,
            handshake: vec![],
            protection: None,
        })
    };
    let (mut up, mut down) = (direction(&client, &server)?, direction(&server, &client)?);

    // ClientHello, then the server's flight up to ServerHelloDone.
    let client_hello = up.next_message()?;
    let client_version = ProtocolVersion(u16::from_be_bytes([client_hello[4], client_hello[5]]));
    let client_random: [u8; 32] = client_hello[6..38].try_into().unwrap();
    let mut messages = vec![client_hello];
    let hello = loop {
        let message = down.next_message()?;
        messages.push(message.clone());
        if message[0] == 2 {
            break parse_server_hello(&message[4..])?;
        }
    };
    if hello.version != case.version || hello.ems != case.ems {
        return Err(format!("negotiated {} (EMS {})", hello.version, hello.ems));
    }
    let spec = suite(hello.suite).ok_or(format!("no suite {}", hello.suite))?;
    let prf = Prf::new(spec, hello.version);
    let mut transcript = Transcript::new(prf);
    messages.iter().for_each(|m| transcript.add(m));
    loop {
        let message = down.next_message()?;
        if message[0] == 12 {
            check_server_key_exchange(
                &message[4..],
                hello.version,
                &client_random,
                &hello.random,
                keys,
            )?;
        }
        transcript.add(&message);
        if message[0] == 14 {
            break;
        }
    }

    // The client's flight: [Certificate] ClientKeyExchange [CertificateVerify] CCS.
    let mut derived_master = None;
    loop {
        let message = up.next_message()?;
        if message.is_empty() {
            break; // ChangeCipherSpec
        }
        if message[0] == 15 {
            let cert = keys
                .client_cert
                .as_deref()
                .ok_or("unexpected CertificateVerify")?;
            let mut r = Reader::new(&message[4..]);
            let scheme = (hello.version >= ProtocolVersion::TLS12)
                .then(|| {
                    r.take_array("scheme")
                        .map(|s| SignatureScheme(u16::from_be_bytes(s)))
                })
                .transpose()
                .map_err(|e| e.to_string())?;
            let signature = r
                .take_u16_prefixed("signature")
                .map_err(|e| e.to_string())?;
            verify_signature(cert, scheme, transcript.messages(), signature)
                .map_err(|e| format!("CertificateVerify ({scheme:?}): {e}"))?;
        }
        transcript.add(&message);
        if message[0] == 16 && spec.kx == Kx::Rsa {
            let ciphertext = Reader::new(&message[4..])
                .take_u16_prefixed("premaster")
                .map_err(|e| e.to_string())?;
            let premaster = keys
                .server
                .decrypt_premaster(ciphertext)
                .map_err(|e| e.to_string())?;
            if premaster[..2] != client_version.0.to_be_bytes() {
                return Err("premaster version".into());
            }
            derived_master = Some(match hello.ems {
                true => extended_master_secret(prf, &premaster, &transcript.current()),
                false => master_secret(prf, &premaster, &client_random, &hello.random),
            });
        }
    }
    let master = logged_master(&keys.keylog, &client_random)?;
    if derived_master.is_some_and(|derived| derived != master) {
        return Err("our master secret differs from the key log's".into());
    }
    let epoch = || derive_protections(spec, hello.version, &master, &client_random, &hello.random);
    let ((client_open, server_open), (client_seal, server_seal)) = (epoch(), epoch());
    up.protection = Some((client_open, client_seal));
    check_finished(&mut up, &mut transcript, prf, &master, Sender::Client)?;

    // The server's flight: [NewSessionTicket] CCS Finished.
    loop {
        let message = down.next_message()?;
        if message.is_empty() {
            break;
        }
        transcript.add(&message);
    }
    down.protection = Some((server_open, server_seal));
    check_finished(&mut down, &mut transcript, prf, &master, Sender::Server)?;

    let requests = thread::spawn(move || up.relay_to_end());
    let response = down.relay_to_end()?;
    let request = requests.join().unwrap()?;
    if !request.starts_with(b"GET / HTTP/1.0\r\n") {
        return Err(format!("request {:?}", String::from_utf8_lossy(&request)));
    }
    Ok(response)
}

fn check_server_key_exchange(
    body: &[u8],
    version: ProtocolVersion,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    keys: &Keys,
) -> Result<()> {
    let e = |e: crate::wire::DecodeError| e.to_string();
    let mut r = Reader::new(body);
    let start = r.clone();
    r.take(3, "curve").map_err(e)?;
    r.take_u8_prefixed("point").map_err(e)?;
    let params = r.consumed_since(&start);
    let scheme = match version >= ProtocolVersion::TLS12 {
        true => Some(SignatureScheme(u16::from_be_bytes(
            r.take_array("scheme").map_err(e)?,
        ))),
        false => None,
    };
    let signature = r.take_u16_prefixed("signature").map_err(e)?;
    let signed = [&client_random[..], server_random, params].concat();
    verify_signature(&keys.server_cert, scheme, &signed, signature)
        .map_err(|e| format!("ServerKeyExchange ({scheme:?}): {e}"))
}

/// The next message is `sender`'s Finished with the verify_data we compute.
fn check_finished(
    direction: &mut Direction,
    transcript: &mut Transcript,
    prf: Prf,
    master: &[u8; 48],
    sender: Sender,
) -> Result<()> {
    let want = verify_data(prf, master, sender, &transcript.current());
    let finished = direction.next_message()?;
    if finished != [&[20, 0, 0, 12][..], &want].concat() {
        return Err(format!(
            "{sender:?} Finished {} is not ours {}",
            hex::encode(&finished),
            hex::encode(want)
        ));
    }
    transcript.add(&finished);
    Ok(())
}
