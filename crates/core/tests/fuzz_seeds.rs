//! The short form of the fuzz targets `config` and `import_line` of `fuzz/`: every seed
//! (`fuzz/seeds/TARGET/`) and every input kept from a finding (`fuzz/regressions/TARGET/`)
//! goes through the entry points the target calls, and none may panic. The long form is
//! `scripts/fuzz.sh` (see docs/fuzzing.md).

use std::path::Path;

use rasd_core::Config;

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn config_seeds_and_regressions_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let shipped = [
        "rasd.toml",
        "sources.toml",
        "topics.toml",
        "places.toml",
        "alerts.toml",
    ]
    .map(|f| std::fs::read_to_string(dir.join(f)).unwrap());
    replay("config", |data| {
        let Some((&which, rest)) = data.split_first() else {
            return;
        };
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        let mut texts: [&str; 5] = [0, 1, 2, 3, 4].map(|i| shipped[i].as_str());
        texts[usize::from(which) % 5] = text;
        let _ = Config::from_texts(&dir, texts);
    });
}

#[test]
fn import_line_seeds_and_regressions_do_not_panic() {
    replay("import_line", |data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let _ = rasd_core::import::parse_line(line, chrono_tz::Asia::Amman);
            let _ = rasd_core::import::parse_line(line, chrono_tz::UTC);
        }
    });
}
