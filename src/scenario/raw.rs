//! The YAML shape of a scenario file, exactly as written; `validate` turns it into the model.
//!
//! Values checked after parsing (names, suites, ranges) are `Spanned` so that their errors
//! point at the value. Optional values whose default needs no check use serde defaults;
//! the others are `Option` and `validate` applies the `DEFAULT_*` constants below, which
//! the JSON Schema also advertises.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{
    AppMode, CipherOrder, ClientAuthMode, ClientRenegotiation, EngineKind, SniPolicy, TlsVersion,
};

/// Default of `tls.certificate`.
pub(super) const DEFAULT_CERTIFICATE: &str = "server-rsa";
/// `tls.server_name` when the certificate has no DNS name with a dot.
pub(super) const FALLBACK_SERVER_NAME: &str = "server.quirktls.test";
/// Default of `tls.client_auth.trust` when client auth is on.
pub(crate) const DEFAULT_TRUST: &str = "client-ca";
/// Default of `tls.client_auth.client_identity`.
pub(super) const DEFAULT_CLIENT_IDENTITY: &str = "client";
/// Default of `tls.max_renegotiations`: enough for any real client, few enough that a
/// renegotiation loop cannot grow a connection's state without bound.
pub(crate) const DEFAULT_MAX_RENEGOTIATIONS: u32 = 10;
/// Default of `app.status`.
pub(super) const DEFAULT_STATUS: u16 = 200;
/// Default of `app.body`.
pub(super) const DEFAULT_BODY: &str =
    "quirktls {scenario}: {version} {cipher_suite}, client cert: {client_cert_subject}\n";

/// The JSON Schema of scenario files (`quirktls schema`), for editors and linters.
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(RawScenario).to_value()
}

/// A quirktls scenario file: one quirky TLS server.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "quirktls scenario")]
pub(super) struct RawScenario {
    /// Unique name: lowercase letters, digits and `-`.
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9-]+$"))]
    pub name: Spanned<String>,
    /// What the quirk is and what a correct client does; the first line is the summary.
    #[schemars(with = "String")]
    pub description: Spanned<String>,
    /// Which engine plays the scenario.
    pub engine: EngineKind,
    /// Pinned listening port; absent = ephemeral.
    #[schemars(with = "Option<u16>", range(min = 1))]
    pub port: Option<Spanned<u16>>,
    /// Handshake parameters.
    #[serde(default)]
    pub tls: RawTls,
    /// What happens after the handshake.
    #[serde(default)]
    pub app: RawApp,
    /// Engine scripted: after the first HTTP request, send HelloRequest and run a new
    /// full handshake (IIS asking for a client certificate), then answer.
    #[schemars(with = "Option<RawRenegotiate>")]
    pub renegotiate: Option<Spanned<RawRenegotiate>>,
    /// ClientHello intolerance (seed 001): the first rule whose `when` matches the
    /// ClientHello decides how the server chokes, before any engine answers.
    #[serde(default)]
    pub intolerance: Vec<RawIntolerance>,
    /// Engine scripted: message-level faults, each `{at: STEP, do: ACTION}` with ACTION
    /// in compact form, e.g. `truncate 30`, `corrupt 5 0xff`, `alert_before fatal 201`.
    #[serde(default)]
    pub faults: Vec<RawFault>,
    /// What a correct client does, as the server observes it; keys left out are not checked.
    #[serde(default)]
    pub expect: RawExpect,
    /// Deadlines of this scenario's connections; a key left out keeps the process's
    /// value (the `serve` / `run` flags, else the default).
    #[serde(default)]
    pub deadlines: RawDeadlines,
    /// Limits of this scenario's connections; a key left out keeps the process's value.
    #[serde(default)]
    pub limits: RawLimits,
}

/// Deadlines, each a whole number of `ms`, `s` or `m` (e.g. `500ms`, `10s`, `2m`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Deadlines")]
pub(super) struct RawDeadlines {
    /// From accept to the complete ClientHello; default 10s.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+(ms|s|m)$"))]
    pub first_flight: Option<Spanned<String>>,
    /// From the ClientHello to the end of the handshake, all records together; default 10s.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+(ms|s|m)$"))]
    pub handshake: Option<Spanned<String>>,
    /// From the handshake's end to the end of the HTTP request head; default 10s.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+(ms|s|m)$"))]
    pub request_head: Option<Spanned<String>>,
    /// Between two application reads (echo, after the request head); default 10s.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+(ms|s|m)$"))]
    pub idle: Option<Spanned<String>>,
    /// For one write to be taken by the socket (a client that never reads); default 10s.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+(ms|s|m)$"))]
    pub write: Option<Spanned<String>>,
    /// From accept to the end of the connection, whatever it does; default 120s.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+(ms|s|m)$"))]
    pub connection: Option<Spanned<String>>,
}

/// Connection limits.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Limits")]
pub(super) struct RawLimits {
    /// Concurrent connections of this scenario; more are accepted and closed at once.
    /// Default: only the process's limit (`--max-connections`).
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub connections: Option<Spanned<u64>>,
    /// Bytes read and written on one connection before it is cut; default 64 MiB.
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub bytes: Option<Spanned<u64>>,
}

