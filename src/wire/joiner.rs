//! Reassembly of handshake messages from the payloads of handshake records, which may
//! split one message across records or carry several in one.

use super::{Codec, HandshakeHeader, HandshakeMessage, HandshakeType, Reader};

/// A handshake message whose declared length is over the joiner's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{typ} message of {length} bytes exceeds the {limit}-byte limit for handshake messages \
     (a peer bug, an attack, or a length field that is not one)"
)]
pub struct HandshakeTooLarge {
    /// The message type.
    pub typ: HandshakeType,
    /// The body length its header declares.
    pub length: usize,
    /// The limit it exceeds.
    pub limit: usize,
}

/// Buffers handshake-record payloads (already decrypted) and yields whole messages.
///
/// Memory is bounded: a message whose header declares a body over the limit fails
/// [`push`](Self::push) as soon as its header is in, before its body is buffered.
#[derive(Debug, Clone)]
pub struct HandshakeJoiner {
    /// Bytes received and not yet popped: complete messages, then at most one partial.
    pending: Vec<u8>,
    /// Largest body accepted.
    limit: usize,
    /// Set once a message was too large; the joiner then refuses everything.
    failed: Option<HandshakeTooLarge>,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }
}

impl HandshakeJoiner {
    /// Default largest body (64 KiB): well above real certificate chains.
    pub const DEFAULT_LIMIT: usize = 64 * 1024;

    /// A joiner accepting bodies of up to `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            pending: Vec::new(),
            limit,
            failed: None,
        }
    }

    /// Add the payload of one handshake record. Fails if a buffered header declares a
    /// body over the limit; the buffer is then dropped and every later push fails
    /// with the same error (the connection cannot continue).
    pub fn push(&mut self, payload: &[u8]) -> Result<(), HandshakeTooLarge> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        self.pending.extend_from_slice(payload);
        let mut r = Reader::new(&self.pending);
        while let Ok(header) = HandshakeHeader::read(&mut r) {
            let length = header.length as usize;
            if length > self.limit {
                let e = HandshakeTooLarge {
                    typ: header.typ,
                    length,
                    limit: self.limit,
                };
                self.failed = Some(e);
                self.pending = Vec::new();
                return Err(e);
            }
            if r.take(length, HandshakeMessage::WHAT).is_err() {
                break;
            }
        }
        Ok(())
    }

    /// The next complete message, if one is buffered.
    pub fn pop(&mut self) -> Option<HandshakeMessage> {
        let mut r = Reader::new(&self.pending);
        let message = HandshakeMessage::read(&mut r).ok()?;
        let used = self.pending.len() - r.remaining().len();
        self.pending.drain(..used);
        Some(message)
    }

    /// True when nothing is buffered: no message is split across what was pushed so
    /// far. TLS requires that before a ChangeCipherSpec or any other key change.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn messages() -> Vec<HandshakeMessage> {
        [
            (HandshakeType::SERVER_HELLO, vec![3; 70]),
            (HandshakeType::CERTIFICATE, vec![4; 1500]),
            (HandshakeType::SERVER_HELLO_DONE, vec![]),
            (HandshakeType(77), vec![5; 3]),
        ]
        .into_iter()
        .map(|(typ, body)| HandshakeMessage { typ, body })
        .collect()
    }

    fn wire(messages: &[HandshakeMessage]) -> Vec<u8> {
        messages.iter().flat_map(Codec::to_bytes).collect()
    }

    /// Push `bytes` split at `cuts`, popping after every push.
    fn join(bytes: &[u8], cuts: &[usize]) -> (Vec<HandshakeMessage>, HandshakeJoiner) {
        let mut joiner = HandshakeJoiner::default();
        let mut out = Vec::new();
        let mut start = 0;
        for &end in cuts.iter().chain([&bytes.len()]) {
            joiner.push(&bytes[start..end]).unwrap();
            out.extend(std::iter::from_fn(|| joiner.pop()));
            start = end;
        }
        (out, joiner)
    }

    #[test]
    fn several_messages_in_one_payload() {
        let (got, joiner) = join(&wire(&messages()), &[]);
        assert_eq!(got, messages());
        assert!(joiner.is_empty());
    }

    #[test]
    fn a_partial_message_waits_for_the_rest() {
        let bytes = wire(&messages()[..1]);
        let mut joiner = HandshakeJoiner::default();
        joiner.push(&bytes[..3]).unwrap();
        assert_eq!(joiner.pop(), None);
        joiner.push(&bytes[3..10]).unwrap();
        assert_eq!(joiner.pop(), None);
        assert!(!joiner.is_empty());
        joiner.push(&bytes[10..]).unwrap();
        assert_eq!(joiner.pop(), Some(messages().remove(0)));
        assert_eq!(joiner.pop(), None);
        assert!(joiner.is_empty());
    }

    #[test]
    fn oversize_messages_fail_as_soon_as_the_header_is_in() {
        let mut joiner = HandshakeJoiner::with_limit(100);
        joiner.push(&[11, 0]).unwrap();
        let err = joiner.push(&[0, 101]).unwrap_err();
        assert_eq!(
            err,
            HandshakeTooLarge {
                typ: HandshakeType::CERTIFICATE,
                length: 101,
                limit: 100
            }
        );
        assert!(
            err.to_string()
                .starts_with("certificate(11) message of 101 bytes exceeds the 100-byte limit"),
            "{err}"
        );
        assert_eq!(joiner.push(&[0; 4]), Err(err), "the joiner stays failed");
        assert_eq!(joiner.pop(), None);

        // A huge message after a good one in the same payload.
        let mut joiner = HandshakeJoiner::default();
        let mut bytes = wire(&messages()[2..3]);
        bytes.extend([1, 0xff, 0xff, 0xff]);
        assert!(matches!(
            joiner.push(&bytes),
            Err(HandshakeTooLarge {
                length: 0xff_ffff,
                ..
            })
        ));
        // Exactly the limit is fine.
        let mut joiner = HandshakeJoiner::with_limit(3);
        joiner.push(&wire(&messages()[3..])).unwrap();
        assert_eq!(joiner.pop(), Some(messages().remove(3)));
    }

    proptest! {
        #[test]
        fn any_fragmentation_yields_the_same_messages(
            mut cuts in proptest::collection::vec(0..=1589usize, 0..40)
        ) {
            let bytes = wire(&messages());
            prop_assert_eq!(bytes.len(), 1589);
            cuts.sort_unstable();
            let (got, joiner) = join(&bytes, &cuts);
            prop_assert_eq!(got, messages());
            prop_assert!(joiner.is_empty());
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            payloads in proptest::collection::vec(
                proptest::collection::vec(any::<u8>(), 0..64), 0..8),
        ) {
            let mut joiner = HandshakeJoiner::with_limit(200);
            for payload in &payloads {
                if joiner.push(payload).is_err() {
                    break;
                }
                while let Some(message) = joiner.pop() {
                    prop_assert!(message.body.len() <= 200);
                }
            }
        }
    }
}
