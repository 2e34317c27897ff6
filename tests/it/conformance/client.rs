//! Crafted client flights: a ClientHello builder on the crate's wire codec, a blocking
//! connection that sends raw records and reads back what the server answers, and the
//! tlslite-ng probe (tests/clients/tls_probe.py) for requirements that need keys.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_lc_rs::agreement::{EphemeralPrivateKey, ECDH_P256, X25519};
use aws_lc_rs::rand::SystemRandom;
use quirktls::wire::{
    Alert, AlertDescription, AlertLevel, CipherSuite, Codec, ContentType, Extension, ExtensionType,
    HandshakeJoiner, HandshakeMessage, HandshakePayload, HandshakeType, NamedGroup,
    ProtocolVersion, Reader, RecordHeader, ServerHello, SignatureScheme,
};

use crate::common::HOST;

/// How long a server may stay silent before the probe stops waiting.
const IDLE: Duration = Duration::from_secs(3);

/// The TLS 1.3 suites.
pub const TLS13_SUITES: [CipherSuite; 3] = [
    CipherSuite(0x1301),
    CipherSuite(0x1302),
    CipherSuite(0x1303),
];
/// TLS 1.2 ECDHE-RSA, then static RSA: between them, what every TLS 1.0–1.2 built-in
/// scenario of either engine accepts.
pub const TLS12_SUITES: [CipherSuite; 8] = [
    CipherSuite(0xc02f), // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    CipherSuite(0xc030), // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    CipherSuite(0xc013), // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    CipherSuite(0x009c), // TLS_RSA_WITH_AES_128_GCM_SHA256
    CipherSuite(0x009d), // TLS_RSA_WITH_AES_256_GCM_SHA384
    CipherSuite(0x003c), // TLS_RSA_WITH_AES_128_CBC_SHA256
    CipherSuite(0x002f), // TLS_RSA_WITH_AES_128_CBC_SHA
    CipherSuite(0x0035), // TLS_RSA_WITH_AES_256_CBC_SHA
];

/// The random of a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A ClientHello, field by field, so a case can break exactly one of them.
#[derive(Debug, Clone)]
pub struct Hello {
    /// The version in the record header that carries the hello.
    pub record_version: ProtocolVersion,
    /// `client_version` / `legacy_version`.
    pub version: ProtocolVersion,
    pub session_id: Vec<u8>,
    pub suites: Vec<CipherSuite>,
    pub compression: Vec<u8>,
    /// `None` leaves the extensions block out entirely.
    pub extensions: Option<Vec<Extension>>,
    /// Bytes after the last field (a malformed hello).
    pub trailing: Vec<u8>,
}

impl Hello {
    /// A TLS 1.2 hello every TLS 1.0–1.2 scenario of either engine accepts.
    pub fn tls12() -> Self {
        Self {
            record_version: ProtocolVersion::TLS10,
            version: ProtocolVersion::TLS12,
            session_id: Vec::new(),
            suites: TLS12_SUITES.to_vec(),
            compression: vec![0],
            extensions: Some(vec![
                server_name(HOST),
                supported_groups(&[NamedGroup::X25519, NamedGroup::SECP256R1]),
                Extension::ec_point_formats(&[quirktls::wire::ECPointFormat::UNCOMPRESSED]),
                signature_algorithms(&[
                    SignatureScheme::RSA_PSS_RSAE_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA256,
                    SignatureScheme::ECDSA_SECP256R1_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA1,
                ]),
            ]),
            trailing: Vec::new(),
        }
    }

    /// A TLS 1.3 hello (middlebox compatibility session ID, an x25519 share) that also
    /// offers TLS 1.2, so a TLS 1.2 server answers it too.
    pub fn tls13() -> Self {
        let mut suites = TLS13_SUITES.to_vec();
        suites.extend(TLS12_SUITES);
        Self {
            record_version: ProtocolVersion::TLS10,
            version: ProtocolVersion::TLS12,
            session_id: vec![0x5a; 32],
            suites,
            compression: vec![0],
            extensions: Some(vec![
                server_name(HOST),
                supported_versions(&[ProtocolVersion::TLS13, ProtocolVersion::TLS12]),
                supported_groups(&[NamedGroup::X25519, NamedGroup::SECP256R1]),
                key_share(&[(NamedGroup::X25519, public_key(NamedGroup::X25519))]),
                signature_algorithms(&[
                    SignatureScheme::RSA_PSS_RSAE_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA256,
                    SignatureScheme::ECDSA_SECP256R1_SHA256,
                ]),
                Extension::ec_point_formats(&[quirktls::wire::ECPointFormat::UNCOMPRESSED]),
            ]),
            trailing: Vec::new(),
        }
    }