/// Expectations (see `quirktls::verdict`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expect")]
pub(super) struct RawExpect {
    /// completes | client_aborts | server_aborts
    pub handshake: Option<super::Handshake>,
    /// The fatal alert the client sends, by name (e.g. bad_certificate), or `none`.
    #[schemars(with = "Option<String>")]
    pub client_alert: Option<Spanned<String>>,
    /// The negotiated version.
    pub version: Option<TlsVersion>,
    /// The negotiated cipher suite, IANA name.
    #[schemars(with = "Option<String>")]
    pub cipher_suite: Option<Spanned<String>>,
    /// `presented`, `absent`, or the leaf subject, e.g. `CN=quirktls test client,OU=clients,O=quirktls`.
    pub client_certificate: Option<String>,
    /// The SNI name the client sends, or `absent`.
    pub sni: Option<String>,
    /// completes | refused | none
    pub renegotiation: Option<super::Renegotiation>,
    /// received | absent
    pub http_request: Option<super::Presence>,
    /// success | failure: the client program's exit status (checked by `quirktls run`).
    pub client_exit: Option<super::ClientExit>,
}

/// One message-level fault.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Fault")]
pub(super) struct RawFault {
    /// The server message: server_hello, certificate, server_key_exchange,
    /// certificate_request, server_hello_done, change_cipher_spec, finished,
    /// application_data.
    pub at: super::Step,
    /// drop | duplicate | reorder | corrupt OFFSET XOR | truncate LEN | fragment SIZE |
    /// delay MS | alert_before LEVEL DESC | alert_after LEVEL DESC | close | reset |
    /// record_version V | hello_version V | cipher_suite ID | compression M |
    /// unknown_extension TYPE | wrong_verify_data | bad_record_mac | oversized LEN |
    /// hello_request_storm
    #[serde(rename = "do")]
    #[schemars(with = "String")]
    pub action: Spanned<String>,
}

/// One intolerance rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Intolerance")]
pub(super) struct RawIntolerance {
    /// What in the ClientHello triggers the rule (exactly one key).
    pub when: RawHelloMatch,
    /// `close`, `reset`, or `{alert: NAME}` (a fatal alert, then close).
    pub then: RawReaction,
}

/// A ClientHello property.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "HelloMatch")]
pub(super) enum RawHelloMatch {
    /// The highest version offered is at least this one.
    OffersVersionAtLeast(TlsVersion),
    /// An extension (by name, e.g. `server_name`) is present.
    HasExtension(#[schemars(with = "String")] Spanned<String>),
    /// An extension (by name) is absent.
    LacksExtension(#[schemars(with = "String")] Spanned<String>),
    /// More cipher suites than this are offered.
    MoreSuitesThan(usize),
    /// Fewer cipher suites than this are offered.
    FewerSuitesThan(usize),
}

/// What the server does with an intolerable ClientHello.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "Reaction")]
pub(super) enum RawReaction {
    /// A fatal alert, e.g. `unexpected_message`, then close.
    Alert(#[schemars(with = "String")] Spanned<String>),
    /// Close the connection without a word.
    Close,
    /// Reset the TCP connection.
    Reset,
}

/// Server-initiated renegotiation.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Renegotiate")]
pub(super) struct RawRenegotiate {
    /// The client certificate request of the second handshake.
    #[serde(default)]
    pub client_auth: RawClientAuth,
}

/// Handshake parameters; every key is optional.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Tls")]
pub(super) struct RawTls {
    /// Enabled protocol versions; default (rustls) tls1.2, tls1.3; (scripted) tls1.0,
    /// tls1.1, tls1.2, and tls1.3 only when listed.
    #[schemars(with = "Option<Vec<TlsVersion>>")]
    pub versions: Option<Spanned<Vec<Spanned<TlsVersion>>>>,
    /// Allowed cipher suites by IANA name, in server preference order; empty = engine default.
    #[schemars(with = "Option<Vec<String>>")]
    pub cipher_suites: Option<Spanned<Vec<Spanned<String>>>>,
    /// Allowed key-exchange groups; empty = engine default.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// ALPN protocols the server accepts, in preference order; empty = no ALPN.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub alpn: Vec<Spanned<String>>,
    /// PKI entity (certs/pki.yaml) whose certificate and key the server uses; not a CA.
    #[schemars(with = "Option<String>", extend("default" = DEFAULT_CERTIFICATE))]
    pub certificate: Option<Spanned<String>>,
    /// PKI entities sent as the certificate chain, in this order; default: the leaf and
    /// its issuers up to, not including, the root.
    #[schemars(with = "Option<Vec<String>>")]
    pub chain: Option<Vec<Spanned<String>>>,
    /// The name clients should connect with; default: the certificate's first DNS name
    /// containing a dot, else `server.quirktls.test`.
    pub server_name: Option<String>,
    /// SNI policy and per-name certificates.
    #[serde(default)]
    pub sni: RawSni,
    /// Client certificate request.
    #[serde(default)]
    pub client_auth: RawClientAuth,
    /// Whose cipher-suite order picks the suite.
    #[serde(default)]
    pub cipher_order: CipherOrder,
    /// Answer RFC 5746 secure renegotiation (renegotiation_info, SCSV); default true.
    /// Only the scripted engine can turn it off.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub secure_renegotiation: Option<Spanned<bool>>,
    /// Use the extended master secret (RFC 7627) when the client offers it; default
    /// true. Only the scripted engine can turn it off.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub extended_master_secret: Option<Spanned<bool>>,
    /// Engine scripted: resume sessions by ID (abbreviated handshakes); default false.
    #[schemars(with = "Option<bool>", extend("default" = false))]
    pub resumption: Option<Spanned<bool>>,
    /// A ClientHello the client sends after the handshake unasked: `accept` (default on
    /// engine scripted), `refuse_warning` (a no_renegotiation warning; rustls' only
    /// answer), `refuse_fatal` (a fatal no_renegotiation) or `ignore` (no answer).
    #[schemars(with = "Option<ClientRenegotiation>")]
    pub client_renegotiation: Option<Spanned<ClientRenegotiation>>,
    /// Engine scripted: renegotiations per connection, whoever starts them; the next
    /// ClientHello gets a fatal handshake_failure. Default 10.
    #[schemars(with = "Option<u32>", extend("default" = DEFAULT_MAX_RENEGOTIATIONS))]
    pub max_renegotiations: Option<Spanned<u32>>,
}

/// A key-exchange group.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum Group {
    /// X25519 (RFC 7748).
    X25519,
    /// NIST P-256.
    Secp256r1,
    /// NIST P-384.
    Secp384r1,
    /// Hybrid X25519 + ML-KEM-768.
    X25519mlkem768,
}

impl Group {
    /// The name as written in scenario files and stored in the model.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::X25519 => "x25519",
            Self::Secp256r1 => "secp256r1",
            Self::Secp384r1 => "secp384r1",
            Self::X25519mlkem768 => "x25519mlkem768",
        }
    }
}

