//! Certificates: rcgen lays out and (where its algorithm table allows) signs every
//! certificate; what rcgen cannot emit — X.509 v1, SHA-1, ECDSA with a foreign hash,
//! RSA-1024 issuers — is rewritten with x509-cert and re-signed with RustCrypto.

use der::asn1::BitString;
use der::{Decode, Encode};
use rcgen::string::{Ia5String, PrintableString};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber,
    SignatureAlgorithm, SigningKey,
};
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_cert::certificate::Version;

use super::entity::{Eku, Entity, KeyUsage, Role, San, Subject};
use super::key::{Key, SignatureHash};

/// Issue `entity`'s certificate for `key`, signed by `issuer`'s key (or by `key`
/// itself when `issuer` is `None`), valid relative to `now`.
pub(crate) fn issue(
    entity: &Entity,
    key: &Key,
    issuer: Option<(&Entity, &Key)>,
    now: OffsetDateTime,
) -> Result<CertificateDer<'static>, String> {
    let params = params(entity, now)?;
    let (issuer_entity, issuer_key) = issuer.unwrap_or((entity, key));
    let issuer_params = base_params(issuer_entity)?;
    let hash = entity.signature_hash;
    let rcgen_error = |e: rcgen::Error| format!("rcgen: {e}");

    match issuer_key
        .kind()
        .rcgen_algorithm(hash)
        .filter(|_| !entity.v1)
    {
        Some(alg) => {
            let issuer = Issuer::new(issuer_params, issuer_key.rcgen_signer(alg)?);
            let cert = params.signed_by(key, &issuer).map_err(rcgen_error)?;
            Ok(cert.into())
        }
        None => {
            let issuer = Issuer::new(issuer_params, Unsigned(issuer_key));
            let draft = params.signed_by(key, &issuer).map_err(rcgen_error)?;
            resign(draft.der(), entity.v1, issuer_key, hash).map(CertificateDer::from)
        }
    }
}

/// Rewrite rcgen's certificate — to version 1 without extensions if `v1`, and with
/// the signature algorithm of `issuer` + `hash` in both places it appears — then sign
/// the new TBSCertificate.
fn resign(der: &[u8], v1: bool, issuer: &Key, hash: SignatureHash) -> Result<Vec<u8>, String> {
    let der_error = |e: der::Error| format!("re-encoding the certificate: {e}");
    let mut cert = x509_cert::Certificate::from_der(der).map_err(der_error)?;
    let tbs = &mut cert.tbs_certificate;
    if v1 {
        tbs.version = Version::V1;
        tbs.extensions = None;
    }
    let algorithm = issuer.kind().signature_algorithm(hash);
    tbs.signature = algorithm.clone();
    cert.signature_algorithm = algorithm;
    let signature = issuer.sign(hash, &tbs.to_der().map_err(der_error)?)?;
    cert.signature = BitString::from_bytes(&signature).map_err(der_error)?;
    cert.to_der().map_err(der_error)
}

/// Lends rcgen the issuer's public key (for the authority key identifier) and leaves
/// the signature empty: [`resign`] replaces it.
struct Unsigned<'a>(&'a Key);

impl PublicKeyData for Unsigned<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.der_bytes()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.0.algorithm()
    }
}

impl SigningKey for Unsigned<'_> {
    fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(Vec::new())
    }
}

fn params(entity: &Entity, now: OffsetDateTime) -> Result<CertificateParams, String> {
    let mut params = base_params(entity)?;
    let out_of_range = || "validity is out of range for an X.509 time".to_owned();
    params.not_before = entity.not_before.at(now).ok_or_else(out_of_range)?;
    params.not_after = entity.not_after.at(now).ok_or_else(out_of_range)?;
    params.serial_number = Some(random_serial());
    params.subject_alt_names = entity
        .sans
        .iter()
        .map(|san| match san {
            San::Ip(ip) => Ok(SanType::IpAddress(*ip)),
            San::Dns(name) => Ia5String::try_from(name.as_str())
                .map(SanType::DnsName)
                .map_err(|e| format!("SAN `{name}`: {e}")),
        })
        .collect::<Result<_, _>>()?;
    params.is_ca = match entity.role {
        // CA:FALSE is explicit so that leaves get a basicConstraints and, with it,
        // a subject key identifier like every CA.
        Role::Leaf => IsCa::ExplicitNoCa,
        Role::Ca { path_len: None } => IsCa::Ca(BasicConstraints::Unconstrained),
        Role::Ca { path_len: Some(n) } => IsCa::Ca(BasicConstraints::Constrained(n)),
    };
    params.extended_key_usages = entity.eku.iter().map(|&eku| eku_purpose(eku)).collect();
    params.use_authority_key_identifier_extension = entity.issuer.is_some();
    Ok(params)
}

