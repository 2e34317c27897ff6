//! RFC 5746 (renegotiation indication): the initial handshake's signalling on both
//! engines, and the scripted engine's checks of a client-initiated renegotiation.

use quirktls::wire::{AlertDescription as A, CipherSuite, Extension, ExtensionType, ServerHello};

use super::client::{extension, python_probe, send_hello, Hello};
use super::Expect;

fn empty_renegotiation_info(sh: &ServerHello) -> Result<(), String> {
    match extension(sh, ExtensionType::RENEGOTIATION_INFO) {
        Some([0]) => Ok(()),
        Some(other) => Err(format!("renegotiation_info {other:02x?}, want empty")),
        None => Err("no renegotiation_info in the ServerHello".into()),
    }
}

fn with_scsv() -> Hello {
    let mut hello = Hello::tls12();
    hello
        .suites
        .push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    hello
}

super::requirements! {
    //= https://www.rfc-editor.org/rfc/rfc5746#section-3.6
    //# o  When a ClientHello is received, the server MUST check if it
    //#    includes the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV.  If it does,
    //#    set the secure_renegotiation flag to TRUE.
    //#
    //# [...]
    //#
    //# o  If the secure_renegotiation flag is set to TRUE, the server MUST
    //#    include an empty "renegotiation_info" extension in the ServerHello
    //#    message.
    rfc5746_3_6_scsv_gets_an_empty_renegotiation_info
        on ["tls12-only", "iis-renegotiation", "iis-renegotiation-insecure"]
        => |addr| send_hello(addr, with_scsv()),
        Expect::Hello(empty_renegotiation_info);

    //= https://www.rfc-editor.org/rfc/rfc5746#section-3.6
    //# o  The server MUST check if the "renegotiation_info" extension is
    //#    included in the ClientHello.  If the extension is present, set
    //#    secure_renegotiation flag to TRUE.
    rfc5746_3_6_empty_renegotiation_info_is_answered
        on ["tls12-only", "iis-renegotiation", "iis-renegotiation-insecure"]
        => |addr| send_hello(addr, Hello::tls12().with(Extension::renegotiation_info(&[]))),
        Expect::Hello(empty_renegotiation_info);

    //= https://www.rfc-editor.org/rfc/rfc5746#section-3.6
    //# The server MUST then verify
    //# that the length of the "renegotiated_connection" field is zero,
    //# and if it is not, MUST abort the handshake.
    rfc5746_3_6_non_empty_renegotiation_info_aborts
        on ["tls12-only", "iis-renegotiation", "iis-renegotiation-insecure"]
        => |addr| send_hello(addr, Hello::tls12().with(Extension::renegotiation_info(&[9; 12]))),
        Expect::Fatal(&[A::HANDSHAKE_FAILURE, A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc5746#section-3.7
    //# o  When a ClientHello is received, the server MUST verify that it
    //#    does not contain the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV.  If
    //#    the SCSV is present, the server MUST abort the handshake.
    rfc5746_3_7_renegotiation_with_scsv_aborts
        on ["iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "renegotiate", "--reneg-info", "client-verify", "--scsv"]),
        Expect::Fatal(&[A::HANDSHAKE_FAILURE, A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc5746#section-3.7
    //# o  The server MUST verify that the "renegotiation_info" extension is
    //#    present; if it is not, the server MUST abort the handshake.
    rfc5746_3_7_renegotiation_without_the_extension_aborts
        on ["iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "renegotiate", "--reneg-info", "none"]),
        Expect::Fatal(&[A::HANDSHAKE_FAILURE, A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc5746#section-3.7
    //# o  The server MUST verify that the value of the
    //#    "renegotiated_connection" field is equal to the saved
    //#    client_verify_data value; if it is not, the server MUST abort the
    //#    handshake.
    rfc5746_3_7_renegotiation_with_wrong_verify_data_aborts
        on ["iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "renegotiate", "--reneg-info", "wrong"]),
        Expect::Fatal(&[A::HANDSHAKE_FAILURE, A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc5746#section-3.7
    //# o  The server MUST include a "renegotiation_info" extension
    //#    containing the saved client_verify_data and server_verify_data in
    //#    the ServerHello.
    rfc5746_3_7_renegotiation_server_hello_carries_both_verify_data
        on ["iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "renegotiate", "--reneg-info", "client-verify"]),
        Expect::BoundRenegotiation;
}
