//! `quirktls::fuzzing::record_open`: see its documentation for what the input means.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = quirktls::fuzzing::record_open(data);
});
