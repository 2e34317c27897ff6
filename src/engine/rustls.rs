//! The modern engine: rustls plays TLS 1.2/1.3 quirks (restricted suites, SNI policy,
//! client-certificate requests with any CA list, chains served exactly as configured).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme, SupportedProtocolVersion,
};

use tokio::net::TcpStream;

use super::{EngineError, ReplayTap};
use crate::observe::KeyLog;
use crate::pki::Pki;
use crate::scenario::{CipherOrder, ClientAuthMode, Scenario, TlsVersion};
use crate::wire::AlertDescription;

/// Everything needed to build a rustls `ServerConfig` for one scenario, prepared once.
pub(crate) struct RustlsEngine {
    provider: Arc<CryptoProvider>,
    versions: Vec<&'static SupportedProtocolVersion>,
    certs: Arc<SniCerts>,
    alpn: Vec<Vec<u8>>,
    server_order: bool,
    keylog: Option<KeyLog>,
    client_auth: Option<ClientAuthPlan>,
    /// Shared config when no per-connection state is needed (no client auth).
    shared: Option<Arc<ServerConfig>>,
}

struct ClientAuthPlan {
    roots: Arc<RootCertStore>,
    hints: Vec<DistinguishedName>,
    mandatory: bool,
    reject_alert: Option<AlertDescription>,
}

impl ClientAuthPlan {
    /// The alert for a TLS 1.2 client that sends no certificate when one is required.
    /// rustls always sends certificate_required (116), an alert TLS 1.2 does not define
    /// (RFC 8446 added it), and scanners such as sslyze hang on it.
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.6
    //# If the client does not send any certificates, the
    //# server MAY at its discretion either continue the handshake without
    //# client authentication, or respond with a fatal handshake_failure
    //# alert.
    fn tls12_missing_alert(&self) -> Option<AlertDescription> {
        self.mandatory.then(|| {
            self.reject_alert
                .unwrap_or(AlertDescription::HANDSHAKE_FAILURE)
        })
    }
}

/// Per-connection record of the client certificate the verifier saw, so a rejected
/// certificate is observed too (rustls keeps it only when the handshake succeeds).
#[derive(Debug, Default)]
pub(crate) struct CertNote(std::sync::Mutex<SeenCert>);

#[derive(Debug, Default)]
struct SeenCert {
    subjects: Option<Vec<String>>,
    rejected: Option<String>,
}

impl CertNote {
    /// Subjects of the presented chain (leaf first), if one was presented.
    pub(crate) fn presented(&self) -> Option<Vec<String>> {
        self.0.lock().ok().and_then(|mut g| g.subjects.take())
    }

    /// The verifier's real reason for refusing it (before any `reject_alert` mapping).
    pub(crate) fn rejected(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut g| g.rejected.take())
    }
}

/// A certificate's subject as RFC 4514 text.
pub(crate) fn subject_of(cert: &[u8]) -> String {
    use der::Decode;
    x509_cert::Certificate::from_der(cert)
        .map(|c| c.tbs_certificate.subject.to_string())
        .unwrap_or_else(|e| format!("<unparsable certificate: {e}>"))
}

impl RustlsEngine {
    pub(crate) fn new(
        scenario: &Scenario,
        pki: &Pki,
        keylog: Option<KeyLog>,
    ) -> Result<Self, EngineError> {
        let tls = &scenario.tls;
        let provider = Arc::new(restricted_provider(scenario)?);
        let versions = tls
            .versions
            .iter()
            .filter_map(|v| match v {
                TlsVersion::Tls12 => Some(&rustls::version::TLS12),
                TlsVersion::Tls13 => Some(&rustls::version::TLS13),
                _ => None,
            })
            .collect::<Vec<_>>();
        let load = |entity: &str| certified_key(pki, &provider, entity, None);
        let default = certified_key(pki, &provider, &tls.certificate, tls.chain.as_deref())?;
        let by_name = tls
            .sni
            .certificates
            .iter()
            .map(|(name, entity)| Ok((name.to_ascii_lowercase(), load(entity)?)))
            .collect::<Result<BTreeMap<_, _>, EngineError>>()?;
        let certs = Arc::new(SniCerts { default, by_name });
        let client_auth = match tls.client_auth.mode {
            ClientAuthMode::None => None,
            mode => {
                let roots = super::client_roots(&tls.client_auth.trust, pki)?;
                let hints = tls
                    .client_auth
                    .ca_names
                    .iter()
                    .map(|ca| Ok(DistinguishedName::from(pki.entity(ca)?.subject_der.clone())))
                    .collect::<Result<Vec<_>, EngineError>>()?;
                Some(ClientAuthPlan {
                    roots: Arc::new(roots),
                    hints,
                    mandatory: mode == ClientAuthMode::Required,
                    reject_alert: tls.client_auth.reject_alert,
                })
            }
        };
        let mut engine = Self {
            provider,
            versions,
            certs,
            alpn: tls.alpn.iter().map(|p| p.as_bytes().to_vec()).collect(),
            server_order: tls.cipher_order == CipherOrder::Server,
            keylog,
            client_auth,
            shared: None,
        };
        if engine.client_auth.is_none() {
            engine.shared = Some(engine.build(None)?);
        }
        // Build one config up front so a bad scenario fails at start, not per connection.
        engine.build(Some(Arc::default()))?;
        Ok(engine)
    }

