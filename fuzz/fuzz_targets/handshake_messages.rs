//! Client handshake records as the scripted engine reads them: reassembly across
//! records, then every client-message decoder in every context it is used in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quirktls::wire::{
    Certificate, CertificateVerify, ClientKeyExchange, Finished, HandshakeJoiner,
    HandshakePayload, KeyExchangeKind, ProtocolVersion,
};

fuzz_target!(|data: &[u8]| {
    // The first byte picks where the input is split into two "records".
    let Some((&cut, rest)) = data.split_first() else { return };
    let (a, b) = rest.split_at(usize::from(cut).min(rest.len()));
    let mut joiner = HandshakeJoiner::default();
    if joiner.push(a).is_err() || joiner.push(b).is_err() {
        return;
    }
    while let Some(msg) = joiner.pop() {
        let _ = Certificate::from_message(&msg, ());
        let _ = Finished::from_message(&msg, ());
        for kind in [KeyExchangeKind::Rsa, KeyExchangeKind::Ecdhe] {
            let _ = ClientKeyExchange::from_message(&msg, kind);
        }
        for version in [ProtocolVersion::TLS10, ProtocolVersion::TLS12] {
            let _ = CertificateVerify::from_message(&msg, version);
        }
        let _ = quirktls::observe::parse_client_hello(&quirktls::wire::Codec::to_bytes(&msg));
    }
});
