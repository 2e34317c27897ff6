//! The validated scenario model that engines read. The YAML shape lives in `raw.rs`;
//! the closed-set enums here are shared with it, so they also deserialize and describe
//! themselves in the JSON Schema.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{
    AlertDescription, ClientCertificateType, ExtensionType, ProtocolVersion, SignatureScheme,
};

/// One quirky peer: how the server behaves and what it serves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// Unique name, e.g. `sni-required`.
    pub name: String,
    /// What the quirk is and what a correct client does.
    pub description: String,
    /// Which engine answers.
    pub engine: EngineKind,
    /// Handshake parameters.
    pub tls: TlsConfig,
    /// What happens after the handshake.
    pub app: AppConfig,
    /// Server-initiated renegotiation after the first HTTP request (scripted engine).
    pub renegotiate: Option<Renegotiate>,
    /// ClientHello intolerance: the first rule that matches decides, before any engine.
    pub intolerance: Vec<Intolerance>,
    /// Message-level faults of the scripted engine, in order.
    pub faults: Vec<super::Fault>,
    /// What a correct client does, as the server observes it.
    pub expect: Expect,
    /// Deadlines that replace the process's for this scenario's connections.
    pub deadlines: Vec<(crate::observe::Deadline, std::time::Duration)>,
    /// Connection limits of this scenario.
    pub limits: super::ScenarioLimits,
    /// Pinned port; `None` means ephemeral.
    pub port: Option<u16>,
    /// The file it was loaded from, if any.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

impl Scenario {
    /// First line of the description, for `quirktls list`.
    pub fn summary(&self) -> &str {
        self.description.lines().next().unwrap_or("").trim()
    }

    /// The name clients should use (SNI and certificate check).
    pub fn server_name(&self) -> &str {
        &self.tls.server_name
    }

    /// The PKI name of the client identity either handshake asks for: a renegotiation
    /// may ask for the certificate the first handshake did not.
    pub fn client_identity(&self) -> Option<&str> {
        std::iter::once(&self.tls.client_auth)
            .chain(self.renegotiate.as_ref().map(|r| &r.client_auth))
            .find(|auth| auth.mode != ClientAuthMode::None)
            .map(|auth| auth.client_identity.as_str())
    }
}

/// The engine that plays the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// rustls: modern TLS 1.2/1.3 quirks.
    Rustls,
    /// Our own TLS 1.0–1.2 server: legacy suites, renegotiation, message-level faults.
    Scripted,
}

/// A protocol version a scenario may enable.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum TlsVersion {
    /// TLS 1.0
    #[serde(rename = "tls1.0")]
    Tls10,
    /// TLS 1.1
    #[serde(rename = "tls1.1")]
    Tls11,
    /// TLS 1.2
    #[serde(rename = "tls1.2")]
    Tls12,
    /// TLS 1.3
    #[serde(rename = "tls1.3")]
    Tls13,
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tls10 => "tls1.0",
            Self::Tls11 => "tls1.1",
            Self::Tls12 => "tls1.2",
            Self::Tls13 => "tls1.3",
        })
    }
}

impl From<TlsVersion> for ProtocolVersion {
    fn from(v: TlsVersion) -> Self {
        match v {
            TlsVersion::Tls10 => Self::TLS10,
            TlsVersion::Tls11 => Self::TLS11,
            TlsVersion::Tls12 => Self::TLS12,
            TlsVersion::Tls13 => Self::TLS13,
        }
    }
}

