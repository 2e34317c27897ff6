//! RFC 5246 (TLS 1.2): the record layer, the ClientHello, message order, alerts and
//! record protection, against TLS 1.0–1.2 scenarios of both engines.

use std::net::SocketAddr;
use std::time::Duration;

use quirktls::wire::{
    AlertDescription as A, CipherSuite, ContentType, ExtensionType, HandshakeMessage,
    HandshakePayload, HandshakeType, ProtocolVersion, ServerHello, ServerKeyExchange,
    SignatureScheme,
};

use super::client::{
    exchange, python_probe, record_with, send_hello, unknown_extension, until_hello_done, Conn,
    Hello, Outcome,
};
use super::Expect;

/// The hello's record split into `pieces` records of (nearly) equal size.
fn fragmented(hello: &Hello, pieces: usize) -> Vec<u8> {
    let message = hello.message();
    let size = message.len().div_ceil(pieces);
    message
        .chunks(size)
        .flat_map(|c| record_with(ContentType::HANDSHAKE, hello.record_version, c))
        .collect()
}

fn tls12(sh: &ServerHello) -> Result<(), String> {
    match sh.version {
        ProtocolVersion::TLS12 => Ok(()),
        v => Err(format!("ServerHello version {v}, want TLS 1.2")),
    }
}

fn tls11(sh: &ServerHello) -> Result<(), String> {
    match sh.version {
        ProtocolVersion::TLS11 => Ok(()),
        v => Err(format!("ServerHello version {v}, want TLS 1.1")),
    }
}

/// The ServerHello's suite is one of the ECDHE-RSA suites the hello offered.
fn offered_ecdhe_suite(sh: &ServerHello) -> Result<(), String> {
    match ECDHE_RSA.contains(&sh.cipher_suite) {
        true => Ok(()),
        false => Err(format!(
            "selected {}, which was not offered",
            sh.cipher_suite
        )),
    }
}

const ECDHE_RSA: [CipherSuite; 3] = [
    CipherSuite(0xc02f),
    CipherSuite(0xc030),
    CipherSuite(0xc013),
];

/// A hello whose only suites are static RSA (for the scripted engine's RSA scenarios).
fn rsa_hello() -> Hello {
    Hello {
        suites: vec![CipherSuite(0x003c), CipherSuite(0x002f)],
        ..Hello::tls12()
    }
}

/// Complete the hello, wait for the server's flight, then send `next` (plaintext).
fn after_server_flight(addr: SocketAddr, next: &[u8]) -> Outcome {
    let mut conn = Conn::open(addr);
    conn.send(&Hello::tls12().record());
    match conn.answer(until_hello_done) {
        Outcome::Handshake(_) => {}
        other => return Outcome::Broken(format!("no server flight: {other}")),
    }
    conn.send(next);
    conn.answer(|_| false)
}

fn handshake_record(typ: HandshakeType, body: Vec<u8>) -> Vec<u8> {
    let msg = quirktls::wire::Codec::to_bytes(&HandshakeMessage { typ, body });
    record_with(ContentType::HANDSHAKE, ProtocolVersion::TLS12, &msg)
}

/// The ServerKeyExchange signature names rsa_pkcs1_sha1.
fn signed_with_sha1(msgs: &[HandshakeMessage]) -> Result<(), String> {
    let ske = msgs
        .iter()
        .find(|m| m.typ == HandshakeType::SERVER_KEY_EXCHANGE)
        .ok_or("no ServerKeyExchange")?;
    let ske =
        ServerKeyExchange::from_message(ske, ProtocolVersion::TLS12).map_err(|e| e.to_string())?;
    match ske.signature.scheme {
        Some(SignatureScheme::RSA_PKCS1_SHA1) => Ok(()),
        other => Err(format!("signed with {other:?}, want rsa_pkcs1_sha1")),
    }
}

/// Every ServerHello extension type was offered by `Hello::tls12()` plus the unknown one.
fn only_offered_extensions(sh: &ServerHello) -> Result<(), String> {
    let offered: Vec<ExtensionType> = Hello::tls12()
        .push(unknown_extension())
        .extensions
        .unwrap_or_default()
        .iter()
        .map(|e| e.typ)
        .collect();
    let extra: Vec<String> = sh
        .extensions
        .iter()
        .flatten()
        .filter(|e| !offered.contains(&e.typ))
        .map(|e| e.typ.to_string())
        .collect();
    match extra.is_empty() {
        true => Ok(()),
        false => Err(format!("unsolicited: {}", extra.join(", "))),
    }
}

