//! HKDF (RFC 5869) with aws-lc, and TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1).

use aws_lc_rs::hkdf::{self, KeyType, Prk, Salt};

use super::hash::Hash;
use super::hmac::{HmacHash, HmacKey};
use super::suites::PrfHash;

/// The hash of a TLS 1.3 suite's HKDF, transcript and Finished MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HkdfHash(pub(crate) PrfHash);

/// An output length, as aws-lc's `expand` takes it.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl HkdfHash {
    fn algorithm(self) -> hkdf::Algorithm {
        match self.0 {
            PrfHash::Sha256 => hkdf::HKDF_SHA256,
            PrfHash::Sha384 => hkdf::HKDF_SHA384,
        }
    }

    fn hash(self) -> Hash {
        match self.0 {
            PrfHash::Sha256 => Hash::Sha256,
            PrfHash::Sha384 => Hash::Sha384,
        }
    }

    /// `Hash.length`.
    pub(crate) fn len(self) -> usize {
        self.hash().output_len()
    }

    /// The digest of `message`.
    pub(crate) fn digest(self, message: &[u8]) -> Vec<u8> {
        self.hash().digest(message)
    }

    /// HKDF-Extract(salt, ikm).
    pub(crate) fn extract(self, salt: &[u8], ikm: &[u8]) -> Prk {
        Salt::new(self.algorithm(), salt).extract(ikm)
    }

    /// A secret derived earlier, as a PRK to expand from.
    pub(crate) fn prk(self, secret: &[u8]) -> Prk {
        Prk::new_less_safe(self.algorithm(), secret)
    }

    //= https://www.rfc-editor.org/rfc/rfc8446#section-7.1
    //# HKDF-Expand-Label(Secret, Label, Context, Length) =
    //#      HKDF-Expand(Secret, HkdfLabel, Length)
    /// HKDF-Expand-Label(secret, label, context, len); `label` without "tls13 ".
    pub(crate) fn expand_label(
        self,
        secret: &Prk,
        label: &[u8],
        context: &[u8],
        len: usize,
    ) -> Vec<u8> {
        let length = (len as u16).to_be_bytes();
        let label_len = [(6 + label.len()) as u8];
        let context_len = [context.len() as u8];
        let info: [&[u8]; 6] = [&length, &label_len, b"tls13 ", label, &context_len, context];
        let mut out = vec![0; len];
        secret
            .expand(&info, Len(len))
            .and_then(|okm| okm.fill(&mut out))
            .expect("TLS 1.3 labels and lengths are within HKDF's limits");
        out
    }

    /// HMAC with this hash (the Finished MAC, RFC 8446 §4.4.4).
    pub(crate) fn hmac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        let hash = match self.0 {
            PrfHash::Sha256 => HmacHash::Sha256,
            PrfHash::Sha384 => HmacHash::Sha384,
        };
        HmacKey::new(hash, key).sign(&[message])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8448 §3 (simple 1-RTT handshake): the early secret from a zero PSK, its
    /// "derived" secret, and the handshake secret's client traffic secret.
    #[test]
    fn rfc8448_key_schedule_vectors() {
        let h = HkdfHash(PrfHash::Sha256);
        let zeros = [0u8; 32];
        let early = h.extract(&[], &zeros);
        let derived = h.expand_label(&early, b"derived", &h.digest(&[]), 32);
        assert_eq!(
            hex::encode(&derived),
            "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba"
        );
        let shared =
            hex::decode("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")
                .unwrap();
        let handshake = h.extract(&derived, &shared);
        let hello_hash =
            hex::decode("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8")
                .unwrap();
        assert_eq!(
            hex::encode(h.expand_label(&handshake, b"c hs traffic", &hello_hash, 32)),
            "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
        );
        let server_hs =
            hex::decode("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
                .unwrap();
        let hs = h.prk(&server_hs);
        assert_eq!(
            hex::encode(h.expand_label(&hs, b"key", &[], 16)),
            "3fce516009c21727d0f2e4e86ee403bc"
        );
        assert_eq!(
            hex::encode(h.expand_label(&hs, b"iv", &[], 12)),
            "5d313eb2671276ee13000b30"
        );
    }
}
