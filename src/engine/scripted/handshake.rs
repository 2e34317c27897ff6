//! One full TLS 1.0–1.2 server handshake, message by message: ClientHello →
//! ServerHello, Certificate, [ServerKeyExchange], [CertificateRequest], ServerHelloDone
//! → [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished
//! → ChangeCipherSpec, Finished.

use tokio::io::{AsyncRead, AsyncWrite};

use super::crypto::hash::Transcript;
use super::crypto::kx::{EphemeralKey, GROUPS};
use super::crypto::prf::{self, Prf, Sender};
use super::crypto::protect::{derive_protections, Protection};
use super::crypto::suites::{Kx, SuiteSpec};
use super::crypto::verify::verify_signature;
use super::faults::{self, Abort, Outgoing, SendError};
use super::records::{RecordError, RecordIo};
use super::sessions::Saved;
use super::{ClientAuthPlan, ScriptedConfig, ServedCert};
use crate::observe::{parse_client_hello, ClientHelloInfo, Direction, MAX_CLIENT_HELLO};
use crate::scenario::{Fault, FaultAction, Step};
use crate::wire::{
    AlertDescription, Certificate, CertificateRequest, CertificateVerify, ChangeCipherSpec,
    CipherSuite, ClientCertificateType, ClientKeyExchange, Codec, Compression, ContentType,
    DigitallySigned, ECPointFormat, EcdheParams, Extension, ExtensionType, Finished,
    HandshakeJoiner, HandshakeMessage, HandshakePayload, HandshakeTooLarge, HandshakeType,
    KeyExchangeKind, NamedGroup, ProtocolVersion, ServerHello, ServerHelloDone, ServerKeyExchange,
    SignatureScheme,
};

/// What a completed handshake settled.
#[derive(Clone)]
pub(super) struct Established {
    pub version: ProtocolVersion,
    pub suite: &'static SuiteSpec,
    pub alpn: Option<String>,
    pub client_chain: Vec<Vec<u8>>,
    /// An abbreviated handshake resumed a cached session.
    pub resumed: bool,
    /// Whether RFC 5746 secure renegotiation is in force on this connection.
    pub secure_renegotiation: bool,
    /// The Finished verify_data of both sides (RFC 5746 binds the next handshake to them).
    pub client_verify: Vec<u8>,
    pub server_verify: Vec<u8>,
}

/// What this handshake settled before the ServerHello, beyond the suite.
struct Ours {
    binding: Option<Vec<u8>>,
    ems: bool,
    secure_renegotiation: bool,
}

/// The ServerHello (with the scenario's lies) and the ALPN protocol it selects.
#[allow(clippy::too_many_arguments)] // each is one field of the message
fn server_hello(
    cfg: &ScriptedConfig,
    hello: &ClientHelloInfo,
    version: ProtocolVersion,
    suite: &SuiteSpec,
    binding: &Option<Vec<u8>>,
    ems: bool,
    session_id: &[u8],
    random: [u8; 32],
) -> (ServerHello, Option<String>) {
    let mut extensions = Vec::new();
    if let Some(binding) = binding {
        extensions.push(Extension::renegotiation_info(binding));
    }
    if ems {
        extensions.push(Extension::extended_master_secret());
    }
    if suite.kx != Kx::Rsa && !hello.ec_point_formats.is_empty() {
        extensions.push(Extension::ec_point_formats(&[ECPointFormat::UNCOMPRESSED]));
    }
    let alpn = cfg.alpn.iter().find(|p| hello.alpn.contains(p)).cloned();
    if let Some(p) = &alpn {
        extensions.push(Extension::alpn(p.as_bytes()));
    }
    let mut server_hello = ServerHello {
        version,
        random,
        session_id: session_id.to_vec(),
        cipher_suite: suite.id,
        compression: crate::wire::Compression::NULL,
        extensions: None,
    };
    lie_in_server_hello(&mut server_hello, &mut extensions, &cfg.faults);
    server_hello.extensions = (!extensions.is_empty()).then_some(extensions);
    (server_hello, alpn)
}

