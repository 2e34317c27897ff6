//! The codec every wire type implements: encode and decode side by side, with a cursor
//! that never panics on short input.

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("truncated {what}: {needed} more byte(s) needed (the input ends early)")]
    Truncated {
        /// What was being decoded.
        what: &'static str,
        /// How many more bytes the value needs at least.
        needed: usize,
    },
    /// Bytes were left over after a complete value.
    #[error("{count} trailing byte(s) after {what} (a length field may be wrong)")]
    Trailing {
        /// What was decoded.
        what: &'static str,
        /// How many bytes were left over.
        count: usize,
    },
    /// The bytes are complete but do not form a valid value.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// A cursor over input bytes; every read is bounds-checked.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Take the next `n` bytes, or fail with [`DecodeError::Truncated`] naming `what`.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let Some((head, tail)) = self.rest.split_at_checked(n) else {
            return Err(DecodeError::Truncated {
                what,
                needed: n - self.rest.len(),
            });
        };
        self.rest = tail;
        Ok(head)
    }

    /// Take the next `N` bytes as an array (for fixed-width integers).
    pub fn take_array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// Take a body prefixed by its big-endian `u16` length.
    pub fn take_u16_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = u16::from_be_bytes(self.take_array(what)?);
        self.take(usize::from(len), what)
    }

    /// The unread bytes, without consuming them.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// The bytes consumed since `earlier`, a clone of this reader taken before.
    pub fn consumed_since(&self, earlier: &Reader<'a>) -> &'a [u8] {
        let used = earlier.rest.len().saturating_sub(self.rest.len());
        earlier.rest.get(..used).unwrap_or_default()
    }

    /// Fail with [`DecodeError::Trailing`] unless every byte was consumed.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), DecodeError> {
        match self.rest.len() {
            0 => Ok(()),
            count => Err(DecodeError::Trailing { what, count }),
        }
    }
}

/// A value with one wire encoding.
pub trait Codec: Sized {
    /// Human name used in decode errors, e.g. `"record header"`.
    const WHAT: &'static str;

    /// Append the wire encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Read one value from the front of `r`, leaving the rest.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The wire encoding as a fresh vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decode exactly one value: short input and trailing bytes are both errors.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let value = Self::read(&mut r)?;
        r.expect_empty(Self::WHAT)?;
        Ok(value)
    }
}

/// RFC 8701 GREASE: both bytes equal, each of the form `0x?A`.
pub(crate) const fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// Round-trip and truncation checks every codec type runs in its own tests.
#[cfg(test)]
pub(crate) fn check_codec<T: Codec + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = value.to_bytes();
    assert_eq!(&T::from_bytes(&bytes).unwrap(), value, "round trip");
    for cut in 0..bytes.len() {
        match T::from_bytes(&bytes[..cut]) {
            Err(DecodeError::Truncated { needed, .. }) => {
                assert!(
                    needed >= 1 && needed <= bytes.len() - cut,
                    "prefix {cut}: needed {needed}"
                )
            }
            other => panic!("prefix of {cut} bytes of {bytes:?} gave {other:?}"),
        }
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        T::from_bytes(&long),
        Err(DecodeError::Trailing {
            what: T::WHAT,
            count: 1
        })
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_reports_how_many_bytes_are_missing() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.take(2, "x"), Ok(&[1, 2][..]));
        assert_eq!(
            r.take(4, "y"),
            Err(DecodeError::Truncated {
                what: "y",
                needed: 3
            })
        );
        assert_eq!(r.remaining(), [3], "a failed take consumes nothing");
    }

    #[test]
    fn u16_prefixed_bodies_are_bounded_by_their_length() {
        let mut r = Reader::new(&[0, 2, 7, 8, 9]);
        let start = r.clone();
        assert_eq!(r.take_u16_prefixed("body"), Ok(&[7, 8][..]));
        assert_eq!(r.consumed_since(&start), [0, 2, 7, 8]);
        assert_eq!(
            r.expect_empty("body"),
            Err(DecodeError::Trailing {
                what: "body",
                count: 1
            })
        );
        let mut short = Reader::new(&[0, 5, 1]);
        assert!(matches!(
            short.take_u16_prefixed("body"),
            Err(DecodeError::Truncated { needed: 4, .. })
        ));
    }

    #[test]
    fn grease_is_exactly_the_rfc_8701_set() {
        let grease: Vec<u16> = (0..=u16::MAX).filter(|&v| is_grease(v)).collect();
        let expected: Vec<u16> = (0..16).map(|i| 0x0a0a + i * 0x1010).collect();
        assert_eq!(grease, expected);
    }
}
