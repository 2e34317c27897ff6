//! The client's ClientHello, parsed with tls-parser into named, serializable facts.

use serde::{Serialize, Serializer};
use tls_parser::{
    nom, parse_tls_client_hello_extension, parse_tls_handshake_client_hello, TlsExtension,
};

use super::fingerprint;
use crate::wire::{
    CipherSuite, Codec, Compression, DecodeError, ECPointFormat, ExtensionType, HandshakeHeader,
    HandshakeType, NamedGroup, ProtocolVersion, Reader, SignatureScheme,
};

/// What the client offered in its ClientHello. Lists keep the client's order and
/// include GREASE values (serialized with the name `GREASE`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ClientHelloInfo {
    /// Version of the record(s) that carried the hello; set by the first-flight reader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_version: Option<ProtocolVersion>,
    /// `legacy_version` (`client_version` before TLS 1.3).
    pub legacy_version: ProtocolVersion,
    /// `random` (lowercase hex in JSON).
    #[serde(serialize_with = "hex")]
    pub random: [u8; 32],
    /// The `supported_versions` extension, if sent.
    pub supported_versions: Vec<ProtocolVersion>,
    /// Length of the legacy session id (TLS 1.3 middlebox compatibility sends 32).
    pub session_id_len: usize,
    /// The legacy session id (lowercase hex in JSON).
    #[serde(serialize_with = "hex")]
    pub session_id: Vec<u8>,
    /// Offered cipher suites.
    pub cipher_suites: Vec<CipherSuite>,
    /// Offered compression methods.
    pub compression_methods: Vec<Compression>,
    /// Extension types, in the order sent.
    pub extensions: Vec<ExtensionType>,
    /// Extensions that were framed correctly but whose contents tls-parser rejected;
    /// they contribute nothing to the fields below.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub malformed_extensions: Vec<ExtensionType>,
    /// The host_name from `server_name`.
    pub sni: Option<String>,
    /// ALPN protocol ids (non-UTF-8 bytes escaped as `\xNN`).
    pub alpn: Vec<String>,
    /// The `supported_groups` extension.
    pub groups: Vec<NamedGroup>,
    /// The `ec_point_formats` extension.
    pub ec_point_formats: Vec<ECPointFormat>,
    /// The `signature_algorithms` extension.
    pub signature_algorithms: Vec<SignatureScheme>,
    /// The `renegotiation_info` extension was sent.
    pub renegotiation_info: bool,
    /// `renegotiated_connection` from `renegotiation_info` (RFC 5746 §3.2): empty on
    /// an initial handshake, the client's last verify_data on a renegotiation. `None`
    /// when the extension is absent or malformed (then it is in `malformed_extensions`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_hex"
    )]
    pub renegotiation_info_data: Option<Vec<u8>>,
    /// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` (0x00ff) was offered.
    pub scsv: bool,
    /// `TLS_FALLBACK_SCSV` (0x5600) was offered: the client is retrying a lower version.
    pub fallback_scsv: bool,
    /// The `extended_master_secret` extension was sent.
    pub extended_master_secret: bool,
    /// The full JA3 string (`version,ciphers,extensions,groups,point_formats`).
    pub ja3: String,
    /// MD5 of [`Self::ja3`], lowercase hex.
    pub ja3_hash: String,
    /// The JA4 fingerprint (TLS over TCP).
    pub ja4: String,
}

/// Why handshake bytes are not a usable ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientHelloError {
    /// The first handshake message is something else.
    #[error("expected a ClientHello, got {got} (a client must open with client_hello(1))")]
    NotClientHello {
        /// The message type that arrived.
        got: HandshakeType,
    },
    /// The message does not parse.
    #[error("malformed ClientHello: {reason}")]
    Malformed {
        /// What is wrong, as reported by the codec or tls-parser.
        reason: String,
    },
}

impl From<DecodeError> for ClientHelloError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed {
            reason: e.to_string(),
        }
    }
}