/// Static RSA: an encrypted premaster that is 256 random bytes (not PKCS#1), then
/// ChangeCipherSpec and a "Finished" no key can open. A conformant server says nothing
/// after the ClientKeyExchange and fails on the Finished record.
fn bogus_premaster(addr: SocketAddr) -> Outcome {
    let mut conn = Conn::open(addr);
    conn.send(&rsa_hello().record());
    match conn.answer(until_hello_done) {
        Outcome::Handshake(_) => {}
        other => return Outcome::Broken(format!("no server flight: {other}")),
    }
    // The RSA-2048 ciphertext behind its u16 length.
    let mut ciphertext = 256u16.to_be_bytes().to_vec();
    ciphertext.extend((0..256u32).map(|i| (i * 7 + 3) as u8));
    conn.send(&handshake_record(
        HandshakeType::CLIENT_KEY_EXCHANGE,
        ciphertext,
    ));
    match conn.answer_within(Duration::from_millis(300), |_| false) {
        Outcome::Silent => {}
        early => return Outcome::Broken(format!("answered the ClientKeyExchange: {early}")),
    }
    conn.send(&record_with(
        ContentType::CHANGE_CIPHER_SPEC,
        ProtocolVersion::TLS12,
        &[1],
    ));
    // IV, one block of "Finished", a SHA-256 MAC and padding: 16 + 64 bytes.
    conn.send(&record_with(
        ContentType::HANDSHAKE,
        ProtocolVersion::TLS12,
        &[0x33; 80],
    ));
    conn.answer(|_| false)
}

