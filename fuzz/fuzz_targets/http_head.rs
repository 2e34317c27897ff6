//! `quirktls::fuzzing::http_head`: see its documentation for what the input means.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = quirktls::fuzzing::http_head(data);
});
