//! `quirktls::fuzzing::scripted_flight`: see its documentation for what the input means.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = quirktls::fuzzing::scripted_flight(data);
});