    /// `io` set to send a missing client certificate's TLS 1.2 alert. rustls writes its
    /// certificate_required there in plaintext (neither side has sent ChangeCipherSpec
    /// yet), and only there: the TLS 1.3 one is encrypted, and stays 116 as RFC 8446 says.
    pub(crate) fn transport(&self, mut io: ReplayTap<TcpStream>) -> ReplayTap<TcpStream> {
        if let Some(alert) = self
            .client_auth
            .as_ref()
            .and_then(ClientAuthPlan::tls12_missing_alert)
        {
            io.replace_plaintext_alert(AlertDescription::CERTIFICATE_REQUIRED, alert);
        }
        io
    }

    /// The config for one connection, and where its verifier notes a rejected certificate.
    pub(crate) fn config(&self) -> Result<(Arc<ServerConfig>, Arc<CertNote>), EngineError> {
        let note = Arc::new(CertNote::default());
        match &self.shared {
            Some(shared) => Ok((shared.clone(), note)),
            None => Ok((self.build(Some(note.clone()))?, note)),
        }
    }

    fn build(&self, note: Option<Arc<CertNote>>) -> Result<Arc<ServerConfig>, EngineError> {
        let builder = ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&self.versions)
            .map_err(|e| EngineError::Config(format!("versions: {e}")))?;
        let builder = match (&self.client_auth, note) {
            (Some(plan), Some(note)) => {
                let mut b = WebPkiClientVerifier::builder_with_provider(
                    plan.roots.clone(),
                    self.provider.clone(),
                )
                .clear_root_hint_subjects()
                .add_root_hint_subjects(plan.hints.clone());
                if !plan.mandatory {
                    b = b.allow_unauthenticated();
                }
                let inner = b
                    .build()
                    .map_err(|e| EngineError::Config(format!("client verifier: {e}")))?;
                builder.with_client_cert_verifier(Arc::new(NotingVerifier {
                    inner,
                    reject_alert: plan.reject_alert,
                    note,
                }))
            }
            _ => builder.with_no_client_auth(),
        };
        let mut config = builder.with_cert_resolver(self.certs.clone());
        config.alpn_protocols = self.alpn.clone();
        config.ignore_client_order = self.server_order;
        if let Some(keylog) = &self.keylog {
            config.key_log = Arc::new(keylog.clone());
        }
        // Sessions are not resumed: every connection shows the full handshake.
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        Ok(Arc::new(config))
    }
}

fn restricted_provider(scenario: &Scenario) -> Result<CryptoProvider, EngineError> {
    let mut provider = aws_lc_rs::default_provider();
    let tls = &scenario.tls;
    if !tls.cipher_suites.is_empty() {
        provider.cipher_suites = tls
            .cipher_suites
            .iter()
            .map(|name| {
                aws_lc_rs::ALL_CIPHER_SUITES
                    .iter()
                    .find(|s| crate::wire::CipherSuite(u16::from(s.suite())).name() == Some(name))
                    .copied()
                    .ok_or_else(|| EngineError::Config(format!("cipher suite {name} unsupported")))
            })
            .collect::<Result<_, _>>()?;
    }
    if !tls.groups.is_empty() {
        provider.kx_groups = tls
            .groups
            .iter()
            .map(|name| {
                aws_lc_rs::ALL_KX_GROUPS
                    .iter()
                    .find(|g| group_name(g.name()) == name.as_str())
                    .copied()
                    .ok_or_else(|| EngineError::Config(format!("group {name} unsupported")))
            })
            .collect::<Result<_, _>>()?;
    }
    Ok(provider)
}

