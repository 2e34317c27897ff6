use proptest::prelude::*;

use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey};

use super::*;
use crate::engine::scripted::crypto::suites::{all, suite};
use crate::wire::CipherSuite;

const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::TLS10,
    ProtocolVersion::TLS11,
    ProtocolVersion::TLS12,
];
const APP: ContentType = ContentType::APPLICATION_DATA;
const MASTER: [u8; 48] = {
    let mut m = [0; 48];
    let mut i = 0;
    while i < 48 {
        m[i] = 0x50 + i as u8;
        i += 1;
    }
    m
};
const CLIENT_RANDOM: [u8; 32] = {
    let mut r = [0; 32];
    let mut i = 0;
    while i < 32 {
        r[i] = i as u8;
        i += 1;
    }
    r
};
const SERVER_RANDOM: [u8; 32] = {
    let mut r = CLIENT_RANDOM;
    let mut i = 0;
    while i < 32 {
        r[i] += 0x20;
        i += 1;
    }
    r
};

/// Two (client, server) pairs of one epoch: the first seals, the second opens.
fn epoch(suite: &SuiteSpec, version: ProtocolVersion) -> [(Protection, Protection); 2] {
    let derive = || derive_protections(suite, version, &MASTER, &CLIENT_RANDOM, &SERVER_RANDOM);
    [derive(), derive()]
}

/// Every suite at every version it supports.
fn combinations() -> impl Iterator<Item = (&'static SuiteSpec, ProtocolVersion)> {
    all().iter().flat_map(|s| {
        VERSIONS
            .into_iter()
            .filter(|&v| s.supports(v))
            .map(move |v| (s, v))
    })
}

/// The fragment length a record of `len` plaintext bytes seals to.
fn expected_len(suite: &SuiteSpec, version: ProtocolVersion, len: usize) -> usize {
    let mac = match suite.mac {
        Mac::Aead => return 8 + len + 16,
        Mac::Hmac(hash) => hash.len(),
    };
    let block = match suite.bulk {
        Bulk::Rc4_128 => return len + mac,
        Bulk::TripleDesCbc => 8,
        _ => 16,
    };
    let explicit_iv = if version >= ProtocolVersion::TLS11 {
        block
    } else {
        0
    };
    explicit_iv + (len + mac + 1).div_ceil(block) * block
}

#[test]
fn every_suite_round_trips_both_ways() {
    let mut count = 0;
    for (suite, version) in combinations() {
        let [(mut client_write, mut server_write), (mut client_read, mut server_read)] =
            epoch(suite, version);
        let what = format!("{} {version}", suite.name);
        for len in [0, 1, 15, 16, 17, 31, 32, 100, RecordHeader::MAX_PLAINTEXT] {
            let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let directions = [
                (&mut client_write, &mut client_read),
                (&mut server_write, &mut server_read),
            ];
            for (seal, open) in directions {
                let fragment = seal.seal(APP, version, &plaintext);
                assert_eq!(
                    fragment.len(),
                    expected_len(suite, version, len),
                    "{what} len {len}"
                );
                if len >= 16 {
                    let clear = fragment.windows(16).any(|w| w == &plaintext[..16]);
                    assert!(!clear, "{what}: the plaintext shows");
                }
                assert_eq!(
                    open.open(APP, version, &fragment).as_deref(),
                    Ok(&plaintext[..]),
                    "{what}"
                );
            }
        }
        count += 1;
    }
    // 13 suites run at TLS 1.0 and 1.1 too; all 25 at TLS 1.2.
    assert_eq!(count, 25 + 2 * 13);
}

/// Each record is bound to its sequence number: it opens only in its place.
#[test]
fn sequence_numbers_advance() {
    for (suite, version) in combinations() {
        let what = format!("{} {version}", suite.name);
        let [(_, mut write), (_, mut early)] = epoch(suite, version);
        let first = write.seal(APP, version, b"first");
        let second = write.seal(APP, version, b"second");
        assert_eq!(
            early.open(APP, version, &second),
            Err(ProtectError::BadRecordMac),
            "{what}"
        );
        let [_, (_, mut read)] = epoch(suite, version);
        assert_eq!(
            read.open(APP, version, &first).as_deref(),
            Ok(&b"first"[..]),
            "{what}"
        );
        assert_eq!(
            read.open(APP, version, &second).as_deref(),
            Ok(&b"second"[..]),
            "{what}"
        );
        assert_eq!(
            read.open(APP, version, &second),
            Err(ProtectError::BadRecordMac),
            "{what} replay"
        );
    }
}