/// Parse the ClientHello at the start of `handshake`: the handshake-protocol bytes
/// (record payloads concatenated), starting at the 4-byte handshake header. Bytes
/// after the first message are ignored.
pub fn parse_client_hello(handshake: &[u8]) -> Result<ClientHelloInfo, ClientHelloError> {
    let mut r = Reader::new(handshake);
    let header = HandshakeHeader::read(&mut r)?;
    if header.typ != HandshakeType::CLIENT_HELLO {
        return Err(ClientHelloError::NotClientHello { got: header.typ });
    }
    let body = r.take(header.length as usize, "body")?;
    let (rest, hello) = parse_tls_handshake_client_hello(body).map_err(|e| nom_reason(body, e))?;
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} byte(s) after the last field do not form an extensions block",
            rest.len()
        )));
    }
    let mut info = ClientHelloInfo {
        legacy_version: ProtocolVersion(hello.version.0),
        random: hello
            .random
            .try_into()
            .map_err(|_| malformed("random is not 32 bytes".to_string()))?,
        session_id_len: hello.session_id.map_or(0, <[u8]>::len),
        session_id: hello.session_id.unwrap_or_default().to_vec(),
        cipher_suites: hello.ciphers.iter().map(|c| CipherSuite(c.0)).collect(),
        compression_methods: hello.comp.iter().map(|c| Compression(c.0)).collect(),
        ..ClientHelloInfo::default()
    };
    let first_alpn = read_extensions(hello.ext.unwrap_or_default(), &mut info)?;

    let suites = &info.cipher_suites;
    info.scsv = suites.contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    info.fallback_scsv = suites.contains(&CipherSuite::TLS_FALLBACK_SCSV);
    info.renegotiation_info = info.extensions.contains(&ExtensionType::RENEGOTIATION_INFO);
    info.extended_master_secret = info
        .extensions
        .contains(&ExtensionType::EXTENDED_MASTER_SECRET);
    info.ja3 = fingerprint::ja3(&info);
    info.ja3_hash = fingerprint::ja3_hash(&info.ja3);
    info.ja4 = fingerprint::ja4(&info, first_alpn);
    Ok(info)
}

/// Walk the extensions block: framing errors reject the hello; contents tls-parser
/// cannot parse only mark that extension, so the engine still gets to answer.
/// Returns the raw first ALPN id (JA4 looks at its bytes).
fn read_extensions<'a>(
    block: &'a [u8],
    info: &mut ClientHelloInfo,
) -> Result<Option<&'a [u8]>, ClientHelloError> {
    let mut first_alpn = None;
    // Every extension takes at least four bytes: one allocation instead of regrowth.
    info.extensions.reserve(block.len() / 4);
    let mut r = Reader::new(block);
    while !r.remaining().is_empty() {
        let start = r.clone();
        let typ = ExtensionType::read(&mut r)?;
        let data = r.take_u16_prefixed(ExtensionType::WHAT)?;
        info.extensions.push(typ);
        let Ok((_, ext)) = parse_tls_client_hello_extension(r.consumed_since(&start)) else {
            info.malformed_extensions.push(typ);
            continue;
        };
        match ext {
            TlsExtension::SNI(names) => {
                // host_name(0) is the only name type ever defined.
                info.sni = names
                    .iter()
                    .find(|(t, _)| t.0 == 0)
                    .map(|(_, n)| printable(n));
            }
            TlsExtension::ALPN(ids) => {
                first_alpn = ids.first().copied();
                info.alpn = ids.iter().map(|id| printable(id)).collect();
            }
            TlsExtension::SupportedVersions(v) => {
                info.supported_versions = v.iter().map(|v| ProtocolVersion(v.0)).collect();
            }
            TlsExtension::EllipticCurves(g) => {
                info.groups = g.iter().map(|g| NamedGroup(g.0)).collect()
            }
            TlsExtension::EcPointFormats(f) => {
                info.ec_point_formats = f.iter().map(|&f| ECPointFormat(f)).collect();
            }
            TlsExtension::SignatureAlgorithms(s) => {
                info.signature_algorithms = s.iter().map(|&s| SignatureScheme(s)).collect();
            }
            // tls-parser ignores bytes after `renegotiated_connection`; RFC 5746
            // compares it exactly, so an extension with any is malformed.
            TlsExtension::RenegotiationInfo(connection) if connection.len() + 1 == data.len() => {
                info.renegotiation_info_data = Some(connection.to_vec());
            }
            TlsExtension::RenegotiationInfo(_) => info.malformed_extensions.push(typ),
            _ => {}
        }
    }
    Ok(first_alpn)
}

/// Peer bytes as text: UTF-8 as is, anything else escaped.
fn printable(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.escape_ascii().to_string(),
    }
}

/// Bytes as lowercase hex, for JSON.
fn hex<S: Serializer>(bytes: &impl AsRef<[u8]>, s: S) -> Result<S::Ok, S::Error> {
    let hex: String = bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    s.serialize_str(&hex)
}

/// [`hex`] for optional bytes.
fn optional_hex<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(bytes) => hex(bytes, s),
        None => s.serialize_none(),
    }
}

fn malformed(reason: String) -> ClientHelloError {
    ClientHelloError::Malformed { reason }
}

