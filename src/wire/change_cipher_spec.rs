//! The ChangeCipherSpec protocol (content type 20): one message, one byte.

use super::{Codec, DecodeError, Reader};

/// The ChangeCipherSpec message (RFC 5246 §7.1): the single byte `1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeCipherSpec;

impl ChangeCipherSpec {
    /// The only value the message may carry.
    const VALUE: u8 = 1;
}

impl Codec for ChangeCipherSpec {
    const WHAT: &'static str = "change_cipher_spec";

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(Self::VALUE);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.take_array(Self::WHAT)? {
            [Self::VALUE] => Ok(Self),
            [other] => Err(DecodeError::Invalid {
                what: Self::WHAT,
                reason: format!("value {other}, not 1"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::check_codec;

    #[test]
    fn the_message_is_one_byte_of_one() {
        check_codec(&ChangeCipherSpec);
        assert_eq!(ChangeCipherSpec.to_bytes(), [1]);
        assert!(matches!(
            ChangeCipherSpec::from_bytes(&[2]),
            Err(DecodeError::Invalid { .. })
        ));
    }
}