#[test]
fn a_record_opens_only_as_sealed() {
    for (suite, version) in combinations() {
        let what = format!("{} {version}", suite.name);
        let sealed = || {
            let [(_, mut server_write), (_, server_read)] = epoch(suite, version);
            (
                server_write.seal(APP, version, b"hello, world"),
                server_read,
            )
        };
        let (fragment, _) = sealed();
        for i in 0..fragment.len() {
            let (_, mut read) = sealed();
            let mut tampered = fragment.clone();
            tampered[i] ^= 0x01;
            assert_eq!(
                read.open(APP, version, &tampered),
                Err(ProtectError::BadRecordMac),
                "{what} byte {i}"
            );
        }
        for len in 0..fragment.len() {
            let (_, mut read) = sealed();
            assert_eq!(
                read.open(APP, version, &fragment[..len]),
                Err(ProtectError::BadRecordMac),
                "{what} cut {len}"
            );
        }
        let (_, mut read) = sealed();
        let handshake = ContentType::HANDSHAKE;
        assert_eq!(
            read.open(handshake, version, &fragment),
            Err(ProtectError::BadRecordMac),
            "{what} type"
        );
        let (_, mut read) = sealed();
        let other = ProtocolVersion(version.0 ^ 1);
        assert_eq!(
            read.open(APP, other, &fragment),
            Err(ProtectError::BadRecordMac),
            "{what} version"
        );
        let (_, mut read) = sealed();
        assert!(
            read.open(APP, version, &fragment).is_ok(),
            "{what}: the state was not spent"
        );
    }
}

#[test]
fn keys_differ_per_direction() {
    for (suite, version) in combinations() {
        let [(mut client_write, _), (_, mut server_read)] = epoch(suite, version);
        let fragment = client_write.seal(APP, version, b"hello");
        assert!(
            server_read.open(APP, version, &fragment).is_err(),
            "{}",
            suite.name
        );
    }
}

#[test]
fn cbc_padding_is_checked_and_may_be_long() {
    let suite = suite(CipherSuite(0x002f)).unwrap(); // AES_128_CBC_SHA
    let version = ProtocolVersion::TLS12;
    // The server's MAC key and AES key, as derive_protections cuts them.
    let block = key_block(
        Prf::new(suite, version),
        &MASTER,
        &CLIENT_RANDOM,
        &SERVER_RANDOM,
        72,
    );
    let (mac_key, key) = (&block[20..40], &block[56..72]);
    let mut data = b"short".to_vec();
    data.extend(RecordMac::new(HmacHash::Sha1, mac_key).tag(0, APP, version, b"short"));
    // 16 + 1 bytes of padding more than needed (TLS allows up to 255).
    let pad = 16 - (data.len() + 1) % 16 + 16;
    data.resize(data.len() + pad + 1, pad as u8);
    let encrypt = |data: &[u8]| {
        let iv = [7u8; 16];
        let cbc =
            EncryptingKey::cbc(UnboundCipherKey::new(&cipher::AES_128, key).unwrap()).unwrap();
        let mut body = data.to_vec();
        cbc.less_safe_encrypt(&mut body, EncryptionContext::Iv128(iv.into()))
            .unwrap();
        [&iv[..], &body].concat()
    };
    let [(_, mut write), (_, mut read)] = epoch(suite, version);
    assert_eq!(
        read.open(APP, version, &encrypt(&data)).as_deref(),
        Ok(&b"short"[..])
    );
    // One wrong padding byte fails, though the MAC is right.
    let [_, (_, mut read)] = epoch(suite, version);
    let mut bad = data.clone();
    let first_pad = bad.len() - pad - 1;
    bad[first_pad] ^= 1;
    assert_eq!(
        read.open(APP, version, &encrypt(&bad)),
        Err(ProtectError::BadRecordMac)
    );
    // Our own records carry minimal padding: IV, then 5 + 20 + 7 bytes.
    assert_eq!(write.seal(APP, version, b"short").len(), 16 + 32);
}

#[test]
fn null_passes_records_through_within_limits() {
    let mut null = Protection::Null;
    assert_eq!(null.seal(APP, ProtocolVersion::TLS12, b"abc"), b"abc");
    assert_eq!(
        null.open(APP, ProtocolVersion::TLS12, b"abc").as_deref(),
        Ok(&b"abc"[..])
    );
    let max = vec![0; RecordHeader::MAX_PLAINTEXT];
    assert!(null.open(APP, ProtocolVersion::TLS12, &max).is_ok());
    let over = vec![0; RecordHeader::MAX_PLAINTEXT + 1];
    assert_eq!(
        null.open(APP, ProtocolVersion::TLS12, &over),
        Err(ProtectError::RecordOverflow)
    );
    assert_eq!(
        ProtectError::RecordOverflow.alert(),
        AlertDescription::RECORD_OVERFLOW
    );
    assert_eq!(
        ProtectError::BadRecordMac.alert(),
        AlertDescription::BAD_RECORD_MAC
    );
}

