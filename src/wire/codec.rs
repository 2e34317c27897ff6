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

    /// Take a body prefixed by its `u8` length.
    pub fn take_u8_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        self.take_prefixed::<1>(what)
    }

    /// Take a body prefixed by its big-endian `u16` length.
    pub fn take_u16_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        self.take_prefixed::<2>(what)
    }

    /// Take a body prefixed by its big-endian 24-bit length.
    pub fn take_u24_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        self.take_prefixed::<3>(what)
    }

    /// Take a body prefixed by its big-endian length in `N` bytes (at most 8).
    pub(crate) fn take_prefixed<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        let len = self
            .take_array::<N>(what)?
            .iter()
            .fold(0u64, |len, &b| len << 8 | u64::from(b));
        // A length beyond the address space cannot be satisfied by any input.
        self.take(usize::try_from(len).unwrap_or(usize::MAX), what)
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

/// Append what `body` writes behind its big-endian length in `N` bytes (1, 2 or 3).
/// A length too large for `N` bytes keeps only its low bytes, as the field can hold no
/// more: callers keep bodies within range (handshake bodies below 2^24, lists below 2^16).
pub(crate) fn put_prefixed<const N: usize>(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; N]);
    body(out);
    let len = (out.len() - at - N) as u64;
    out[at..at + N].copy_from_slice(&len.to_be_bytes()[8 - N..]);
}

/// Append `bytes` behind their big-endian length in `N` bytes; see [`put_prefixed`].
pub(crate) fn put_opaque<const N: usize>(out: &mut Vec<u8>, bytes: &[u8]) {
    put_prefixed::<N>(out, |out| out.extend_from_slice(bytes));
}

/// Append every item of `items` behind their total length in `N` bytes.
pub(crate) fn put_list<const N: usize, T: Codec>(out: &mut Vec<u8>, items: &[T]) {
    put_prefixed::<N>(out, |out| items.iter().for_each(|item| item.encode(out)));
}

/// Read items of `T` until `body` (the contents of a length-prefixed list) is used up.
pub(crate) fn read_list<T: Codec>(body: &[u8]) -> Result<Vec<T>, DecodeError> {
    let mut r = Reader::new(body);
    let mut items = Vec::new();
    while !r.remaining().is_empty() {
        items.push(T::read(&mut r)?);
    }
    Ok(items)
}

/// RFC 8701 GREASE: both bytes equal, each of the form `0x?A`.
pub(crate) const fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// Round-trip and truncation checks every codec type runs in its own tests.
#[cfg(test)]
pub(crate) fn check_codec<T: Codec + PartialEq + std::fmt::Debug>(value: &T) {
    check_decoder(value, &value.to_bytes(), T::WHAT, T::from_bytes);
}

/// `decode` turns `bytes` back into `value`, fails with [`DecodeError::Truncated`] on
/// every proper prefix and with [`DecodeError::Trailing`] (naming `what`) on one more byte.
#[cfg(test)]
pub(crate) fn check_decoder<T: PartialEq + std::fmt::Debug>(
    value: &T,
    bytes: &[u8],
    what: &str,
    decode: impl Fn(&[u8]) -> Result<T, DecodeError>,
) {
    assert_eq!(&decode(bytes).unwrap(), value, "round trip");
    for cut in 0..bytes.len() {
        match decode(&bytes[..cut]) {
            Err(DecodeError::Truncated { needed, .. }) => {
                assert!(
                    needed >= 1 && needed <= bytes.len() - cut,
                    "prefix {cut}: needed {needed}"
                )
            }
            other => panic!("prefix of {cut} bytes of {bytes:?} gave {other:?}"),
        }
    }
    let mut long = bytes.to_vec();
    long.push(0);
    match decode(&long) {
        Err(DecodeError::Trailing {
            what: got,
            count: 1,
        }) => assert_eq!(got, what),
        other => panic!("one trailing byte gave {other:?}"),
    }
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
    fn u8_and_u24_prefixes_read_and_write_alike() {
        let mut out = Vec::new();
        put_opaque::<1>(&mut out, &[7, 8]);
        put_opaque::<3>(&mut out, &[9]);
        assert_eq!(out, [2, 7, 8, 0, 0, 1, 9]);
        let mut r = Reader::new(&out);
        assert_eq!(r.take_u8_prefixed("a"), Ok(&[7, 8][..]));
        assert_eq!(r.take_u24_prefixed("b"), Ok(&[9][..]));
        assert_eq!(r.expect_empty("c"), Ok(()));
        let mut short = Reader::new(&[0xff, 0xff, 0xff]);
        assert!(matches!(
            short.take_u24_prefixed("body"),
            Err(DecodeError::Truncated {
                needed: 0xff_ffff,
                ..
            })
        ));
    }

    #[test]
    fn lists_are_read_until_their_body_ends() {
        let mut out = Vec::new();
        put_list::<2, _>(&mut out, &[Probe(1), Probe(2)]);
        assert_eq!(out, [0, 2, 1, 2]);
        assert_eq!(read_list::<Probe>(&out[2..]), Ok(vec![Probe(1), Probe(2)]));
        assert_eq!(read_list::<Probe>(&[]), Ok(vec![]));
    }

    /// A one-byte codec for the list helpers.
    #[derive(Debug, PartialEq)]
    struct Probe(u8);

    impl Codec for Probe {
        const WHAT: &'static str = "probe";
        fn encode(&self, out: &mut Vec<u8>) {
            out.push(self.0);
        }
        fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
            Ok(Self(r.take_array::<1>(Self::WHAT)?[0]))
        }
    }

    #[test]
    fn grease_is_exactly_the_rfc_8701_set() {
        let grease: Vec<u16> = (0..=u16::MAX).filter(|&v| is_grease(v)).collect();
        let expected: Vec<u16> = (0..16).map(|i| 0x0a0a + i * 0x1010).collect();
        assert_eq!(grease, expected);
    }
}