/// The abbreviated handshake (RFC 5246 §7.3): ServerHello with the client's session ID,
/// then our ChangeCipherSpec and Finished first, then the client's.
async fn resume<S: AsyncRead + AsyncWrite + Unpin>(
    cfg: &ScriptedConfig,
    rec: &mut RecordIo<S>,
    reader: &mut Reader,
    hello_bytes: &[u8],
    hello: &ClientHelloInfo,
    saved: Saved,
    ours: Ours,
) -> Result<Established, Failure> {
    let version = saved.version;
    let prf = Prf::new(saved.suite, version);
    let mut transcript = Transcript::new(prf);
    transcript.add(hello_bytes);
    let server_random = server_random(cfg, version);
    let (reply, alpn) = server_hello(
        cfg,
        hello,
        version,
        saved.suite,
        &ours.binding,
        ours.ems,
        &hello.session_id,
        server_random,
    );
    let bytes = reply.to_message().to_bytes();
    transcript.add(&bytes);
    let outgoing = Outgoing {
        step: Step::ServerHello,
        content_type: ContentType::HANDSHAKE,
        bytes,
    };
    faults::send(rec, vec![outgoing], &cfg.faults).await?;
    if let Some(keylog) = &cfg.keylog {
        keylog.log("CLIENT_RANDOM", &hello.random, &saved.master);
    }
    let (client_read, server_write) = derive_protections(
        saved.suite,
        version,
        &saved.master,
        &hello.random,
        &server_random,
    );
    let server_verify =
        send_ccs_finished(cfg, rec, server_write, prf, &saved.master, &transcript).await?;
    let ours_finished = Finished {
        verify_data: server_verify.to_vec(),
    };
    transcript.add(&ours_finished.to_message().to_bytes());
    let client_verify = read_ccs_finished(
        rec,
        reader,
        client_read,
        prf,
        &saved.master,
        &mut transcript,
    )
    .await?;
    Ok(Established {
        version,
        suite: saved.suite,
        alpn,
        client_chain: saved.client_chain,
        resumed: true,
        secure_renegotiation: ours.secure_renegotiation,
        client_verify: client_verify.to_vec(),
        server_verify: server_verify.to_vec(),
    })
}

/// What differs between the first handshake and a renegotiation.
pub(super) struct Round<'a> {
    /// The CertificateRequest to send, if any.
    pub client_auth: Option<&'a ClientAuthPlan>,
    /// The handshake being renegotiated; `None` for the first one.
    pub previous: Option<&'a Established>,
    /// Handshake bytes already read (a ClientHello that arrived with application data).
    pub already_read: &'a [u8],
}

/// Why the handshake stopped: the alert to send (if any) and what happened.
#[derive(Debug)]
pub(super) struct Failure {
    pub alert: Option<AlertDescription>,
    pub reason: String,
    pub from_client: Option<RecordError>,
    /// The client's chain, when one arrived before the failure.
    pub client_chain: Vec<Vec<u8>>,
    /// A fault ended the connection this way.
    pub abort: Option<Abort>,
}

impl Failure {
    pub(super) fn new(alert: AlertDescription, reason: impl Into<String>) -> Self {
        Self {
            alert: Some(alert),
            reason: reason.into(),
            from_client: None,
            client_chain: Vec::new(),
            abort: None,
        }
    }
}

impl From<SendError> for Failure {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Aborted(how, _) => Self {
                alert: None,
                reason: e.to_string(),
                from_client: None,
                client_chain: Vec::new(),
                abort: Some(how),
            },
            SendError::Io(io) => RecordError::Io(io).into(),
        }
    }
}

impl From<RecordError> for Failure {
    fn from(e: RecordError) -> Self {
        let alert = match &e {
            RecordError::Bad { alert, .. } => Some(*alert),
            _ => None,
        };
        Self {
            alert,
            reason: e.to_string(),
            from_client: Some(e),
            client_chain: Vec::new(),
            abort: None,
        }
    }
}

