//! Cross-check against real peers: a TLS 1.2 ECDHE-RSA handshake with client
//! authentication between OpenSSL 3.0 `s_server` and `s_client` (see the data file for
//! how it was made). Every message decodes and re-encodes to the same bytes, the
//! server's signature verifies over [`EcdheParams::signed_message`], and the client's
//! CertificateVerify verifies over the re-encoded transcript.

use der::{Decode, Encode};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use x509_cert::name::Name;

use super::*;
use crate::observe::parse_client_hello;
use crate::wire::{
    CipherSuite, Codec, Compression, ECPointFormat, Extension, ExtensionType, HandshakeJoiner,
    NamedGroup, ProtocolVersion, SignatureScheme,
};

const CAPTURE: &str =
    include_str!("../../../tests/data/openssl-3.0-tls12-ecdhe-rsa-client-auth.hex");

/// The captured messages in order, each with `true` when the server sent it.
pub(super) fn capture() -> Vec<(bool, HandshakeMessage)> {
    CAPTURE
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (direction, hex) = line.split_once(' ').unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            let message = HandshakeMessage::from_bytes(&bytes).unwrap();
            assert_eq!(message.to_bytes(), bytes);
            (direction == "<", message)
        })
        .collect()
}

/// Decode `message` as `T` and check that it encodes back to the same message.
fn decode<T: HandshakePayload>(message: &HandshakeMessage, context: T::Context) -> T {
    let value = T::from_message(message, context).unwrap();
    assert_eq!(&value.to_message(), message, "{} re-encodes", T::TYPE);
    value
}

/// The SubjectPublicKeyInfo of a DER certificate.
fn public_key_der(cert: &[u8]) -> Vec<u8> {
    let cert = x509_cert::Certificate::from_der(cert).unwrap();
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap()
}

#[test]
fn the_server_flight_decodes_to_identical_bytes() {
    let messages = capture();
    let client_hello = parse_client_hello(&messages[0].1.to_bytes()).unwrap();
    let flight: Vec<u8> = messages
        .iter()
        .filter(|(from_server, _)| *from_server)
        .flat_map(|(_, m)| m.to_bytes())
        .collect();
    // The joiner, fed in small records, yields exactly the captured messages.
    let mut joiner = HandshakeJoiner::default();
    let mut joined = Vec::new();
    for record in flight.chunks(100) {
        joiner.push(record).unwrap();
        joined.extend(std::iter::from_fn(|| joiner.pop()));
    }
    let [hello, certificate, key_exchange, request, done] = &joined[..] else {
        panic!("{} messages", joined.len());
    };

    let hello: ServerHello = decode(hello, ());
    assert_eq!(hello.version, ProtocolVersion::TLS12);
    assert_eq!(hello.cipher_suite, CipherSuite(0xc02f));
    assert_eq!(hello.compression, Compression::NULL);
    let extensions = hello.extensions.as_deref().unwrap();
    assert_eq!(
        extensions.iter().map(|e| e.typ).collect::<Vec<_>>(),
        [
            ExtensionType::RENEGOTIATION_INFO,
            ExtensionType::EC_POINT_FORMATS,
            ExtensionType::SESSION_TICKET,
            ExtensionType::EXTENDED_MASTER_SECRET,
        ]
    );
    // Our constructors build what OpenSSL sends.
    assert_eq!(extensions[0], Extension::renegotiation_info(&[]));
    let formats = [0, 1, 2].map(ECPointFormat);
    assert_eq!(extensions[1], Extension::ec_point_formats(&formats));
    assert_eq!(extensions[3], Extension::extended_master_secret());

    let certificate: Certificate = decode(certificate, ());
    assert_eq!(certificate.chain.len(), 1);

    let key_exchange: ServerKeyExchange = decode(key_exchange, ProtocolVersion::TLS12);
    assert_eq!(key_exchange.params.group, NamedGroup::X25519);
    assert_eq!(key_exchange.params.public.len(), 32);
    let signature = &key_exchange.signature;
    assert_eq!(signature.scheme, Some(SignatureScheme::RSA_PSS_RSAE_SHA256));
    let server_key =
        rsa::RsaPublicKey::from_public_key_der(&public_key_der(&certificate.chain[0])).unwrap();
    let signed = key_exchange
        .params
        .signed_message(&client_hello.random, &hello.random);
    rsa::pss::VerifyingKey::<sha2::Sha256>::new(server_key)
        .verify(
            &signed,
            &rsa::pss::Signature::try_from(&signature.sig[..]).unwrap(),
        )
        .expect("the server signed exactly signed_message()");

    let request: CertificateRequest = decode(request, ProtocolVersion::TLS12);
    assert_eq!(
        request.cert_types,
        [
            ClientCertificateType::RSA_SIGN,
            ClientCertificateType::DSS_SIGN,
            ClientCertificateType::ECDSA_SIGN,
        ]
    );
    let schemes = request.sig_schemes.as_deref().unwrap();
    assert!(schemes.contains(&SignatureScheme::ECDSA_SECP256R1_SHA256));
    let [ca] = &request.ca_names[..] else {
        panic!("{:?}", request.ca_names);
    };
    let ca = Name::from_der(ca).unwrap().to_string();
    assert!(ca.contains("CN=quirktls Client CA"), "{ca}");

    let _: ServerHelloDone = decode(done, ());
}

#[test]
fn the_client_flight_decodes_and_signs_the_re_encoded_transcript() {
    let messages: Vec<HandshakeMessage> = capture().into_iter().map(|(_, m)| m).collect();
    let [.., certificate, key_exchange, verify] = &messages[..] else {
        unreachable!()
    };

    let certificate: Certificate = decode(certificate, ());
    assert_eq!(certificate.chain.len(), 1);
    let ClientKeyExchange::EcdhPublic(public) = decode(key_exchange, KeyExchangeKind::Ecdhe) else {
        unreachable!()
    };
    assert_eq!(public.len(), 32);

    let CertificateVerify(signed) = decode(verify, ProtocolVersion::TLS12);
    assert_eq!(signed.scheme, Some(SignatureScheme::ECDSA_SECP256R1_SHA256));
    // The client signed every message before CertificateVerify, as we re-encode them.
    let transcript: Vec<u8> = messages[..messages.len() - 1]
        .iter()
        .flat_map(Codec::to_bytes)
        .collect();
    let client_key =
        p256::ecdsa::VerifyingKey::from_public_key_der(&public_key_der(&certificate.chain[0]))
            .unwrap();
    let signature = p256::ecdsa::Signature::from_der(&signed.sig).unwrap();
    client_key
        .verify(&transcript, &signature)
        .expect("CertificateVerify covers the transcript");
}