/// Handshake parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsConfig {
    /// Enabled versions (never empty).
    pub versions: Vec<TlsVersion>,
    /// Allowed cipher suites by IANA name, in server preference order; empty = engine default.
    pub cipher_suites: Vec<String>,
    /// Allowed key-exchange groups (`x25519`, `secp256r1`, `secp384r1`, `x25519mlkem768`); empty = default.
    pub groups: Vec<String>,
    /// ALPN protocols the server accepts, in preference order; empty = no ALPN.
    pub alpn: Vec<String>,
    /// PKI entity whose key and certificate the server uses by default.
    pub certificate: String,
    /// PKI entities sent as the chain, in this order; `None` = leaf plus its issuers up to (not including) the root.
    pub chain: Option<Vec<String>>,
    /// The name clients should connect with (default: the leaf's first DNS SAN).
    pub server_name: String,
    /// SNI policy and per-name certificates.
    pub sni: SniConfig,
    /// Client certificate request.
    pub client_auth: ClientAuth,
    /// Whose cipher-suite order wins.
    pub cipher_order: CipherOrder,
    /// Answer RFC 5746 renegotiation_info / SCSV (scripted engine; rustls always does).
    pub secure_renegotiation: bool,
    /// Resume sessions by ID (scripted engine); off by default, so every connection shows
    /// a full handshake.
    pub resumption: bool,
    /// Use the extended master secret (RFC 7627) when the client offers it (scripted
    /// engine; rustls always does).
    pub extended_master_secret: bool,
    /// What the server does with a ClientHello the client sends after the handshake
    /// without being asked (rustls: always `refuse_warning`).
    pub client_renegotiation: ClientRenegotiation,
    /// Renegotiations one connection may have, whoever starts them; the next ClientHello
    /// is refused with a fatal handshake_failure (scripted engine).
    pub max_renegotiations: u32,
}

/// The server's answer to a client-initiated renegotiation (a ClientHello after the
/// handshake that no HelloRequest asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientRenegotiation {
    /// Run the new handshake (OpenSSL's default, IIS).
    #[default]
    Accept,
    /// A no_renegotiation warning, then carry on with the old keys (OpenSSL with
    /// SSL_OP_NO_RENEGOTIATION: nginx, Apache httpd; rustls; Go closes after it).
    RefuseWarning,
    /// A fatal no_renegotiation alert and close (BoringSSL).
    RefuseFatal,
    /// Drop the ClientHello without a word and keep reading: the client waits for a
    /// ServerHello that never comes.
    Ignore,
}

impl ClientRenegotiation {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::RefuseWarning => "refuse_warning",
            Self::RefuseFatal => "refuse_fatal",
            Self::Ignore => "ignore",
        }
    }
}

/// Whose preference picks the cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CipherOrder {
    /// The first suite of `tls.cipher_suites` the client also offers.
    #[default]
    Server,
    /// The first suite of the client's list the server also allows (seed 000: "the
    /// server just picked the first one").
    Client,
}

/// SNI handling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SniConfig {
    /// Whether a ClientHello without a known SNI is refused.
    pub policy: SniPolicy,
    /// Server name → PKI entity served for it; names not listed get `tls.certificate`.
    pub certificates: BTreeMap<String, String>,
}

/// Whether SNI is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum SniPolicy {
    /// Any SNI or none is served.
    #[default]
    Optional,
    /// No SNI, or a name that is neither `server_name` nor in `certificates`: fatal unrecognized_name (112).
    Required,
}

/// Client certificate request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientAuth {
    /// none / optional / required.
    pub mode: ClientAuthMode,
    /// CA entities that verify client certificates.
    pub trust: Vec<String>,
    /// CA entities named in CertificateRequest; empty = an empty list (TLS 1.2) or no
    /// certificate_authorities extension (TLS 1.3, which cannot express an empty list).
    pub ca_names: Vec<String>,
    /// Alert sent when a client certificate is rejected; `None` = the engine's natural choice.
    #[serde(serialize_with = "ser_opt_alert")]
    pub reject_alert: Option<AlertDescription>,
    /// PKI entity suggested to clients as their identity (`serve --json`).
    pub client_identity: String,
    /// CertificateRequest certificate_types (scripted engine); empty = rsa_sign, ecdsa_sign.
    pub certificate_types: Vec<ClientCertificateType>,
    /// CertificateRequest signature algorithms (TLS 1.2, scripted engine); empty = every
    /// scheme the engine verifies.
    pub signature_algorithms: Vec<SignatureScheme>,
}

fn ser_opt_alert<S: serde::Serializer>(
    a: &Option<AlertDescription>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match a {
        Some(a) => s.serialize_some(&a.0),
        None => s.serialize_none(),
    }
}

/// Client certificate mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuthMode {
    /// No CertificateRequest.
    #[default]
    None,
    /// CertificateRequest; an empty Certificate is accepted.
    Optional,
    /// CertificateRequest; no certificate is a fatal error.
    Required,
}

