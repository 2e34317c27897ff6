//! RFC 7627 (extended master secret): the ServerHello's answer and the derivation, on
//! TLS 1.2 scenarios of both engines.

use quirktls::wire::{AlertDescription as A, Extension, ExtensionType, ServerHello};

use super::client::{extension, python_probe, send_hello, Hello};
use super::Expect;

super::requirements! {
    //= https://www.rfc-editor.org/rfc/rfc7627#section-5.2
    //# If a server implementing this document receives the
    //# "extended_master_secret" extension, it MUST include the extension in
    //# its ServerHello message.
    rfc7627_5_2_extension_is_echoed
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello::tls12().with(Extension::extended_master_secret())),
        Expect::Hello(|sh: &ServerHello| match extension(sh, ExtensionType::EXTENDED_MASTER_SECRET) {
            Some([]) => Ok(()),
            Some(data) => Err(format!("extended_master_secret with data {data:02x?}")),
            None => Err("no extended_master_secret in the ServerHello".into()),
        });

    //= https://www.rfc-editor.org/rfc/rfc7627#section-5.2
    //# If the server receives a ClientHello without the extension, it SHOULD
    //# abort the handshake if it does not wish to interoperate with legacy
    //# clients.  If the server chooses to continue the handshake, then it
    //# MUST NOT include the extension in the ServerHello.
    rfc7627_5_2_extension_not_offered_not_answered
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello::tls12().without(ExtensionType::EXTENDED_MASTER_SECRET)),
        Expect::Hello(|sh: &ServerHello| match extension(sh, ExtensionType::EXTENDED_MASTER_SECRET) {
            None => Ok(()),
            Some(_) => Err("unsolicited extended_master_secret".into()),
        });

    //= https://www.rfc-editor.org/rfc/rfc7627#section-5.1
    //# The "extension_data" field of this extension is empty.
    rfc7627_5_1_non_empty_extension_decode_error
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello::tls12().with(Extension {
            typ: ExtensionType::EXTENDED_MASTER_SECRET,
            data: vec![0],
        })),
        Expect::Fatal(&[A::DECODE_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc7627#section-5.1
    //# If the client and server agree on this extension and a full handshake
    //# takes place, both client and server MUST use the extended master
    //# secret derivation algorithm, as defined in Section 4.
    rfc7627_5_1_agreed_extension_derives_the_extended_master_secret
        on ["tls12-only", "iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--ems", "require", "--action", "complete"]),
        Expect::Completes;

    //= https://www.rfc-editor.org/rfc/rfc7627#section-5.2
    //# If the client and server choose to continue a full handshake without
    //# the extension, they MUST use the standard master secret derivation
    //# for the new session.
    rfc7627_5_2_without_the_extension_the_standard_derivation_completes
        on ["tls12-only", "iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--ems", "off", "--action", "complete"]),
        Expect::Completes;
}