/// SNI handling.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Sni")]
pub(super) struct RawSni {
    /// `required`: no SNI, or an unknown name, gets a fatal unrecognized_name alert.
    #[serde(default)]
    pub policy: SniPolicy,
    /// Server name → PKI entity served for it; other names get `tls.certificate`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub certificates: BTreeMap<String, Spanned<String>>,
}

/// Client certificate request.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ClientAuth")]
pub(super) struct RawClientAuth {
    /// Whether the server sends a CertificateRequest, and whether a certificate is required.
    #[serde(default)]
    pub mode: ClientAuthMode,
    /// CA entities that verify client certificates; default `[client-ca]` unless mode is none.
    #[schemars(with = "Option<Vec<String>>")]
    pub trust: Option<Vec<Spanned<String>>>,
    /// Entities named in the CertificateRequest; default: `trust`; `[]` sends an empty list.
    #[schemars(with = "Option<Vec<String>>")]
    pub ca_names: Option<Vec<Spanned<String>>>,
    /// Alert sent when a client certificate is rejected, e.g. `bad_certificate`;
    /// default: the engine's natural choice.
    #[schemars(with = "Option<String>")]
    pub reject_alert: Option<Spanned<String>>,
    /// Engine scripted: certificate_types of the CertificateRequest, e.g. `[rsa_sign]`;
    /// default rsa_sign and ecdsa_sign.
    #[schemars(with = "Option<Vec<String>>")]
    pub certificate_types: Option<Vec<Spanned<String>>>,
    /// Engine scripted: signature algorithms of a TLS 1.2 CertificateRequest, e.g.
    /// `[rsa_pkcs1_sha256]`; default every scheme the engine verifies.
    #[schemars(with = "Option<Vec<String>>")]
    pub signature_algorithms: Option<Vec<Spanned<String>>>,
    /// PKI entity suggested to clients as their identity; not a CA.
    #[schemars(with = "Option<String>", extend("default" = DEFAULT_CLIENT_IDENTITY))]
    pub client_identity: Option<Spanned<String>>,
}

/// After-handshake behaviour.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "App")]
pub(super) struct RawApp {
    /// What the server does once the handshake completes.
    #[serde(default)]
    pub mode: AppMode,
    /// HTTP status code.
    #[schemars(
        with = "Option<u16>",
        range(min = 100, max = 599),
        extend("default" = DEFAULT_STATUS)
    )]
    pub status: Option<Spanned<u16>>,
    /// HTTP body template; `{version}`, `{cipher_suite}`, `{sni}`, `{alpn}`,
    /// `{client_cert_subject}` and `{scenario}` are replaced with observed facts.
    #[schemars(extend("default" = DEFAULT_BODY))]
    pub body: Option<String>,
    /// Answer IIS's 403.7 page ("client certificate required") when no client
    /// certificate was presented by the time of the response.
    #[serde(default)]
    pub require_client_cert: bool,
}
