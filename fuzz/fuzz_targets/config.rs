//! The config files must never panic the loader, whatever they hold: the first byte picks
//! which of the five files the rest replaces (the others are the shipped config/), and the
//! five are parsed and validated together as `Config::load` does.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rasd_core::Config;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config");

fn shipped() -> &'static [String; 5] {
    static T: OnceLock<[String; 5]> = OnceLock::new();
    T.get_or_init(|| {
        [
            "rasd.toml",
            "sources.toml",
            "topics.toml",
            "places.toml",
            "alerts.toml",
        ]
        .map(|f| std::fs::read_to_string(Path::new(DIR).join(f)).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    // Config::load reads each file as UTF-8 and refuses anything else.
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut texts: [&str; 5] = [0, 1, 2, 3, 4].map(|i| shipped()[i].as_str());
    texts[usize::from(which) % 5] = text;
    let _ = Config::from_texts(Path::new(DIR), texts);
});