    /// Add (or replace) an extension, keeping its position when replaced.
    pub fn with(mut self, ext: Extension) -> Self {
        let list = self.extensions.get_or_insert_with(Vec::new);
        match list.iter_mut().find(|e| e.typ == ext.typ) {
            Some(slot) => *slot = ext,
            None => list.push(ext),
        }
        self
    }

    /// Append an extension even if one of its type is already there.
    pub fn push(mut self, ext: Extension) -> Self {
        self.extensions.get_or_insert_with(Vec::new).push(ext);
        self
    }

    /// Drop every extension of type `typ`.
    pub fn without(mut self, typ: ExtensionType) -> Self {
        if let Some(list) = &mut self.extensions {
            list.retain(|e| e.typ != typ);
        }
        self
    }

    /// The ClientHello body.
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.version.encode(&mut out);
        out.extend_from_slice(&[0x11; 32]);
        opaque8(&mut out, &self.session_id);
        let mut suites = Vec::new();
        self.suites.iter().for_each(|s| s.encode(&mut suites));
        opaque16(&mut out, &suites);
        opaque8(&mut out, &self.compression);
        if let Some(extensions) = &self.extensions {
            let mut block = Vec::new();
            extensions.iter().for_each(|e| e.encode(&mut block));
            opaque16(&mut out, &block);
        }
        out.extend_from_slice(&self.trailing);
        out
    }

    /// The whole handshake message.
    pub fn message(&self) -> Vec<u8> {
        HandshakeMessage {
            typ: HandshakeType::CLIENT_HELLO,
            body: self.body(),
        }
        .to_bytes()
    }

    /// The hello in one record.
    pub fn record(&self) -> Vec<u8> {
        record_with(ContentType::HANDSHAKE, self.record_version, &self.message())
    }
}

