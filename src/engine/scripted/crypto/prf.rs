//! The TLS PRF and what the handshake derives with it: the master secret (RFC 5246
//! §8.1, RFC 7627 §4), the key block (§6.3) and Finished's verify_data (§7.4.9).
//!
//! One `P_hash` (RFC 5246 §5) serves both PRFs: TLS 1.0/1.1 XOR P_MD5 and P_SHA1 over
//! the two halves of the secret (RFC 2246 §5), TLS 1.2 runs P_SHA256 or P_SHA384.

use super::hash::Hash;
use super::hmac::{HmacHash, HmacKey};
use super::suites::{PrfHash, SuiteSpec};
use crate::wire::ProtocolVersion;

/// The PRF of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prf {
    /// TLS 1.0 and 1.1: P_MD5 xor P_SHA1; transcripts hash with MD5 || SHA-1.
    Tls10,
    /// TLS 1.2: P_hash with the suite's hash, which also hashes the transcript.
    Tls12(PrfHash),
}

impl Prf {
    /// The PRF `suite` uses at `version`.
    pub(crate) fn new(suite: &SuiteSpec, version: ProtocolVersion) -> Self {
        if version >= ProtocolVersion::TLS12 {
            Self::Tls12(suite.prf)
        } else {
            Self::Tls10
        }
    }

    /// The transcript hash that goes with this PRF.
    pub(super) fn hash(self) -> Hash {
        match self {
            Self::Tls10 => Hash::Md5Sha1,
            Self::Tls12(PrfHash::Sha256) => Hash::Sha256,
            Self::Tls12(PrfHash::Sha384) => Hash::Sha384,
        }
    }

    /// Fill `out` with PRF(secret, label, seed), the seed given in parts.
    fn derive(self, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
        match self {
            Self::Tls10 => {
                // S1 and S2 are the halves, sharing the middle byte if the length is odd.
                let half = secret.len().div_ceil(2);
                let (s1, s2) = (&secret[..half], &secret[secret.len() - half..]);
                p_hash(&HmacKey::new(HmacHash::Md5, s1), label, seed, out);
                let mut sha1 = vec![0; out.len()];
                p_hash(&HmacKey::new(HmacHash::Sha1, s2), label, seed, &mut sha1);
                out.iter_mut().zip(sha1).for_each(|(o, s)| *o ^= s);
            }
            Self::Tls12(hash) => {
                let hash = match hash {
                    PrfHash::Sha256 => HmacHash::Sha256,
                    PrfHash::Sha384 => HmacHash::Sha384,
                };
                p_hash(&HmacKey::new(hash, secret), label, seed, out);
            }
        }
    }
}

/// P_hash(secret, label || seed): A(0) = label || seed, A(i) = HMAC(A(i-1)), output
/// HMAC(A(1) || label || seed) || HMAC(A(2) || label || seed) || … cut to `out`.
fn p_hash(key: &HmacKey, label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let label_seed: Vec<&[u8]> = std::iter::once(label).chain(seed.iter().copied()).collect();
    let mut a = key.sign(&label_seed);
    let mut filled = 0;
    while filled < out.len() {
        let mut parts = vec![a.as_slice()];
        parts.extend_from_slice(&label_seed);
        let block = key.sign(&parts);
        let n = block.len().min(out.len() - filled);
        out[filled..filled + n].copy_from_slice(&block[..n]);
        filled += n;
        a = key.sign(&[&a]);
    }
}

/// Which side sent a Finished message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sender {
    /// The client's Finished ("client finished").
    Client,
    /// The server's Finished ("server finished").
    Server,
}

/// The master secret (RFC 5246 §8.1).
pub(crate) fn master_secret(
    prf: Prf,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; 48] {
    let mut out = [0; 48];
    let seed: [&[u8]; 2] = [client_random, server_random];
    prf.derive(pre_master, b"master secret", &seed, &mut out);
    out
}

/// The extended master secret (RFC 7627 §4): `session_hash` is the transcript hash
/// up to and including ClientKeyExchange.
pub(crate) fn extended_master_secret(prf: Prf, pre_master: &[u8], session_hash: &[u8]) -> [u8; 48] {
    let mut out = [0; 48];
    prf.derive(
        pre_master,
        b"extended master secret",
        &[session_hash],
        &mut out,
    );
    out
}