/// Reads handshake messages across records, adding each to the transcript once it exists.
pub(super) struct Reader {
    pub joiner: HandshakeJoiner,
    /// TLS 1.3: the client's middlebox-compatibility ChangeCipherSpec is dropped.
    pub tls13: bool,
}

impl Reader {
    pub(super) async fn next<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        rec: &mut RecordIo<S>,
    ) -> Result<HandshakeMessage, Failure> {
        loop {
            if let Some(msg) = self.joiner.pop() {
                rec.note(Direction::Received, ContentType::HANDSHAKE, &msg.to_bytes());
                return Ok(msg);
            }
            let record = rec.read().await?;
            //= https://www.rfc-editor.org/rfc/rfc8446#section-5
            //# An implementation may receive an unencrypted record of type
            //# change_cipher_spec consisting of the single byte value 0x01 at any
            //# time after the first ClientHello message has been sent or received
            //# and before the peer's Finished message has been received and MUST
            //# simply drop it without further processing.
            if self.tls13
                && record.content_type == ContentType::CHANGE_CIPHER_SPEC
                && record.payload == [1]
                && self.joiner.is_empty()
            {
                rec.note(Direction::Received, record.content_type, &record.payload);
                continue;
            }
            if record.content_type != ContentType::HANDSHAKE {
                return Err(Failure::new(
                    AlertDescription::UNEXPECTED_MESSAGE,
                    format!("expected a handshake record, got {}", record.content_type),
                ));
            }
            self.joiner.push(&record.payload).map_err(too_large)?;
        }
    }

    pub(super) async fn expect<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        rec: &mut RecordIo<S>,
        typ: HandshakeType,
    ) -> Result<HandshakeMessage, Failure> {
        let msg = self.next(rec).await?;
        if msg.typ != typ {
            return Err(Failure::new(
                AlertDescription::UNEXPECTED_MESSAGE,
                format!("expected {typ}, got {}", msg.typ),
            ));
        }
        Ok(msg)
    }
}

/// A handshake message declaring more than the joiner takes, refused from its header.
pub(super) fn too_large(e: HandshakeTooLarge) -> Failure {
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
    //# illegal_parameter
    //#    A field in the handshake was out of range or inconsistent with
    //#    other fields.
    // (OpenSSL's answer to a message over its size limit.)
    Failure::new(AlertDescription::ILLEGAL_PARAMETER, e.to_string())
}

/// Extensions this engine reads: one whose contents do not parse is a decode_error
/// rather than ignored.
const READ_EXTENSIONS: [ExtensionType; 7] = [
    ExtensionType::SERVER_NAME,
    ExtensionType::SUPPORTED_GROUPS,
    ExtensionType::EC_POINT_FORMATS,
    ExtensionType::SIGNATURE_ALGORITHMS,
    ExtensionType::ALPN,
    ExtensionType::EXTENDED_MASTER_SECRET,
    ExtensionType::RENEGOTIATION_INFO,
];

/// Refuse a hello whose fields are out of range, or with a malformed extension this
/// engine would act on.
fn check_hello(hello: &ClientHelloInfo) -> Result<(), Failure> {
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# CipherSuite cipher_suites<2..2^16-2>;
    if hello.cipher_suites.is_empty() {
        return Err(decode_error("the ClientHello offers no cipher suites"));
    }
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.4
    //# There MUST NOT be more than one extension of the same type.
    if let Some(typ) = hello
        .extensions
        .iter()
        .enumerate()
        .find_map(|(i, t)| hello.extensions[..i].contains(t).then_some(t))
    {
        return Err(Failure::new(
            AlertDescription::ILLEGAL_PARAMETER,
            format!("the ClientHello carries {typ} twice"),
        ));
    }
    match hello
        .malformed_extensions
        .iter()
        .find(|t| READ_EXTENSIONS.contains(t))
    {
        //= https://www.rfc-editor.org/rfc/rfc7627#section-5.1
        //# The "extension_data" field of this extension is empty.
        Some(&ExtensionType::EXTENDED_MASTER_SECRET) => Err(decode_error(
            "extended_master_secret carries data; its extension_data must be empty (RFC 7627 §5.1)",
        )),
        //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
        //# decode_error
        //#    A message could not be decoded because some field was out of the
        //#    specified range or the length of the message was incorrect.
        Some(typ) => Err(decode_error(format!("malformed {typ} extension"))),
        None => Ok(()),
    }
}

