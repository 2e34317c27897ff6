//! Every checked-in seed of every fuzz target (fuzz/corpus/TARGET/, made from real
//! clients by fuzz/capture-corpus) through the target's entry point, on every `make
//! test`: the hooks and the corpus stay in working order without cargo-fuzz, and real
//! clients' bytes must get as far into each parser as they did when captured.

use std::path::{Path, PathBuf};

use quirktls::fuzzing;
use quirktls::observe::{Direction, TranscriptLine};

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz");

/// The targets fuzz/Cargo.toml declares.
fn targets() -> Vec<String> {
    let manifest = std::fs::read_to_string(Path::new(FUZZ).join("Cargo.toml")).unwrap();
    manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|bin| {
            let line = bin.lines().find(|l| l.starts_with("name = "))?;
            Some(
                line.trim_start_matches("name = ")
                    .trim_matches('"')
                    .to_string(),
            )
        })
        .collect()
}

/// (file name, bytes) of each seed of `target`; at least three.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = Path::new(FUZZ).join("corpus").join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3, "{target}: only {} seeds", out.len());
    assert!(
        out.iter().all(|(_, data)| data.len() < 64 * 1024),
        "{target}: a seed of 64 KiB or more"
    );
    out
}

/// The client's Certificate was the last message read and the server answered it with
/// the alert of a signature that does not verify: the seed's certificate comes from
/// another machine's PKI.
fn cert_rejected(received: &[&str], last_sent: &str) -> bool {
    received.last() == Some(&"Certificate") && last_sent.contains("decrypt_error")
}

fn names(lines: &[TranscriptLine], direction: Direction) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| l.direction == direction)
        .map(|l| l.what.as_str())
        .collect()
}

#[test]
fn every_target_has_a_corpus_and_an_entry_point_here() {
    let mut declared = targets();
    declared.sort();
    let mut with_corpus: Vec<String> = std::fs::read_dir(Path::new(FUZZ).join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    with_corpus.sort();
    assert_eq!(declared, with_corpus);
    assert_eq!(declared.len(), 11, "a target this file does not replay");
}

#[test]
fn real_hellos_parse_in_every_framing() {
    for (name, data) in seeds("first_flight") {
        assert!(fuzzing::first_flight(&data), "{name}");
    }
    for (name, data) in seeds("client_hello") {
        assert!(fuzzing::client_hello(&data), "{name}");
    }
    for (name, data) in seeds("handshake_messages") {
        assert!(fuzzing::handshake_messages(&data) >= 1, "{name}");
    }
    for (name, data) in seeds("records") {
        assert!(fuzzing::records(&data), "{name}");
    }
}

#[test]
fn real_client_flights_reach_the_finished_check() {
    for (name, data) in seeds("scripted_flight") {
        let lines = fuzzing::scripted_flight(&data);
        let received = names(&lines, Direction::Received);
        let sent = names(&lines, Direction::Sent);
        assert_eq!(received.first(), Some(&"ClientHello"), "{name}: {lines:#?}");
        // The flight answered another server's random: its CertificateVerify or its
        // Finished cannot verify here; a client certificate of the capturing machine's
        // PKI does not verify either (every machine generates its own CA keys).
        let last = sent.last().copied().unwrap_or_default();
        assert!(
            received.contains(&"ClientKeyExchange") || cert_rejected(&received, last),
            "{name}: {received:?} {sent:?}"
        );
        assert!(
            last.contains("bad_record_mac") || last.contains("decrypt_error"),
            "{name}: {sent:?}"
        );
    }
}

#[test]
fn real_renegotiations_bind_and_reach_the_key_exchange() {
    for (name, data) in seeds("scripted_renegotiation") {
        let lines = fuzzing::scripted_renegotiation(&data);
        let sent = names(&lines, Direction::Sent);
        let received = names(&lines, Direction::Received);
        assert_eq!(sent.first(), Some(&"ServerHello"), "{name}: {lines:#?}");
        assert!(sent.contains(&"CertificateRequest"), "{name}: {sent:?}");
        let last = sent.last().copied().unwrap_or_default();
        assert!(
            received.contains(&"Certificate")
                && (received.contains(&"ClientKeyExchange") || cert_rejected(&received, last)),
            "{name}: {received:?} {sent:?}"
        );
        // Flipping the bound verify_data must break the RFC 5746 binding.
        let mut unbound = data.clone();
        unbound[1] ^= 0xff;
        let lines = fuzzing::scripted_renegotiation(&unbound);
        let sent = names(&lines, Direction::Sent);
        assert!(
            data[0] & 1 == 0 || sent == ["fatal handshake_failure(40)"],
            "{name}: {sent:?}"
        );
    }
}

#[test]
fn real_resumption_hellos_find_the_cached_session() {
    for (name, data) in seeds("scripted_resumption") {
        let lines = fuzzing::scripted_resumption(&data);
        let sent = names(&lines, Direction::Sent);
        // The abbreviated handshake: no Certificate, our ChangeCipherSpec right away.
        assert_eq!(
            sent.get(..2),
            Some(&["ServerHello", "ChangeCipherSpec"][..]),
            "{name}: {sent:?}"
        );
    }
}

#[test]
fn records_open_only_when_they_authenticate() {
    for (name, data) in seeds("record_open") {
        let opened = fuzzing::record_open(&data);
        if data[3] % 2 == 1 {
            // Sealed here and not flipped: back intact.
            assert_eq!(opened.as_deref(), Some(&data[5..]), "{name}");
        } else {
            // A real client's record under other keys.
            assert_eq!(opened, None, "{name}");
        }
    }
}

#[test]
fn real_request_heads_give_their_request_line() {
    for (name, data) in seeds("http_head") {
        let line = fuzzing::http_head(&data).unwrap_or_default();
        let first = String::from_utf8_lossy(&data);
        assert_eq!(Some(line.as_str()), first.lines().next(), "{name}");
        assert!(line.ends_with(" HTTP/1.1"), "{name}: {line}");
    }
}

#[test]
fn real_connections_transcribe_from_the_client_hello() {
    for (name, data) in seeds("wire_transcript") {
        let lines = fuzzing::wire_transcript(&data);
        let first = lines.first().expect("lines");
        assert_eq!(
            (first.direction, first.what.as_str()),
            (Direction::Received, "ClientHello"),
            "{name}"
        );
        // The server's answer: its flight, or the alert refusing the hello.
        let sent = names(&lines, Direction::Sent);
        assert!(
            sent.first()
                .is_some_and(|s| *s == "ServerHello" || s.starts_with("fatal")),
            "{name}: {sent:?}"
        );
    }
}

#[test]
fn real_certificates_give_their_subject() {
    for (name, data) in seeds("client_cert_subject") {
        let subject = fuzzing::client_cert_subject(&data);
        assert!(
            subject.as_deref().is_some_and(|s| s.contains("CN=")),
            "{name}: {subject:?}"
        );
    }
    assert_eq!(fuzzing::client_cert_subject(b"\x30\x03\x02\x01\x00"), None);
}
