//! robots.txt must never panic, whatever the bytes: it is read for every site fetched, and
//! asked about fixed paths and about every path its own rules name.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut urls = vec![
        "https://fuzz.example.jo/".to_string(),
        "https://fuzz.example.jo/rss?print=1".to_string(),
        "https://fuzz.example.jo/أخبار/محليات/123".to_string(),
    ];
    for line in String::from_utf8_lossy(data).lines().take(64) {
        if let Some((_, path)) = line.split_once(':') {
            urls.push(format!("https://fuzz.example.jo{}", path.trim()));
        }
    }
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let _ = rasd_sources::fuzzing::robots(data, &urls);
});
