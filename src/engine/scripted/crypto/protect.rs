//! Record protection (RFC 5246 §6.2.3): sealing our records and opening the peer's,
//! each direction with its own keys and 64-bit sequence number.
//!
//! `seal` returns the record *fragment*; the caller writes the 5-byte header with the
//! fragment's length. `open` takes a fragment and returns the plaintext, or an error
//! for anything that does not authenticate: short, garbage or tampered input never
//! panics.

mod aead;
mod aead13;
mod cbc;
mod stream;

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305};
use aws_lc_rs::cipher;

use super::hkdf::HkdfHash;
use super::hmac::{HmacHash, HmacKey};
use super::prf::{key_block, Prf};
use super::suites::{Bulk, Mac, SuiteSpec};
use crate::wire::{AlertDescription, ContentType, ProtocolVersion, RecordHeader};

/// Why a record did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProtectError {
    /// Decryption, padding or MAC check failed (one error for all, as RFC 5246
    /// §6.2.3.2 asks, so as not to be a padding oracle).
    #[error(
        "bad record mac: the record does not decrypt and authenticate with the negotiated keys"
    )]
    BadRecordMac,
    /// The ciphertext exceeds 2^14 + 2048 bytes or the plaintext 2^14 bytes.
    #[error("record overflow: the record is longer than TLS allows (2^14 bytes of plaintext)")]
    RecordOverflow,
    /// A TLS 1.3 record decrypted to zeros only: no content type.
    #[error("the decrypted TLS 1.3 record holds no content type (all zeros)")]
    NoContentType,
}

impl ProtectError {
    /// The alert that reports this error to the peer.
    pub(crate) fn alert(self) -> AlertDescription {
        match self {
            Self::BadRecordMac => AlertDescription::BAD_RECORD_MAC,
            Self::RecordOverflow => AlertDescription::RECORD_OVERFLOW,
            Self::NoContentType => AlertDescription::UNEXPECTED_MESSAGE,
        }
    }
}

/// Largest ciphertext fragment a peer may send (RFC 5246 §6.2.3).
const MAX_CIPHERTEXT: usize = RecordHeader::MAX_PLAINTEXT + 2048;

/// The protection of one direction of a connection.
pub(crate) enum Protection {
    /// Before the first ChangeCipherSpec: records travel in the clear.
    Null,
    /// AES-GCM with a 4-byte implicit salt and the sequence number as explicit nonce.
    Aead(aead::Aead),
    /// MAC-then-encrypt with a block cipher in CBC mode.
    Cbc(Box<cbc::Cbc>),
    /// MAC-then-encrypt with RC4.
    Stream(Box<stream::Stream>),
    /// TLS 1.3: an AEAD keyed from a traffic secret, the content type inside.
    Tls13(Box<aead13::Aead13>),
}

impl Protection {
    /// Protect one record's `plaintext` (at most 2^14 bytes unless a fault wants
    /// more) and advance the sequence number.
    pub(crate) fn seal(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
    ) -> Vec<u8> {
        match self {
            Self::Null => plaintext.to_vec(),
            Self::Aead(p) => p.seal(content_type, version, plaintext),
            Self::Cbc(p) => p.seal(content_type, version, plaintext),
            Self::Stream(p) => p.seal(content_type, version, plaintext),
            Self::Tls13(p) => p.seal(content_type, plaintext),
        }
    }

    /// The content type a record header announces for `content_type` under this
    /// protection.
    pub(crate) fn outer_type(&self, content_type: ContentType) -> ContentType {
        match self {
            //= https://www.rfc-editor.org/rfc/rfc8446#section-5.2
            //# opaque_type:  The outer opaque_type field of a TLSCiphertext record
            //#    is always set to the value 23 (application_data) for outward
            //#    compatibility with middleboxes accustomed to parsing previous
            //#    versions of TLS.
            Self::Tls13(_) => ContentType::APPLICATION_DATA,
            _ => content_type,
        }
    }

