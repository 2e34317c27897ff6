//! Raw YAML shape + PKI spec → the validated model, or an error pointing at the value.

use std::fmt::Display;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde_saphyr::{Location, Spanned};

use super::caps::iana_suite_name;
use super::parse_duration;
use super::raw::{
    RawApp, RawClientAuth, RawDeadlines, RawExpect, RawFault, RawHelloMatch, RawIntolerance,
    RawLimits, RawReaction, RawRenegotiate, RawScenario, RawSni, RawTls, DEFAULT_BODY,
    DEFAULT_CERTIFICATE, DEFAULT_CLIENT_IDENTITY, DEFAULT_MAX_RENEGOTIATIONS, DEFAULT_STATUS,
    DEFAULT_TRUST, FALLBACK_SERVER_NAME,
};
use super::{
    AppConfig, ClientAuth, ClientAuthMode, ClientRenegotiation, EngineKind, Expect, Fault,
    FaultAction, FaultParseError, HelloMatch, Intolerance, Reaction, Renegotiate, Scenario,
    ScenarioError, ScenarioLimits, SniConfig, TlsConfig, TlsVersion,
};
use crate::observe::Deadline;
use crate::pki::PkiSpec;
use crate::wire::{AlertDescription, ClientCertificateType, ExtensionType, SignatureScheme};

/// A list with its own location and one per item.
type SpannedList<T> = Spanned<Vec<Spanned<T>>>;

/// What a field needs from the PKI entity it names.
#[derive(Clone, Copy)]
enum Role {
    /// Any entity.
    Any,
    /// A leaf, used as the given kind of certificate.
    Leaf(&'static str),
    /// A CA.
    Ca,
}

impl Role {
    fn admits(self, pki: &PkiSpec, name: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Leaf(_) => !pki.is_ca(name),
            Self::Ca => pki.is_ca(name),
        }
    }

    /// What the PKI spec calls entities of this role, plural.
    fn plural(self) -> &'static str {
        match self {
            Self::Any => "entities",
            Self::Leaf(_) => "leaf certificates",
            Self::Ca => "CAs",
        }
    }
}

const SERVER: Role = Role::Leaf("server certificate");
const CLIENT: Role = Role::Leaf("client certificate");

/// Checks one parsed scenario; errors name `origin`.
pub(super) struct Validator<'a> {
    origin: &'a Path,
    pki: &'a PkiSpec,
}

impl<'a> Validator<'a> {
    pub(super) fn new(origin: &'a Path, pki: &'a PkiSpec) -> Self {
        Self { origin, pki }
    }

    /// The model, with defaults applied; `source` is left for the caller.
    pub(super) fn scenario(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let port = match raw.port {
            Some(port) if port.value == 0 => {
                return Err(self.error(
                    port.referenced,
                    "port 0 is not a pinned port",
                    "omit `port` for an ephemeral port",
                ))
            }
            port => port.map(|p| p.value),
        };
        Ok(Scenario {
            name: self.name(raw.name)?,
            description: self.description(raw.description)?,
            engine: raw.engine,
            tls: self.tls(raw.engine, raw.tls)?,
            app: self.app(raw.app)?,
            renegotiate: raw
                .renegotiate
                .map(|r| self.renegotiate(raw.engine, r))
                .transpose()?,
            intolerance: raw
                .intolerance
                .into_iter()
                .map(|rule| self.intolerance(rule))
                .collect::<Result<_, _>>()?,
            faults: raw
                .faults
                .into_iter()
                .map(|f| self.fault(raw.engine, f))
                .collect::<Result<_, _>>()?,
            expect: self.expect(raw.expect)?,
            deadlines: self.deadlines(raw.deadlines)?,
            limits: self.limits(raw.limits)?,
            port,
            source: None,
        })
    }

    fn error(
        &self,
        at: Location,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::at(self.origin, at, message, hint)
    }

    /// The deadlines the scenario sets, in a fixed order.
    fn deadlines(&self, raw: RawDeadlines) -> Result<Vec<(Deadline, Duration)>, ScenarioError> {
        let keys = [
            (Deadline::FirstFlight, raw.first_flight),
            (Deadline::Handshake, raw.handshake),
            (Deadline::RequestHead, raw.request_head),
            (Deadline::Idle, raw.idle),
            (Deadline::Write, raw.write),
            (Deadline::Connection, raw.connection),
        ];
        let mut set = Vec::new();
        for (deadline, value) in keys {
            let Some(value) = value else { continue };
            let duration = parse_duration(&value.value).map_err(|e| {
                self.error(
                    value.referenced,
                    format!("deadlines.{deadline}: invalid duration `{}`", e.0),
                    "a whole number and a unit: ms, s or m, e.g. 500ms or 10s",
                )
            })?;
            set.push((deadline, duration));
        }
        Ok(set)
    }