#[test]
fn oversized_ciphertext_and_plaintext_are_record_overflow() {
    let suite = suite(CipherSuite(0x009c)).unwrap();
    let version = ProtocolVersion::TLS12;
    let [(_, _), (_, mut read)] = epoch(suite, version);
    let huge = vec![0; MAX_CIPHERTEXT + 1];
    assert_eq!(
        read.open(APP, version, &huge),
        Err(ProtectError::RecordOverflow)
    );
    // A peer that seals 2^14 + 1 bytes (we may, as a fault) is refused after opening.
    let [(_, mut write), (_, mut read)] = epoch(suite, version);
    let fragment = write.seal(APP, version, &vec![0; RecordHeader::MAX_PLAINTEXT + 1]);
    assert_eq!(
        read.open(APP, version, &fragment),
        Err(ProtectError::RecordOverflow)
    );
}

/// Records sealed by tests/vectors/records.py (Python `cryptography`, an independent
/// implementation from the RFCs): client records must open with our client-side
/// keys; server records must open with our server-side keys and, where sealing is
/// deterministic (GCM with the sequence number as nonce, TLS 1.0 CBC, RC4), come out
/// of our `seal` byte for byte. Key block from master 50 51 … 7f, client random
/// 00 … 1f, server random 20 … 3f.
#[test]
fn known_answer_records_from_python() {
    let vectors = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/records.txt"
    ));
    let cases: [(&str, u16, ProtocolVersion); 8] = [
        ("tls12_aes128_gcm", 0x009c, ProtocolVersion::TLS12),
        ("tls12_aes256_gcm", 0x009d, ProtocolVersion::TLS12),
        ("tls10_aes128_cbc_sha", 0x002f, ProtocolVersion::TLS10),
        ("tls11_aes256_cbc_sha", 0x0035, ProtocolVersion::TLS11),
        ("tls12_aes256_cbc_sha384", 0xc028, ProtocolVersion::TLS12),
        ("tls10_3des_cbc_sha", 0x000a, ProtocolVersion::TLS10),
        ("tls10_rc4_md5", 0x0004, ProtocolVersion::TLS10),
        ("tls12_rc4_sha", 0x0005, ProtocolVersion::TLS12),
    ];
    let mut checked = 0;
    for block in vectors.split("// ").skip(1) {
        let mut lines = block.lines();
        let label = lines.next().unwrap();
        let &(_, id, version) = cases.iter().find(|c| c.0 == label).expect("known case");
        let suite = suite(CipherSuite(id)).unwrap();
        let deterministic = !(suite.bulk != Bulk::Rc4_128
            && suite.mac != Mac::Aead
            && version >= ProtocolVersion::TLS11);
        let [(mut client_read, mut server_write), (_, mut server_read)] = epoch(suite, version);
        for line in lines {
            let [side, typ, plaintext, fragment] = line.split(' ').collect::<Vec<_>>()[..] else {
                panic!("bad line {line:?}");
            };
            let typ = ContentType(typ.parse().unwrap());
            let (plaintext, fragment) = (
                hex::decode(plaintext).unwrap(),
                hex::decode(fragment).unwrap(),
            );
            let opened = match side {
                "client" => client_read.open(typ, version, &fragment),
                _ => {
                    let sealed = server_write.seal(typ, version, &plaintext);
                    if deterministic {
                        assert_eq!(hex::encode(sealed), hex::encode(&fragment), "{label}");
                    }
                    server_read.open(typ, version, &fragment)
                }
            };
            assert_eq!(opened, Ok(plaintext), "{label} {side}");
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len() * 4);
}

proptest! {
    /// Whatever the peer sends, `open` answers with a result.
    #[test]
    fn open_never_panics(fragment in proptest::collection::vec(any::<u8>(), 0..300), typ: u8, version: u16) {
        for (suite, negotiated) in combinations() {
            let [(mut client_read, _), _] = epoch(suite, negotiated);
            let _ = client_read.open(ContentType(typ), ProtocolVersion(version), &fragment);
        }
    }
}