pub(super) fn decode_error(e: impl std::fmt::Display) -> Failure {
    Failure::new(AlertDescription::DECODE_ERROR, e.to_string())
}

/// The highest version both sides speak.
fn choose_version(
    cfg: &ScriptedConfig,
    hello: &ClientHelloInfo,
    renegotiating: bool,
) -> Result<ProtocolVersion, Failure> {
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.1
    //# If this extension is present in the ClientHello, servers MUST NOT use
    //# the ClientHello.legacy_version value for version negotiation and MUST
    //# use only the "supported_versions" extension to determine client
    //# preferences.
    // A server without TLS 1.3 predates the extension and goes by legacy_version (as
    // the old servers these scenarios play did).
    let tls13 = cfg.versions.contains(&ProtocolVersion::TLS13);
    let offered = |v: &ProtocolVersion| match tls13 && !hello.supported_versions.is_empty() {
        false => *v <= hello.legacy_version && *v < ProtocolVersion::TLS13,
        true => hello.supported_versions.contains(v),
    };
    cfg.versions
        .iter()
        .rev()
        // TLS 1.3 has no renegotiation: a TLS 1.2 connection stays below it.
        .find(|v| offered(v) && !(renegotiating && **v == ProtocolVersion::TLS13))
        .copied()
        .ok_or_else(|| {
            Failure::new(
                AlertDescription::PROTOCOL_VERSION,
                format!("client offers at most {}", hello.legacy_version),
            )
        })
}

/// ServerHello.random; a server that speaks TLS 1.3 marks a lower version in its last
/// eight bytes.
fn server_random(cfg: &ScriptedConfig, version: ProtocolVersion) -> [u8; 32] {
    let mut random = random32();
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3
    //# TLS 1.3 servers which negotiate TLS 1.2 or below in response to a
    //# ClientHello MUST set the last 8 bytes of their Random value specially
    //# in their ServerHello.
    if cfg.versions.contains(&ProtocolVersion::TLS13) && version < ProtocolVersion::TLS13 {
        let last = u8::from(version == ProtocolVersion::TLS12);
        random[24..].copy_from_slice(&[b'D', b'O', b'W', b'N', b'G', b'R', b'D', last]);
    }
    random
}

fn kx_fits(kx: Kx, cert: &ServedCert) -> bool {
    match kx {
        Kx::Rsa | Kx::EcdheRsa => cert.key.is_rsa(),
        Kx::EcdheEcdsa => cert.key.is_ecdsa(),
        Kx::Tls13 => false,
    }
}

/// The suite per the scenario's order, and the ECDHE group when it needs one.
fn choose_suite(
    cfg: &ScriptedConfig,
    hello: &ClientHelloInfo,
    version: ProtocolVersion,
    cert: &ServedCert,
) -> Result<(&'static SuiteSpec, Option<NamedGroup>), Failure> {
    // RFC 4492: a client without supported_groups accepts the NIST curves.
    let client_groups: Vec<NamedGroup> = if hello.groups.is_empty() {
        vec![NamedGroup::SECP256R1, NamedGroup::SECP384R1]
    } else {
        hello.groups.clone()
    };
    let group = cfg
        .groups
        .iter()
        .copied()
        .find(|g| client_groups.contains(g) && GROUPS.contains(g));
    let usable = |s: &SuiteSpec| {
        s.supports(version) && kx_fits(s.kx, cert) && (s.kx == Kx::Rsa || group.is_some())
    };
    let chosen = if cfg.client_order {
        hello.cipher_suites.iter().find_map(|id| {
            cfg.suites
                .iter()
                .copied()
                .find(|s| s.id == *id && usable(s))
        })
    } else {
        cfg.suites
            .iter()
            .copied()
            .find(|s| usable(s) && hello.cipher_suites.contains(&s.id))
    };
    let suite = chosen.ok_or_else(|| {
        Failure::new(
            AlertDescription::HANDSHAKE_FAILURE,
            format!("no cipher suite in common for {version}"),
        )
    })?;
    Ok((suite, (suite.kx != Kx::Rsa).then_some(group).flatten()))
}

