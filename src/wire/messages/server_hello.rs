//! ServerHello, field by field as sent, so a fault can set any of them.

use super::HandshakePayload;
use crate::wire::codec::{put_list, put_opaque, read_list};
use crate::wire::{
    CipherSuite, Codec, Compression, DecodeError, Extension, HandshakeType, ProtocolVersion, Reader,
};

/// ServerHello (RFC 5246 §7.4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// `server_version`: the negotiated version.
    pub version: ProtocolVersion,
    /// `random`.
    pub random: [u8; 32],
    /// `session_id` (0 to 32 bytes; not enforced, so a fault can send more).
    pub session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub cipher_suite: CipherSuite,
    /// The chosen compression method.
    pub compression: Compression,
    /// The extensions block: `None` leaves it out entirely (as TLS 1.0 servers do);
    /// `Some(vec![])` sends an empty block (`00 00`).
    pub extensions: Option<Vec<Extension>>,
}

impl ServerHello {
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3
    //# For reasons of backward compatibility with middleboxes (see
    //# Appendix D.4), the HelloRetryRequest message uses the same structure
    //# as the ServerHello, but with Random set to the special value of the
    //# SHA-256 of "HelloRetryRequest":
    /// The `random` of a HelloRetryRequest.
    pub const HRR_RANDOM: [u8; 32] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
}

impl HandshakePayload for ServerHello {
    const TYPE: HandshakeType = HandshakeType::SERVER_HELLO;
    type Context = ();

    fn encode(&self, out: &mut Vec<u8>) {
        self.version.encode(out);
        out.extend_from_slice(&self.random);
        put_opaque::<1>(out, &self.session_id);
        self.cipher_suite.encode(out);
        self.compression.encode(out);
        if let Some(extensions) = &self.extensions {
            put_list::<2, _>(out, extensions);
        }
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self, DecodeError> {
        Ok(Self {
            version: ProtocolVersion::read(r)?,
            random: r.take_array("random")?,
            session_id: r.take_u8_prefixed("session_id")?.to_vec(),
            cipher_suite: CipherSuite::read(r)?,
            compression: Compression::read(r)?,
            // The block is optional: present exactly when the body goes on.
            extensions: match r.remaining() {
                [] => None,
                _ => Some(read_list(r.take_u16_prefixed("extensions")?)?),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ECPointFormat, ExtensionType};

    fn hello(extensions: Option<Vec<Extension>>) -> ServerHello {
        ServerHello {
            version: ProtocolVersion::TLS12,
            random: [7; 32],
            session_id: vec![9; 32],
            cipher_suite: CipherSuite(0xc02f),
            compression: Compression::NULL,
            extensions,
        }
    }

    /// The codec checks, adapted to the optional block: the prefix that ends where
    /// the block would start is a valid hello without one, and a byte after a hello
    /// without a block starts an (incomplete) block rather than trailing it.
    fn check_hello(value: &ServerHello) {
        let message = value.to_message();
        assert_eq!(ServerHello::from_message(&message, ()).as_ref(), Ok(value));
        let body = message.body;
        let bare = ServerHello {
            extensions: None,
            ..value.clone()
        };
        let block_at = bare.to_message().body.len();
        for cut in 0..body.len() {
            match ServerHello::from_body(&body[..cut], ()) {
                Ok(got) => assert_eq!((cut, &got), (block_at, &bare)),
                Err(e) => assert!(matches!(e, DecodeError::Truncated { .. }), "{cut}: {e}"),
            }
        }
        let mut long = body;
        long.push(0);
        match (ServerHello::from_body(&long, ()), &value.extensions) {
            (Err(DecodeError::Trailing { count: 1, .. }), Some(_)) => {}
            (Err(DecodeError::Truncated { needed: 1, .. }), None) => {}
            other => panic!("one more byte gave {other:?}"),
        }
    }

    #[test]
    fn a_tls10_hello_has_no_extensions_block() {
        let bare = hello(None);
        check_hello(&bare);
        assert_eq!(bare.to_message().body.len(), 2 + 32 + 33 + 2 + 1);
    }

    #[test]
    fn an_empty_block_is_two_zero_bytes_and_stays_distinct() {
        let empty = hello(Some(vec![]));
        check_hello(&empty);
        let body = empty.to_message().body;
        assert_eq!(body.len(), hello(None).to_message().body.len() + 2);
        assert_eq!(body[body.len() - 2..], [0, 0]);
    }

    #[test]
    fn extensions_round_trip_raw_even_unknown_or_malformed() {
        check_hello(&hello(Some(vec![
            Extension::renegotiation_info(&[]),
            Extension::extended_master_secret(),
            Extension::ec_point_formats(&[ECPointFormat::UNCOMPRESSED]),
            Extension::alpn(b"http/1.1"),
            Extension {
                typ: ExtensionType(0xdead),
                data: vec![0xff; 3],
            },
            Extension::extended_master_secret(),
        ])));
    }

    #[test]
    fn any_field_value_can_be_sent() {
        check_hello(&ServerHello {
            version: ProtocolVersion(0x0399),
            random: [0; 32],
            session_id: vec![1; 40],
            cipher_suite: CipherSuite(0x1234),
            compression: Compression(0xee),
            extensions: None,
        });
        check_hello(&ServerHello {
            session_id: vec![],
            ..hello(Some(vec![]))
        });
    }

    #[test]
    fn other_message_types_are_refused() {
        let mut message = hello(None).to_message();
        message.typ = HandshakeType::CLIENT_HELLO;
        assert!(matches!(
            ServerHello::from_message(&message, ()),
            Err(DecodeError::Invalid { .. })
        ));
    }
}
