//! TLS 1.3 record protection (RFC 8446 §5.2, §5.3): the content type travels inside
//! the ciphertext after the content (then optional zero padding); the header always
//! says application_data and 0x0303; the nonce is the write IV XOR the sequence
//! number; the additional data is the record header.

use aws_lc_rs::aead::{Aad, Algorithm, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};

use super::super::hkdf::HkdfHash;
use super::ProtectError;
use crate::wire::{ContentType, ProtocolVersion, RecordHeader};

const TAG_LEN: usize = 16;

/// One direction of a TLS 1.3 epoch, with the traffic secret it came from (a
/// KeyUpdate derives the next one from it).
pub(crate) struct Aead13 {
    alg: &'static Algorithm,
    hash: HkdfHash,
    secret: Vec<u8>,
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
    seq: u64,
}

impl Aead13 {
    //= https://www.rfc-editor.org/rfc/rfc8446#section-7.3
    //# [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
    //# [sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)
    pub(crate) fn new(alg: &'static Algorithm, hash: HkdfHash, secret: &[u8]) -> Self {
        let prk = hash.prk(secret);
        let key = hash.expand_label(&prk, b"key", &[], alg.key_len());
        let iv = hash.expand_label(&prk, b"iv", &[], NONCE_LEN);
        Self {
            alg,
            hash,
            secret: secret.to_vec(),
            key: LessSafeKey::new(UnboundKey::new(alg, &key).expect("key_len is the AEAD's")),
            iv: iv.try_into().expect("expanded to NONCE_LEN"),
            seq: 0,
        }
    }

    //= https://www.rfc-editor.org/rfc/rfc8446#section-7.2
    //# application_traffic_secret_N+1 =
    //#     HKDF-Expand-Label(application_traffic_secret_N,
    //#                       "traffic upd", "", Hash.length)
    /// The next generation of keys (after a KeyUpdate), sequence number reset.
    pub(crate) fn update(&self) -> Self {
        let next = self.hash.expand_label(
            &self.hash.prk(&self.secret),
            b"traffic upd",
            &[],
            self.hash.len(),
        );
        Self::new(self.alg, self.hash, &next)
    }

    fn nonce(&self) -> Nonce {
        let mut nonce = self.iv;
        for (n, s) in nonce[NONCE_LEN - 8..]
            .iter_mut()
            .zip(self.seq.to_be_bytes())
        {
            *n ^= s;
        }
        Nonce::assume_unique_for_key(nonce)
    }

    fn aad(len: usize) -> [u8; RecordHeader::LEN] {
        let mut aad = [0; RecordHeader::LEN];
        aad[0] = ContentType::APPLICATION_DATA.0;
        aad[1..3].copy_from_slice(&ProtocolVersion::TLS12.0.to_be_bytes());
        // Faults may send more than a record holds; the length wraps like the header's.
        aad[3..].copy_from_slice(&(len as u16).to_be_bytes());
        aad
    }

    /// The encrypted record (TLSInnerPlaintext sealed, tag appended).
    pub(super) fn seal(&mut self, content_type: ContentType, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(plaintext.len() + 1 + TAG_LEN);
        out.extend_from_slice(plaintext);
        out.push(content_type.0);
        let aad = Self::aad(out.len() + TAG_LEN);
        let tag = self
            .key
            .seal_in_place_separate_tag(self.nonce(), Aad::from(aad), &mut out)
            .expect("records are far below the AEAD's length limit");
        out.extend_from_slice(tag.as_ref());
        self.seq += 1;
        out
    }

    /// The inner content type and content of an encrypted record.
    pub(super) fn open(&mut self, fragment: &[u8]) -> Result<(ContentType, Vec<u8>), ProtectError> {
        if fragment.len() < TAG_LEN {
            return Err(ProtectError::BadRecordMac);
        }
        let mut buf = fragment.to_vec();
        let len = self
            .key
            .open_in_place(self.nonce(), Aad::from(Self::aad(fragment.len())), &mut buf)
            .map_err(|_| ProtectError::BadRecordMac)?
            .len();
        buf.truncate(len);
        self.seq += 1;
        //= https://www.rfc-editor.org/rfc/rfc8446#section-5.4
        //# If a receiving implementation does not
        //# find a non-zero octet in the cleartext, it MUST terminate the
        //# connection with an "unexpected_message" alert.
        let Some(end) = buf.iter().rposition(|&b| b != 0) else {
            return Err(ProtectError::NoContentType);
        };
        let content_type = ContentType(buf[end]);
        buf.truncate(end);
        Ok((content_type, buf))
    }
}
