//! The scripted engine: our own TLS 1.0–1.3 server, for what rustls refuses by design
//! (static RSA, CBC and RC4 suites, old versions; renegotiation and message-level
//! faults build on it). `handshake` plays TLS 1.0–1.2 and hands a ClientHello that
//! negotiates TLS 1.3 to `tls13`.

mod crypto;
mod faults;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzz;
mod handshake;
mod records;
mod session;
mod sessions;
mod tls13;

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpStream;

use self::crypto::keys::ServerKey;
use self::crypto::suites::SuiteSpec;
use self::faults::Abort;
use self::handshake::{Failure, Round};
use self::records::{AppRecords, RecordError, RecordIo};
pub(crate) use self::records::{Ended, PeerAlert};
use self::session::ScriptedSession;
use super::{EngineError, ReplayTap, Session};
use crate::observe::{CloseKind, Event, KeyLog, Observation};
use crate::pki::Pki;
use crate::scenario::{
    CipherOrder, ClientAuthMode, ClientRenegotiation, Fault, Scenario, Step, TlsVersion,
};
use crate::wire::{
    Alert, AlertDescription, CipherSuite, ClientCertificateType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};

/// Every suite: IANA name and the oldest and newest versions it is defined for.
pub(super) fn suites() -> impl Iterator<Item = (&'static str, TlsVersion, TlsVersion)> {
    let version = |v: ProtocolVersion| match v {
        ProtocolVersion::TLS13 => TlsVersion::Tls13,
        ProtocolVersion::TLS12 => TlsVersion::Tls12,
        ProtocolVersion::TLS11 => TlsVersion::Tls11,
        _ => TlsVersion::Tls10,
    };
    crypto::suites::all()
        .iter()
        .map(move |s| (s.name, version(s.min_version), version(s.max_version)))
}

/// A certificate chain and its parsed key, ready to serve.
pub(super) struct ServedCert {
    chain: Vec<Vec<u8>>,
    key: ServerKey,
}

/// Who may present a client certificate, and what CertificateRequest names.
pub(super) struct ClientAuthPlan {
    mandatory: bool,
    ca_names: Vec<Vec<u8>>,
    /// CertificateRequest certificate_types and (TLS 1.2) signature algorithms; empty =
    /// the engine's defaults.
    certificate_types: Vec<ClientCertificateType>,
    signature_algorithms: Vec<SignatureScheme>,
    verifier: Arc<dyn ClientCertVerifier>,
    reject_alert: Option<AlertDescription>,
}

impl ClientAuthPlan {
    /// The alert for a missing mandatory certificate: the scenario's `reject_alert`, else
    /// the version's own (`natural`).
    fn missing_alert(&self, natural: AlertDescription) -> AlertDescription {
        self.reject_alert.unwrap_or(natural)
    }

    /// Check the chain against the trusted CAs: the alert and reason when refused.
    fn verify(&self, chain: &[Vec<u8>]) -> Result<(), (AlertDescription, String)> {
        let (leaf, rest) = chain
            .split_first()
            .ok_or((AlertDescription::BAD_CERTIFICATE, "empty chain".to_string()))?;
        let intermediates: Vec<CertificateDer<'_>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        self.verifier
            .verify_client_cert(
                &CertificateDer::from(leaf.as_slice()),
                &intermediates,
                UnixTime::now(),
            )
            .map(|_| ())
            .map_err(|e| {
                let natural = match &e {
                    rustls::Error::InvalidCertificate(c) => {
                        AlertDescription(u8::from(rustls::AlertDescription::from(c.clone())))
                    }
                    _ => AlertDescription::BAD_CERTIFICATE,
                };
                (self.reject_alert.unwrap_or(natural), e.to_string())
            })
    }
}

/// One scenario's handshake parameters, prepared once at server start.
pub(crate) struct ScriptedConfig {
    versions: Vec<ProtocolVersion>,
    suites: Vec<&'static SuiteSpec>,
    client_order: bool,
    groups: Vec<NamedGroup>,
    alpn: Vec<String>,
    default_cert: ServedCert,
    by_name: BTreeMap<String, ServedCert>,
    client_auth: Option<ClientAuthPlan>,
    /// `Some` when the scenario renegotiates: the second handshake's CertificateRequest.
    renegotiate: Option<Option<ClientAuthPlan>>,
    secure_renegotiation: bool,
    extended_master_secret: bool,
    /// The answer to a ClientHello the client sends unasked after the handshake.
    client_renegotiation: ClientRenegotiation,
    /// ClientHellos after the first handshake (and HelloRequests) one connection may have.
    max_renegotiations: u32,
    /// Message-level faults, applied to every handshake and the first app record.
    faults: Vec<Fault>,
    /// NSS key log: a CLIENT_RANDOM line per handshake.
    keylog: Option<KeyLog>,
    /// Sessions to resume by ID; `None` when the scenario does not resume.
    sessions: Option<sessions::SessionCache>,
}

