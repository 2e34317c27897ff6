//! `certs/pki.yaml`: the serde model as written, defaults, and validation whose
//! errors point at `file:line:column`.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_saphyr::{Location, Spanned};
use time::OffsetDateTime;

use super::entity::{Eku, Entity, KeyUsage, Role, San, Subject, Time};
use super::key::{KeyKind, SignatureHash};
use super::PkiError;

/// The parsed, validated `certs/pki.yaml`.
#[derive(Debug, Clone)]
pub struct PkiSpec {
    /// In spec order.
    entities: Vec<Entity>,
    /// Indexes into `entities`, every issuer before the entities it issues.
    issue_order: Vec<usize>,
}

impl PkiSpec {
    /// Load and validate a spec file.
    pub fn load(path: &Path) -> Result<Self, PkiError> {
        let text = std::fs::read_to_string(path).map_err(|source| PkiError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_str(&text, &path.display().to_string())
    }

    /// Parse and validate spec text; `origin` names it in `file:line:column` errors.
    pub fn from_str(text: &str, origin: &str) -> Result<Self, PkiError> {
        let raw: RawSpec = serde_saphyr::from_str(text).map_err(|e| PkiError::yaml(origin, &e))?;
        resolve(raw.entities.0, origin, OffsetDateTime::now_utc())
    }

    /// Whether an entity of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entity(name).is_some()
    }

    /// Whether the entity is a CA.
    pub fn is_ca(&self, name: &str) -> bool {
        self.entity(name).is_some_and(|e| e.is_ca())
    }

    /// DNS SANs of the entity, in spec order (none for unknown names and v1 certificates).
    pub fn dns_names(&self, name: &str) -> Vec<String> {
        let Some(entity) = self.entity(name) else {
            return Vec::new();
        };
        entity
            .sans
            .iter()
            .filter_map(|san| match san {
                San::Dns(name) => Some(name.clone()),
                San::Ip(_) => None,
            })
            .collect()
    }

    /// Entity names in spec order.
    pub fn names(&self) -> Vec<String> {
        self.entities.iter().map(|e| e.name.clone()).collect()
    }

    /// Entities in spec order.
    pub(crate) fn entities(&self) -> &[Entity] {
        &self.entities
    }

    pub(crate) fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// Entities with every issuer ahead of what it issues.
    pub(crate) fn in_issue_order(&self) -> impl Iterator<Item = &Entity> {
        self.issue_order.iter().map(|&i| &self.entities[i])
    }
}

/// `ca:` as written. Untagged inside a `Spanned` keeps the value's location, and
/// `expecting` replaces serde's generic "did not match any variant" message.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "`ca` must be `true`, `false` or `{ path_len: N }`"
)]
enum RawCa {
    Flag(bool),
    Constrained { path_len: u8 },
}

impl From<&RawCa> for Role {
    fn from(raw: &RawCa) -> Self {
        match *raw {
            RawCa::Flag(false) => Role::Leaf,
            RawCa::Flag(true) => Role::Ca { path_len: None },
            RawCa::Constrained { path_len } => Role::Ca {
                path_len: Some(path_len),
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    entities: RawEntities,
}

/// `entities:` in file order: a map type would lose it, and `names()` promises it.
struct RawEntities(Vec<(Spanned<String>, RawEntity)>);

impl<'de> Deserialize<'de> for RawEntities {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntitiesVisitor;
        impl<'de> Visitor<'de> for EntitiesVisitor {
            type Value = RawEntities;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of entity names to entities")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEntities, A::Error> {
                let mut entities = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entities.push(entry);
                }
                Ok(RawEntities(entities))
            }
        }
        deserializer.deserialize_map(EntitiesVisitor)
    }
}

/// An entity as written; `Spanned` where a check after parsing needs a location.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntity {
    subject: Option<Spanned<Subject>>,
    issuer: Option<Spanned<String>>,
    #[serde(default)]
    key: KeyKind,
    ca: Option<Spanned<RawCa>>,
    #[serde(default)]
    validity: RawValidity,
    sans: Option<Spanned<Vec<Spanned<String>>>>,
    key_usage: Option<Spanned<Vec<KeyUsage>>>,
    eku: Option<Spanned<Vec<Eku>>>,
    version: Option<Spanned<u8>>,
    signature_hash: Option<Spanned<SignatureHash>>,
    trusted: Option<Spanned<bool>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidity {
    not_before: Option<Spanned<String>>,
    not_after: Option<Spanned<String>>,
}