/// tls-parser's nom error, located as an offset into the ClientHello body.
fn nom_reason(body: &[u8], e: nom::Err<nom::error::Error<&[u8]>>) -> ClientHelloError {
    malformed(match e {
        nom::Err::Incomplete(nom::Needed::Size(n)) => {
            format!("body ends early ({n} more byte(s) needed)")
        }
        nom::Err::Incomplete(nom::Needed::Unknown) => "body ends early".to_string(),
        nom::Err::Error(e) | nom::Err::Failure(e) => format!(
            "tls-parser rejected the body at byte {} ({:?})",
            body.len() - e.input.len(),
            e.code
        ),
    })
}

/// Builders for hand-made ClientHellos in tests and the fuzz targets.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod build {
    /// `bytes` behind a big-endian length of `width` bytes.
    pub(crate) fn prefixed(width: usize, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.len().to_be_bytes()[8 - width..].to_vec();
        out.extend_from_slice(bytes);
        out
    }

    /// 16-bit values as bytes, behind a length of `width` bytes.
    pub(crate) fn u16s(width: usize, values: &[u16]) -> Vec<u8> {
        prefixed(
            width,
            &values
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect::<Vec<_>>(),
        )
    }

    /// A `server_name` extension body.
    pub(crate) fn sni(host: &str) -> Vec<u8> {
        let mut entry = vec![0];
        entry.extend(prefixed(2, host.as_bytes()));
        prefixed(2, &entry)
    }

    /// An ALPN extension body.
    pub(crate) fn alpn(ids: &[&[u8]]) -> Vec<u8> {
        prefixed(
            2,
            &ids.iter()
                .flat_map(|id| prefixed(1, id))
                .collect::<Vec<_>>(),
        )
    }

    /// A ClientHello handshake message (header included).
    pub(crate) fn client_hello(
        version: u16,
        suites: &[u16],
        extensions: &[(u16, Vec<u8>)],
    ) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend([7; 32]); // random
        body.extend(prefixed(1, &[9; 32])); // session id
        body.extend(u16s(2, suites));
        body.extend([1, 0]); // compression: null
        if !extensions.is_empty() {
            let block: Vec<u8> = extensions
                .iter()
                .flat_map(|(typ, data)| [typ.to_be_bytes().to_vec(), prefixed(2, data)].concat())
                .collect();
            body.extend(prefixed(2, &block));
        }
        [vec![1], prefixed(3, &body)].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    fn sample() -> Vec<u8> {
        client_hello(
            0x0303,
            &[0x1a1a, 0x1301, 0xc02f, 0x00ff, 0x5600],
            &[
                (0x2a2a, vec![]),
                (0, sni("example.test")),
                (16, alpn(&[b"h2", b"http/1.1"])),
                (10, u16s(2, &[29, 23])),
                (11, prefixed(1, &[0])),
                (13, u16s(2, &[0x0804, 0x0403])),
                (43, u16s(1, &[0x0304, 0x0303])),
                (23, vec![]),
                (0xff01, vec![0]),
                (0x1234, vec![1, 2, 3]),
            ],
        )
    }

    #[test]
    fn every_field_is_read_and_named() {
        let info = parse_client_hello(&sample()).unwrap();
        assert_eq!(info.legacy_version, ProtocolVersion::TLS12);
        assert_eq!(info.record_version, None);
        assert_eq!(
            info.supported_versions,
            [ProtocolVersion::TLS13, ProtocolVersion::TLS12]
        );
        assert_eq!(info.random, [7; 32]);
        assert_eq!(info.session_id_len, 32);
        assert_eq!(info.session_id, [9; 32]);
        assert_eq!(info.renegotiation_info_data, Some(vec![]));
        assert_eq!(info.cipher_suites.len(), 5);
        assert!(info.cipher_suites[0].is_grease());
        assert_eq!(info.compression_methods, [Compression::NULL]);
        assert_eq!(info.extensions.len(), 10);
        assert_eq!(info.extensions[1], ExtensionType::SERVER_NAME);
        assert_eq!(info.extensions[9], ExtensionType(0x1234));
        assert!(info.malformed_extensions.is_empty());
        assert_eq!(info.sni.as_deref(), Some("example.test"));
        assert_eq!(info.alpn, ["h2", "http/1.1"]);
        assert_eq!(info.groups, [NamedGroup::X25519, NamedGroup::SECP256R1]);
        assert_eq!(info.ec_point_formats, [ECPointFormat::UNCOMPRESSED]);
        assert_eq!(
            info.signature_algorithms,
            [
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::ECDSA_SECP256R1_SHA256
            ]
        );
        assert!(
            info.renegotiation_info
                && info.scsv
                && info.fallback_scsv
                && info.extended_master_secret
        );
        assert_eq!(info.ja3_hash.len(), 32);
        assert!(info.ja4.starts_with("t13d0409h2_"), "{}", info.ja4);
    }

    #[test]
    fn json_names_values_instead_of_only_numbering_them() {
        let json = serde_json::to_value(parse_client_hello(&sample()).unwrap()).unwrap();
        assert_eq!(
            json["legacy_version"],
            serde_json::json!({"code": 771, "name": "TLS 1.2"})
        );
        assert_eq!(json["cipher_suites"][0]["name"], "GREASE");
        assert_eq!(json["cipher_suites"][1]["name"], "TLS_AES_128_GCM_SHA256");
        assert_eq!(
            json["extensions"][2]["name"],
            "application_layer_protocol_negotiation"
        );
        assert_eq!(json["extensions"][9]["name"], "unknown");
        assert_eq!(json["sni"], "example.test");
        assert_eq!(json["random"], "07".repeat(32));
        assert_eq!(json["session_id"], "09".repeat(32));
        assert_eq!(json["renegotiation_info_data"], "");
        assert!(json.get("record_version").is_none() && json.get("malformed_extensions").is_none());
    }

    #[test]
    fn a_hello_without_extensions_is_fine() {
        let info = parse_client_hello(&client_hello(0x0301, &[0x002f], &[])).unwrap();
        assert_eq!(info.legacy_version, ProtocolVersion::TLS10);
        assert!(info.extensions.is_empty() && info.sni.is_none());
        assert!(!info.renegotiation_info && info.renegotiation_info_data.is_none());
        assert_eq!(info.ja3, "769,47,,,");
    }

    #[test]
    fn undecodable_extension_contents_are_flagged_not_fatal() {
        let hello = client_hello(
            0x0303,
            &[0x1301],
            &[(0, vec![0, 9, 0]), (16, alpn(&[b"\xff\x01"]))],
        );
        let info = parse_client_hello(&hello).unwrap();
        assert_eq!(info.malformed_extensions, [ExtensionType::SERVER_NAME]);
        assert_eq!(info.sni, None);
        assert_eq!(info.alpn, [r"\xff\x01"]);
    }

    #[test]
    fn renegotiation_info_data_is_kept_exactly() {
        let verify_data: Vec<u8> = (1..=12).collect();
        let hello = client_hello(0x0303, &[0xc02f], &[(0xff01, prefixed(1, &verify_data))]);
        let info = parse_client_hello(&hello).unwrap();
        assert!(info.renegotiation_info);
        assert_eq!(info.renegotiation_info_data, Some(verify_data.clone()));
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["renegotiation_info_data"], "0102030405060708090a0b0c");

        // A byte after renegotiated_connection, or a length past the end.
        for data in [[prefixed(1, &verify_data), vec![0]].concat(), vec![13, 1]] {
            let info =
                parse_client_hello(&client_hello(0x0303, &[0xc02f], &[(0xff01, data)])).unwrap();
            assert!(info.renegotiation_info);
            assert_eq!(info.renegotiation_info_data, None);
            assert_eq!(
                info.malformed_extensions,
                [ExtensionType::RENEGOTIATION_INFO]
            );
        }
    }

    #[test]
    fn other_messages_and_broken_framing_are_typed_errors() {
        let finished = [20, 0, 0, 1, 0];
        assert_eq!(
            parse_client_hello(&finished),
            Err(ClientHelloError::NotClientHello {
                got: HandshakeType::FINISHED
            })
        );
        let hello = sample();
        for cut in 0..hello.len() {
            assert!(
                matches!(
                    parse_client_hello(&hello[..cut]),
                    Err(ClientHelloError::Malformed { .. })
                ),
                "prefix {cut}"
            );
        }
        // Extensions block one byte longer than the extensions in it.
        let mut bad = client_hello(0x0303, &[0x1301], &[(23, vec![])]);
        let n = bad.len();
        bad[n - 5] += 1;
        bad.push(0);
        bad[3] += 1;
        let err = parse_client_hello(&bad).unwrap_err().to_string();
        assert!(
            err.starts_with("malformed ClientHello: truncated extension type"),
            "{err}"
        );
    }

    #[test]
    fn tls_parser_reasons_carry_an_offset() {
        // A 33-byte session id is beyond the 32-byte limit.
        let mut hello = client_hello(0x0303, &[0x1301], &[]);
        hello[4 + 2 + 32] = 33;
        let err = parse_client_hello(&hello).unwrap_err().to_string();
        assert!(
            err.contains("tls-parser rejected the body at byte 34"),
            "{err}"
        );
    }
}
