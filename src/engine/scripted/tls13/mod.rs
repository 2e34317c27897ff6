//! One TLS 1.3 server handshake (RFC 8446 §2), message by message: ClientHello →
//! [HelloRetryRequest → ClientHello] → ServerHello, [ChangeCipherSpec],
//! {EncryptedExtensions}, {CertificateRequest}, {Certificate}, {CertificateVerify},
//! {Finished} → {Certificate}, {CertificateVerify}, {Finished}. Faults, transcript, key
//! log and events are the TLS 1.2 handshake's.

mod key_schedule;

use tokio::io::{AsyncRead, AsyncWrite};

use self::key_schedule::{verify_data, HandshakeSecrets};
use super::crypto::hash::Transcript;
use super::crypto::hkdf::HkdfHash;
use super::crypto::kx;
use super::crypto::prf::Prf;
use super::crypto::protect::Protection;
use super::crypto::suites::SuiteSpec;
use super::crypto::verify::verify_signature;
use super::faults::{self, Outgoing};
use super::handshake::{
    decode_error, finished_outgoing, or_default, random32, Established, Failure, Reader,
};
use super::records::RecordIo;
use super::{ClientAuthPlan, ScriptedConfig};
use crate::observe::{parse_client_hello, ClientHelloInfo};
use crate::scenario::Step;
use crate::wire::{
    client_hello_extensions, client_key_shares, AlertDescription, Certificate13,
    CertificateRequest13, CertificateVerify, ChangeCipherSpec, Codec, Compression, ContentType,
    DigitallySigned, EncryptedExtensions, Extension, ExtensionType, Finished, HandshakeMessage,
    HandshakePayload, HandshakeType, KeyShareEntry, NamedGroup, ProtocolVersion, ServerHello,
    SignatureScheme,
};

/// Schemes a client's TLS 1.3 CertificateVerify may use (what `verify_signature`
/// checks, less PKCS#1 v1.5, which TLS 1.3 handshakes do not sign with).
const CLIENT_SCHEMES: [SignatureScheme; 5] = [
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
];

/// What the first ClientHello settles: suite, group, and the client's share for it
/// (`None`: a HelloRetryRequest asks for one).
struct Choice {
    suite: &'static SuiteSpec,
    group: NamedGroup,
    share: Option<Vec<u8>>,
}

/// The client's key shares.
fn key_shares(hello_body: &[u8]) -> Result<Vec<KeyShareEntry>, Failure> {
    let extensions = client_hello_extensions(hello_body).map_err(decode_error)?;
    match extensions
        .iter()
        .find(|e| e.typ == ExtensionType::KEY_SHARE)
    {
        Some(e) => client_key_shares(&e.data).map_err(decode_error),
        None => Ok(Vec::new()),
    }
}

/// The suite (in the scenario's order), and the group: the first of ours the client
/// sent a share for, else the first of ours it supports (then a HelloRetryRequest).
fn choose(
    cfg: &ScriptedConfig,
    hello: &ClientHelloInfo,
    shares: &[KeyShareEntry],
) -> Result<Choice, Failure> {
    let ours = |s: &&SuiteSpec| s.supports(ProtocolVersion::TLS13);
    let suite = if cfg.client_order {
        hello.cipher_suites.iter().find_map(|id| {
            cfg.suites
                .iter()
                .copied()
                .filter(ours)
                .find(|s| s.id == *id)
        })
    } else {
        cfg.suites
            .iter()
            .copied()
            .filter(ours)
            .find(|s| hello.cipher_suites.contains(&s.id))
    }
    .ok_or_else(|| {
        Failure::new(
            AlertDescription::HANDSHAKE_FAILURE,
            "no TLS 1.3 cipher suite in common",
        )
    })?;
    let groups = || {
        cfg.groups
            .iter()
            .copied()
            .filter(|g| kx::TLS13_GROUPS.contains(g))
    };
    if let Some((group, share)) = groups().find_map(|g| {
        shares
            .iter()
            .find(|s| s.group == g)
            .map(|s| (g, s.key.clone()))
    }) {
        return Ok(Choice {
            suite,
            group,
            share: Some(share),
        });
    }
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.1
    //# If the server selects an (EC)DHE group and the client did not offer a
    //# compatible "key_share" extension in the initial ClientHello, the
    //# server MUST respond with a HelloRetryRequest (Section 4.1.4) message.
    let group = groups().find(|g| hello.groups.contains(g)).ok_or_else(|| {
        Failure::new(
            AlertDescription::HANDSHAKE_FAILURE,
            "no key exchange group in common for TLS 1.3",
        )
    })?;
    Ok(Choice {
        suite,
        group,
        share: None,
    })
}