/// What a correct client does against the scenario; `None` fields are not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Expect {
    /// How the handshake ends.
    pub handshake: Option<Handshake>,
    /// The fatal alert the client sends (name), or `none`.
    pub client_alert: Option<String>,
    /// The negotiated version.
    pub version: Option<TlsVersion>,
    /// The negotiated cipher suite (IANA name).
    pub cipher_suite: Option<String>,
    /// `presented`, `absent`, or the leaf subject (RFC 4514) it must match.
    pub client_certificate: Option<String>,
    /// The SNI name sent, or `absent`.
    pub sni: Option<String>,
    /// Whether a server-initiated renegotiation completes.
    pub renegotiation: Option<Renegotiation>,
    /// Whether an HTTP request arrives.
    pub http_request: Option<Presence>,
    /// How the client program exits (checked by `quirktls run`; the server cannot see it).
    pub client_exit: Option<ClientExit>,
}

/// How a handshake ends, as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Handshake {
    /// Both sides finished it.
    Completes,
    /// The client ended it with a fatal alert (also after our Finished).
    ClientAborts,
    /// The server ended it (alert or close).
    ServerAborts,
}

/// What became of a renegotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Renegotiation {
    /// It completed.
    Completes,
    /// Either side refused it (the client declined or stayed silent; the server's
    /// policy said no), or a side aborted it.
    Refused,
    /// None was attempted.
    None,
}

/// Whether something arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// It arrived.
    Received,
    /// It did not.
    Absent,
}

impl From<bool> for Presence {
    fn from(arrived: bool) -> Self {
        if arrived {
            Self::Received
        } else {
            Self::Absent
        }
    }
}

/// How a client program ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientExit {
    /// Exit status 0.
    Success,
    /// A non-zero exit status.
    Failure,
}

macro_rules! display_as_serde {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let v = serde_json::to_value(self).map_err(|_| fmt::Error)?;
                f.write_str(v.as_str().unwrap_or("?"))
            }
        }
    )*};
}
display_as_serde!(Handshake, Renegotiation, Presence, ClientExit);

/// A ClientHello the server chokes on (seed 001), and how it chokes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intolerance {
    /// What in the ClientHello triggers it.
    pub when: HelloMatch,
    /// What the server does then.
    pub then: Reaction,
}

/// A property of the ClientHello.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HelloMatch {
    /// The highest version offered (legacy_version or supported_versions) is at least this.
    OffersVersionAtLeast(TlsVersion),
    /// The extension is present.
    HasExtension(ExtensionType),
    /// The extension is absent.
    LacksExtension(ExtensionType),
    /// More cipher suites than this are offered.
    MoreSuitesThan(usize),
    /// Fewer cipher suites than this are offered.
    FewerSuitesThan(usize),
}

/// How the server reacts to an intolerable ClientHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaction {
    /// A fatal alert of this description, then close.
    Alert(#[serde(serialize_with = "ser_alert")] AlertDescription),
    /// Close the TCP connection without a word.
    Close,
    /// Reset the TCP connection.
    Reset,
}

fn ser_alert<S: serde::Serializer>(a: &AlertDescription, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(a.0)
}

/// IIS-style renegotiation: after the first HTTP request the server sends HelloRequest
/// and runs a full new handshake (no resumption) before it answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Renegotiate {
    /// The CertificateRequest of the second handshake (`none` = no request).
    pub client_auth: ClientAuth,
}

/// After-handshake behaviour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppConfig {
    /// http / echo / none.
    pub mode: AppMode,
    /// HTTP status code.
    pub status: u16,
    /// HTTP body template; `{version}`, `{cipher_suite}`, `{sni}`, `{alpn}`,
    /// `{client_cert_subject}`, `{scenario}` are replaced with observed facts.
    pub body: String,
    /// Answer IIS's "403.7 Forbidden: client certificate required" when no client
    /// certificate was presented by the time of the response.
    pub require_client_cert: bool,
}

/// What the server does after the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum AppMode {
    /// Read one HTTP/1.1 request, answer, close with close_notify.
    #[default]
    Http,
    /// Echo every byte back until the client closes.
    Echo,
    /// Close with close_notify right after the handshake.
    None,
}