/// `len` bytes of key block (RFC 5246 §6.3): note the server random comes first.
pub(super) fn key_block(
    prf: Prf,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    len: usize,
) -> Vec<u8> {
    let mut out = vec![0; len];
    let seed: [&[u8]; 2] = [server_random, client_random];
    prf.derive(master, b"key expansion", &seed, &mut out);
    out
}

/// The verify_data of `sender`'s Finished over `handshake_hash`, the transcript hash
/// of every handshake message before that Finished (RFC 5246 §7.4.9).
pub(crate) fn verify_data(
    prf: Prf,
    master: &[u8; 48],
    sender: Sender,
    handshake_hash: &[u8],
) -> [u8; 12] {
    let label: &[u8] = match sender {
        Sender::Client => b"client finished",
        Sender::Server => b"server finished",
    };
    let mut out = [0; 12];
    prf.derive(master, label, &[handshake_hash], &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: Prf = Prf::Tls12(PrfHash::Sha256);
    const SHA384: Prf = Prf::Tls12(PrfHash::Sha384);

    fn prf(prf: Prf, secret: &str, label: &str, seed: &str, len: usize) -> String {
        let mut out = vec![0; len];
        let seed = hex::decode(seed).unwrap();
        prf.derive(
            &hex::decode(secret).unwrap(),
            label.as_bytes(),
            &[&seed],
            &mut out,
        );
        hex::encode(out)
    }

    /// The TLS 1.2 PRF vectors posted to the IETF TLS list
    /// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), also in
    /// GnuTLS's tests; `openssl kdf … TLS1-PRF` reproduces them (tests/vectors/prf.sh).
    #[test]
    fn tls12_ietf_vectors() {
        assert_eq!(
            prf(
                SHA256,
                "9bbe436ba940f017b17652849a71db35",
                "test label",
                "a0ba9f936cda311827a6f796ffd5198c",
                100
            ),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
             87347b66"
        );
        assert_eq!(
            prf(
                SHA384,
                "b80b733d6ceefcdc71566ea48e5567df",
                "test label",
                "cd665cf6a8447dd6ff8b27555edb7465",
                148
            ),
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd\
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd\
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425\
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6\
             91c8f3a26854308d5eaa3be85e0990703d73e56f"
        );
    }

    /// TLS 1.0 PRF("secret", "label", "seed")[0..20], the worked example of Joshua
    /// Davies' "Implementing SSL/TLS" (p. 335); OpenSSL's TLS1-PRF with MD5-SHA1
    /// agrees, and gives the longer vector with an odd-length secret, whose halves
    /// share a byte (tests/vectors/prf.sh).
    #[test]
    fn tls10_vectors() {
        assert_eq!(
            prf(
                Prf::Tls10,
                &hex::encode("secret"),
                "label",
                &hex::encode("seed"),
                20
            ),
            "b5baf4722b91851a8816d22ebd8c1d8cc2e94d55"
        );
        assert_eq!(
            prf(
                Prf::Tls10,
                TLS10_ODD_SECRET,
                "test label",
                "a0ba9f936cda311827a6f796ffd5198c",
                100
            ),
            TLS10_ODD_OUT
        );
    }

    /// 47 bytes 00 01 … 2e.
    const TLS10_ODD_SECRET: &str =
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
                                    202122232425262728292a2b2c2d2e";
    const TLS10_ODD_OUT: &str = "4895b3a860e30c30e1f46350418758a9e5a9ffa845f923befac2a0d8df1406cb\
                                 5ca6d1e6307d710fee1b456441a93d13ec6b659a66390f5cddafbaaf8db60fc7\
                                 4ad9735715c8a839757683a91bf11cfe3332046029f0e421af86345a2d63edcd\
                                 fe6fb01c";

    fn bytes<const N: usize>(start: u8) -> [u8; N] {
        std::array::from_fn(|i| start.wrapping_add(i as u8))
    }

    /// Master secret, extended master secret, key block and both verify_data for each
    /// PRF against OpenSSL's TLS1-PRF with the same labels and seeds (tests/vectors/prf.sh):
    /// premaster 03 03 a5 a6 …, client random 00 … 1f, server random 20 … 3f, session
    /// hash 40 …, handshake hash 80 … (as long as the PRF's hash).
    #[test]
    fn handshake_derivations_match_openssl() {
        let cases = [
            (Prf::Tls10, [
                "a088d04eec74fe174bcc12de64e260529e56689177107a052675b8b23a741fcd35ed5e97aad3bd5d6001b56a1afddb74",
                "1f4693976874167b8472d3753cbb4e1414d69b34d3a3b38cacbd8aaabb88033e57919a2dfe91e4bb384bafb6c819f7ae",
                "9b9f7f860f127f2967abf6c2e4205ac00403d48534e439684a9f6e15f34fe013350b38cf0fb1cb2d95d302b30df6011d\
                 c291710855a89afb29404284e588dd9a6487a84458212a4d944fa922967aa3911c52cc41c3f65aa6088959444ad22868\
                 192a719ad5fcb3ac6bb412f1c96fb3a37a0da544021853226d5e2b04b6da6d47fc37b121e96e8fc7",
                "7b5867d8b87e0bdf673a3f03",
                "4f88db77e9e67e50619277cb",
            ]),
            (SHA256, [
                "d22a6cd07df73bf5b826f101759af1e3b4b5a008cdc71a4adb4d4e555291dba0a913294f8c24f018568eee733658a176",
                "f2e0ed8bcaf01cdae6fb1ccd60f78c95f8af83a75e18a7d46f95dfb73838563d38a1b5e7f69373c13a1e455d48ebf408",
                "17f7d33b345ba3ae9a600bd343d9971244e418678fef0bbe5809ddbcfd7ecd2899f7dc226b6cd50c16f841786c71669c\
                 237d77f12b9170db456e035540eb308dcfd8aa3614a5e164f9abdb4115ce457549341c14a2e497bdee6e2b91202b9e59\
                 483ca0a66dc986c0b9cd735299bd96497a3145923ffa5417001caf95e45e82bc6b1fd2e47721292b",
                "4fd5d41e617e92b300e3edab",
                "0415bdde96a0230ed7c11d15",
            ]),
            (SHA384, [
                "acc7429e8e7ca22dd740e32093ed754fc58957c36e127c920646894107011e9d385bd0e32e20fdca6b442fcb8956d19e",
                "51a9903060de84b2819f17d81e46a9beb7395551fca14a50f13e7e28ef55a712a5e9d428f53e2a8dcd33f0a0dd75402b",
                "2c704bb3866af474c324461247fa66075ee4268f19adfd41f0316b43642d4161ef90d4013f8d9c502685c843a2f7b512\
                 43165d4b3aa832ec356b6567b147528158e7754ae7d0ffb71af2b329912ba9ecbcd90f3329720cdad6b214db43764f75\
                 ec9f89cf6b7962bdfe29943fad0c2889e81f302424707f897d39935122c568cc989e13ac99dd65f0",
                "74f1527c679920101a7f8839",
                "cbfc58f493e47ddee0dbb4c4",
            ]),
        ];
        let mut pre_master = bytes::<48>(0xa3);
        pre_master[..2].copy_from_slice(&[3, 3]);
        let (client_random, server_random) = (bytes::<32>(0), bytes::<32>(0x20));
        for (p, [master, ems, block, client, server]) in cases {
            let hash_len = p.hash().output_len();
            let ms = master_secret(p, &pre_master, &client_random, &server_random);
            assert_eq!(hex::encode(ms), master, "{p:?}");
            let session_hash = &bytes::<48>(0x40)[..hash_len];
            assert_eq!(
                hex::encode(extended_master_secret(p, &pre_master, session_hash)),
                ems,
                "{p:?}"
            );
            assert_eq!(
                hex::encode(key_block(p, &ms, &client_random, &server_random, 136)),
                block,
                "{p:?}"
            );
            let handshake_hash = &bytes::<48>(0x80)[..hash_len];
            assert_eq!(
                hex::encode(verify_data(p, &ms, Sender::Client, handshake_hash)),
                client,
                "{p:?}"
            );
            assert_eq!(
                hex::encode(verify_data(p, &ms, Sender::Server, handshake_hash)),
                server,
                "{p:?}"
            );
        }
    }

    #[test]
    fn output_is_a_prefix_stream() {
        for p in [Prf::Tls10, SHA256, SHA384] {
            let long = prf(p, "0102", "x", "03", 97);
            assert_eq!(prf(p, "0102", "x", "03", 13), long[..26]);
        }
    }
}