/// A ServerHello or HelloRetryRequest: legacy version 1.2, the client's session ID
/// echoed, supported_versions and key_share.
fn hello_message(
    random: [u8; 32],
    hello: &ClientHelloInfo,
    suite: &SuiteSpec,
    key_share: Extension,
) -> ServerHello {
    ServerHello {
        //= https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3
        //# In TLS 1.3, the TLS server indicates
        //# its version using the "supported_versions" extension
        //# (Section 4.2.1), and the legacy_version field MUST be set to
        //# 0x0303, which is the version number for TLS 1.2.
        version: ProtocolVersion::TLS12,
        random,
        session_id: hello.session_id.clone(),
        cipher_suite: suite.id,
        compression: Compression::NULL,
        extensions: Some(vec![
            Extension::selected_version(ProtocolVersion::TLS13),
            key_share,
        ]),
    }
}

/// Handshake messages to send, each added to the transcript.
fn outgoing(transcript: &mut Transcript, msgs: Vec<(Step, HandshakeMessage)>) -> Vec<Outgoing> {
    msgs.into_iter()
        .map(|(step, msg)| {
            let bytes = msg.to_bytes();
            transcript.add(&bytes);
            Outgoing {
                step,
                content_type: ContentType::HANDSHAKE,
                bytes,
            }
        })
        .collect()
}

//= https://www.rfc-editor.org/rfc/rfc8446#appendix-D.4
//# If not offering early data, the server sends a dummy
//# change_cipher_spec record (see the third paragraph of Section 5)
//# immediately after its first handshake message.  This may either be
//# after a ServerHello or a HelloRetryRequest.
fn middlebox_ccs() -> Outgoing {
    Outgoing {
        step: Step::ChangeCipherSpec,
        content_type: ContentType::CHANGE_CIPHER_SPEC,
        bytes: ChangeCipherSpec.to_bytes(),
    }
}

//= https://www.rfc-editor.org/rfc/rfc8446#section-4.4.3
//# The digital signature is then computed over the concatenation of:
//# -  A string that consists of octet 32 (0x20) repeated 64 times
//# -  The context string
//# -  A single 0 byte which serves as the separator
//# -  The content to be signed
/// What a TLS 1.3 CertificateVerify signs.
fn signed_content(server: bool, transcript_hash: &[u8]) -> Vec<u8> {
    let context: &[u8] = match server {
        true => b"TLS 1.3, server CertificateVerify",
        false => b"TLS 1.3, client CertificateVerify",
    };
    [&[0x20; 64][..], context, &[0], transcript_hash].concat()
}

