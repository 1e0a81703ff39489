//! `rasd sources import FILE.opml` must never panic, whatever the file: the OPML is read,
//! merged with the configured sources, written as sources.toml entries (which are then
//! loaded with the rest of the config, as the command checks) and written back as OPML.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rasd_core::Config;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config");

fn config() -> &'static (Config, [String; 5]) {
    static C: OnceLock<(Config, [String; 5])> = OnceLock::new();
    C.get_or_init(|| {
        let texts = [
            "rasd.toml",
            "sources.toml",
            "topics.toml",
            "places.toml",
            "alerts.toml",
        ]
        .map(|f| std::fs::read_to_string(Path::new(DIR).join(f)).unwrap());
        (Config::load(Path::new(DIR)).unwrap(), texts)
    })
}

fuzz_target!(|data: &[u8]| {
    // The command reads the file as UTF-8 text and refuses anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(imported) = rasd_sources::parse_opml(text) else {
        return;
    };
    let (config, texts) = config();
    let _ = rasd_sources::to_opml(&imported);
    let new = rasd_sources::merge_sources(&config.sources, imported);
    if new.is_empty() {
        return;
    }
    let sources = format!("{}\n{}", texts[1], rasd_sources::sources_toml_entries(&new));
    let _ = Config::from_texts(
        Path::new(DIR),
        [&texts[0], &sources, &texts[2], &texts[3], &texts[4]],
    );
});
