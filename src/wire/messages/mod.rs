//! Typed bodies of the TLS 1.0–1.3 handshake messages a server sends and receives
//! (the ClientHello is parsed by [`crate::observe::parse_client_hello`]).
//!
//! Each body encodes and decodes side by side like a [`Codec`](super::Codec), but
//! some decodings depend on what was negotiated before (the version decides whether a
//! signature names its scheme; the key exchange decides the ClientKeyExchange form), so
//! bodies implement [`HandshakePayload`], whose decoding takes that context.

mod certificate;
mod key_exchange;
#[cfg(test)]
mod openssl_capture;
#[cfg(test)]
mod props;
mod server_hello;
mod signed;
mod simple;
mod tls13;

pub use certificate::{Certificate, CertificateRequest, ClientCertificateType};
pub use key_exchange::{ClientKeyExchange, EcdheParams, KeyExchangeKind, ServerKeyExchange};
pub use server_hello::ServerHello;
pub use signed::{CertificateVerify, DigitallySigned};
pub use simple::{Finished, HelloRequest, ServerHelloDone};
pub use tls13::{
    client_hello_extensions, client_key_shares, Certificate13, CertificateEntry,
    CertificateRequest13, EncryptedExtensions, KeyShareEntry, KeyUpdate, KeyUpdateRequest,
    NewSessionTicket13,
};

use super::{DecodeError, HandshakeMessage, HandshakeType, Reader};

/// The body of one handshake message type.
pub trait HandshakePayload: Sized {
    /// The message type the body travels under.
    const TYPE: HandshakeType;

    /// What decoding needs besides the bytes: `()`, the negotiated
    /// [`ProtocolVersion`](super::ProtocolVersion), or the [`KeyExchangeKind`].
    type Context: Copy;

    /// Append the body (without the handshake header) to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Read the body from `r`, which holds exactly the body (some bodies end where
    /// their message ends, like a ServerHello without extensions).
    fn read(r: &mut Reader<'_>, context: Self::Context) -> Result<Self, DecodeError>;

    /// The whole message: [`Self::TYPE`] and the encoded body.
    fn to_message(&self) -> HandshakeMessage {
        let mut body = Vec::new();
        self.encode(&mut body);
        HandshakeMessage {
            typ: Self::TYPE,
            body,
        }
    }

    /// Decode exactly one body: short input and trailing bytes are both errors.
    fn from_body(body: &[u8], context: Self::Context) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let value = Self::read(&mut r, context)?;
        r.expect_empty(what::<Self>())?;
        Ok(value)
    }

    /// Decode `message`, failing with [`DecodeError::Invalid`] unless it is of
    /// type [`Self::TYPE`].
    fn from_message(
        message: &HandshakeMessage,
        context: Self::Context,
    ) -> Result<Self, DecodeError> {
        if message.typ != Self::TYPE {
            return Err(DecodeError::Invalid {
                what: what::<Self>(),
                reason: format!("the message is {}", message.typ),
            });
        }
        Self::from_body(&message.body, context)
    }
}

/// The name decode errors use for `T`: its message type's.
fn what<T: HandshakePayload>() -> &'static str {
    T::TYPE.name().unwrap_or("handshake message")
}

/// Checks every payload type runs in its own tests.
#[cfg(test)]
pub(super) mod check {
    use std::fmt::Debug;

    use super::*;
    use crate::wire::codec::{check_codec, check_decoder};

    /// `value` round-trips as a body and as a message; every proper prefix of its body
    /// is [`DecodeError::Truncated`] and a trailing byte is rejected.
    pub(crate) fn check_payload<T>(value: &T, context: T::Context)
    where
        T: HandshakePayload + PartialEq + Debug,
    {
        let message = value.to_message();
        check_codec(&message);
        assert_eq!(&T::from_message(&message, context).unwrap(), value);
        check_decoder(value, &message.body, what::<T>(), |body| {
            T::from_body(body, context)
        });
        let other = HandshakeMessage {
            typ: HandshakeType(T::TYPE.0.wrapping_add(1)),
            body: message.body,
        };
        assert!(matches!(
            T::from_message(&other, context),
            Err(DecodeError::Invalid { .. })
        ));
    }
}