fn opaque8(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

fn opaque16(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn ext(typ: ExtensionType, data: Vec<u8>) -> Extension {
    Extension { typ, data }
}

/// A list of codec values behind a `u16` length.
fn list16<T: Codec>(items: &[T]) -> Vec<u8> {
    let mut inner = Vec::new();
    items.iter().for_each(|i| i.encode(&mut inner));
    let mut out = Vec::new();
    opaque16(&mut out, &inner);
    out
}

/// `server_name` with one host_name (RFC 6066 §3).
pub fn server_name(host: &str) -> Extension {
    let mut entry = vec![0];
    opaque16(&mut entry, host.as_bytes());
    let mut data = Vec::new();
    opaque16(&mut data, &entry);
    ext(ExtensionType::SERVER_NAME, data)
}

pub fn supported_groups(groups: &[NamedGroup]) -> Extension {
    ext(ExtensionType::SUPPORTED_GROUPS, list16(groups))
}

pub fn signature_algorithms(schemes: &[SignatureScheme]) -> Extension {
    ext(ExtensionType::SIGNATURE_ALGORITHMS, list16(schemes))
}

/// `supported_versions` as a client sends it: a `u8`-length list.
pub fn supported_versions(versions: &[ProtocolVersion]) -> Extension {
    let mut inner = Vec::new();
    versions.iter().for_each(|v| v.encode(&mut inner));
    let mut data = Vec::new();
    opaque8(&mut data, &inner);
    ext(ExtensionType::SUPPORTED_VERSIONS, data)
}

/// `key_share` with one KeyShareEntry per (group, public key).
pub fn key_share(shares: &[(NamedGroup, Vec<u8>)]) -> Extension {
    let mut entries = Vec::new();
    for (group, public) in shares {
        group.encode(&mut entries);
        opaque16(&mut entries, public);
    }
    let mut data = Vec::new();
    opaque16(&mut data, &entries);
    ext(ExtensionType::KEY_SHARE, data)
}

/// `psk_key_exchange_modes` with psk_dhe_ke (1).
pub fn psk_dhe_ke() -> Extension {
    ext(ExtensionType::PSK_KEY_EXCHANGE_MODES, vec![1, 1])
}

/// `pre_shared_key` offering one made-up identity with a 32-byte binder.
pub fn pre_shared_key() -> Extension {
    let mut identities = Vec::new();
    opaque16(&mut identities, b"quirktls-unknown-ticket");
    identities.extend_from_slice(&0u32.to_be_bytes());
    let mut binders = Vec::new();
    opaque8(&mut binders, &[0x42; 32]);
    let mut data = Vec::new();
    opaque16(&mut data, &identities);
    opaque16(&mut data, &binders);
    ext(ExtensionType::PRE_SHARED_KEY, data)
}

/// An extension of a type no registry knows, with some data.
pub fn unknown_extension() -> Extension {
    ext(ExtensionType(0xfaf0), vec![1, 2, 3, 4])
}

/// A fresh, valid public key of `group` (x25519 or secp256r1).
pub fn public_key(group: NamedGroup) -> Vec<u8> {
    let alg = match group {
        NamedGroup::SECP256R1 => &ECDH_P256,
        _ => &X25519,
    };
    let key = EphemeralPrivateKey::generate(alg, &SystemRandom::new()).expect("key generation");
    key.compute_public_key()
        .expect("public key")
        .as_ref()
        .to_vec()
}

/// One record of `content_type` around `payload` (no length check: cases send
/// oversized records on purpose).
pub fn record_with(content_type: ContentType, version: ProtocolVersion, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    RecordHeader {
        content_type,
        version,
        length: payload.len() as u16,
    }
    .encode(&mut out);
    out.extend_from_slice(payload);
    out
}

/// What the server did with a flight.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It sent this alert (plaintext, or decrypted by the tlslite-ng probe).
    Alert(Alert),
    /// It answered with handshake messages (the plaintext ones, in order) and no alert.
    Handshake(Vec<HandshakeMessage>),
    /// The tlslite-ng probe completed a handshake and an HTTP exchange.
    Completed { version: String, cipher: String },
    /// The tlslite-ng probe read a renegotiation ServerHello: whether its
    /// renegotiation_info carries both verify_data (RFC 5746 §3.7).
    Renegotiating { binding_ok: bool },
    /// The tlslite-ng probe refused the server's handshake with this alert.
    Refused(AlertDescription),
    /// It closed (or reset) the connection without a word.
    Closed,
    /// Nothing within the idle time.
    Silent,
    /// The probe itself failed; never conformant.
    Broken(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Alert(a) => write!(f, "alert {} {}", a.level, a.description),
            Self::Handshake(msgs) => {
                let types: Vec<String> = msgs.iter().map(|m| m.typ.to_string()).collect();
                write!(f, "handshake [{}]", types.join(", "))
            }
            Self::Completed { version, cipher } => write!(f, "completed {version} {cipher}"),
            Self::Renegotiating { binding_ok } => {
                write!(f, "renegotiation ServerHello (binding ok: {binding_ok})")
            }
            Self::Refused(d) => write!(f, "the client refused the handshake with {d}"),
            Self::Closed => write!(f, "closed without an alert"),
            Self::Silent => write!(f, "no answer in time"),
            Self::Broken(why) => write!(f, "probe failed: {why}"),
        }
    }
}

impl Outcome {
    /// The ServerHello among the answered messages.
    pub fn server_hello(&self) -> Option<ServerHello> {
        let Self::Handshake(msgs) = self else {
            return None;
        };
        let msg = msgs.iter().find(|m| m.typ == HandshakeType::SERVER_HELLO)?;
        ServerHello::from_message(msg, ()).ok()
    }
}

/// A raw connection to the server under test.
pub struct Conn {
    stream: TcpStream,
    inbuf: Vec<u8>,
    joiner: HandshakeJoiner,
    messages: Vec<HandshakeMessage>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream,
            inbuf: Vec::new(),
            joiner: HandshakeJoiner::default(),
            messages: Vec::new(),
        }
    }

    /// Write `bytes`; a server that already closed is reported by the next read.
    pub fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// Read records until `done` says the plaintext handshake so far is enough, an
    /// alert arrives, the server closes, or it stays silent for a while.
    pub fn answer(&mut self, done: impl Fn(&[HandshakeMessage]) -> bool) -> Outcome {
        self.answer_within(IDLE, done)
    }

    /// [`Conn::answer`], giving up after `idle` of silence.
    pub fn answer_within(
        &mut self,
        idle: Duration,
        done: impl Fn(&[HandshakeMessage]) -> bool,
    ) -> Outcome {
        let mut last = Instant::now();
        loop {
            while let Some(outcome) = self.take_record() {
                if let Some(outcome) = outcome {
                    return outcome;
                }
                if done(&self.messages) {
                    return Outcome::Handshake(self.messages.clone());
                }
            }
            let wait = idle.saturating_sub(last.elapsed());
            if wait.is_zero() {
                return Outcome::Silent;
            }
            self.stream.set_read_timeout(Some(wait)).expect("timeout");
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Outcome::Closed,
                Ok(n) => {
                    self.inbuf.extend_from_slice(&chunk[..n]);
                    last = Instant::now();
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return Outcome::Closed,
            }
        }
    }

    /// Take one record off the buffer: `None` when incomplete, `Some(Some(_))` when it
    /// decides the outcome (an alert), `Some(None)` when reading goes on.
    fn take_record(&mut self) -> Option<Option<Outcome>> {
        let mut r = Reader::new(&self.inbuf);
        let header = RecordHeader::read(&mut r).ok()?;
        let payload = r.take(usize::from(header.length), "record").ok()?.to_vec();
        self.inbuf.drain(..RecordHeader::LEN + payload.len());
        match header.content_type {
            ContentType::ALERT => Some(Some(match Alert::from_bytes(&payload) {
                Ok(alert) => Outcome::Alert(alert),
                Err(e) => Outcome::Broken(format!("undecodable alert: {e}")),
            })),
            ContentType::HANDSHAKE => {
                if self.joiner.push(&payload).is_err() {
                    return Some(Some(Outcome::Broken("oversized handshake message".into())));
                }
                while let Some(msg) = self.joiner.pop() {
                    self.messages.push(msg);
                }
                Some(None)
            }
            // Encrypted TLS 1.3 records and ChangeCipherSpec carry nothing readable here.
            _ => Some(None),
        }
    }
}

