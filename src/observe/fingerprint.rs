//! JA3 (Salesforce) and JA4 (FoxIO, TLS over TCP) fingerprints of a parsed ClientHello.
//! Both ignore GREASE values wherever they appear.

use std::fmt::Write;

use md5::Md5;
use sha2::{Digest, Sha256};

use super::ClientHelloInfo;
use crate::wire::{ExtensionType, ProtocolVersion};

/// `version,ciphers,extensions,groups,point_formats`: decimal values joined by `-`,
/// lists in the client's order.
pub(crate) fn ja3(hello: &ClientHelloInfo) -> String {
    // Written in place: this runs for every connection, and a String per number adds up.
    fn join(out: &mut String, values: impl Iterator<Item = u16>) {
        out.push(',');
        for (i, v) in values.enumerate() {
            let sep = if i == 0 { "" } else { "-" };
            let _ = write!(out, "{sep}{v}");
        }
    }
    let mut out = String::with_capacity(256);
    let _ = write!(out, "{}", hello.legacy_version.0);
    let ciphers = hello.cipher_suites.iter().filter(|c| !c.is_grease());
    join(&mut out, ciphers.map(|c| c.0));
    let extensions = hello.extensions.iter().filter(|e| !e.is_grease());
    join(&mut out, extensions.map(|e| e.0));
    join(
        &mut out,
        hello.groups.iter().filter(|g| !g.is_grease()).map(|g| g.0),
    );
    join(
        &mut out,
        hello.ec_point_formats.iter().map(|f| u16::from(f.0)),
    );
    out
}

/// MD5 of the JA3 string, lowercase hex.
pub(crate) fn ja3_hash(ja3: &str) -> String {
    format!("{:x}", Md5::digest(ja3))
}

/// `t{version}{d|i}{ciphers:02}{extensions:02}{alpn}_{cipher hash}_{extension hash}`;
/// `first_alpn` is the raw first ALPN id, whose bytes decide the ALPN part.
pub(crate) fn ja4(hello: &ClientHelloInfo, first_alpn: Option<&[u8]>) -> String {
    let version = hello
        .supported_versions
        .iter()
        .filter(|v| !v.is_grease())
        .max()
        .copied()
        .unwrap_or(hello.legacy_version);
    let sni = if hello.extensions.contains(&ExtensionType::SERVER_NAME) {
        'd'
    } else {
        'i'
    };
    let mut ciphers: Vec<u16> = hello
        .cipher_suites
        .iter()
        .filter(|c| !c.is_grease())
        .map(|c| c.0)
        .collect();
    let extensions: Vec<u16> = hello
        .extensions
        .iter()
        .filter(|e| !e.is_grease())
        .map(|e| e.0)
        .collect();
    let ja4_a = format!(
        "t{}{sni}{:02}{:02}{}",
        version_code(version),
        ciphers.len().min(99),
        extensions.len().min(99),
        alpn_code(first_alpn)
    );

    ciphers.sort_unstable();
    let ja4_b = hash12(&hex_list(&ciphers));

    // SNI and ALPN are already visible in part a, so part c leaves them out.
    let mut hashed_extensions: Vec<u16> = extensions
        .into_iter()
        .filter(|&e| e != ExtensionType::SERVER_NAME.0 && e != ExtensionType::ALPN.0)
        .collect();
    hashed_extensions.sort_unstable();
    let sigalgs: Vec<u16> = hello
        .signature_algorithms
        .iter()
        .filter(|s| !s.is_grease())
        .map(|s| s.0)
        .collect();
    let mut ja4_c = hex_list(&hashed_extensions);
    if !ja4_c.is_empty() && !sigalgs.is_empty() {
        ja4_c.push('_');
        ja4_c.push_str(&hex_list(&sigalgs));
    }
    [ja4_a, ja4_b, hash12(&ja4_c)].join("_")
}

fn version_code(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::TLS13 => "13",
        ProtocolVersion::TLS12 => "12",
        ProtocolVersion::TLS11 => "11",
        ProtocolVersion::TLS10 => "10",
        ProtocolVersion::SSL3 => "s3",
        ProtocolVersion::SSL2 => "s2",
        ProtocolVersion::DTLS10 => "d1",
        ProtocolVersion::DTLS12 => "d2",
        ProtocolVersion::DTLS13 => "d3",
        _ => "00",
    }
}

/// First and last character of the first ALPN id; its first and last hex digit when
/// either byte is not ASCII alphanumeric; `00` without one.
fn alpn_code(first_alpn: Option<&[u8]>) -> String {
    let Some((&first, &last)) = first_alpn.and_then(|id| Some((id.first()?, id.last()?))) else {
        return "00".to_string();
    };
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        format!("{}{}", char::from(first), char::from(last))
    } else {
        format!("{:x}{:x}", first >> 4, last & 0x0f)
    }
}

fn hex_list(values: &[u16]) -> String {
    let mut out = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(out, "{sep}{v:04x}");
    }
    out
}

