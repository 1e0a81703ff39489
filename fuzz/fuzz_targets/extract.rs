//! Article extraction must never panic on any HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let _ = rasd_sources::extract_article(&html, "https://fuzz.example.jo/news/1");
});