pub(super) fn random32() -> [u8; 32] {
    let mut r = [0u8; 32];
    aws_lc_rs::rand::fill(&mut r).expect("the system RNG works");
    r
}

/// Schemes a client CertificateVerify may use (what `verify_signature` checks).
const CLIENT_SCHEMES: [SignatureScheme; 8] = [
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA1,
];

/// Run the server side of a full handshake. The ClientHello is read from `rec` (the
/// first flight is replayed there).
pub(super) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    cfg: &ScriptedConfig,
    rec: &mut RecordIo<S>,
    round: &Round<'_>,
) -> Result<Established, Failure> {
    // Every message may be as large as the largest ClientHello (OpenSSL takes 100 KiB
    // certificate lists), no larger.
    let mut reader = Reader {
        joiner: HandshakeJoiner::with_limit(MAX_CLIENT_HELLO),
        tls13: false,
    };
    if !round.already_read.is_empty() {
        reader.joiner.push(round.already_read).map_err(too_large)?;
    }
    let hello_msg = reader.expect(rec, HandshakeType::CLIENT_HELLO).await?;
    let hello = parse_client_hello(&hello_msg.to_bytes()).map_err(decode_error)?;
    check_hello(&hello)?;
    let version = choose_version(cfg, &hello, round.previous.is_some())?;
    if version == ProtocolVersion::TLS13 {
        return super::tls13::run(cfg, rec, reader, hello_msg, hello, round.client_auth).await;
    }
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3
    //# compression_method
    //#    The single compression algorithm selected by the server from the
    //#    list in ClientHello.compression_methods.
    if !hello.compression_methods.contains(&Compression::NULL) {
        return Err(Failure::new(
            AlertDescription::HANDSHAKE_FAILURE,
            "the ClientHello offers no null compression, the only method this server has",
        ));
    }
    rec.version = version;
    let cert = cfg.cert_for(hello.sni.as_deref());
    let (suite, group) = choose_suite(cfg, &hello, version, cert)?;
    let (secure_renegotiation, binding) = renegotiation_binding(cfg, &hello, round.previous)?;
    let prf = Prf::new(suite, version);
    let mut transcript = Transcript::new(prf);
    transcript.add(&hello_msg.to_bytes());

    let ems = cfg.extended_master_secret && hello.extended_master_secret;
    let resumable = match (&cfg.sessions, round.previous) {
        (Some(cache), None) => cache.resumable(&hello, version, ems),
        _ => None,
    };
    if let Some(saved) = resumable {
        let hello_bytes = hello_msg.to_bytes();
        let ours = Ours {
            binding,
            ems,
            secure_renegotiation,
        };
        return resume(cfg, rec, &mut reader, &hello_bytes, &hello, saved, ours).await;
    }

    // ServerHello and the rest of the server's flight, sent as one write.
    let server_random = server_random(cfg, version);
    let session_id = random32().to_vec();
    let (server_hello, alpn) = server_hello(
        cfg,
        &hello,
        version,
        suite,
        &binding,
        ems,
        &session_id,
        server_random,
    );
    let mut flight: Vec<(Step, HandshakeMessage)> = vec![
        (Step::ServerHello, server_hello.to_message()),
        (
            Step::Certificate,
            Certificate {
                chain: cert.chain.clone(),
            }
            .to_message(),
        ),
    ];
    let ephemeral = match group {
        Some(group) => {
            let (key, public) = EphemeralKey::generate(group)
                .map_err(|e| Failure::new(e.alert(), e.to_string()))?;
            let params = EcdheParams { group, public };
            let scheme = if version == ProtocolVersion::TLS12 {
                Some(
                    cert.key
                        .choose_scheme(&hello.signature_algorithms)
                        .ok_or_else(|| {
                            Failure::new(
                                AlertDescription::HANDSHAKE_FAILURE,
                                "no signature scheme in common",
                            )
                        })?,
                )
            } else {
                None
            };
            let sig = cert
                .key
                .sign(
                    scheme,
                    &params.signed_message(&hello.random, &server_random),
                )
                .map_err(|e| Failure::new(e.alert(), e.to_string()))?;
            flight.push((
                Step::ServerKeyExchange,
                ServerKeyExchange {
                    params,
                    signature: DigitallySigned { scheme, sig },
                }
                .to_message(),
            ));
            Some(key)
        }
        None => None,
    };
    if let Some(auth) = round.client_auth {
        flight.push((
            Step::CertificateRequest,
            CertificateRequest {
                cert_types: or_default(
                    &auth.certificate_types,
                    &[
                        ClientCertificateType::RSA_SIGN,
                        ClientCertificateType::ECDSA_SIGN,
                    ],
                ),
                sig_schemes: (version == ProtocolVersion::TLS12)
                    .then(|| or_default(&auth.signature_algorithms, &CLIENT_SCHEMES)),
                ca_names: auth.ca_names.clone(),
            }
            .to_message(),
        ));
    }
    flight.push((Step::ServerHelloDone, ServerHelloDone.to_message()));
    let outgoing = flight
        .iter()
        .map(|(step, msg)| {
            let bytes = msg.to_bytes();
            transcript.add(&bytes);
            Outgoing {
                step: *step,
                content_type: ContentType::HANDSHAKE,
                bytes,
            }
        })
        .collect();
    faults::send(rec, outgoing, &cfg.faults).await?;

    // The client's flight.
    let mut client_chain = Vec::new();
    if let Some(auth) = round.client_auth {
        let msg = reader.expect(rec, HandshakeType::CERTIFICATE).await?;
        transcript.add(&msg.to_bytes());
        client_chain = Certificate::from_message(&msg, ())
            .map_err(decode_error)?
            .chain;
        let fail = |mut f: Failure, chain: &[Vec<u8>]| {
            f.client_chain = chain.to_vec();
            f
        };
        if client_chain.is_empty() && auth.mandatory {
            //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.6
            //# If the client does not send any certificates, the
            //# server MAY at its discretion either continue the handshake without
            //# client authentication, or respond with a fatal handshake_failure
            //# alert.
            return Err(Failure::new(
                auth.missing_alert(AlertDescription::HANDSHAKE_FAILURE),
                "client sent no certificate and one is required",
            ));
        }
        if !client_chain.is_empty() {
            if let Err((alert, reason)) = auth.verify(&client_chain) {
                return Err(fail(
                    Failure::new(alert, format!("client certificate rejected: {reason}")),
                    &client_chain,
                ));
            }
        }
    }
    let cke = reader
        .expect(rec, HandshakeType::CLIENT_KEY_EXCHANGE)
        .await?;
    transcript.add(&cke.to_bytes());
    let kind = match ephemeral {
        Some(_) => KeyExchangeKind::Ecdhe,
        None => KeyExchangeKind::Rsa,
    };
    let premaster = match (
        ClientKeyExchange::from_message(&cke, kind).map_err(decode_error)?,
        ephemeral,
    ) {
        (ClientKeyExchange::EcdhPublic(public), Some(key)) => key
            .agree(&public)
            .map_err(|e| Failure::new(e.alert(), e.to_string()))?,
        (ClientKeyExchange::EncryptedPreMaster(ct), _) => cert
            .key
            .decrypt_premaster_or_random(&ct, hello.legacy_version)
            .to_vec(),
        _ => {
            return Err(decode_error(
                "ClientKeyExchange does not fit the key exchange",
            ))
        }
    };
    let master = if ems {
        prf::extended_master_secret(prf, &premaster, &transcript.current())
    } else {
        prf::master_secret(prf, &premaster, &hello.random, &server_random)
    };
    if let Some(keylog) = &cfg.keylog {
        keylog.log("CLIENT_RANDOM", &hello.random, &master);
    }
    if let Some(leaf) = client_chain.first() {
        let msg = reader
            .expect(rec, HandshakeType::CERTIFICATE_VERIFY)
            .await?;
        let cv = CertificateVerify::from_message(&msg, version).map_err(decode_error)?;
        if let Err(e) = verify_signature(leaf, cv.0.scheme, transcript.messages(), &cv.0.sig) {
            let mut f = Failure::new(e.alert(), format!("CertificateVerify: {e}"));
            f.client_chain = client_chain;
            return Err(f);
        }
        transcript.add(&msg.to_bytes());
    }
    let (client_read, server_write) =
        derive_protections(suite, version, &master, &hello.random, &server_random);

    let client_verify =
        read_ccs_finished(rec, &mut reader, client_read, prf, &master, &mut transcript).await?;
    let server_verify =
        send_ccs_finished(cfg, rec, server_write, prf, &master, &transcript).await?;
    if let Some(cache) = &cfg.sessions {
        let saved = Saved {
            version,
            suite,
            master,
            extended_master_secret: ems,
            client_chain: client_chain.clone(),
        };
        cache.put(session_id, saved);
    }
    Ok(Established {
        version,
        suite,
        alpn,
        client_chain,
        resumed: false,
        secure_renegotiation,
        client_verify: client_verify.to_vec(),
        server_verify: server_verify.to_vec(),
    })
}

