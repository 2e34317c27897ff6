//! RFC 8446 (TLS 1.3): ClientHello checks, version negotiation, the record layer and
//! post-handshake rules, against the rustls engine's TLS 1.3 scenarios (the scripted
//! engine stops at TLS 1.2; the one TLS 1.3 rule for older servers, Appendix D.5,
//! runs on both).

use quirktls::wire::{
    AlertDescription as A, CipherSuite, ContentType, ExtensionType, NamedGroup, ProtocolVersion,
    ServerHello, SignatureScheme,
};

use super::client::{
    exchange, extension, key_share, negotiated_version, pre_shared_key, psk_dhe_ke, public_key,
    python_probe, record_with, send_hello, server_name, signature_algorithms, supported_groups,
    supported_versions, unknown_extension, Hello, HRR_RANDOM,
};
use super::Expect;

fn tls13(sh: &ServerHello) -> Result<(), String> {
    match negotiated_version(sh) {
        ProtocolVersion::TLS13 if sh.random != HRR_RANDOM => Ok(()),
        ProtocolVersion::TLS13 => Err("a HelloRetryRequest, want a ServerHello".into()),
        v => Err(format!("negotiated {v}, want TLS 1.3")),
    }
}

/// The TLS 1.3 hello split so that an application_data record sits between its halves.
fn interleaved() -> Vec<u8> {
    let hello = Hello::tls13();
    let message = hello.message();
    let (a, b) = message.split_at(message.len() / 2);
    let mut out = record_with(ContentType::HANDSHAKE, ProtocolVersion::TLS10, a);
    out.extend(record_with(
        ContentType::APPLICATION_DATA,
        ProtocolVersion::TLS12,
        &[0; 16],
    ));
    out.extend(record_with(
        ContentType::HANDSHAKE,
        ProtocolVersion::TLS10,
        b,
    ));
    out
}

/// RFC 8446 §4.1.3: "44 4F 57 4E 47 52 44 01" ends a TLS 1.3 server's random in TLS 1.2.
const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];

