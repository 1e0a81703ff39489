//! The short form of the fuzz targets, shared by the crates' `tests/fuzz_seeds.rs` (each
//! includes this file): every seed (`fuzz/seeds/TARGET/`) and every input kept from a
//! finding (`fuzz/regressions/TARGET/`) goes through the entry points the target calls, and
//! none may panic.

use std::path::Path;

/// Runs `one` on every file of the target's seeds and regressions; fails naming each file
/// that panicked.
pub fn replay(target: &str, one: impl Fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let (mut n, mut failed) = (0, Vec::new());
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            n += 1;
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| one(&data))).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(n > 0, "no seeds for {target} in {}", root.display());
    assert!(failed.is_empty(), "{target} panicked on {failed:?}");
}