/// The server's TLS 1.2 flight is complete.
pub fn until_hello_done(msgs: &[HandshakeMessage]) -> bool {
    msgs.iter()
        .any(|m| m.typ == HandshakeType::SERVER_HELLO_DONE)
}

/// A ServerHello ends what is readable in TLS 1.3; in TLS 1.2 wait for the whole flight.
pub fn until_hello(msgs: &[HandshakeMessage]) -> bool {
    until_hello_done(msgs)
        || msgs.iter().any(|m| {
            m.typ == HandshakeType::SERVER_HELLO
                && ServerHello::from_message(m, ()).is_ok_and(|sh| {
                    negotiated_version(&sh) == ProtocolVersion::TLS13 || sh.random == HRR_RANDOM
                })
        })
}

/// The version a ServerHello selects: supported_versions if present, else its version.
pub fn negotiated_version(sh: &ServerHello) -> ProtocolVersion {
    extension(sh, ExtensionType::SUPPORTED_VERSIONS)
        .and_then(|d| ProtocolVersion::from_bytes(d).ok())
        .unwrap_or(sh.version)
}

/// The data of the ServerHello's extension of type `typ`.
pub fn extension(sh: &ServerHello, typ: ExtensionType) -> Option<&[u8]> {
    sh.extensions
        .as_deref()?
        .iter()
        .find(|e| e.typ == typ)
        .map(|e| e.data.as_slice())
}

/// Send `flight` on a fresh connection and read the answer up to the ServerHello.
pub fn exchange(addr: SocketAddr, flight: &[u8]) -> Outcome {
    let mut conn = Conn::open(addr);
    conn.send(flight);
    conn.answer(until_hello)
}

/// Send one hello in one record.
pub fn send_hello(addr: SocketAddr, hello: Hello) -> Outcome {
    exchange(addr, &hello.record())
}

/// Run tests/clients/tls_probe.py (tlslite-ng) against `addr` with `args`.
pub fn python_probe(addr: SocketAddr, args: &[&str]) -> Outcome {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/tls_probe.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(["--port", &addr.port().to_string(), "--host", HOST])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 (make deps installs it): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(line) = stdout.lines().last() else {
        return Outcome::Broken(format!(
            "tls_probe.py printed nothing; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    let v: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Outcome::Broken(format!("tls_probe.py printed {line:?}: {e}")),
    };
    match v["outcome"].as_str() {
        Some("alert") => Outcome::Alert(Alert {
            level: AlertLevel(v["level"].as_u64().unwrap_or(0) as u8),
            description: AlertDescription(v["description"].as_u64().unwrap_or(255) as u8),
        }),
        Some("completed") => Outcome::Completed {
            version: v["version"].as_str().unwrap_or("?").to_string(),
            cipher: v["cipher"].as_str().unwrap_or("?").to_string(),
        },
        Some("renegotiating") => Outcome::Renegotiating {
            binding_ok: v["binding_ok"].as_bool().unwrap_or(false),
        },
        Some("refused") => Outcome::Refused(AlertDescription(
            v["description"].as_u64().unwrap_or(255) as u8,
        )),
        Some("closed") => Outcome::Closed,
        Some("silent") => Outcome::Silent,
        _ => Outcome::Broken(format!("tls_probe.py: {line}")),
    }
}
