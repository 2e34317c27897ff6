//! Peer bytes through the first-flight parser: no panic, no claim past the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((_, used))) = quirktls::observe::parse_first_flight(data) {
        assert!(used <= data.len());
    }
});
