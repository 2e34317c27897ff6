//! `quirktls::fuzzing::scripted_resumption`: see its documentation for what the input means.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = quirktls::fuzzing::scripted_resumption(data);
});
