//! Digests: the running handshake transcript (Finished, the extended master secret's
//! session hash, CertificateVerify) and the one-shot digests signatures are made over.

use aws_lc_rs::digest;
use md5::{Digest as _, Md5};

use super::prf::Prf;

/// A digest the handshake uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hash {
    /// MD5 || SHA-1 (36 bytes): TLS 1.0/1.1 transcripts and RSA signatures.
    Md5Sha1,
    /// SHA-1: TLS 1.0/1.1 ECDSA signatures, `*_sha1` signature schemes.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// Length of a digest.
    pub(super) fn output_len(self) -> usize {
        match self {
            Self::Md5Sha1 => 36,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The digest of `message`.
    pub(super) fn digest(self, message: &[u8]) -> Vec<u8> {
        let mut hasher = Hasher::new(self);
        hasher.update(message);
        hasher.finish()
    }
}

/// A running digest; cloning it forks the state.
#[derive(Clone)]
struct Hasher {
    /// The MD5 half of [`Hash::Md5Sha1`].
    md5: Option<Md5>,
    /// SHA-1 or SHA-2.
    sha: digest::Context,
}

impl Hasher {
    fn new(hash: Hash) -> Self {
        let (md5, sha) = match hash {
            Hash::Md5Sha1 => (Some(Md5::new()), &digest::SHA1_FOR_LEGACY_USE_ONLY),
            Hash::Sha1 => (None, &digest::SHA1_FOR_LEGACY_USE_ONLY),
            Hash::Sha256 => (None, &digest::SHA256),
            Hash::Sha384 => (None, &digest::SHA384),
            Hash::Sha512 => (None, &digest::SHA512),
        };
        Self {
            md5,
            sha: digest::Context::new(sha),
        }
    }

    fn update(&mut self, data: &[u8]) {
        if let Some(md5) = &mut self.md5 {
            md5.update(data);
        }
        self.sha.update(data);
    }

    fn finish(self) -> Vec<u8> {
        let mut out = self
            .md5
            .map(|md5| md5.finalize().to_vec())
            .unwrap_or_default();
        out.extend_from_slice(self.sha.finish().as_ref());
        out
    }
}

/// The handshake messages of one handshake, hashed as they are added and kept raw
/// (TLS 1.2 CertificateVerify signs the messages with the signature scheme's own
/// hash, which need not be the PRF's).
pub(crate) struct Transcript {
    hasher: Hasher,
    messages: Vec<u8>,
}

impl Transcript {
    /// An empty transcript hashing with `prf`'s hash: MD5 || SHA-1 before TLS 1.2,
    /// the suite's PRF hash in TLS 1.2.
    pub(crate) fn new(prf: Prf) -> Self {
        Self {
            hasher: Hasher::new(prf.hash()),
            messages: Vec::new(),
        }
    }

    /// Append one whole handshake message, 4-byte header included.
    pub(crate) fn add(&mut self, message: &[u8]) {
        self.hasher.update(message);
        self.messages.extend_from_slice(message);
    }

    /// The hash of everything added so far; the transcript keeps running.
    pub(crate) fn current(&self) -> Vec<u8> {
        self.hasher.clone().finish()
    }

    /// Everything added so far, as added.
    pub(crate) fn messages(&self) -> &[u8] {
        &self.messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scripted::crypto::suites::PrfHash;

    /// FIPS 180 / RFC 1321 digests of "abc".
    const ABC_MD5: &str = "900150983cd24fb0d6963f7d28e17f72";
    const ABC_SHA1: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";
    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const ABC_SHA384: &str = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                              8086072ba1e7cc2358baeca134c825a7";
    const ABC_SHA512: &str = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                              2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

    #[test]
    fn digests_match_the_standard_vectors() {
        let cases = [
            (Hash::Md5Sha1, format!("{ABC_MD5}{ABC_SHA1}")),
            (Hash::Sha1, ABC_SHA1.into()),
            (Hash::Sha256, ABC_SHA256.into()),
            (Hash::Sha384, ABC_SHA384.into()),
            (Hash::Sha512, ABC_SHA512.into()),
        ];
        for (hash, want) in cases {
            assert_eq!(hex::encode(hash.digest(b"abc")), want, "{hash:?}");
            assert_eq!(hash.output_len(), want.len() / 2, "{hash:?}");
        }
    }

    #[test]
    fn transcript_hashes_by_version_and_keeps_running() {
        let cases = [
            (Prf::Tls10, format!("{ABC_MD5}{ABC_SHA1}")),
            (Prf::Tls12(PrfHash::Sha256), ABC_SHA256.into()),
            (Prf::Tls12(PrfHash::Sha384), ABC_SHA384.into()),
        ];
        for (prf, want) in cases {
            let mut transcript = Transcript::new(prf);
            transcript.add(b"a");
            transcript.add(b"");
            assert_eq!(transcript.current(), prf.hash().digest(b"a"));
            transcript.add(b"bc");
            assert_eq!(hex::encode(transcript.current()), want, "{prf:?}");
            assert_eq!(
                transcript.current(),
                transcript.current(),
                "non-destructive"
            );
            assert_eq!(transcript.messages(), b"abc");
        }
    }
}
