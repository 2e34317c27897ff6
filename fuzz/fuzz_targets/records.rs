//! Record headers and alerts as they arrive from a peer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quirktls::wire::{Alert, Codec, RecordHeader};

fuzz_target!(|data: &[u8]| {
    let _ = RecordHeader::from_bytes(data.get(..5).unwrap_or(data));
    let _ = Alert::from_record(data);
    let _ = Alert::from_bytes(data);
});