/// Validate the raw entities and apply defaults; `now` anchors the check that
/// `not_before` precedes `not_after`.
fn resolve(
    raw: Vec<(Spanned<String>, RawEntity)>,
    origin: &str,
    now: OffsetDateTime,
) -> Result<PkiSpec, PkiError> {
    let fail = |at: Location, message: String| PkiError::spec(origin, at, message);
    let index: HashMap<&str, usize> = raw
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.value.as_str(), i))
        .collect();

    let mut parents = Vec::with_capacity(raw.len());
    for (name, entity) in &raw {
        if name.value.is_empty()
            || !name
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(fail(
                name.referenced,
                format!(
                    "entity name `{}` may only use letters, digits, `-` and `_`, because it names a directory",
                    name.value
                ),
            ));
        }
        let parent = match &entity.issuer {
            None => None,
            Some(issuer) => Some(
                check_issuer(issuer, name, &raw, &index).map_err(|m| fail(issuer.referenced, m))?,
            ),
        };
        parents.push(parent);
    }
    let issue_order = issue_order(&raw, &parents).map_err(|(at, m)| fail(at, m))?;

    let entities = raw
        .iter()
        .zip(&parents)
        .map(|((name, entity), parent)| {
            let issuer_key = parent.map_or(entity.key, |p| raw[p].1.key);
            resolve_entity(&name.value, entity, issuer_key, now).map_err(|(at, m)| fail(at, m))
        })
        .collect::<Result<_, _>>()?;
    Ok(PkiSpec {
        entities,
        issue_order,
    })
}

/// The index of `issuer`, which must name another entity that is a CA.
fn check_issuer(
    issuer: &Spanned<String>,
    name: &Spanned<String>,
    raw: &[(Spanned<String>, RawEntity)],
    index: &HashMap<&str, usize>,
) -> Result<usize, String> {
    let issuer = issuer.value.as_str();
    let Some(&parent) = index.get(issuer) else {
        return Err(format!(
            "unknown issuer `{issuer}`; name an entity defined under `entities:`"
        ));
    };
    if issuer == name.value {
        return Err(format!(
            "`{issuer}` names itself as issuer; remove `issuer:` to make it self-signed"
        ));
    }
    if !raw[parent]
        .1
        .ca
        .as_ref()
        .is_some_and(|ca| Role::from(&ca.value) != Role::Leaf)
    {
        return Err(format!(
            "issuer `{issuer}` is not a CA; give `{issuer}` `ca: true` or pick a CA as issuer"
        ));
    }
    Ok(parent)
}

/// Spec order, except that every issuer comes before what it issues. Each entity
/// has at most one issuer, so following issuers from any entity either reaches an
/// already-ordered entity, a self-signed one, or loops.
fn issue_order(
    raw: &[(Spanned<String>, RawEntity)],
    parents: &[Option<usize>],
) -> Result<Vec<usize>, (Location, String)> {
    let mut ordered = vec![false; raw.len()];
    let mut order = Vec::with_capacity(raw.len());
    for start in 0..raw.len() {
        let mut chain = Vec::new();
        let mut next = Some(start);
        while let Some(i) = next.filter(|&i| !ordered[i]) {
            if let Some(pos) = chain.iter().position(|&c| c == i) {
                let last: usize = *chain.last().expect("a loop has a last link");
                let names: Vec<&str> = chain[pos..]
                    .iter()
                    .chain([&i])
                    .map(|&c| raw[c].0.value.as_str())
                    .collect();
                let issuer = raw[last]
                    .1
                    .issuer
                    .as_ref()
                    .expect("a loop link has an issuer");
                return Err((
                    issuer.referenced,
                    format!(
                        "issuer cycle {}; make one of them self-signed by removing its `issuer:`",
                        names.join(" -> ")
                    ),
                ));
            }
            chain.push(i);
            next = parents[i];
        }
        for &i in chain.iter().rev() {
            ordered[i] = true;
            order.push(i);
        }
    }
    Ok(order)
}

