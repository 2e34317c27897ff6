//! Messages with an empty or opaque body: HelloRequest, ServerHelloDone, Finished.

use super::HandshakePayload;
use crate::wire::{DecodeError, HandshakeType, Reader};

/// Messages whose body is empty.
macro_rules! empty_payload {
    ($(#[$meta:meta])* $ty:ident = $typ:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $ty;

        impl HandshakePayload for $ty {
            const TYPE: HandshakeType = HandshakeType::$typ;
            type Context = ();

            fn encode(&self, _out: &mut Vec<u8>) {}

            fn read(_r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
                Ok(Self)
            }
        }
    };
}

empty_payload! {
    /// HelloRequest (RFC 5246 §7.4.1.1): the server asks the client to renegotiate.
    HelloRequest = HELLO_REQUEST
}

empty_payload! {
    /// ServerHelloDone (RFC 5246 §7.4.5): the end of the server's hello flight.
    ServerHelloDone = SERVER_HELLO_DONE
}

/// Finished (RFC 5246 §7.4.9): the PRF over the transcript. Its length is the body's
/// (12 bytes in TLS 1.0–1.2), so any body decodes; a wrong length is for the engine
/// to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// `verify_data`.
    pub verify_data: Vec<u8>,
}

impl HandshakePayload for Finished {
    const TYPE: HandshakeType = HandshakeType::FINISHED;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        let all = r.remaining().len();
        Ok(Self {
            verify_data: r.take(all, "verify_data")?.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::messages::check::check_payload;
    use crate::wire::Codec;

    #[test]
    fn empty_messages_are_four_header_bytes() {
        check_payload(&HelloRequest, ());
        check_payload(&ServerHelloDone, ());
        assert_eq!(HelloRequest.to_message().to_bytes(), [0, 0, 0, 0]);
        assert_eq!(ServerHelloDone.to_message().to_bytes(), [14, 0, 0, 0]);
        assert!(matches!(
            ServerHelloDone::from_body(&[0], ()),
            Err(DecodeError::Trailing { count: 1, .. })
        ));
    }

    #[test]
    fn finished_carries_its_body_verbatim() {
        let finished = Finished {
            verify_data: (1..=12).collect(),
        };
        let message = finished.to_message();
        assert_eq!(message.to_bytes()[..4], [20, 0, 0, 12]);
        assert_eq!(Finished::from_message(&message, ()), Ok(finished));
        // The body has no inner length: its prefixes are shorter verify_data, and only
        // the message framing can tell a truncated Finished.
        assert_eq!(
            Finished::from_body(&message.body[..5], ()).map(|f| f.verify_data.len()),
            Ok(5)
        );
        let bytes = message.to_bytes();
        assert!(matches!(
            crate::wire::HandshakeMessage::from_bytes(&bytes[..bytes.len() - 1]),
            Err(DecodeError::Truncated { needed: 1, .. })
        ));
    }
}
