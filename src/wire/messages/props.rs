//! Peer bytes never panic a decoder, and whatever decodes encodes back to the same
//! bytes (nothing is normalised away, so the engine can reason about what it read).

use proptest::collection::vec;
use proptest::prelude::*;

use super::openssl_capture::capture;
use super::*;
use crate::wire::ProtocolVersion;

/// Decode `body` as `T` in `context`; a success must re-encode to `body`.
fn canonical<T: HandshakePayload>(body: &[u8], context: T::Context) -> Result<(), TestCaseError> {
    if let Ok(value) = T::from_body(body, context) {
        prop_assert_eq!(value.to_message().body, body, "{}", T::TYPE);
    }
    Ok(())
}

/// `body` through every decoder in every context.
fn decode_everything(body: &[u8]) -> Result<(), TestCaseError> {
    for version in [ProtocolVersion::TLS10, ProtocolVersion::TLS12] {
        canonical::<CertificateRequest>(body, version)?;
        canonical::<CertificateVerify>(body, version)?;
        canonical::<ServerKeyExchange>(body, version)?;
    }
    for kind in [KeyExchangeKind::Rsa, KeyExchangeKind::Ecdhe] {
        canonical::<ClientKeyExchange>(body, kind)?;
    }
    canonical::<ServerHello>(body, ())?;
    canonical::<Certificate>(body, ())?;
    canonical::<Finished>(body, ())?;
    canonical::<HelloRequest>(body, ())?;
    canonical::<ServerHelloDone>(body, ())
}

/// Real bodies to mutate: the OpenSSL capture's, and the forms it lacks.
fn samples() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = capture().into_iter().map(|(_, m)| m.body).collect();
    bodies.push(
        ClientKeyExchange::EncryptedPreMaster(vec![1; 128])
            .to_message()
            .body,
    );
    let v10 = CertificateRequest {
        cert_types: vec![ClientCertificateType::RSA_SIGN],
        sig_schemes: None,
        ca_names: vec![vec![0x30, 0]],
    };
    bodies.push(v10.to_message().body);
    bodies
}

proptest! {
    #[test]
    fn arbitrary_bodies_decode_canonically_or_fail(body in vec(any::<u8>(), 0..400)) {
        decode_everything(&body)?;
    }

    #[test]
    fn mutated_bodies_decode_canonically_or_fail(
        sample in any::<prop::sample::Index>(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        keep in any::<prop::sample::Index>(),
    ) {
        let samples = samples();
        let mut body = samples[sample.index(samples.len())].clone();
        if !body.is_empty() {
            for (at, xor) in edits {
                let at = at.index(body.len());
                body[at] ^= xor;
            }
        }
        body.truncate(keep.index(body.len() + 1));
        decode_everything(&body)?;
    }
}
