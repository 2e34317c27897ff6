//! RC4 records: RC4(content || MAC), the keystream running across records.

use rc4::{KeyInit, Rc4, StreamCipher};

use super::{ProtectError, RecordMac};
use crate::wire::{ContentType, ProtocolVersion};

/// One direction of an RC4 epoch.
pub(crate) struct Stream {
    rc4: Rc4,
    mac: RecordMac,
    seq: u64,
}

impl Stream {
    pub(super) fn new(key: &[u8], mac: RecordMac) -> Self {
        Self {
            rc4: Rc4::new_from_slice(key).expect("RC4 takes 1 to 256-byte keys"),
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
        let mut out = plaintext.to_vec();
        out.extend(self.mac.tag(self.seq, content_type, version, plaintext));
        self.rc4.apply_keystream(&mut out);
        self.seq += 1;
        out
    }

    /// The keystream advances even when the MAC fails: the connection is over then.
    pub(super) fn open(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<Vec<u8>, ProtectError> {
        let mut buf = fragment.to_vec();
        self.rc4.apply_keystream(&mut buf);
        let Some(len) = buf.len().checked_sub(self.mac.len()) else {
            return Err(ProtectError::BadRecordMac);
        };
        let (content, tag) = buf.split_at(len);
        if !self
            .mac
            .verify(self.seq, content_type, version, content, tag)
        {
            return Err(ProtectError::BadRecordMac);
        }
        buf.truncate(len);
        self.seq += 1;
        Ok(buf)
    }
}