super::requirements! {
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# A server MUST accept ClientHello messages both with and without the
    //# extensions field, and (as for all other messages) it MUST check that the amount
    //# of data in the message precisely matches one of these formats; if not, then it
    //# MUST send a fatal "decode_error" alert.
    rfc5246_7_4_1_2_trailing_bytes_after_extensions_decode_error
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello { trailing: vec![0, 0], ..Hello::tls12() }),
        Expect::Fatal(&[A::DECODE_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# [...] it MUST check that the amount of data in the message precisely matches one
    //# of these formats; if not, then it MUST send a fatal "decode_error" alert.
    rfc5246_7_4_1_2_truncated_client_hello_decode_error
        on ["tls12-only", "iis-renegotiation"]
        => |addr| {
            // The cipher_suites length claims 16 bytes; the message ends after 4 of them.
            let mut body = Hello::tls12().body();
            body.truncate(2 + 32 + 1 + 2 + 4);
            let msg = quirktls::wire::Codec::to_bytes(&HandshakeMessage {
                typ: HandshakeType::CLIENT_HELLO,
                body,
            });
            exchange(addr, &record_with(ContentType::HANDSHAKE, ProtocolVersion::TLS10, &msg))
        },
        Expect::Fatal(&[A::DECODE_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# A server MUST accept ClientHello messages both with and without the
    //# extensions field
    rfc5246_7_4_1_2_hello_without_extensions_accepted
        on ["tls12-only", "cipher-restricted-rsa"]
        => |addr| send_hello(addr, Hello { extensions: None, ..Hello::tls12() }),
        Expect::Hello(tls12);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# If the list contains cipher suites the server does not recognize, support, or
    //# wish to use, the server MUST ignore those cipher suites, and process the
    //# remaining ones as usual.
    rfc5246_7_4_1_2_unknown_cipher_suites_ignored
        on ["tls12-only", "iis-renegotiation"]
        => |addr| {
            let mut suites = vec![CipherSuite(0xfefe), CipherSuite(0x1234)];
            suites.extend(Hello::tls12().suites);
            send_hello(addr, Hello { suites, ..Hello::tls12() })
        },
        Expect::Hello(|sh| match sh.cipher_suite.0 {
            0xfefe | 0x1234 => Err(format!("selected the unknown {}", sh.cipher_suite)),
            _ => tls12(sh),
        });

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# The server will select a cipher suite or, if no acceptable choices are
    //# presented, return a handshake failure alert and close the connection.
    rfc5246_7_4_1_2_no_common_cipher_suite_handshake_failure
        on ["tls12-only", "iis-renegotiation"]
        => |addr| {
            // TLS_PSK_WITH_AES_128_GCM_SHA256 (no PSK is configured) and
            // TLS_KRB5_WITH_RC4_128_SHA: suites no scenario (nor s_server) can select.
            let suites = vec![CipherSuite(0x00a8), CipherSuite(0x0020)];
            send_hello(addr, Hello { suites, ..Hello::tls12() })
        },
        Expect::Fatal(&[A::HANDSHAKE_FAILURE]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3
    //# compression_method
    //#    The single compression algorithm selected by the server from the
    //#    list in ClientHello.compression_methods.
    //
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3
    //# If it cannot find such a match, it will respond with a handshake
    //# failure alert.
    rfc5246_7_4_1_3_compression_without_null_refused
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello { compression: vec![1], ..Hello::tls12() }),
        Expect::Fatal(&[A::HANDSHAKE_FAILURE, A::ILLEGAL_PARAMETER, A::DECODE_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3
    //# cipher_suite
    //#    The single cipher suite selected by the server from the list in
    //#    ClientHello.cipher_suites.
    rfc5246_7_4_1_3_selected_cipher_suite_was_offered
        on ["tls12-only", "iis-renegotiation", "server-hello-suite-lie"]
        => |addr| send_hello(addr, Hello { suites: ECDHE_RSA.to_vec(), ..Hello::tls12() }),
        Expect::Hello(offered_ecdhe_suite);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3
    //# The server will send this message in response to a ClientHello
    //# message when it was able to find an acceptable set of algorithms.
    rfc5246_7_4_1_3_short_acceptable_hello_gets_a_server_hello
        on ["iis-renegotiation", "clienthello-intolerant"]
        => |addr| {
            let suites = vec![CipherSuite(0x002f), CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV];
            send_hello(addr, Hello { suites, ..Hello::tls12() })
        },
        Expect::Hello(tls12);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3
    //# struct {
    //#     ProtocolVersion server_version;
    //#     Random random;
    //#     SessionID session_id;
    //#     CipherSuite cipher_suite;
    //#     CompressionMethod compression_method;
    //#     select (extensions_present) {
    //#         case false:
    //#             struct {};
    //#         case true:
    //#             Extension extensions<0..2^16-1>;
    //#     };
    //# } ServerHello;
    rfc5246_7_4_1_3_server_hello_is_well_formed
        on ["tls12-only", "iis-renegotiation", "truncated-server-hello"]
        => |addr| send_hello(addr, Hello::tls12()),
        Expect::Hello(tls12);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.9
    //# verify_data
    //#    PRF(master_secret, finished_label, Hash(handshake_messages))
    //#       [0..verify_data_length-1];
    rfc5246_7_4_9_server_finished_verifies
        on ["tls12-only", "iis-renegotiation", "bad-finished"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "complete"]),
        Expect::Completes;

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# CipherSuite cipher_suites<2..2^16-2>;
    rfc5246_7_4_1_2_empty_cipher_suites_decode_error
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello { suites: vec![], ..Hello::tls12() }),
        Expect::Fatal(&[A::DECODE_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2
    //# opaque SessionID<0..32>;
    rfc5246_7_4_1_2_session_id_over_32_bytes_decode_error
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello { session_id: vec![7; 33], ..Hello::tls12() }),
        Expect::Fatal(&[A::DECODE_ERROR, A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc5246#appendix-E.1
    //# If a TLS server receives a ClientHello containing a version number
    //# greater than the highest version supported by the server, it MUST
    //# reply according to the highest version supported by the server.
    rfc5246_e_1_higher_client_version_gets_the_highest_supported
        on ["tls12-only", "iis-renegotiation", "cipher-restricted-rsa"]
        => |addr| send_hello(addr, Hello { version: ProtocolVersion(0x0305), ..Hello::tls12() }),
        Expect::Hello(tls12);

    //= https://www.rfc-editor.org/rfc/rfc5246#appendix-E.1
    //# If the server wishes to negotiate with old clients, it will proceed as
    //# appropriate for the highest version supported by the server that is not
    //# greater than ClientHello.client_version.
    rfc5246_e_1_lower_supported_client_version_is_used
        on ["iis-renegotiation"]
        => |addr| send_hello(addr, Hello { version: ProtocolVersion::TLS11, ..Hello::tls12() }),
        Expect::Hello(tls11);

    //= https://www.rfc-editor.org/rfc/rfc5246#appendix-E.1
    //# If server supports (or is willing to use) only
    //# versions greater than client_version, it MUST send a
    //# "protocol_version" alert message and close the connection.
    rfc5246_e_1_only_higher_versions_protocol_version
        on ["tls12-only", "cipher-restricted-rsa"]
        => |addr| send_hello(addr, Hello { version: ProtocolVersion::TLS10, ..Hello::tls12() }),
        Expect::Fatal(&[A::PROTOCOL_VERSION]);

    //= https://www.rfc-editor.org/rfc/rfc5246#appendix-E.1
    //# Thus, TLS servers compliant with this specification MUST accept any value
    //# {03,XX} as the record layer version number for ClientHello.
    rfc5246_e_1_any_03xx_record_version_accepted
        on ["tls12-only", "iis-renegotiation"]
        => |addr| {
            let hello = Hello { record_version: ProtocolVersion(0x0399), ..Hello::tls12() };
            send_hello(addr, hello)
        },
        Expect::Hello(tls12);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-6.2.1
    //# Client message boundaries are not preserved in the record layer (i.e., multiple
    //# client messages of the same ContentType MAY be coalesced into a single
    //# TLSPlaintext record, or a single message MAY be fragmented across several
    //# records).
    rfc5246_6_2_1_fragmented_client_hello_reassembled
        on ["tls12-only", "iis-renegotiation"]
        => |addr| exchange(addr, &fragmented(&Hello::tls12(), 3)),
        Expect::Hello(tls12);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
    //# record_overflow
    //#    A TLSCiphertext record was received that had a length more than
    //#    2^14+2048 bytes, or a record decrypted to a TLSCompressed record
    //#    with more than 2^14+1024 bytes.  This message is always fatal and
    //#    should never be observed in communication between proper
    //#    implementations (except when messages were corrupted in the
    //#    network).
    rfc5246_6_2_3_record_over_2_14_plus_2048_record_overflow
        on ["tls12-only", "iis-renegotiation"]
        => |addr| {
            let payload = vec![1u8; (1 << 14) + 2048 + 1];
            exchange(addr, &record_with(ContentType::HANDSHAKE, ProtocolVersion::TLS10, &payload))
        },
        Expect::Fatal(&[A::RECORD_OVERFLOW]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-6
    //# If a TLS implementation receives an unexpected record type, it MUST send an
    //# unexpected_message alert.
    rfc5246_6_unknown_record_type_unexpected_message
        on ["tls12-only", "iis-renegotiation"]
        => |addr| exchange(addr, &record_with(ContentType(99), ProtocolVersion::TLS12, &[0; 8])),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-6
    //# If a TLS implementation receives an unexpected record type, it MUST send an
    //# unexpected_message alert.
    rfc5246_6_unknown_record_type_after_handshake_unexpected_message
        on ["tls12-only", "iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "unknown-record"]),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4
    //# The handshake protocol messages are presented below in the order they
    //# MUST be sent; sending handshake messages in an unexpected order
    //# results in a fatal error.
    rfc5246_7_4_first_message_not_client_hello_unexpected_message
        on ["tls12-only", "iis-renegotiation"]
        => |addr| exchange(addr, &handshake_record(HandshakeType::CLIENT_KEY_EXCHANGE, vec![0, 1, 4])),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4
    //# The handshake protocol messages are presented below in the order they
    //# MUST be sent; sending handshake messages in an unexpected order
    //# results in a fatal error.
    rfc5246_7_4_finished_before_client_key_exchange_unexpected_message
        on ["tls12-only", "iis-renegotiation"]
        => |addr| after_server_flight(addr, &handshake_record(HandshakeType::FINISHED, vec![0; 12])),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
    //# unexpected_message
    //#    An inappropriate message was received.  This alert is always fatal
    //#    and should never be observed in communication between proper
    //#    implementations.
    rfc5246_7_1_change_cipher_spec_before_key_exchange_unexpected_message
        on ["tls12-only", "iis-renegotiation"]
        => |addr| after_server_flight(addr, &record_with(ContentType::CHANGE_CIPHER_SPEC, ProtocolVersion::TLS12, &[1])),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
    //# Upon transmission or receipt of a fatal alert message, both
    //# parties immediately close the connection.
    rfc5246_7_2_2_fatal_alert_closes_the_connection
        on ["tls12-only", "iis-renegotiation"]
        => |addr| after_server_flight(addr, &record_with(ContentType::ALERT, ProtocolVersion::TLS12, &[2, 40])),
        Expect::Closes;

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.1
    //# The other party MUST respond with a close_notify alert of its own
    //# and close down the connection immediately, discarding any pending
    //# writes.
    rfc5246_7_2_1_close_notify_answered_with_close_notify
        on ["tls12-only", "iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "close-notify"]),
        Expect::CloseNotify;

    //= https://www.rfc-editor.org/rfc/rfc5246#section-6.2.3.3
    //# If the decryption fails, a fatal bad_record_mac alert MUST be generated.
    rfc5246_6_2_3_3_aead_decryption_failure_bad_record_mac
        on ["tls12-only", "iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "bad-mac"]),
        Expect::Fatal(&[A::BAD_RECORD_MAC]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
    //# bad_record_mac
    //#    This alert is returned if a record is received with an incorrect
    //#    MAC.  This alert also MUST be returned if an alert is sent because
    //#    a TLSCiphertext decrypted in an invalid way: either it wasn't an
    //#    even multiple of the block length, or its padding values, when
    //#    checked, weren't correct.
    rfc5246_6_2_3_2_cbc_bad_mac_bad_record_mac
        on ["cipher-restricted-rsa"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--cbc", "--action", "bad-mac"]),
        Expect::Fatal(&[A::BAD_RECORD_MAC]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
    //# This alert also MUST be returned if an alert is sent because
    //# a TLSCiphertext decrypted in an invalid way: either it wasn't an
    //# even multiple of the block length, or its padding values, when
    //# checked, weren't correct.
    rfc5246_6_2_3_2_cbc_bad_padding_bad_record_mac
        on ["cipher-restricted-rsa"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--cbc", "--action", "bad-padding"]),
        Expect::Fatal(&[A::BAD_RECORD_MAC]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.9
    //# Recipients of Finished messages MUST verify that the contents are
    //# correct.
    rfc5246_7_4_9_wrong_finished_decrypt_error
        on ["tls12-only", "iis-renegotiation"]
        => |addr| python_probe(addr, &["--version", "tls1.2", "--action", "bad-finished"]),
        Expect::Fatal(&[A::DECRYPT_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.7.1
    //# In any case, a TLS server MUST NOT generate an alert if processing an
    //# RSA-encrypted premaster secret message fails, or the version number
    //# is not as expected.  Instead, it MUST continue the handshake with a
    //# randomly generated premaster secret.
    rfc5246_7_4_7_1_bad_rsa_premaster_fails_only_at_finished
        on ["cipher-restricted-rsa"]
        => bogus_premaster,
        Expect::Fatal(&[A::BAD_RECORD_MAC]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.4
    //# An extension type MUST NOT appear in the ServerHello unless the same
    //# extension type appeared in the corresponding ClientHello.
    rfc5246_7_4_1_4_server_hello_extensions_were_offered
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello::tls12().push(unknown_extension())),
        Expect::Hello(only_offered_extensions);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.4
    //# There MUST NOT be more than one extension of the same type.
    rfc5246_7_4_1_4_duplicate_extensions_refused
        on ["tls12-only", "iis-renegotiation"]
        => |addr| send_hello(addr, Hello::tls12().push(super::client::server_name("x.test"))),
        Expect::Fatal(&[A::DECODE_ERROR, A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.4.1
    //# If the client does not send the signature_algorithms extension, the
    //# server MUST do the following:
    //#
    //# -  If the negotiated key exchange algorithm is one of (RSA, DHE_RSA,
    //#    DH_RSA, RSA_PSK, ECDH_RSA, ECDHE_RSA), behave as if client had
    //#    sent the value {sha1,rsa}.
    rfc5246_7_4_1_4_1_no_signature_algorithms_means_sha1_rsa
        on ["tls12-only", "iis-renegotiation"]
        => |addr| {
            let hello = Hello {
                suites: vec![CipherSuite(0xc02f), CipherSuite(0xc030)],
                ..Hello::tls12()
            };
            let mut conn = Conn::open(addr);
            conn.send(&hello.without(ExtensionType::SIGNATURE_ALGORITHMS).record());
            conn.answer(until_hello_done)
        },
        Expect::Flight(signed_with_sha1);
}
