//! Handshake protocol framing: message types, the 4-byte message header and whole
//! messages.

use super::{Codec, DecodeError, Reader};

wire_enum! {
    /// Handshake message type (IANA "TLS HandshakeType").
    HandshakeType(u8) as "handshake type", code "{}";
    HELLO_REQUEST = 0 => "hello_request",
    CLIENT_HELLO = 1 => "client_hello",
    SERVER_HELLO = 2 => "server_hello",
    HELLO_VERIFY_REQUEST = 3 => "hello_verify_request",
    NEW_SESSION_TICKET = 4 => "new_session_ticket",
    END_OF_EARLY_DATA = 5 => "end_of_early_data",
    HELLO_RETRY_REQUEST = 6 => "hello_retry_request",
    ENCRYPTED_EXTENSIONS = 8 => "encrypted_extensions",
    CERTIFICATE = 11 => "certificate",
    SERVER_KEY_EXCHANGE = 12 => "server_key_exchange",
    CERTIFICATE_REQUEST = 13 => "certificate_request",
    SERVER_HELLO_DONE = 14 => "server_hello_done",
    CERTIFICATE_VERIFY = 15 => "certificate_verify",
    CLIENT_KEY_EXCHANGE = 16 => "client_key_exchange",
    FINISHED = 20 => "finished",
    CERTIFICATE_URL = 21 => "certificate_url",
    CERTIFICATE_STATUS = 22 => "certificate_status",
    KEY_UPDATE = 24 => "key_update",
    COMPRESSED_CERTIFICATE = 25 => "compressed_certificate",
    MESSAGE_HASH = 254 => "message_hash",
}

/// The 4-byte header of a handshake message: type and 24-bit body length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeHeader {
    /// The message type.
    pub typ: HandshakeType,
    /// Length of the body that follows (at most 2^24 - 1).
    pub length: u32,
}

impl HandshakeHeader {
    /// Encoded size of a header.
    pub const LEN: usize = 4;
}

impl Codec for HandshakeHeader {
    const WHAT: &'static str = "handshake header";

    /// Lengths above 2^24 - 1 cannot be framed; only the low 24 bits are written.
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        out.extend_from_slice(&self.length.to_be_bytes()[1..]);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = HandshakeType::read(r)?;
        let [a, b, c] = r.take_array(Self::WHAT)?;
        Ok(Self {
            typ,
            length: u32::from_be_bytes([0, a, b, c]),
        })
    }
}

/// One handshake message: its type and its body, framed on the wire by a
/// [`HandshakeHeader`]. The typed bodies are [`HandshakePayload`](super::HandshakePayload)s;
/// this form is what the transcript hashes and what faults cut, reorder and corrupt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// The message type.
    pub typ: HandshakeType,
    /// The body after the header (its length is the header's).
    pub body: Vec<u8>,
}

impl Codec for HandshakeMessage {
    const WHAT: &'static str = "handshake message";

    /// Header and body; a body of 2^24 bytes or more cannot be framed (see
    /// [`HandshakeHeader`]).
    fn encode(&self, out: &mut Vec<u8>) {
        HandshakeHeader {
            typ: self.typ,
            length: self.body.len() as u32,
        }
        .encode(out);
        out.extend_from_slice(&self.body);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let header = HandshakeHeader::read(r)?;
        Ok(Self {
            typ: header.typ,
            body: r.take(header.length as usize, Self::WHAT)?.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::check_codec;
    use crate::wire::macros::check_registry;

    #[test]
    fn registry_round_trips() {
        check_registry(
            HandshakeType::KNOWN,
            HandshakeType::name,
            HandshakeType::from_name,
        );
    }

    #[test]
    fn header_round_trips_with_a_24_bit_length() {
        let header = HandshakeHeader {
            typ: HandshakeType::CLIENT_HELLO,
            length: 0x01_02_03,
        };
        check_codec(&header);
        assert_eq!(header.to_bytes(), [1, 1, 2, 3]);
        check_codec(&HandshakeHeader {
            typ: HandshakeType(200),
            length: 0xff_ff_ff,
        });
    }

    #[test]
    fn messages_are_framed_by_their_header() {
        let message = HandshakeMessage {
            typ: HandshakeType::FINISHED,
            body: vec![9; 12],
        };
        check_codec(&message);
        assert_eq!(message.to_bytes()[..4], [20, 0, 0, 12]);
        check_codec(&HandshakeMessage {
            typ: HandshakeType(99),
            body: vec![],
        });
    }
}