/// The client's ChangeCipherSpec (its records are protected from then on) and its
/// Finished, checked: its verify_data, which the transcript then includes.
async fn read_ccs_finished<S: AsyncRead + AsyncWrite + Unpin>(
    rec: &mut RecordIo<S>,
    reader: &mut Reader,
    client_read: Protection,
    prf: Prf,
    master: &[u8; 48],
    transcript: &mut Transcript,
) -> Result<[u8; 12], Failure> {
    let ccs = rec.read().await?;
    if ccs.content_type != ContentType::CHANGE_CIPHER_SPEC || !reader.joiner.is_empty() {
        return Err(Failure::new(
            AlertDescription::UNEXPECTED_MESSAGE,
            format!("expected ChangeCipherSpec, got {}", ccs.content_type),
        ));
    }
    rec.note(
        Direction::Received,
        ContentType::CHANGE_CIPHER_SPEC,
        &ccs.payload,
    );
    ChangeCipherSpec::from_bytes(&ccs.payload).map_err(decode_error)?;
    rec.read = client_read;
    let fin = reader.expect(rec, HandshakeType::FINISHED).await?;
    let client_verify = prf::verify_data(prf, master, Sender::Client, &transcript.current());
    let got = Finished::from_message(&fin, ()).map_err(decode_error)?;
    if got.verify_data != client_verify {
        return Err(Failure::new(
            AlertDescription::DECRYPT_ERROR,
            "client Finished does not verify",
        ));
    }
    transcript.add(&fin.to_bytes());
    Ok(client_verify)
}