/// Subject name and key usages: all an [`Issuer`] reads of its parameters (besides
/// the default key-identifier method), and the start of a certificate's own.
fn base_params(entity: &Entity) -> Result<CertificateParams, String> {
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(&entity.subject)?;
    params.key_usages = entity
        .key_usage
        .iter()
        .map(|&u| key_usage_purpose(u))
        .collect();
    Ok(params)
}

/// Attributes in the conventional most-significant-first order, so that the
/// RFC 4514 string (which reverses it) reads `CN=…,OU=…,O=…`.
fn distinguished_name(subject: &Subject) -> Result<DistinguishedName, String> {
    let mut name = DistinguishedName::new();
    if let Some(c) = &subject.c {
        // RFC 5280 requires PrintableString for countryName.
        let c = PrintableString::try_from(c.as_str()).map_err(|e| format!("country `{c}`: {e}"))?;
        name.push(DnType::CountryName, DnValue::PrintableString(c));
    }
    let attributes = [
        (DnType::StateOrProvinceName, &subject.st),
        (DnType::LocalityName, &subject.l),
        (DnType::OrganizationName, &subject.o),
        (DnType::OrganizationalUnitName, &subject.ou),
        (DnType::CommonName, &subject.cn),
    ];
    for (ty, value) in attributes {
        if let Some(value) = value {
            name.push(ty, value.as_str());
        }
    }
    Ok(name)
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    // Positive and without a leading zero byte, so the DER INTEGER stays 16 bytes.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn key_usage_purpose(usage: KeyUsage) -> KeyUsagePurpose {
    match usage {
        KeyUsage::DigitalSignature => KeyUsagePurpose::DigitalSignature,
        KeyUsage::ContentCommitment => KeyUsagePurpose::ContentCommitment,
        KeyUsage::KeyEncipherment => KeyUsagePurpose::KeyEncipherment,
        KeyUsage::DataEncipherment => KeyUsagePurpose::DataEncipherment,
        KeyUsage::KeyAgreement => KeyUsagePurpose::KeyAgreement,
        KeyUsage::KeyCertSign => KeyUsagePurpose::KeyCertSign,
        KeyUsage::CrlSign => KeyUsagePurpose::CrlSign,
        KeyUsage::EncipherOnly => KeyUsagePurpose::EncipherOnly,
        KeyUsage::DecipherOnly => KeyUsagePurpose::DecipherOnly,
    }
}