    fn limits(&self, raw: RawLimits) -> Result<ScenarioLimits, ScenarioError> {
        let positive = |v: Option<Spanned<u64>>, key: &str| match v {
            Some(v) if v.value == 0 => Err(self.error(
                v.referenced,
                format!("limits.{key} is 0"),
                "a limit of 0 would refuse everything; omit the key for the default",
            )),
            v => Ok(v.map(|v| v.value)),
        };
        Ok(ScenarioLimits {
            connections: positive(raw.connections, "connections")?,
            bytes: positive(raw.bytes, "bytes")?,
        })
    }

    fn name(&self, name: Spanned<String>) -> Result<String, ScenarioError> {
        let valid = !name.value.is_empty()
            && name
                .value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(self.error(
                name.referenced,
                format!("invalid scenario name `{}`", name.value),
                "use lowercase letters, digits and `-`, e.g. sni-required",
            ));
        }
        Ok(name.value)
    }

    fn description(&self, description: Spanned<String>) -> Result<String, ScenarioError> {
        if description.value.trim().is_empty() {
            return Err(self.error(
                description.referenced,
                "empty description",
                "describe the quirk; the first line is the summary `quirktls list` shows",
            ));
        }
        Ok(description.value)
    }

    fn tls(&self, engine: EngineKind, raw: RawTls) -> Result<TlsConfig, ScenarioError> {
        let versions = self.versions(engine, raw.versions)?;
        let certificate = self.entity(
            raw.certificate
                .unwrap_or_else(|| defaulted(DEFAULT_CERTIFICATE.to_owned())),
            SERVER,
        )?;
        Ok(TlsConfig {
            cipher_suites: self.cipher_suites(engine, raw.cipher_suites, &versions)?,
            versions,
            groups: raw.groups.iter().map(|g| g.name().to_owned()).collect(),
            alpn: self.alpn(raw.alpn)?,
            chain: raw
                .chain
                .map(|chain| self.entities(chain, Role::Any))
                .transpose()?,
            server_name: raw
                .server_name
                .unwrap_or_else(|| self.default_server_name(&certificate)),
            certificate,
            sni: self.sni(raw.sni)?,
            client_auth: self.client_auth(engine, raw.client_auth)?,
            cipher_order: raw.cipher_order,
            resumption: match raw.resumption {
                Some(on) if on.value && !engine.can_misbehave() => {
                    return Err(self.error(
                        on.referenced,
                        format!("engine {} does not resume sessions here", engine.name()),
                        "every rustls scenario shows full handshakes; use engine scripted",
                    ))
                }
                on => on.is_some_and(|v| v.value),
            },
            secure_renegotiation: self.switch(
                engine,
                raw.secure_renegotiation,
                "secure_renegotiation",
            )?,
            extended_master_secret: self.switch(
                engine,
                raw.extended_master_secret,
                "extended_master_secret",
            )?,
            client_renegotiation: self.client_renegotiation(engine, raw.client_renegotiation)?,
            max_renegotiations: match raw.max_renegotiations {
                Some(max) if !engine.can_renegotiate() => {
                    return Err(self.error(
                        max.referenced,
                        format!("engine {} never renegotiates", engine.name()),
                        "use engine scripted to renegotiate",
                    ))
                }
                max => max.map_or(DEFAULT_MAX_RENEGOTIATIONS, |m| m.value),
            },
        })
    }

    /// rustls answers every client renegotiation with a no_renegotiation warning; only
    /// the scripted engine can do otherwise.
    fn client_renegotiation(
        &self,
        engine: EngineKind,
        raw: Option<Spanned<ClientRenegotiation>>,
    ) -> Result<ClientRenegotiation, ScenarioError> {
        let fixed = ClientRenegotiation::RefuseWarning;
        match raw {
            Some(p) if !engine.can_renegotiate() && p.value != fixed => Err(self.error(
                p.referenced,
                format!(
                    "engine {} cannot `{}` a client renegotiation",
                    engine.name(),
                    p.value.name()
                ),
                "rustls always refuses with a no_renegotiation warning; use engine scripted",
            )),
            Some(p) => Ok(p.value),
            None if engine.can_renegotiate() => Ok(ClientRenegotiation::Accept),
            None => Ok(fixed),
        }
    }

    /// An on/off feature that defaults to on; only engines that can turn it off accept `false`.
    fn switch(
        &self,
        engine: EngineKind,
        raw: Option<Spanned<bool>>,
        key: &str,
    ) -> Result<bool, ScenarioError> {
        match raw {
            Some(off) if !off.value && !engine.can_disable_extensions() => Err(self.error(
                off.referenced,
                format!("engine {} cannot turn off `{key}`", engine.name()),
                "use engine scripted",
            )),
            Some(v) => Ok(v.value),
            None => Ok(true),
        }
    }

    /// Sorted and deduplicated: the versions are a set.
    fn versions(
        &self,
        engine: EngineKind,
        raw: Option<SpannedList<TlsVersion>>,
    ) -> Result<Vec<TlsVersion>, ScenarioError> {
        let list = raw.unwrap_or_else(|| {
            defaulted(
                engine
                    .default_versions()
                    .iter()
                    .copied()
                    .map(defaulted)
                    .collect(),
            )
        });
        if list.value.is_empty() {
            return Err(self.error(
                list.referenced,
                "no protocol version enabled",
                "list at least one version, or omit `versions` for every version the engine plays",
            ));
        }
        let mut versions = Vec::with_capacity(list.value.len());
        for version in list.value {
            if !engine.versions().contains(&version.value) {
                return Err(self.error(
                    version.referenced,
                    format!("engine {} cannot play {}", engine.name(), version.value),
                    engine.version_hint(),
                ));
            }
            versions.push(version.value);
        }
        versions.sort();
        versions.dedup();
        Ok(versions)
    }

    /// IANA names in the given order; at least one must work with an enabled version.
    fn cipher_suites(
        &self,
        engine: EngineKind,
        raw: Option<SpannedList<String>>,
        versions: &[TlsVersion],
    ) -> Result<Vec<String>, ScenarioError> {
        let Some(list) = raw else {
            return Ok(Vec::new());
        };
        let offered = engine.suites();
        let mut chosen = Vec::with_capacity(list.value.len());
        let mut needed = Vec::new();
        for name in list.value {
            let iana = iana_suite_name(&name.value);
            let Some(suite) = offered.iter().find(|s| s.iana == iana) else {
                return Err(self.error(
                    name.referenced,
                    format!(
                        "engine {} does not support cipher suite `{}`",
                        engine.name(),
                        name.value
                    ),
                    format!("supported: {}", join(offered.iter().map(|s| &s.iana))),
                ));
            };
            needed.extend_from_slice(&suite.versions);
            chosen.push(iana);
        }
        if !chosen.is_empty() && !needed.iter().any(|v| versions.contains(v)) {
            needed.sort();
            needed.dedup();
            return Err(self.error(
                list.referenced,
                format!("no listed cipher suite works with {}", join(versions)),
                format!(
                    "the suites need {}: enable it in `versions` or list a suite for {}",
                    join(&needed),
                    join(versions)
                ),
            ));
        }
        Ok(chosen)
    }

    fn alpn(&self, protocols: Vec<Spanned<String>>) -> Result<Vec<String>, ScenarioError> {
        protocols
            .into_iter()
            .map(|p| match p.value.len() {
                1..=255 => Ok(p.value),
                _ => Err(self.error(
                    p.referenced,
                    "an ALPN protocol name must be 1 to 255 bytes",
                    "use registered names such as h2 or http/1.1",
                )),
            })
            .collect()
    }

    /// The certificate's first DNS name that looks like a host name.
    fn default_server_name(&self, certificate: &str) -> String {
        self.pki
            .dns_names(certificate)
            .into_iter()
            .find(|n| n.contains('.') && n.parse::<IpAddr>().is_err())
            .unwrap_or_else(|| FALLBACK_SERVER_NAME.to_owned())
    }

    fn sni(&self, raw: RawSni) -> Result<SniConfig, ScenarioError> {
        let certificates = raw
            .certificates
            .into_iter()
            .map(|(host, entity)| Ok((host, self.entity(entity, SERVER)?)))
            .collect::<Result<_, ScenarioError>>()?;
        Ok(SniConfig {
            policy: raw.policy,
            certificates,
        })
    }

    fn client_auth(
        &self,
        engine: EngineKind,
        raw: RawClientAuth,
    ) -> Result<ClientAuth, ScenarioError> {
        let certificate_types = self.named_list(
            engine,
            raw.certificate_types,
            ClientCertificateType::from_name,
            "certificate type",
            "rsa_sign, ecdsa_sign, dss_sign, rsa_fixed_dh",
        )?;
        let signature_algorithms = self.named_list(
            engine,
            raw.signature_algorithms,
            SignatureScheme::from_name,
            "signature algorithm",
            "rsa_pkcs1_sha256, rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256, rsa_pkcs1_sha1",
        )?;
        let trust = raw.trust.unwrap_or_else(|| match raw.mode {
            ClientAuthMode::None => Vec::new(),
            ClientAuthMode::Optional | ClientAuthMode::Required => {
                vec![defaulted(DEFAULT_TRUST.to_owned())]
            }
        });
        let ca_names = raw.ca_names.unwrap_or_else(|| trust.clone());
        let identity = raw
            .client_identity
            .unwrap_or_else(|| defaulted(DEFAULT_CLIENT_IDENTITY.to_owned()));
        Ok(ClientAuth {
            mode: raw.mode,
            trust: self.entities(trust, Role::Ca)?,
            ca_names: self.entities(ca_names, Role::Any)?,
            reject_alert: raw.reject_alert.map(|a| self.alert(a)).transpose()?,
            client_identity: self.entity(identity, CLIENT)?,
            certificate_types,
            signature_algorithms,
        })
    }

    /// A list of wire names (scripted engine only): each must be known.
    fn named_list<T>(
        &self,
        engine: EngineKind,
        raw: Option<Vec<Spanned<String>>>,
        parse: fn(&str) -> Option<T>,
        what: &str,
        examples: &str,
    ) -> Result<Vec<T>, ScenarioError> {
        let Some(names) = raw else {
            return Ok(Vec::new());
        };
        names
            .into_iter()
            .map(|name| {
                if !engine.can_misbehave() {
                    return Err(self.error(
                        name.referenced,
                        format!(
                            "engine {} cannot choose the {what}s it requests",
                            engine.name()
                        ),
                        "use engine scripted",
                    ));
                }
                parse(&name.value).ok_or_else(|| {
                    self.error(
                        name.referenced,
                        format!("unknown {what} `{}`", name.value),
                        format!("use names such as {examples}"),
                    )
                })
            })
            .collect()
    }

    fn renegotiate(
        &self,
        engine: EngineKind,
        raw: Spanned<RawRenegotiate>,
    ) -> Result<Renegotiate, ScenarioError> {
        if !engine.can_renegotiate() {
            return Err(self.error(
                raw.referenced,
                format!("engine {} cannot renegotiate", engine.name()),
                "rustls refuses renegotiation by design; use engine scripted",
            ));
        }
        Ok(Renegotiate {
            client_auth: self.client_auth(engine, raw.value.client_auth)?,
        })
    }

    fn intolerance(&self, raw: RawIntolerance) -> Result<Intolerance, ScenarioError> {
        let when = match raw.when {
            RawHelloMatch::OffersVersionAtLeast(v) => HelloMatch::OffersVersionAtLeast(v),
            RawHelloMatch::HasExtension(name) => HelloMatch::HasExtension(self.extension(name)?),
            RawHelloMatch::LacksExtension(name) => {
                HelloMatch::LacksExtension(self.extension(name)?)
            }
            RawHelloMatch::MoreSuitesThan(n) => HelloMatch::MoreSuitesThan(n),
            RawHelloMatch::FewerSuitesThan(n) => HelloMatch::FewerSuitesThan(n),
        };
        let then = match raw.then {
            RawReaction::Alert(name) => Reaction::Alert(self.alert(name)?),
            RawReaction::Close => Reaction::Close,
            RawReaction::Reset => Reaction::Reset,
        };
        Ok(Intolerance { when, then })
    }

    fn fault(&self, engine: EngineKind, raw: RawFault) -> Result<Fault, ScenarioError> {
        let at = raw.action.referenced;
        if !engine.can_misbehave() {
            return Err(self.error(
                at,
                format!("engine {} cannot inject message faults", engine.name()),
                "rustls will not misbehave on purpose; use engine scripted",
            ));
        }
        let action: FaultAction = raw.action.value.parse().map_err(|e: FaultParseError| {
            self.error(at, e.to_string(), "`quirktls schema` lists the fault forms")
        })?;
        if !action.fits(raw.at) {
            return Err(self.error(
                at,
                format!("`{}` does not apply to {}", raw.action.value, raw.at),
                "ServerHello fields go at server_hello, wrong_verify_data at finished, \
                 bad_record_mac and oversized at application_data",
            ));
        }
        Ok(Fault { at: raw.at, action })
    }

    fn expect(&self, raw: RawExpect) -> Result<Expect, ScenarioError> {
        let client_alert = match raw.client_alert {
            Some(name) if name.value == "none" => Some(name.value),
            Some(name) => Some(self.alert(name)?.name().unwrap_or("unknown").to_string()),
            None => None,
        };
        let cipher_suite = match raw.cipher_suite {
            Some(name) => {
                let iana = iana_suite_name(&name.value);
                match crate::wire::CipherSuite::from_name(&iana) {
                    Some(_) => Some(iana),
                    None => {
                        return Err(self.error(
                            name.referenced,
                            format!("unknown cipher suite `{}`", name.value),
                            "use an IANA name such as TLS_AES_128_GCM_SHA256",
                        ))
                    }
                }
            }
            None => None,
        };
        Ok(Expect {
            handshake: raw.handshake,
            client_alert,
            version: raw.version,
            cipher_suite,
            client_certificate: raw.client_certificate,
            sni: raw.sni,
            renegotiation: raw.renegotiation,
            http_request: raw.http_request,
            client_exit: raw.client_exit,
        })
    }

    fn extension(&self, name: Spanned<String>) -> Result<ExtensionType, ScenarioError> {
        ExtensionType::from_name(&name.value).ok_or_else(|| {
            self.error(
                name.referenced,
                format!("unknown extension `{}`", name.value),
                "use an IANA extension name such as server_name, renegotiation_info, \
                 supported_versions or extended_master_secret",
            )
        })
    }

    fn alert(&self, name: Spanned<String>) -> Result<AlertDescription, ScenarioError> {
        AlertDescription::from_name(&name.value).ok_or_else(|| {
            self.error(
                name.referenced,
                format!("unknown alert `{}`", name.value),
                "use a TLS alert name such as bad_certificate, unknown_ca, access_denied \
                 or certificate_required",
            )
        })
    }

    fn app(&self, raw: RawApp) -> Result<AppConfig, ScenarioError> {
        let status = match raw.status {
            None => DEFAULT_STATUS,
            Some(status) if (100..=599).contains(&status.value) => status.value,
            Some(status) => {
                return Err(self.error(
                    status.referenced,
                    format!("http status {} is out of range", status.value),
                    "use a status from 100 to 599",
                ))
            }
        };
        Ok(AppConfig {
            mode: raw.mode,
            status,
            body: raw.body.unwrap_or_else(|| DEFAULT_BODY.to_owned()),
            require_client_cert: raw.require_client_cert,
        })
    }

    fn entities(
        &self,
        names: Vec<Spanned<String>>,
        role: Role,
    ) -> Result<Vec<String>, ScenarioError> {
        names
            .into_iter()
            .map(|name| self.entity(name, role))
            .collect()
    }

    /// The entity name, if the PKI spec has it in the role the field needs.
    fn entity(&self, name: Spanned<String>, role: Role) -> Result<String, ScenarioError> {
        let entity = &name.value;
        let message = if !self.pki.contains(entity) {
            match role {
                Role::Any => format!("unknown PKI entity `{entity}`"),
                Role::Leaf(_) => format!("unknown certificate `{entity}`"),
                Role::Ca => format!("unknown CA `{entity}`"),
            }
        } else if role.admits(self.pki, entity) {
            return Ok(name.value);
        } else {
            match role {
                Role::Leaf(kind) => format!("`{entity}` is a CA, not a {kind}"),
                Role::Any | Role::Ca => format!("`{entity}` is not a CA"),
            }
        };
        let candidates = self
            .pki
            .names()
            .into_iter()
            .filter(|n| role.admits(self.pki, n));
        let hint = format!("{} in the PKI spec: {}", role.plural(), join(candidates));
        Err(self.error(name.referenced, message, hint))
    }
}

/// A value the file did not give; it has no location.
fn defaulted<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

fn join<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