impl ScriptedConfig {
    pub(crate) fn new(
        scenario: &Scenario,
        pki: &Pki,
        keylog: Option<KeyLog>,
    ) -> Result<Self, EngineError> {
        let tls = &scenario.tls;
        let served = |entity: &str, chain: Option<&[String]>| -> Result<ServedCert, EngineError> {
            let leaf = pki.entity(entity)?;
            let chain = match chain {
                Some(names) => names
                    .iter()
                    .map(|n| Ok(pki.entity(n)?.cert.to_vec()))
                    .collect::<Result<_, EngineError>>()?,
                None => leaf.chain_der().iter().map(|c| c.to_vec()).collect(),
            };
            let key = ServerKey::from_pkcs8(leaf.key.secret_pkcs8_der())
                .map_err(|e| EngineError::Config(format!("key of `{entity}`: {e}")))?;
            Ok(ServedCert { chain, key })
        };
        let suites = if tls.cipher_suites.is_empty() {
            default_preference()
        } else {
            tls.cipher_suites
                .iter()
                .map(|name| {
                    CipherSuite::from_name(name)
                        .and_then(crypto::suites::suite)
                        .ok_or_else(|| {
                            EngineError::Config(format!("cipher suite {name} unsupported"))
                        })
                })
                .collect::<Result<_, _>>()?
        };
        // TLS 1.2 takes the ECDHE groups among these; TLS 1.3 all of them.
        let groups = if tls.groups.is_empty() {
            crypto::kx::TLS13_GROUPS.to_vec()
        } else {
            tls.groups
                .iter()
                .map(|g| {
                    // Scenario files spell every group in lower case.
                    crypto::kx::TLS13_GROUPS
                        .into_iter()
                        .find(|known| known.name().is_some_and(|n| n.eq_ignore_ascii_case(g)))
                        .ok_or_else(|| {
                            EngineError::Config(format!("group {g} unsupported by engine scripted"))
                        })
                })
                .collect::<Result<_, _>>()?
        };
        let client_auth = client_auth_plan(&tls.client_auth, pki)?;
        let renegotiate = scenario
            .renegotiate
            .as_ref()
            .map(|r| client_auth_plan(&r.client_auth, pki))
            .transpose()?;
        let mut versions: Vec<ProtocolVersion> = tls
            .versions
            .iter()
            .map(|v| ProtocolVersion::from(*v))
            .collect();
        versions.sort();
        versions.dedup();
        Ok(Self {
            versions,
            suites,
            client_order: tls.cipher_order == CipherOrder::Client,
            groups,
            alpn: tls.alpn.clone(),
            default_cert: served(&tls.certificate, tls.chain.as_deref())?,
            by_name: tls
                .sni
                .certificates
                .iter()
                .map(|(name, entity)| Ok((name.to_ascii_lowercase(), served(entity, None)?)))
                .collect::<Result<_, EngineError>>()?,
            client_auth,
            renegotiate,
            secure_renegotiation: tls.secure_renegotiation,
            extended_master_secret: tls.extended_master_secret,
            client_renegotiation: tls.client_renegotiation,
            max_renegotiations: tls.max_renegotiations,
            faults: scenario.faults.clone(),
            keylog,
            sessions: tls.resumption.then(sessions::SessionCache::default),
        })
    }

    fn cert_for(&self, sni: Option<&str>) -> &ServedCert {
        sni.and_then(|n| self.by_name.get(&n.to_ascii_lowercase()))
            .unwrap_or(&self.default_cert)
    }