fn resolve_entity(
    name: &str,
    raw: &RawEntity,
    issuer_key: KeyKind,
    now: OffsetDateTime,
) -> Result<Entity, (Location, String)> {
    let role = raw
        .ca
        .as_ref()
        .map_or(Role::Leaf, |ca| Role::from(&ca.value));
    let is_ca = role != Role::Leaf;

    let v1 = match &raw.version {
        None => false,
        Some(v) if v.value == 3 => false,
        Some(v) if v.value == 1 => true,
        Some(v) => {
            return Err((
                v.referenced,
                format!("x509 version {} does not exist here; use 1 or 3", v.value),
            ))
        }
    };
    if v1 {
        let extension_fields = [
            ("sans", raw.sans.as_ref().map(|s| s.referenced)),
            ("key_usage", raw.key_usage.as_ref().map(|s| s.referenced)),
            ("eku", raw.eku.as_ref().map(|s| s.referenced)),
        ];
        if let Some((field, Some(at))) = extension_fields.into_iter().find(|(_, at)| at.is_some()) {
            return Err((
                at,
                format!("version 1 certificates carry no extensions; remove `{field}` or use `version: 3`"),
            ));
        }
        if let Some(ca) = raw
            .ca
            .as_ref()
            .filter(|ca| matches!(ca.value, RawCa::Constrained { .. }))
        {
            return Err((
                ca.referenced,
                "version 1 certificates cannot carry a path length; use `ca: true`".to_owned(),
            ));
        }
    }

    let subject = resolve_subject(name, raw.subject.as_ref())?;
    let (not_before, not_after) = resolve_validity(&raw.validity, is_ca, now)?;

    let eku = match &raw.eku {
        Some(eku) => eku.value.clone(),
        None if is_ca => Vec::new(),
        None => vec![Eku::ServerAuth],
    };
    let sans = match &raw.sans {
        Some(sans) => sans.value.iter().map(parse_san).collect::<Result<_, _>>()?,
        None if !is_ca && eku.contains(&Eku::ServerAuth) => vec![
            San::Dns("server.quirktls.test".into()),
            San::Dns("localhost".into()),
            San::Ip([127, 0, 0, 1].into()),
        ],
        None => Vec::new(),
    };
    let key_usage = match &raw.key_usage {
        Some(usage) => usage.value.clone(),
        None if is_ca => vec![
            KeyUsage::KeyCertSign,
            KeyUsage::CrlSign,
            KeyUsage::DigitalSignature,
        ],
        // RSA key exchange (TLS_RSA_*) encrypts to the certificate's key.
        None if raw.key.is_rsa() => vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment],
        None => vec![KeyUsage::DigitalSignature],
    };

    let signature_hash = match &raw.signature_hash {
        None => issuer_key.default_hash(),
        Some(hash) if issuer_key.can_sign_with(hash.value) => hash.value,
        Some(hash) => {
            return Err((
                hash.referenced,
                format!(
                    "the issuer's {} key cannot sign with {}; use an rsa or ecdsa-p256 issuer",
                    spelling(issuer_key),
                    spelling(hash.value)
                ),
            ))
        }
    };

    let trusted = match (&raw.trusted, &raw.issuer) {
        (Some(trusted), Some(_)) => {
            return Err((
                trusted.referenced,
                "`trusted` applies to self-signed roots only; remove it here".to_owned(),
            ))
        }
        (trusted, None) => trusted.as_ref().is_none_or(|t| t.value),
        (None, Some(_)) => false,
    };

    let (sans, key_usage, eku) = if v1 {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        (sans, key_usage, eku)
    };
    Ok(Entity {
        name: name.to_owned(),
        issuer: raw.issuer.as_ref().map(|i| i.value.clone()),
        subject,
        key: raw.key,
        role,
        not_before,
        not_after,
        sans,
        key_usage,
        eku,
        v1,
        signature_hash,
        trusted,
    })
}

/// How the spec spells a value (its serde name), for messages.
fn spelling<T: Serialize + fmt::Debug>(value: T) -> String {
    match serde_json::to_value(&value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => format!("{value:?}"),
    }
}

fn resolve_subject(
    name: &str,
    raw: Option<&Spanned<Subject>>,
) -> Result<Subject, (Location, String)> {
    let mut subject = raw.map(|s| s.value.clone()).unwrap_or_default();
    if let (Some(c), Some(raw)) = (&subject.c, raw) {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err((
                raw.referenced,
                format!("country `{c}` must be a two-letter code like `US`"),
            ));
        }
    }
    subject.cn.get_or_insert_with(|| name.to_owned());
    Ok(subject)
}

fn resolve_validity(
    raw: &RawValidity,
    is_ca: bool,
    now: OffsetDateTime,
) -> Result<(Time, Time), (Location, String)> {
    let default_days = if is_ca { 3650 } else { 825 };
    let parse = |field: &Option<Spanned<String>>, default: Time| {
        match field {
        None => Ok(default),
        Some(text) => Time::parse(&text.value)
            .filter(|t| t.at(now).is_some())
            .ok_or_else(|| {
                (
                    text.referenced,
                    format!(
                        "invalid time `{}`; use an offset from now like `-1d`, `+365d`, `12h` or an RFC 3339 time like `2030-01-01T00:00:00Z`",
                        text.value
                    ),
                )
            }),
    }
    };
    let day = 86_400;
    let not_before = parse(&raw.not_before, Time::Relative { seconds: -day })?;
    let not_after = parse(
        &raw.not_after,
        Time::Relative {
            seconds: default_days * day,
        },
    )?;
    if not_before.at(now) >= not_after.at(now) {
        let at = raw
            .not_after
            .as_ref()
            .or(raw.not_before.as_ref())
            .map_or(Location::UNKNOWN, |s| s.referenced);
        return Err((at, "`not_after` must be later than `not_before`".to_owned()));
    }
    Ok((not_before, not_after))
}