/// Our ChangeCipherSpec and Finished (with the scenario's faults); our verify_data.
async fn send_ccs_finished<S: AsyncRead + AsyncWrite + Unpin>(
    cfg: &ScriptedConfig,
    rec: &mut RecordIo<S>,
    server_write: Protection,
    prf: Prf,
    master: &[u8; 48],
    transcript: &Transcript,
) -> Result<[u8; 12], Failure> {
    let ccs = Outgoing {
        step: Step::ChangeCipherSpec,
        content_type: ContentType::CHANGE_CIPHER_SPEC,
        bytes: ChangeCipherSpec.to_bytes(),
    };
    faults::send(rec, vec![ccs], &cfg.faults).await?;
    rec.write = server_write;
    let server_verify = prf::verify_data(prf, master, Sender::Server, &transcript.current());
    let finished = finished_outgoing(&cfg.faults, &server_verify);
    faults::send(rec, vec![finished], &cfg.faults).await?;
    Ok(server_verify)
}

/// Our Finished as sent: with `wrong_verify_data`, its verify_data flipped.
pub(super) fn finished_outgoing(faults: &[Fault], verify_data: &[u8]) -> Outgoing {
    let mut sent = verify_data.to_vec();
    if faults_at(faults, Step::Finished).any(|a| *a == FaultAction::WrongVerifyData) {
        sent.iter_mut().for_each(|b| *b ^= 0x5a);
    }
    Outgoing {
        step: Step::Finished,
        content_type: ContentType::HANDSHAKE,
        bytes: Finished { verify_data: sent }.to_message().to_bytes(),
    }
}