    /// Open one record: its real content type (TLS 1.3 carries it inside) and
    /// plaintext. Under TLS 1.3 a ChangeCipherSpec record stays in the clear.
    pub(crate) fn open_record(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<(ContentType, Vec<u8>), ProtectError> {
        let Self::Tls13(p) = self else {
            return Ok((content_type, self.open(content_type, version, fragment)?));
        };
        //= https://www.rfc-editor.org/rfc/rfc8446#section-5
        //# An implementation may receive an unencrypted record of type
        //# change_cipher_spec consisting of the single byte value 0x01 at any
        //# time after the first ClientHello message has been sent or received
        //# and before the peer's Finished message has been received and MUST
        //# simply drop it without further processing.
        if content_type == ContentType::CHANGE_CIPHER_SPEC {
            return Ok((content_type, fragment.to_vec()));
        }
        //= https://www.rfc-editor.org/rfc/rfc8446#section-5.2
        //# An AEAD algorithm used in TLS 1.3 MUST NOT
        //# produce an expansion greater than 255 octets.
        if fragment.len() > RecordHeader::MAX_PLAINTEXT + 256 {
            return Err(ProtectError::RecordOverflow);
        }
        let (inner, plaintext) = p.open(fragment)?;
        if plaintext.len() > RecordHeader::MAX_PLAINTEXT {
            return Err(ProtectError::RecordOverflow);
        }
        Ok((inner, plaintext))
    }

    /// TLS 1.3 protection for one direction, keyed from `secret` (a traffic secret).
    pub(crate) fn tls13(suite: &SuiteSpec, secret: &[u8]) -> Self {
        let alg = match suite.bulk {
            Bulk::Aes128Gcm => &AES_128_GCM,
            Bulk::Aes256Gcm => &AES_256_GCM,
            _ => &CHACHA20_POLY1305,
        };
        Self::Tls13(Box::new(aead13::Aead13::new(
            alg,
            HkdfHash(suite.prf),
            secret,
        )))
    }

    /// The next generation of TLS 1.3 keys (KeyUpdate); `None` for older protections.
    pub(crate) fn updated(&self) -> Option<Self> {
        match self {
            Self::Tls13(p) => Some(Self::Tls13(Box::new(p.update()))),
            _ => None,
        }
    }

    /// Open one record's fragment, `content_type` and `version` as its header says,
    /// and advance the sequence number. After a failure the connection cannot go on
    /// (the sequence number stays, but RC4's keystream has moved).
    pub(crate) fn open(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<Vec<u8>, ProtectError> {
        if fragment.len() > MAX_CIPHERTEXT {
            return Err(ProtectError::RecordOverflow);
        }
        let plaintext = match self {
            Self::Null => fragment.to_vec(),
            Self::Aead(p) => p.open(content_type, version, fragment)?,
            Self::Cbc(p) => p.open(content_type, version, fragment)?,
            Self::Stream(p) => p.open(content_type, version, fragment)?,
            Self::Tls13(p) => p.open(fragment)?.1,
        };
        if plaintext.len() > RecordHeader::MAX_PLAINTEXT {
            return Err(ProtectError::RecordOverflow);
        }
        Ok(plaintext)
    }

    /// One side's protection from its slice of the key block.
    fn new(suite: &SuiteSpec, version: ProtocolVersion, keys: &WriteKeys<'_>) -> Self {
        let mac = |hash| RecordMac::new(hash, keys.mac);
        #[allow(deprecated)] // aws-lc-rs keeps 3DES for legacy use only: ours
        let (cbc, hash): (&'static cipher::Algorithm, _) = match (suite.bulk, suite.mac) {
            (Bulk::Aes128Gcm, _) => {
                return Self::Aead(aead::Aead::new(&AES_128_GCM, keys.key, keys.iv))
            }
            (Bulk::Aes256Gcm, _) => {
                return Self::Aead(aead::Aead::new(&AES_256_GCM, keys.key, keys.iv))
            }
            (Bulk::Chacha20Poly1305, _) | (_, Mac::Aead) => {
                unreachable!("TLS 1.0-1.2 AEAD suites are GCM")
            }
            (Bulk::Rc4_128, Mac::Hmac(hash)) => {
                return Self::Stream(Box::new(stream::Stream::new(keys.key, mac(hash))))
            }
            (Bulk::Aes128Cbc, Mac::Hmac(hash)) => (&cipher::AES_128, hash),
            (Bulk::Aes256Cbc, Mac::Hmac(hash)) => (&cipher::AES_256, hash),
            (Bulk::TripleDesCbc, Mac::Hmac(hash)) => (&cipher::DES_EDE3_FOR_LEGACY_USE_ONLY, hash),
        };
        let explicit_iv = version >= ProtocolVersion::TLS11;
        Self::Cbc(Box::new(cbc::Cbc::new(
            cbc,
            keys.key,
            keys.iv,
            explicit_iv,
            mac(hash),
        )))
    }
}

/// Length of the IV each side takes from the key block: GCM's 4-byte salt, the
/// first CBC IV in TLS 1.0 (TLS 1.1 and later send an explicit IV per record).
fn fixed_iv_len(bulk: Bulk, version: ProtocolVersion) -> usize {
    match bulk {
        Bulk::Aes128Gcm | Bulk::Aes256Gcm => 4,
        Bulk::Chacha20Poly1305 => 12,
        Bulk::Aes128Cbc | Bulk::Aes256Cbc if version < ProtocolVersion::TLS11 => 16,
        Bulk::TripleDesCbc if version < ProtocolVersion::TLS11 => 8,
        Bulk::Aes128Cbc | Bulk::Aes256Cbc | Bulk::TripleDesCbc | Bulk::Rc4_128 => 0,
    }
}

/// One side's write keys, cut from the key block.
struct WriteKeys<'a> {
    mac: &'a [u8],
    key: &'a [u8],
    iv: &'a [u8],
}

/// The protections of a newly negotiated epoch (RFC 5246 §6.3): `client_read` opens
/// the client's records, `server_write` seals ours. Derives the key block from the
/// master secret and splits it: client MAC key, server MAC key, client key, server
/// key, client IV, server IV.
pub(crate) fn derive_protections(
    suite: &SuiteSpec,
    version: ProtocolVersion,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> (Protection, Protection) {
    let mac_len = match suite.mac {
        Mac::Aead => 0,
        Mac::Hmac(hash) => hash.len(),
    };
    let (key_len, iv_len) = (suite.bulk.key_len(), fixed_iv_len(suite.bulk, version));
    let prf = Prf::new(suite, version);
    let block = key_block(
        prf,
        master,
        client_random,
        server_random,
        2 * (mac_len + key_len + iv_len),
    );
    let (mac, rest) = block.split_at(2 * mac_len);
    let (key, iv) = rest.split_at(2 * key_len);
    let side = |i: usize| WriteKeys {
        mac: &mac[i * mac_len..][..mac_len],
        key: &key[i * key_len..][..key_len],
        iv: &iv[i * iv_len..][..iv_len],
    };
    (
        Protection::new(suite, version, &side(0)),
        Protection::new(suite, version, &side(1)),
    )
}

/// What RFC 5246 §6.2.3.1 MACs and RFC 5288 §3 authenticates as additional data:
/// seq_num || type || version || length.
fn pseudo_header(
    seq: u64,
    content_type: ContentType,
    version: ProtocolVersion,
    len: usize,
) -> [u8; 13] {
    let mut out = [0; 13];
    out[..8].copy_from_slice(&seq.to_be_bytes());
    out[8] = content_type.0;
    out[9..11].copy_from_slice(&version.0.to_be_bytes());
    // Callers keep records below 2^16 bytes; a larger one is a fault we let wrap.
    out[11..].copy_from_slice(&(len as u16).to_be_bytes());
    out
}

/// The record MAC of the CBC and stream suites (RFC 5246 §6.2.3.1).
struct RecordMac {
    key: HmacKey,
    len: usize,
}

impl RecordMac {
    fn new(hash: HmacHash, key: &[u8]) -> Self {
        Self {
            key: HmacKey::new(hash, key),
            len: hash.len(),
        }
    }

    /// Length of a tag.
    fn len(&self) -> usize {
        self.len
    }

    /// The MAC of record number `seq` carrying `content`.
    fn tag(
        &self,
        seq: u64,
        content_type: ContentType,
        version: ProtocolVersion,
        content: &[u8],
    ) -> Vec<u8> {
        let header = pseudo_header(seq, content_type, version, content.len());
        self.key.sign(&[&header, content])
    }

    /// Whether `tag` is the MAC of the record (compared in constant time).
    fn verify(
        &self,
        seq: u64,
        content_type: ContentType,
        version: ProtocolVersion,
        content: &[u8],
        tag: &[u8],
    ) -> bool {
        let want = self.tag(seq, content_type, version, content);
        aws_lc_rs::constant_time::verify_slices_are_equal(&want, tag).is_ok()
    }
}

#[cfg(test)]
mod tests;