fn parse_san(text: &Spanned<String>) -> Result<San, (Location, String)> {
    if let Ok(ip) = text.value.parse::<IpAddr>() {
        return Ok(San::Ip(ip));
    }
    let name = &text.value;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err((
            text.referenced,
            format!("SAN `{name}` is neither an IP address nor an ASCII DNS name"),
        ));
    }
    Ok(San::Dns(name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "certs/pki.yaml";

    fn load(text: &str) -> Result<PkiSpec, String> {
        PkiSpec::from_str(text, ORIGIN).map_err(|e| e.to_string())
    }

    fn error(text: &str) -> String {
        load(text).expect_err("spec should be rejected")
    }

    #[test]
    fn the_shipped_spec_is_valid_and_ordered() {
        let spec = PkiSpec::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/certs/pki.yaml"
        )))
        .unwrap();
        let names = spec.names();
        assert_eq!(names[0], "root-ca");
        // server-sha1 precedes its issuer rsa-root-ca in the file.
        let position = |name: &str| spec.in_issue_order().position(|e| e.name == name).unwrap();
        assert!(position("rsa-root-ca") < position("server-sha1"));
        assert!(position("intermediate-ca-2") < position("server-via-intermediates"));
        assert_eq!(spec.in_issue_order().count(), names.len());
    }

    #[test]
    fn defaults_follow_the_header_comment() {
        let spec = load(
            "entities:\n  root:\n    ca: true\n  leaf:\n    issuer: root\n    key: rsa-2048\n  client:\n    issuer: root\n    eku: [client_auth]\n  bare:\n    issuer: root\n    sans: []\n",
        )
        .unwrap();
        let root = spec.entity("root").unwrap();
        assert_eq!(root.subject.cn.as_deref(), Some("root"));
        assert_eq!(
            root.not_after,
            Time::Relative {
                seconds: 3650 * 86_400
            }
        );
        assert!(root.trusted && root.sans.is_empty() && root.eku.is_empty());
        assert_eq!(
            root.key_usage,
            [
                KeyUsage::KeyCertSign,
                KeyUsage::CrlSign,
                KeyUsage::DigitalSignature
            ]
        );

        let leaf = spec.entity("leaf").unwrap();
        assert_eq!(leaf.not_before, Time::Relative { seconds: -86_400 });
        assert_eq!(
            leaf.not_after,
            Time::Relative {
                seconds: 825 * 86_400
            }
        );
        assert_eq!(leaf.eku, [Eku::ServerAuth]);
        assert_eq!(
            leaf.key_usage,
            [KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]
        );
        assert_eq!(
            spec.dns_names("leaf"),
            ["server.quirktls.test", "localhost"]
        );
        assert!(leaf.sans.contains(&San::Ip([127, 0, 0, 1].into())));
        assert_eq!(leaf.signature_hash, SignatureHash::Sha256);
        assert!(!leaf.trusted);

        assert!(spec.entity("client").unwrap().sans.is_empty());
        assert!(spec.dns_names("bare").is_empty());
        assert!(spec.is_ca("root") && !spec.is_ca("leaf") && !spec.contains("nope"));
    }

    #[test]
    fn p384_issuer_defaults_to_sha384() {
        let spec =
            load("entities:\n  r:\n    ca: true\n    key: ecdsa-p384\n  l:\n    issuer: r\n")
                .unwrap();
        assert_eq!(
            spec.entity("l").unwrap().signature_hash,
            SignatureHash::Sha384
        );
        assert_eq!(
            spec.entity("r").unwrap().signature_hash,
            SignatureHash::Sha384
        );
    }

    #[test]
    fn typo_key_points_at_the_key() {
        let e = error("entities:\n  root:\n    ca: true\n    isuer: x\n");
        assert!(
            e.starts_with("certs/pki.yaml:4:5: unknown field `isuer`"),
            "{e}"
        );
    }

    #[test]
    fn bad_value_points_at_the_value() {
        let e = error("entities:\n  root:\n    key: rsa-999\n");
        assert!(
            e.starts_with("certs/pki.yaml:3:10: unknown variant `rsa-999`"),
            "{e}"
        );
        let e = error("entities:\n  root:\n    ca: maybe\n");
        assert_eq!(
            e,
            "certs/pki.yaml:3:9: `ca` must be `true`, `false` or `{ path_len: N }`"
        );
    }

    #[test]
    fn unknown_issuer_points_at_the_issuer() {
        let e = error("entities:\n  leaf:\n    issuer: nobody\n");
        assert_eq!(
            e,
            "certs/pki.yaml:3:13: unknown issuer `nobody`; name an entity defined under `entities:`"
        );
    }

    #[test]
    fn issuer_must_be_a_ca() {
        let e = error("entities:\n  a: {}\n  b:\n    issuer: a\n");
        assert!(
            e.starts_with("certs/pki.yaml:4:13: issuer `a` is not a CA"),
            "{e}"
        );
    }

    #[test]
    fn issuer_cycles_are_named() {
        let e = error(
            "entities:\n  a:\n    ca: true\n    issuer: b\n  b:\n    ca: true\n    issuer: a\n",
        );
        assert_eq!(
            e,
            "certs/pki.yaml:7:13: issuer cycle a -> b -> a; make one of them self-signed by removing its `issuer:`"
        );
        let e = error("entities:\n  a:\n    ca: true\n    issuer: a\n");
        assert!(
            e.starts_with("certs/pki.yaml:4:13: `a` names itself"),
            "{e}"
        );
    }

    #[test]
    fn bad_validity_points_at_the_string() {
        let e = error("entities:\n  a:\n    validity: { not_before: yesterday }\n");
        assert!(
            e.starts_with("certs/pki.yaml:3:29: invalid time `yesterday`"),
            "{e}"
        );
        let e = error("entities:\n  a:\n    validity: { not_before: +2d, not_after: +1d }\n");
        assert!(
            e.starts_with("certs/pki.yaml:3:45: `not_after` must be later"),
            "{e}"
        );
    }

    #[test]
    fn sha1_needs_an_issuer_that_can_sign_it() {
        let e = error("entities:\n  r:\n    ca: true\n    key: ed25519\n  l:\n    issuer: r\n    signature_hash: sha1\n");
        assert!(
            e.starts_with("certs/pki.yaml:7:21: the issuer's ed25519 key cannot sign with sha1"),
            "{e}"
        );
        load("entities:\n  r:\n    ca: true\n    key: rsa-2048\n  l:\n    issuer: r\n    signature_hash: sha1\n").unwrap();
    }

    #[test]
    fn version_1_rejects_extension_fields_and_drops_defaults() {
        let e = error("entities:\n  a:\n    version: 1\n    sans: [x]\n");
        assert!(
            e.starts_with(
                "certs/pki.yaml:4:11: version 1 certificates carry no extensions; remove `sans`"
            ),
            "{e}"
        );
        let e = error("entities:\n  a:\n    version: 2\n");
        assert!(e.starts_with("certs/pki.yaml:3:14: x509 version 2"), "{e}");
        let spec = load("entities:\n  a:\n    version: 1\n").unwrap();
        assert!(spec.entity("a").unwrap().v1 && spec.dns_names("a").is_empty());
    }

    #[test]
    fn trusted_is_for_roots_only() {
        let e = error("entities:\n  r:\n    ca: true\n  l:\n    issuer: r\n    trusted: true\n");
        assert!(
            e.starts_with("certs/pki.yaml:6:14: `trusted` applies to self-signed roots only"),
            "{e}"
        );
        let spec = load("entities:\n  r:\n    ca: true\n    trusted: false\n").unwrap();
        assert!(!spec.entity("r").unwrap().trusted);
    }

    #[test]
    fn names_and_sans_are_checked() {
        let e = error("entities:\n  a b: {}\n");
        assert!(
            e.starts_with("certs/pki.yaml:2:3: entity name `a b`"),
            "{e}"
        );
        let e = error("entities:\n  a:\n    sans: [ok, \"bad name\"]\n");
        assert!(e.starts_with("certs/pki.yaml:3:16: SAN `bad name`"), "{e}");
        let e = error("entities:\n  a:\n    subject: { c: USA }\n");
        assert!(e.starts_with("certs/pki.yaml:3:14: country `USA`"), "{e}");
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let e = error("entities:\n  a: {}\n  a: {}\n");
        assert!(
            e.starts_with("certs/pki.yaml:3:3: duplicate mapping key"),
            "{e}"
        );
    }
}