/// The scenario's list, or the engine's when the scenario gives none.
pub(super) fn or_default<T: Clone>(configured: &[T], default: &[T]) -> Vec<T> {
    match configured.is_empty() {
        true => default.to_vec(),
        false => configured.to_vec(),
    }
}

pub(super) fn faults_at(faults: &[Fault], step: Step) -> impl Iterator<Item = &FaultAction> {
    faults
        .iter()
        .filter(move |f| f.at == step)
        .map(|f| &f.action)
}

/// The ServerHello field lies a scenario asks for: another version, suite, compression,
/// or an extension the client never offered.
fn lie_in_server_hello(hello: &mut ServerHello, extensions: &mut Vec<Extension>, faults: &[Fault]) {
    for action in faults_at(faults, Step::ServerHello) {
        match *action {
            FaultAction::HelloVersion { version } => hello.version = ProtocolVersion(version),
            FaultAction::CipherSuite { suite } => hello.cipher_suite = CipherSuite(suite),
            FaultAction::Compression { method } => hello.compression = Compression(method),
            FaultAction::UnknownExtension { typ } => extensions.push(Extension {
                typ: ExtensionType(typ),
                data: Vec::new(),
            }),
            _ => {}
        }
    }
}

/// RFC 5746: whether secure renegotiation is in force after this handshake, and the
/// renegotiation_info the ServerHello carries (`None`: no extension). A first handshake
/// must carry an empty one; a secure renegotiation must carry the client's previous
/// verify_data; a legacy (insecure) connection renegotiates without the extension.
fn renegotiation_binding(
    cfg: &ScriptedConfig,
    hello: &ClientHelloInfo,
    previous: Option<&Established>,
) -> Result<(bool, Option<Vec<u8>>), Failure> {
    let offered = hello.renegotiation_info_data.as_deref();
    match previous {
        None => {
            if offered.is_some_and(|d| !d.is_empty()) {
                return Err(Failure::new(
                    AlertDescription::HANDSHAKE_FAILURE,
                    "initial ClientHello carries non-empty renegotiation_info (RFC 5746 §3.6)",
                ));
            }
            let secure = cfg.secure_renegotiation && (hello.renegotiation_info || hello.scsv);
            Ok((secure, secure.then(Vec::new)))
        }
        Some(prev) if prev.secure_renegotiation => {
            //= https://www.rfc-editor.org/rfc/rfc5746#section-3.7
            //# When a ClientHello is received, the server MUST verify that it does
            //# not contain the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV.  If the SCSV
            //# is present, the server MUST abort the handshake.
            if hello.scsv {
                return Err(Failure::new(
                    AlertDescription::HANDSHAKE_FAILURE,
                    "renegotiation ClientHello carries TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.7)",
                ));
            }
            //= https://www.rfc-editor.org/rfc/rfc5746#section-3.7
            //# The server MUST verify that the "renegotiation_info" extension is
            //# present; if it is not, the server MUST abort the handshake.
            if offered != Some(prev.client_verify.as_slice()) {
                return Err(Failure::new(
                    AlertDescription::HANDSHAKE_FAILURE,
                    "renegotiation ClientHello lacks the previous client verify_data (RFC 5746 §3.7)",
                ));
            }
            Ok((
                true,
                Some([prev.client_verify.as_slice(), &prev.server_verify].concat()),
            ))
        }
        Some(_) => Ok((false, None)),
    }
}