/// Run the rest of a TLS 1.3 handshake after the first ClientHello.
pub(super) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    cfg: &ScriptedConfig,
    rec: &mut RecordIo<S>,
    mut reader: Reader,
    hello_msg: HandshakeMessage,
    mut hello: ClientHelloInfo,
    client_auth: Option<&ClientAuthPlan>,
) -> Result<Established, Failure> {
    //= https://www.rfc-editor.org/rfc/rfc8446#section-5.1
    //# legacy_record_version:  MUST be set to 0x0303 for all records
    //#    generated by a TLS 1.3 implementation other than an initial
    //#    ClientHello
    rec.version = ProtocolVersion::TLS12;
    reader.tls13 = true;
    let choice = choose(cfg, &hello, &key_shares(&hello_msg.body)?)?;
    let suite = choice.suite;
    let hash = HkdfHash(suite.prf);
    let mut transcript = Transcript::new(Prf::new(suite, ProtocolVersion::TLS13));
    transcript.add(&hello_msg.to_bytes());
    let compat = !hello.session_id.is_empty();
    let retried = choice.share.is_none();

    // HelloRetryRequest, and the second ClientHello with the share it asked for.
    let share = match choice.share {
        Some(share) => share,
        None => {
            //= https://www.rfc-editor.org/rfc/rfc8446#section-4.4.1
            //# When the server responds to a
            //# ClientHello with a HelloRetryRequest, the value of ClientHello1 is
            //# replaced with a special synthetic handshake message of handshake
            //# type "message_hash" containing Hash(ClientHello1).
            let first = transcript.current();
            transcript = Transcript::new(Prf::new(suite, ProtocolVersion::TLS13));
            transcript.add(
                &HandshakeMessage {
                    typ: HandshakeType::MESSAGE_HASH,
                    body: first,
                }
                .to_bytes(),
            );
            let hrr = hello_message(
                ServerHello::HRR_RANDOM,
                &hello,
                suite,
                Extension::selected_group(choice.group),
            );
            let mut flight = outgoing(
                &mut transcript,
                vec![(Step::HelloRetryRequest, hrr.to_message())],
            );
            if compat {
                flight.push(middlebox_ccs());
            }
            faults::send(rec, flight, &cfg.faults).await?;
            let again = reader.expect(rec, HandshakeType::CLIENT_HELLO).await?;
            transcript.add(&again.to_bytes());
            hello = parse_client_hello(&again.to_bytes()).map_err(decode_error)?;
            //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.8
            //# Clients MUST NOT offer any KeyShareEntry values
            //# for groups not listed in the client's "supported_groups" extension.
            // And after a HelloRetryRequest, exactly the share it asked for.
            let shares = key_shares(&again.body)?;
            match shares.as_slice() {
                [only] if only.group == choice.group => only.key.clone(),
                _ => {
                    return Err(Failure::new(
                        AlertDescription::ILLEGAL_PARAMETER,
                        format!(
                            "the second ClientHello does not carry exactly one {} share",
                            choice.group
                        ),
                    ))
                }
            }
        }
    };

    // ServerHello (and the middlebox CCS unless one followed a HelloRetryRequest).
    let (server_share, shared) =
        kx::respond(choice.group, &share).map_err(|e| Failure::new(e.alert(), e.to_string()))?;
    let server_hello = hello_message(
        random32(),
        &hello,
        suite,
        Extension::server_key_share(&KeyShareEntry {
            group: choice.group,
            key: server_share,
        }),
    );
    let mut flight = outgoing(
        &mut transcript,
        vec![(Step::ServerHello, server_hello.to_message())],
    );
    if compat && !retried {
        flight.push(middlebox_ccs());
    }
    faults::send(rec, flight, &cfg.faults).await?;
    //= https://www.rfc-editor.org/rfc/rfc8446#section-5.1
    //# Handshake messages MUST NOT span key changes.
    if !reader.joiner.is_empty() {
        return Err(Failure::new(
            AlertDescription::UNEXPECTED_MESSAGE,
            "ClientHello shares a record with the next flight across the key change",
        ));
    }
    let secrets = HandshakeSecrets::new(hash, &shared, &transcript.current());
    if let Some(keylog) = &cfg.keylog {
        keylog.log(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            &hello.random,
            &secrets.client,
        );
        keylog.log(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            &hello.random,
            &secrets.server,
        );
    }
    rec.read = Protection::tls13(suite, &secrets.client);
    rec.write = Protection::tls13(suite, &secrets.server);

    // The encrypted flight.
    let cert = cfg.cert_for(hello.sni.as_deref());
    let scheme = cert
        .key
        .choose_tls13_scheme(&hello.signature_algorithms)
        .ok_or_else(|| {
            Failure::new(
                AlertDescription::HANDSHAKE_FAILURE,
                "no TLS 1.3 signature scheme in common with the certificate's key",
            )
        })?;
    let alpn = cfg.alpn.iter().find(|p| hello.alpn.contains(p)).cloned();
    let mut extensions = Vec::new();
    if let Some(p) = &alpn {
        extensions.push(Extension::alpn(p.as_bytes()));
    }
    //= https://www.rfc-editor.org/rfc/rfc6066#section-3
    //# A server that receives a client hello containing the "server_name"
    //# extension MAY use the information contained in the extension to guide
    //# its selection of an appropriate certificate to return to the client,
    //# and/or other aspects of security policy.  In this event, the server
    //# SHALL include an extension of type "server_name" in the (extended)
    //# server hello.
    if hello.sni.is_some() {
        extensions.push(Extension::server_name_ack());
    }
    let groups: Vec<NamedGroup> = cfg
        .groups
        .iter()
        .copied()
        .filter(|g| kx::TLS13_GROUPS.contains(g))
        .collect();
    extensions.push(Extension::supported_groups(&groups));
    let mut flight = outgoing(
        &mut transcript,
        vec![(
            Step::EncryptedExtensions,
            EncryptedExtensions { extensions }.to_message(),
        )],
    );
    if let Some(auth) = client_auth {
        let mut extensions = vec![Extension::signature_algorithms(&or_default(
            &auth.signature_algorithms,
            &CLIENT_SCHEMES,
        ))];
        //= https://www.rfc-editor.org/rfc/rfc8446#section-4.2.4
        //# The "certificate_authorities" extension is used to indicate the
        //# certificate authorities (CAs) which an endpoint supports and which
        //# SHOULD be used by the receiving endpoint to guide certificate
        //# selection.
        if !auth.ca_names.is_empty() {
            extensions.push(Extension::certificate_authorities(&auth.ca_names));
        }
        let request = CertificateRequest13 {
            context: Vec::new(),
            extensions,
        };
        flight.extend(outgoing(
            &mut transcript,
            vec![(Step::CertificateRequest, request.to_message())],
        ));
    }
    flight.extend(outgoing(
        &mut transcript,
        vec![(
            Step::Certificate,
            Certificate13::from_chain(&[], &cert.chain).to_message(),
        )],
    ));
    let sig = cert
        .key
        .sign(Some(scheme), &signed_content(true, &transcript.current()))
        .map_err(|e| Failure::new(e.alert(), e.to_string()))?;
    let verify = CertificateVerify(DigitallySigned {
        scheme: Some(scheme),
        sig,
    });
    flight.extend(outgoing(
        &mut transcript,
        vec![(Step::CertificateVerify, verify.to_message())],
    ));
    let server_verify = verify_data(hash, &secrets.server, &transcript.current());
    // The transcript takes the Finished that was due; the wrong one is on the wire.
    transcript.add(
        &Finished {
            verify_data: server_verify.clone(),
        }
        .to_message()
        .to_bytes(),
    );
    flight.push(finished_outgoing(&cfg.faults, &server_verify));
    faults::send(rec, flight, &cfg.faults).await?;
    let app = secrets.application(&transcript.current());
    if let Some(keylog) = &cfg.keylog {
        keylog.log("CLIENT_TRAFFIC_SECRET_0", &hello.random, &app.client);
        keylog.log("SERVER_TRAFFIC_SECRET_0", &hello.random, &app.server);
        keylog.log("EXPORTER_SECRET", &hello.random, &app.exporter);
    }
    rec.write = Protection::tls13(suite, &app.server);

    // The client's flight.
    let client_chain = match client_auth {
        Some(auth) => read_client_certificate(rec, &mut reader, &mut transcript, auth, &[]).await?,
        None => Vec::new(),
    };
    let fin = reader.expect(rec, HandshakeType::FINISHED).await?;
    let want = verify_data(hash, &secrets.client, &transcript.current());
    let got = Finished::from_message(&fin, ()).map_err(decode_error)?;
    let same = aws_lc_rs::constant_time::verify_slices_are_equal(&got.verify_data, &want);
    if same.is_err() {
        let mut f = Failure::new(
            AlertDescription::DECRYPT_ERROR,
            "client Finished does not verify",
        );
        f.client_chain = client_chain;
        return Err(f);
    }
    transcript.add(&fin.to_bytes());
    if !reader.joiner.is_empty() {
        return Err(Failure::new(
            AlertDescription::UNEXPECTED_MESSAGE,
            "client Finished shares a record with a message under the next keys",
        ));
    }
    rec.read = Protection::tls13(suite, &app.client);
    Ok(Established {
        version: ProtocolVersion::TLS13,
        suite,
        alpn,
        client_chain,
        resumed: false,
        secure_renegotiation: false,
        client_verify: want,
        server_verify,
    })
}

