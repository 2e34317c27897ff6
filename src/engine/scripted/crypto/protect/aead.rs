//! AES-GCM records (RFC 5288 §3): nonce = 4-byte salt from the key block || 8-byte
//! explicit nonce sent in front of the ciphertext (we send the sequence number),
//! additional data = the pseudo-header with the plaintext length.

use aws_lc_rs::aead::{Aad, Algorithm, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};

use super::{pseudo_header, ProtectError};
use crate::wire::{ContentType, ProtocolVersion};

const EXPLICIT_LEN: usize = 8;
const TAG_LEN: usize = 16;

/// One direction of an AES-GCM epoch.
pub(crate) struct Aead {
    key: LessSafeKey,
    salt: [u8; 4],
    seq: u64,
}

impl Aead {
    /// `key` and the 4-byte `salt` come from the key block.
    pub(super) fn new(alg: &'static Algorithm, key: &[u8], salt: &[u8]) -> Self {
        let key = UnboundKey::new(alg, key).expect("the key block gives GCM keys their length");
        Self {
            key: LessSafeKey::new(key),
            salt: salt
                .try_into()
                .expect("the key block gives GCM a 4-byte salt"),
            seq: 0,
        }
    }

    fn nonce(&self, explicit: &[u8; EXPLICIT_LEN]) -> Nonce {
        let mut nonce = [0; NONCE_LEN];
        nonce[..4].copy_from_slice(&self.salt);
        nonce[4..].copy_from_slice(explicit);
        Nonce::assume_unique_for_key(nonce)
    }

    /// explicit nonce || ciphertext || tag.
    pub(super) fn seal(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
    ) -> Vec<u8> {
        let explicit = self.seq.to_be_bytes();
        let aad = pseudo_header(self.seq, content_type, version, plaintext.len());
        let mut out = Vec::with_capacity(EXPLICIT_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&explicit);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                self.nonce(&explicit),
                Aad::from(aad),
                &mut out[EXPLICIT_LEN..],
            )
            .expect("records are far below GCM's length limit");
        out.extend_from_slice(tag.as_ref());
        self.seq += 1;
        out
    }

    pub(super) fn open(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<Vec<u8>, ProtectError> {
        let Some(len) = fragment.len().checked_sub(EXPLICIT_LEN + TAG_LEN) else {
            return Err(ProtectError::BadRecordMac);
        };
        let (explicit, sealed) = fragment.split_at(EXPLICIT_LEN);
        let nonce = self.nonce(explicit.try_into().expect("split at EXPLICIT_LEN"));
        let aad = pseudo_header(self.seq, content_type, version, len);
        let mut buf = sealed.to_vec();
        self.key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| ProtectError::BadRecordMac)?;
        buf.truncate(len);
        self.seq += 1;
        Ok(buf)
    }
}
