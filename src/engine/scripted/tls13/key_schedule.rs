//! The TLS 1.3 key schedule without PSK (RFC 8446 §7.1): early secret from zeros,
//! handshake secret from the (EC)DHE or hybrid shared secret, master secret; the
//! traffic secrets derived from transcript hashes; Finished's verify_data.

use aws_lc_rs::hkdf::Prk;

use crate::engine::scripted::crypto::hkdf::HkdfHash;

//= https://www.rfc-editor.org/rfc/rfc8446#section-7.1
//# Derive-Secret(Secret, Label, Messages) =
//#      HKDF-Expand-Label(Secret, Label,
//#                        Transcript-Hash(Messages), Hash.length)
fn derive_secret(hash: HkdfHash, secret: &Prk, label: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    hash.expand_label(secret, label, transcript_hash, hash.len())
}

/// The secrets of the handshake epoch, and what the application epoch derives from.
pub(super) struct HandshakeSecrets {
    hash: HkdfHash,
    /// client_handshake_traffic_secret.
    pub client: Vec<u8>,
    /// server_handshake_traffic_secret.
    pub server: Vec<u8>,
    master: Prk,
}

/// The secrets of the first application epoch.
pub(super) struct ApplicationSecrets {
    /// client_application_traffic_secret_0.
    pub client: Vec<u8>,
    /// server_application_traffic_secret_0.
    pub server: Vec<u8>,
    /// exporter_master_secret.
    pub exporter: Vec<u8>,
}

impl HandshakeSecrets {
    /// From the shared secret and the hash of ClientHello…ServerHello.
    pub(super) fn new(hash: HkdfHash, shared: &[u8], hello_hash: &[u8]) -> Self {
        let zeros = vec![0; hash.len()];
        let empty_hash = hash.digest(&[]);
        let early = hash.extract(&[], &zeros);
        let salt = derive_secret(hash, &early, b"derived", &empty_hash);
        let handshake = hash.extract(&salt, shared);
        let salt = derive_secret(hash, &handshake, b"derived", &empty_hash);
        Self {
            hash,
            client: derive_secret(hash, &handshake, b"c hs traffic", hello_hash),
            server: derive_secret(hash, &handshake, b"s hs traffic", hello_hash),
            master: hash.extract(&salt, &zeros),
        }
    }

    /// From the hash of ClientHello…server Finished.
    pub(super) fn application(&self, transcript_hash: &[u8]) -> ApplicationSecrets {
        let derive = |label: &[u8]| derive_secret(self.hash, &self.master, label, transcript_hash);
        ApplicationSecrets {
            client: derive(b"c ap traffic"),
            server: derive(b"s ap traffic"),
            exporter: derive(b"exp master"),
        }
    }
}

//= https://www.rfc-editor.org/rfc/rfc8446#section-4.4.4
//# finished_key =
//#     HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)
//#
//# verify_data =
//#     HMAC(finished_key,
//#          Transcript-Hash(Handshake Context,
//#                          Certificate*, CertificateVerify*))
/// The Finished verify_data of the side whose traffic secret is `base_key`.
pub(super) fn verify_data(hash: HkdfHash, base_key: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    let finished_key = hash.expand_label(&hash.prk(base_key), b"finished", &[], hash.len());
    hash.hmac(&finished_key, transcript_hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scripted::crypto::suites::PrfHash;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 8448 §3 (simple 1-RTT handshake), every secret of the server's.
    #[test]
    fn rfc8448_simple_handshake() {
        let hash = HkdfHash(PrfHash::Sha256);
        let shared = unhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
        let hello_hash = unhex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
        let hs = HandshakeSecrets::new(hash, &shared, &hello_hash);
        assert_eq!(
            hex::encode(&hs.client),
            "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
        );
        assert_eq!(
            hex::encode(&hs.server),
            "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
        );
        let finished_hash =
            unhex("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13");
        let app = hs.application(&finished_hash);
        assert_eq!(
            hex::encode(&app.client),
            "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
        );
        assert_eq!(
            hex::encode(&app.server),
            "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
        );
        assert_eq!(
            hex::encode(&app.exporter),
            "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50"
        );
        // The server's Finished: hash of ClientHello…CertificateVerify.
        let cv_hash = unhex("edb7725fa7a3473b031ec8ef65a2485493900138a2b91291407d7951a06110ed");
        assert_eq!(
            hex::encode(verify_data(hash, &hs.server, &cv_hash)),
            "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718"
        );
    }
}