/// First 12 hex digits of SHA-256; an empty list hashes to twelve zeros by the spec.
fn hash12(list: &str) -> String {
    if list.is_empty() {
        return "0".repeat(12);
    }
    let digest = Sha256::digest(list);
    let mut hex = String::with_capacity(12);
    for byte in &digest[..6] {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::client_hello::build::{alpn, client_hello, prefixed, sni, u16s};
    use crate::observe::parse_client_hello;
    use crate::wire::{CipherSuite, SignatureScheme};

    /// Chrome 143 on Android as captured by tls.browserleaks.com; the published JA3
    /// string/hash and JA4 come from that service, not from this code. Key shares and
    /// the ECH payload are shortened: fingerprints do not look at them.
    #[test]
    fn chrome_143_matches_the_published_ja3_and_ja4() {
        let suites = [
            0xaaaa, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156,
            157, 47, 53,
        ];
        let key_share = prefixed(
            2,
            &[
                u16s(0, &[14906, 1]),
                vec![0],
                u16s(0, &[29, 32]),
                vec![1; 32],
            ]
            .concat(),
        );
        let sigalgs = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ];
        let hello = client_hello(
            0x0303,
            &suites,
            &[
                (19018, vec![]),
                (45, prefixed(1, &[1])),
                (51, key_share),
                (16, alpn(&[b"h2", b"http/1.1"])),
                (65037, vec![0, 0, 1, 0, 1, 0xfe, 0, 0, 0, 0]),
                (23, vec![]),
                (17613, prefixed(2, &prefixed(1, b"h2"))),
                (0, sni("tls-outer.browserleaks.com")),
                (11, prefixed(1, &[0])),
                (10, u16s(2, &[14906, 4588, 29, 23, 24])),
                (43, u16s(1, &[27242, 0x0304, 0x0303])),
                (65281, vec![0]),
                (35, vec![]),
                (18, vec![]),
                (5, vec![1, 0, 0, 0, 0]),
                (13, u16s(2, &sigalgs)),
                (27, prefixed(1, &[0, 2])),
                (27242, vec![0]),
            ],
        );
        let info = parse_client_hello(&hello).unwrap();
        assert!(
            info.malformed_extensions.is_empty(),
            "{:?}",
            info.malformed_extensions
        );
        assert_eq!(
            info.ja3,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,\
             45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
        );
        assert_eq!(info.ja3_hash, "98487aa16281980e7d1120d399efb6a4");
        assert_eq!(info.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
    }

    /// The example in FoxIO's JA4 specification (older Chrome: padding and the old
    /// ALPS code point), given as its raw JA4_r lists.
    #[test]
    fn foxio_spec_example() {
        let mut hello = ClientHelloInfo {
            supported_versions: vec![
                ProtocolVersion(0x0a0a),
                ProtocolVersion::TLS13,
                ProtocolVersion::TLS12,
            ],
            ..Default::default()
        };
        hello.cipher_suites = [
            0x002f, 0x0035, 0x009c, 0x009d, 0x1301, 0x1302, 0x1303, 0xc013, 0xc014, 0xc02b, 0xc02c,
            0xc02f, 0xc030, 0xcca8, 0xcca9,
        ]
        .map(CipherSuite)
        .to_vec();
        hello.extensions = [
            0x0000, 0x0010, 0x0005, 0x000a, 0x000b, 0x000d, 0x0012, 0x0015, 0x0017, 0x001b, 0x0023,
            0x002b, 0x002d, 0x0033, 0x4469, 0xff01,
        ]
        .map(ExtensionType)
        .to_vec();
        hello.signature_algorithms = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ]
        .map(SignatureScheme)
        .to_vec();
        assert_eq!(
            ja4(&hello, Some(b"h2")),
            "t13d1516h2_8daaf6152771_e5627efa2ab1"
        );
    }

    /// The JA3 example in Salesforce's JA3 README.
    #[test]
    fn salesforce_readme_example() {
        assert_eq!(
            ja3_hash("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"),
            "ada70206e40642a3e4461f35503241d5"
        );
    }

    #[test]
    fn alpn_part_follows_the_spec_corner_cases() {
        assert_eq!(alpn_code(None), "00");
        assert_eq!(alpn_code(Some(b"")), "00");
        assert_eq!(alpn_code(Some(b"h")), "hh");
        assert_eq!(alpn_code(Some(b"http/1.1")), "h1");
        assert_eq!(alpn_code(Some(b"\xabx\xcd")), "ad");
        assert_eq!(alpn_code(Some(b"h2\x01")), "61");
    }

    #[test]
    fn empty_lists_and_missing_extensions() {
        let bare = ClientHelloInfo {
            legacy_version: ProtocolVersion::SSL3,
            ..Default::default()
        };
        assert_eq!(ja4(&bare, None), "ts3i000000_000000000000_000000000000");
        assert_eq!(ja3(&bare), "768,,,,");

        let no_sigalgs = ClientHelloInfo {
            legacy_version: ProtocolVersion::TLS12,
            cipher_suites: vec![CipherSuite(0x002f)],
            extensions: vec![ExtensionType(0x0017)],
            ..Default::default()
        };
        let expected_c = hash12("0017");
        assert_eq!(
            ja4(&no_sigalgs, None),
            format!("t12i010100_{}_{expected_c}", hash12("002f"))
        );
    }

    #[test]
    fn counts_cap_at_99() {
        let many = ClientHelloInfo {
            legacy_version: ProtocolVersion(0x7f1c),
            cipher_suites: (1..=120).map(CipherSuite).collect(),
            ..Default::default()
        };
        assert!(
            ja4(&many, None).starts_with("t00i9900"),
            "{}",
            ja4(&many, None)
        );
    }
}
