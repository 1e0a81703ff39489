//! A line of `rasd import items` / `rasd replay` (JSON lines) must never panic, whatever it
//! holds: each line of the input is read as an item or refused with its reason.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The commands read the file line by line as UTF-8 (a bad byte stops the read with an
    // error); blank lines are skipped.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let _ = rasd_core::import::parse_line(line, chrono_tz::Asia::Amman);
        let _ = rasd_core::import::parse_line(line, chrono_tz::UTC);
    }
});
