//! Handshake bytes straight into the ClientHello parser, skipping record framing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = quirktls::observe::parse_client_hello(data);
});
