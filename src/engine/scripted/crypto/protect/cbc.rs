//! CBC records (RFC 5246 §6.2.3.2): MAC-then-encrypt with TLS padding (every pad byte,
//! and the length byte after them, holds the pad length). TLS 1.0 chains the IV from
//! the previous record's last ciphertext block; TLS 1.1 and later send a random IV in
//! front of each record.

use aws_lc_rs::cipher::{
    Algorithm, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey,
};

use super::{ProtectError, RecordMac};
use crate::wire::{ContentType, ProtocolVersion};

/// One direction of a CBC epoch (AES or 3DES).
pub(crate) struct Cbc {
    encrypt: EncryptingKey,
    decrypt: DecryptingKey,
    block_len: usize,
    /// TLS 1.0: the IV of the next record. `None` from TLS 1.1 on (explicit IVs).
    chained_iv: Option<Vec<u8>>,
    mac: RecordMac,
    seq: u64,
}

impl Cbc {
    /// `iv` is the key block's IV in TLS 1.0 and empty with `explicit_iv`.
    pub(super) fn new(
        alg: &'static Algorithm,
        key: &[u8],
        iv: &[u8],
        explicit_iv: bool,
        mac: RecordMac,
    ) -> Self {
        let unbound =
            || UnboundCipherKey::new(alg, key).expect("the key block gives CBC keys their length");
        Self {
            encrypt: EncryptingKey::cbc(unbound()).expect("AES and 3DES support CBC"),
            decrypt: DecryptingKey::cbc(unbound()).expect("AES and 3DES support CBC"),
            block_len: alg.block_len(),
            chained_iv: (!explicit_iv).then(|| iv.to_vec()),
            mac,
            seq: 0,
        }
    }

    pub(super) fn seal(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
    ) -> Vec<u8> {
        let mut data = plaintext.to_vec();
        data.extend(self.mac.tag(self.seq, content_type, version, plaintext));
        let pad = (self.block_len - (data.len() + 1) % self.block_len) % self.block_len;
        data.resize(data.len() + pad + 1, pad as u8);
        let out = match &mut self.chained_iv {
            Some(iv) => {
                self.encrypt
                    .less_safe_encrypt(&mut data, context(iv))
                    .expect("padded to whole blocks");
                *iv = data[data.len() - self.block_len..].to_vec();
                data
            }
            None => {
                let mut out = vec![0; self.block_len];
                aws_lc_rs::rand::fill(&mut out).expect("the system RNG works");
                self.encrypt
                    .less_safe_encrypt(&mut data, context(&out))
                    .expect("padded to whole blocks");
                out.extend(data);
                out
            }
        };
        self.seq += 1;
        out
    }

    pub(super) fn open(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<Vec<u8>, ProtectError> {
        let bad = ProtectError::BadRecordMac;
        let (iv, body) = match &self.chained_iv {
            Some(iv) => (iv.as_slice(), fragment),
            None => fragment.split_at_checked(self.block_len).ok_or(bad)?,
        };
        let mac_len = self.mac.len();
        if body.len() % self.block_len != 0 || body.len() < mac_len + 1 {
            return Err(bad);
        }
        let mut buf = body.to_vec();
        let next_iv = body[body.len() - self.block_len..].to_vec();
        self.decrypt
            .decrypt(&mut buf, DecryptionContext::from(context(iv)))
            .map_err(|_| bad)?;
        let pad = usize::from(buf[buf.len() - 1]);
        let Some(len) = buf.len().checked_sub(pad + 1 + mac_len) else {
            return Err(bad);
        };
        let (content, rest) = buf.split_at(len);
        let (tag, padding) = rest.split_at(mac_len);
        let padding_ok = padding.iter().all(|&b| usize::from(b) == pad);
        if !(self
            .mac
            .verify(self.seq, content_type, version, content, tag)
            && padding_ok)
        {
            return Err(bad);
        }
        buf.truncate(len);
        if let Some(iv) = &mut self.chained_iv {
            *iv = next_iv;
        }
        self.seq += 1;
        Ok(buf)
    }
}

/// The cipher context for a one-block IV: 16 bytes for AES, 8 for 3DES.
fn context(iv: &[u8]) -> EncryptionContext {
    match <[u8; 16]>::try_from(iv) {
        Ok(iv) => EncryptionContext::Iv128(iv.into()),
        Err(_) => EncryptionContext::Iv64(
            <[u8; 8]>::try_from(iv)
                .expect("CBC IVs are one 8 or 16-byte block")
                .into(),
        ),
    }
}
