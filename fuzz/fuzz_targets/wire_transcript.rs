//! `quirktls::fuzzing::wire_transcript`: see its documentation for what the input means.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = quirktls::fuzzing::wire_transcript(data);
});