super::requirements! {
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.2
    //# For every TLS 1.3 ClientHello, this vector
    //# MUST contain exactly one byte, set to zero, which corresponds to
    //# the "null" compression method in prior versions of TLS.  If a
    //# TLS 1.3 ClientHello is received with any other value in this
    //# field, the server MUST abort the handshake with an
    //# "illegal_parameter" alert.
    rfc8446_4_1_2_compression_not_single_null_illegal_parameter
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello { compression: vec![1, 0], ..Hello::tls13() }),
        Expect::Fatal(&[A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.1
    //# If the server is unable to negotiate a supported set of parameters
    //# (i.e., there is no overlap between the client and server parameters),
    //# it MUST abort the handshake with either a "handshake_failure" or
    //# "insufficient_security" fatal alert (see Section 6).
    rfc8446_4_1_1_no_common_group_handshake_failure
        on ["tls13-only"]
        => |addr| send_hello(addr, Hello::tls13()
            // Binary and 160-bit curves, which TLS 1.3 does not allow.
            .with(supported_groups(&[NamedGroup::SECT163K1, NamedGroup::SECP160R1]))
            .with(key_share(&[]))),
        Expect::Fatal(&[A::HANDSHAKE_FAILURE, A::INSUFFICIENT_SECURITY]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.1
    //# If the server is unable to negotiate a supported set of parameters
    //# (i.e., there is no overlap between the client and server parameters),
    //# it MUST abort the handshake with either a "handshake_failure" or
    //# "insufficient_security" fatal alert (see Section 6).
    rfc8446_4_1_1_no_common_cipher_suite_handshake_failure
        on ["tls13-only"]
        => |addr| send_hello(addr, Hello { suites: vec![CipherSuite(0x1304), CipherSuite(0x1305)], ..Hello::tls13() }),
        Expect::Fatal(&[A::HANDSHAKE_FAILURE, A::INSUFFICIENT_SECURITY]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.1
    //# If the server selects an (EC)DHE group and the client did not offer a
    //# compatible "key_share" extension in the initial ClientHello, the
    //# server MUST respond with a HelloRetryRequest (Section 4.1.4) message.
    rfc8446_4_1_1_group_without_a_share_gets_a_hello_retry_request
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello::tls13().with(key_share(&[]))),
        Expect::Hello(|sh| match (sh.random == HRR_RANDOM, extension(sh, ExtensionType::KEY_SHARE)) {
            (true, Some([0, 29] | [0, 23])) => Ok(()),
            (true, other) => Err(format!("HelloRetryRequest key_share {other:02x?}")),
            (false, _) => Err("a ServerHello, want a HelloRetryRequest".into()),
        });

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3
    //# In TLS 1.3, the TLS server indicates
    //# its version using the "supported_versions" extension
    //# (Section 4.2.1), and the legacy_version field MUST be set to
    //# 0x0303, which is the version number for TLS 1.2.
    rfc8446_4_1_3_server_hello_legacy_version_is_tls12
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello::tls13()),
        Expect::Hello(|sh| match (sh.version, tls13(sh)) {
            (ProtocolVersion::TLS12, Ok(())) => Ok(()),
            (v, r) => Err(format!("legacy_version {v}, {r:?}")),
        });

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3
    //# legacy_session_id_echo:  The contents of the client's
    //#    legacy_session_id field.
    rfc8446_4_1_3_legacy_session_id_is_echoed
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello::tls13()),
        Expect::Hello(|sh| match sh.session_id == [0x5a; 32] {
            true => Ok(()),
            false => Err(format!("legacy_session_id_echo {:02x?}", sh.session_id)),
        });

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3
    //# TLS 1.3 servers which negotiate TLS 1.2 or below in
    //# response to a ClientHello MUST set the last 8 bytes of their Random
    //# value specially in their ServerHello.
    rfc8446_4_1_3_downgrade_sentinel_when_negotiating_tls12
        on ["modern-baseline"]
        => |addr| send_hello(addr, Hello::tls12()),
        Expect::Hello(|sh| match (sh.version, sh.random[24..] == DOWNGRADE_TLS12) {
            (ProtocolVersion::TLS12, true) => Ok(()),
            (v, sentinel) => Err(format!("{v}, sentinel present: {sentinel}")),
        });

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.2
    //# Servers MUST ignore unrecognized extensions.
    rfc8446_4_1_2_unknown_extension_ignored
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello::tls13().push(unknown_extension())),
        Expect::Hello(tls13);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2
    //# There MUST NOT be more than one extension of the same type in a given
    //# extension block.
    rfc8446_4_2_duplicate_extensions_refused
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello::tls13().push(server_name("x.test"))),
        Expect::Fatal(&[A::ILLEGAL_PARAMETER, A::DECODE_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.1
    //# If this extension is present in the ClientHello, servers MUST NOT use the
    //# ClientHello.legacy_version value for version negotiation and MUST use
    //# only the "supported_versions" extension to determine client
    //# preferences.
    rfc8446_4_2_1_supported_versions_overrides_legacy_version
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello { version: ProtocolVersion::TLS10, ..Hello::tls13() }),
        Expect::Hello(tls13);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.1
    //# Servers MUST only select a version of TLS present in that extension
    //# and MUST ignore any unknown versions that are present in that
    //# extension.
    rfc8446_4_2_1_only_unknown_supported_versions_protocol_version
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello::tls13()
            .with(supported_versions(&[ProtocolVersion(0x7f1c), ProtocolVersion(0x0305)]))),
        Expect::Fatal(&[A::PROTOCOL_VERSION]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.3
    //# If a server is authenticating via a certificate and the client has
    //# not sent a "signature_algorithms" extension, then the server MUST
    //# abort the handshake with a "missing_extension" alert (see
    //# Section 9.2).
    rfc8446_4_2_3_missing_signature_algorithms_missing_extension
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello::tls13().without(ExtensionType::SIGNATURE_ALGORITHMS)),
        Expect::Fatal(&[A::MISSING_EXTENSION]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-9.2
    //# -  If containing a "supported_groups" extension, it MUST also contain
    //#    a "key_share" extension, and vice versa.  An empty
    //#    KeyShare.client_shares vector is permitted.
    //#
    //# Servers receiving a ClientHello which does not conform to these
    //# requirements MUST abort the handshake with a "missing_extension"
    //# alert.
    rfc8446_9_2_key_share_without_supported_groups_missing_extension
        on ["tls13-only"]
        => |addr| send_hello(addr, Hello::tls13().without(ExtensionType::SUPPORTED_GROUPS)),
        Expect::Fatal(&[A::MISSING_EXTENSION]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.8.2
    //# For the curves secp256r1, secp384r1, and secp521r1, peers MUST
    //# validate each other's public value Q by ensuring that the point is a
    //# valid point on the elliptic curve.
    rfc8446_4_2_8_2_invalid_p256_share_illegal_parameter
        on ["tls13-only"]
        => |addr| {
            let mut point = vec![4u8];
            point.extend([0x01; 64]);
            send_hello(addr, Hello::tls13()
                .with(supported_groups(&[NamedGroup::SECP256R1]))
                .with(key_share(&[(NamedGroup::SECP256R1, point)])))
        },
        Expect::Fatal(&[A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.9
    //# If clients offer
    //# "pre_shared_key" without a "psk_key_exchange_modes" extension,
    //# servers MUST abort the handshake.
    rfc8446_4_2_9_pre_shared_key_without_modes_aborts
        on ["tls13-only"]
        => |addr| send_hello(addr, Hello::tls13().push(pre_shared_key())),
        Expect::Fatal(&[A::MISSING_EXTENSION, A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.11
    //# The "pre_shared_key" extension MUST be the last extension in the
    //# ClientHello (this facilitates implementation as described below).
    //# Servers MUST check that it is the last extension and otherwise fail
    //# the handshake with an "illegal_parameter" alert.
    rfc8446_4_2_11_pre_shared_key_not_last_illegal_parameter
        on ["tls13-only"]
        => |addr| send_hello(addr, Hello::tls13()
            .push(psk_dhe_ke())
            .push(pre_shared_key())
            .push(unknown_extension())),
        Expect::Fatal(&[A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-5.1
    //# The length MUST NOT exceed 2^14 bytes.  An
    //# endpoint that receives a record that exceeds this length MUST
    //# terminate the connection with a "record_overflow" alert.
    rfc8446_5_1_record_over_2_14_record_overflow
        on ["tls13-only", "modern-baseline"]
        => |addr| {
            let payload = vec![1u8; (1 << 14) + 1];
            exchange(addr, &record_with(ContentType::HANDSHAKE, ProtocolVersion::TLS10, &payload))
        },
        Expect::Fatal(&[A::RECORD_OVERFLOW]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-5
    //# If a TLS implementation receives an unexpected record type, it MUST
    //# terminate the connection with an "unexpected_message" alert.
    rfc8446_5_unknown_record_type_unexpected_message
        on ["tls13-only", "modern-baseline"]
        => |addr| exchange(addr, &record_with(ContentType(99), ProtocolVersion::TLS12, &[0; 8])),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-5
    //# If a TLS implementation receives an unexpected record type, it MUST
    //# terminate the connection with an "unexpected_message" alert.
    rfc8446_5_unknown_record_type_after_handshake_unexpected_message
        on ["tls13-only"]
        => |addr| python_probe(addr, &["--version", "tls1.3", "--action", "unknown-record"]),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-5
    //# If an implementation detects a change_cipher_spec record
    //# received before the first ClientHello message or after the peer's
    //# Finished message, it MUST be treated as an unexpected record type
    //# (though stateless servers may not be able to distinguish these cases
    //# from allowed cases).
    rfc8446_5_change_cipher_spec_before_client_hello_unexpected_message
        on ["tls13-only", "modern-baseline"]
        => |addr| {
            let mut flight = record_with(ContentType::CHANGE_CIPHER_SPEC, ProtocolVersion::TLS12, &[1]);
            flight.extend(Hello::tls13().record());
            exchange(addr, &flight)
        },
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-5.1
    //# Handshake messages MUST NOT be interleaved
    //# with other record types.  That is, if a handshake message is split
    //# over two or more records, there MUST NOT be any other records
    //# between them.
    rfc8446_5_1_interleaved_handshake_records_unexpected_message
        on ["tls13-only", "modern-baseline"]
        => |addr| exchange(addr, &interleaved()),
        Expect::Fatal(&[A::UNEXPECTED_MESSAGE]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-5.2
    //# If the decryption fails, the receiver MUST terminate the connection
    //# with a "bad_record_mac" alert.
    rfc8446_5_2_aead_decryption_failure_bad_record_mac
        on ["tls13-only", "modern-baseline"]
        => |addr| python_probe(addr, &["--version", "tls1.3", "--action", "bad-mac"]),
        Expect::Fatal(&[A::BAD_RECORD_MAC]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.4.4
    //# Recipients of Finished messages MUST verify that the contents are
    //# correct and if incorrect MUST terminate the connection with a
    //# "decrypt_error" alert.
    rfc8446_4_4_4_wrong_finished_decrypt_error
        on ["tls13-only", "modern-baseline"]
        => |addr| python_probe(addr, &["--version", "tls1.3", "--action", "bad-finished"]),
        Expect::Fatal(&[A::DECRYPT_ERROR]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.6.3
    //# If an implementation
    //# receives any other value, it MUST terminate the connection with an
    //# "illegal_parameter" alert.
    rfc8446_4_6_3_key_update_with_invalid_request_illegal_parameter
        on ["tls13-only"]
        => |addr| python_probe(addr, &["--version", "tls1.3", "--action", "key-update-invalid"]),
        Expect::Fatal(&[A::ILLEGAL_PARAMETER]);

    //= https://www.rfc-editor.org/rfc/rfc8446#section-9.1
    //# A TLS-compliant application MUST implement the TLS_AES_128_GCM_SHA256
    //# [GCM] cipher suite and SHOULD implement the TLS_AES_256_GCM_SHA384
    //# [GCM] and TLS_CHACHA20_POLY1305_SHA256 [RFC8439] cipher suites (see
    //# Appendix B.4).
    //#
    //# A TLS-compliant application MUST support digital signatures with
    //# rsa_pkcs1_sha256 (for certificates), rsa_pss_rsae_sha256 (for
    //# CertificateVerify and certificates), and ecdsa_secp256r1_sha256.  A
    //# TLS-compliant application MUST support key exchange with secp256r1
    //# (NIST P-256) and SHOULD support key exchange with X25519 [RFC7748].
    rfc8446_9_1_mandatory_suite_group_and_signature_complete
        on ["tls13-only", "modern-baseline"]
        => |addr| send_hello(addr, Hello {
            suites: vec![CipherSuite(0x1301)],
            ..Hello::tls13()
        }
        .with(supported_groups(&[NamedGroup::SECP256R1]))
        .with(key_share(&[(NamedGroup::SECP256R1, public_key(NamedGroup::SECP256R1))]))
        .with(signature_algorithms(&[SignatureScheme::RSA_PSS_RSAE_SHA256]))),
        Expect::Hello(|sh| match (sh.cipher_suite, tls13(sh)) {
            (CipherSuite(0x1301), Ok(())) => Ok(()),
            (suite, r) => Err(format!("{suite}, {r:?}")),
        });

    //= https://www.rfc-editor.org/rfc/rfc8446#appendix-D.5
    //# Any endpoint receiving a Hello message with
    //# ClientHello.legacy_version or ServerHello.legacy_version set to
    //# 0x0300 MUST abort the handshake with a "protocol_version" alert.
    rfc8446_d_5_ssl3_legacy_version_protocol_version
        on ["modern-baseline", "tls12-only", "iis-renegotiation", "tls10-only-rsa"]
        => |addr| send_hello(addr, Hello { version: ProtocolVersion::SSL3, ..Hello::tls12() }),
        Expect::Fatal(&[A::PROTOCOL_VERSION]);
}