fn eku_purpose(eku: Eku) -> ExtendedKeyUsagePurpose {
    match eku {
        Eku::ServerAuth => ExtendedKeyUsagePurpose::ServerAuth,
        Eku::ClientAuth => ExtendedKeyUsagePurpose::ClientAuth,
        Eku::CodeSigning => ExtendedKeyUsagePurpose::CodeSigning,
        Eku::EmailProtection => ExtendedKeyUsagePurpose::EmailProtection,
        Eku::TimeStamping => ExtendedKeyUsagePurpose::TimeStamping,
        Eku::OcspSigning => ExtendedKeyUsagePurpose::OcspSigning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::key::KeyKind;
    use crate::pki::PkiSpec;
    use x509_cert::Certificate;

    fn spec() -> PkiSpec {
        PkiSpec::from_str(
            "entities:
  root:
    subject: { cn: Root, o: Org, c: DE }
    ca: { path_len: 1 }
    key: rsa-1024
  leaf:
    issuer: root
    subject: { cn: Leaf, o: Org, ou: Unit }
    signature_hash: sha1
  v1:
    issuer: root
    version: 1
  p256:
    ca: true
    signature_hash: sha384
",
            "test.yaml",
        )
        .unwrap()
    }

    fn issue_pair(spec: &PkiSpec, name: &str, kind: KeyKind) -> (Key, Certificate) {
        let entity = spec.entity(name).unwrap();
        let key = Key::generate(kind).unwrap();
        let der = issue(entity, &key, None, OffsetDateTime::now_utc()).unwrap();
        (key, Certificate::from_der(&der).unwrap())
    }

    fn verify_rsa(issuer: &Key, cert: &Certificate, hash: SignatureHash) {
        use rsa::pkcs8::DecodePrivateKey;
        let public = rsa::RsaPrivateKey::from_pkcs8_der(issuer.pkcs8())
            .unwrap()
            .to_public_key();
        let tbs = cert.tbs_certificate.to_der().unwrap();
        let digest = match hash {
            SignatureHash::Sha1 => <sha1::Sha1 as sha2::Digest>::digest(&tbs).to_vec(),
            _ => <sha2::Sha256 as sha2::Digest>::digest(&tbs).to_vec(),
        };
        let scheme = match hash {
            SignatureHash::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
            _ => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
        };
        public
            .verify(scheme, &digest, cert.signature.raw_bytes())
            .unwrap();
    }

    #[test]
    fn rsa_1024_issuer_signs_sha1_leaf_through_resign() {
        let spec = spec();
        let (root_key, root) = issue_pair(&spec, "root", KeyKind::Rsa1024);
        assert_eq!(
            root.signature_algorithm.oid.to_string(),
            "1.2.840.113549.1.1.11"
        );
        verify_rsa(&root_key, &root, SignatureHash::Sha256);
        assert_eq!(
            root.tbs_certificate.subject.to_string(),
            "CN=Root,O=Org,C=DE"
        );

        let leaf_key = Key::generate(KeyKind::EcdsaP256).unwrap();
        let der = issue(
            spec.entity("leaf").unwrap(),
            &leaf_key,
            Some((spec.entity("root").unwrap(), &root_key)),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        let leaf = Certificate::from_der(&der).unwrap();
        assert_eq!(
            leaf.signature_algorithm.oid.to_string(),
            "1.2.840.113549.1.1.5"
        );
        assert_eq!(leaf.tbs_certificate.signature, leaf.signature_algorithm);
        assert_eq!(leaf.tbs_certificate.version, Version::V3);
        assert_eq!(leaf.tbs_certificate.issuer, root.tbs_certificate.subject);
        assert_eq!(
            leaf.tbs_certificate.subject.to_string(),
            "CN=Leaf,OU=Unit,O=Org"
        );
        verify_rsa(&root_key, &leaf, SignatureHash::Sha1);
    }

    #[test]
    fn v1_has_no_extensions() {
        let spec = spec();
        let (root_key, _) = issue_pair(&spec, "root", KeyKind::Rsa2048);
        let der = issue(
            spec.entity("v1").unwrap(),
            &Key::generate(KeyKind::EcdsaP256).unwrap(),
            Some((spec.entity("root").unwrap(), &root_key)),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        let cert = Certificate::from_der(&der).unwrap();
        assert_eq!(cert.tbs_certificate.version, Version::V1);
        assert!(cert.tbs_certificate.extensions.is_none());
        verify_rsa(&root_key, &cert, SignatureHash::Sha256);
    }

    #[test]
    fn p256_with_sha384_uses_ecdsa_with_sha384() {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        use p256::pkcs8::DecodePrivateKey;
        let spec = spec();
        let (key, cert) = issue_pair(&spec, "p256", KeyKind::EcdsaP256);
        assert_eq!(
            cert.signature_algorithm.oid.to_string(),
            "1.2.840.10045.4.3.3"
        );
        assert!(cert.signature_algorithm.parameters.is_none());
        let verifying = *p256::ecdsa::SigningKey::from_pkcs8_der(key.pkcs8())
            .unwrap()
            .verifying_key();
        // p256's plain Verifier would hash with SHA-256; check the SHA-384 prehash.
        let tbs = cert.tbs_certificate.to_der().unwrap();
        let prehash = <sha2::Sha384 as sha2::Digest>::digest(&tbs);
        let sig = p256::ecdsa::DerSignature::try_from(cert.signature.raw_bytes()).unwrap();
        verifying.verify_prehash(&prehash, &sig).unwrap();
    }
}