/// The client's Certificate (echoing `context`) and, when it holds a certificate, its
/// CertificateVerify, checked against `auth`: the chain.
async fn read_client_certificate<S: AsyncRead + AsyncWrite + Unpin>(
    rec: &mut RecordIo<S>,
    reader: &mut Reader,
    transcript: &mut Transcript,
    auth: &ClientAuthPlan,
    context: &[u8],
) -> Result<Vec<Vec<u8>>, Failure> {
    let msg = reader.expect(rec, HandshakeType::CERTIFICATE).await?;
    transcript.add(&msg.to_bytes());
    let certificate = Certificate13::from_message(&msg, ()).map_err(decode_error)?;
    let chain = certificate.chain();
    let fail = |alert, reason: String| {
        let mut f = Failure::new(alert, reason);
        f.client_chain = chain.clone();
        f
    };
    //= https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2
    //# certificate_request_context:  If this message is in response to a
    //#    CertificateRequest, the value of certificate_request_context in
    //#    that message.
    if certificate.context != context {
        return Err(fail(
            AlertDescription::ILLEGAL_PARAMETER,
            "client Certificate does not echo the request context".into(),
        ));
    }
    let Some(leaf) = chain.first() else {
        //= https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2.4
        //# If the client does not send any certificates (i.e., it sends an empty
        //# Certificate message), the server MAY abort the handshake with a
        //# "certificate_required" alert.
        if auth.mandatory {
            //= https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2.4
            //# If the client does not send any certificates (i.e., it sends an empty
            //# Certificate message), the server MAY at its discretion either
            //# continue the handshake without client authentication or abort the
            //# handshake with a "certificate_required" alert.
            return Err(fail(
                auth.missing_alert(AlertDescription::CERTIFICATE_REQUIRED),
                "client sent no certificate and one is required".into(),
            ));
        }
        return Ok(chain);
    };
    if let Err((alert, reason)) = auth.verify(&chain) {
        return Err(fail(
            alert,
            format!("client certificate rejected: {reason}"),
        ));
    }
    let msg = reader
        .expect(rec, HandshakeType::CERTIFICATE_VERIFY)
        .await?;
    let cv = CertificateVerify::from_message(&msg, ProtocolVersion::TLS13).map_err(decode_error)?;
    let offered = or_default(&auth.signature_algorithms, &CLIENT_SCHEMES);
    let scheme = cv.0.scheme.filter(|s| offered.contains(s)).ok_or_else(|| {
        fail(
            AlertDescription::ILLEGAL_PARAMETER,
            format!(
                "CertificateVerify uses {:?}, which was not offered",
                cv.0.scheme
            ),
        )
    })?;
    let content = signed_content(false, &transcript.current());
    if let Err(e) = verify_signature(leaf, Some(scheme), &content, &cv.0.sig) {
        return Err(fail(e.alert(), format!("CertificateVerify: {e}")));
    }
    transcript.add(&msg.to_bytes());
    Ok(chain)
}