    /// Run the handshake over `io`; `None` when it failed, recorded in `obs`.
    pub(crate) async fn handshake(
        self: &Arc<Self>,
        io: ReplayTap<TcpStream>,
        obs: &mut Observation,
    ) -> Option<Box<dyn Session>> {
        let mut rec = RecordIo::new(io);
        let round = Round {
            client_auth: self.client_auth.as_ref(),
            previous: None,
            already_read: &[],
        };
        let result = handshake::run(self, &mut rec, &round).await;
        obs.transcript.append(&mut rec.transcript);
        match result {
            Ok(done) => {
                obs.push(Event::Negotiated {
                    version: done.version.name().unwrap_or("unknown").to_string(),
                    cipher_suite: done.suite.name.to_string(),
                    alpn: done.alpn.clone(),
                    sni: obs.client_hello().and_then(|h| h.sni.clone()),
                });
                if done.resumed {
                    obs.push(Event::SessionResumed);
                }
                record_client_chain(&done.client_chain, obs);
                let first_record_faults = self
                    .faults
                    .iter()
                    .filter(|f| f.at == Step::ApplicationData)
                    .map(|f| f.action.clone())
                    .collect();
                let app = AppRecords::new(rec, first_record_faults);
                Some(Box::new(ScriptedSession::new(
                    app,
                    self.clone(),
                    done,
                    obs.fork(),
                )))
            }
            Err(failure) => {
                let how = report_failure(failure, &mut rec, obs).await;
                obs.transcript.append(&mut rec.transcript);
                obs.push(Event::closed(how));
                None
            }
        }
    }
}

/// Every suite, strongest first, for scenarios that list none: forward secrecy, then
/// AEAD, then CBC with SHA-2, then SHA-1, with 3DES and RC4 last. (TLS 1.3 suites
/// stay in table order: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305.)
fn default_preference() -> Vec<&'static SuiteSpec> {
    use crypto::suites::{Bulk, Kx};
    let mut all: Vec<&'static SuiteSpec> = crypto::suites::all().iter().collect();
    all.sort_by_key(|s| {
        let bulk = match s.bulk {
            Bulk::Aes256Gcm | Bulk::Aes128Gcm | Bulk::Chacha20Poly1305 => 0,
            Bulk::Aes256Cbc | Bulk::Aes128Cbc if s.min_version == ProtocolVersion::TLS12 => 1,
            Bulk::Aes256Cbc | Bulk::Aes128Cbc => 2,
            Bulk::TripleDesCbc => 3,
            Bulk::Rc4_128 => 4,
        };
        (bulk, s.kx == Kx::Rsa, s.bulk.key_len() < 32)
    });
    all
}

/// The plan for one CertificateRequest; `None` when the mode is `none`.
fn client_auth_plan(
    auth: &crate::scenario::ClientAuth,
    pki: &Pki,
) -> Result<Option<ClientAuthPlan>, EngineError> {
    if auth.mode == ClientAuthMode::None {
        return Ok(None);
    }
    let roots = super::client_roots(&auth.trust, pki)?;
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| EngineError::Config(format!("client verifier: {e}")))?;
    Ok(Some(ClientAuthPlan {
        mandatory: auth.mode == ClientAuthMode::Required,
        ca_names: auth
            .ca_names
            .iter()
            .map(|ca| Ok(pki.entity(ca)?.subject_der.clone()))
            .collect::<Result<_, EngineError>>()?,
        verifier,
        reject_alert: auth.reject_alert,
        certificate_types: auth.certificate_types.clone(),
        signature_algorithms: auth.signature_algorithms.clone(),
    }))
}

fn record_client_chain(chain: &[Vec<u8>], obs: &mut Observation) {
    if chain.is_empty() {
        obs.push(Event::NoClientCertificate);
    } else {
        obs.push(Event::ClientCertificate {
            subjects: chain.iter().map(|c| super::rustls::subject_of(c)).collect(),
        });
    }
}

/// Record a failed handshake, send its alert, close, and say how it ended.
async fn report_failure(
    failure: Failure,
    rec: &mut RecordIo<ReplayTap<TcpStream>>,
    obs: &mut Observation,
) -> CloseKind {
    if !failure.client_chain.is_empty() {
        record_client_chain(&failure.client_chain, obs);
    }
    obs.push(Event::HandshakeFailed {
        reason: failure.reason.clone(),
    });
    let how = match &failure.from_client {
        Some(RecordError::Alert(alert)) => {
            obs.push(Event::AlertReceived(*alert));
            CloseKind::FatalAlert
        }
        Some(RecordError::Timeout(_)) => CloseKind::Timeout,
        Some(RecordError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => CloseKind::Eof,
        Some(RecordError::Io(_)) => CloseKind::Reset,
        _ => CloseKind::FatalAlert,
    };
    if let Some(desc) = failure.alert {
        let alert = Alert::fatal(desc);
        rec.fail(alert).await;
        obs.push(Event::AlertSent(alert));
    }
    match failure.abort {
        Some(Abort::Reset) => {
            rec.io().reset_on_close();
            CloseKind::Reset
        }
        Some(Abort::Close) => {
            rec.close().await;
            CloseKind::ServerClosed
        }
        None => how,
    }
}