/// The scenario spelling of a rustls group.
pub(crate) fn group_name(group: rustls::NamedGroup) -> String {
    format!("{group:?}").to_ascii_lowercase()
}

fn certified_key(
    pki: &Pki,
    provider: &CryptoProvider,
    entity: &str,
    chain: Option<&[String]>,
) -> Result<Arc<CertifiedKey>, EngineError> {
    let leaf = pki.entity(entity)?;
    let certs: Vec<CertificateDer<'static>> = match chain {
        Some(names) => names
            .iter()
            .map(|n| Ok(pki.entity(n)?.cert.clone()))
            .collect::<Result<_, EngineError>>()?,
        None => leaf.chain_der(),
    };
    let key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(leaf.key.clone_key()))
        .map_err(|e| EngineError::Config(format!("key of `{entity}`: {e}")))?;
    // No keys_match() check: a scenario may serve a chain that does not start with the leaf.
    Ok(Arc::new(CertifiedKey::new(certs, key)))
}

/// Serves the configured chain as-is; rustls' `with_single_cert` would refuse a v1 leaf.
#[derive(Debug)]
struct SniCerts {
    default: Arc<CertifiedKey>,
    by_name: BTreeMap<String, Arc<CertifiedKey>>,
}

impl ResolvesServerCert for SniCerts {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let named = hello
            .server_name()
            .and_then(|n| self.by_name.get(&n.to_ascii_lowercase()));
        Some(named.unwrap_or(&self.default).clone())
    }
}

/// Wraps webpki's verifier to note why a certificate was refused, and to send the
/// scenario's alert instead of rustls' choice.
struct NotingVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    reject_alert: Option<AlertDescription>,
    note: Arc<CertNote>,
}

impl fmt::Debug for NotingVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotingVerifier").finish_non_exhaustive()
    }
}

/// A certificate error that rustls turns into `alert` (its `From<CertificateError>` mapping).
fn error_for_alert(alert: AlertDescription) -> Option<CertificateError> {
    let e = match alert {
        AlertDescription::BAD_CERTIFICATE => CertificateError::BadEncoding,
        AlertDescription::CERTIFICATE_EXPIRED => CertificateError::Expired,
        AlertDescription::CERTIFICATE_REVOKED => CertificateError::Revoked,
        AlertDescription::UNKNOWN_CA => CertificateError::UnknownIssuer,
        AlertDescription::UNSUPPORTED_CERTIFICATE => CertificateError::InvalidPurpose,
        AlertDescription::ACCESS_DENIED => CertificateError::ApplicationVerificationFailure,
        AlertDescription::DECRYPT_ERROR => CertificateError::BadSignature,
        _ => return None,
    };
    Some(e)
}

impl ClientCertVerifier for NotingVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let result = self
            .inner
            .verify_client_cert(end_entity, intermediates, now);
        if let Ok(mut seen) = self.note.0.lock() {
            let chain = std::iter::once(end_entity).chain(intermediates);
            seen.subjects = Some(chain.map(|c| subject_of(c)).collect());
            seen.rejected = result.as_ref().err().map(ToString::to_string);
        }
        result.map_err(|err| match self.reject_alert.and_then(error_for_alert) {
            Some(e) => rustls::Error::InvalidCertificate(e),
            None => err,
        })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The alert rustls sends for `err` when it cannot be seen on the wire (it is encrypted).
pub(crate) fn alert_for_error(err: &rustls::Error) -> Option<AlertDescription> {
    use rustls::Error as E;
    let desc = match err {
        E::InvalidCertificate(e) => rustls::AlertDescription::from(e.clone()),
        E::InvalidMessage(m) => rustls::AlertDescription::from(*m),
        E::NoCertificatesPresented => rustls::AlertDescription::CertificateRequired,
        E::DecryptError => rustls::AlertDescription::BadRecordMac,
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            rustls::AlertDescription::UnexpectedMessage
        }
        _ => return None,
    };
    Some(AlertDescription(u8::from(desc)))
}
