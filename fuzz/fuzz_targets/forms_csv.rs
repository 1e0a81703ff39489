//! `rasd import forms FILE.csv --map …` must never panic, whatever the file: the bytes are
//! decoded (BOM, UTF-8, windows-1256), the header checked against the map and every row
//! read and validated as the form validates a report, against the shipped config/.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rasd_core::Config;
use rasd_web::forms_csv::{ColumnMap, Table, decode};

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")).unwrap()
    })
}

fn maps() -> &'static [ColumnMap; 2] {
    static M: OnceLock<[ColumnMap; 2]> = OnceLock::new();
    M.get_or_init(|| {
        [
            // The seeds' Arabic header.
            "المعرف=reference,نص البلاغ=text,النوع=category,المحافظة=governorate,الاسم=name,الهاتف=contact,التاريخ=date,اللغة=lang",
            // Any file whose first column is named `text`.
            "text=text",
        ]
        .map(|m| ColumnMap::parse(&[m.to_string()]).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let config = config();
    let (text, _) = decode(data);
    for map in maps() {
        if let Ok(mut table) = Table::open(&text, map, config) {
            while table.next_row(config).is_some() {}
        }
    }
});
