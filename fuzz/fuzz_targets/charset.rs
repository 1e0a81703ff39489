//! Charset detection and decoding must never panic and always return text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rasd_sources::decode_text(data, None, Some("https://fuzz.example.jo/"));
    let _ = rasd_sources::decode_text(data, Some("text/html; charset=iso-8859-6"), None);
    let _ = rasd_sources::decode_text(
        data,
        Some("text/html; charset=utf-8"),
        Some("https://fuzz.example.com/"),
    );
});
