//! Where the shared third-party test data lives, for tests, evaluations and benchmarks that
//! use it when it is present and skip themselves when it is not.

use std::path::PathBuf;

/// The shared data folder: `$RASD_SHARED_DATA` when set, else `shared/data` beside the
/// repository (`../shared/data` from the repository root). `None` when it does not exist.
pub fn shared_data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("RASD_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    dir.is_dir().then_some(dir)
}

/// `rel` inside the shared data folder, when it exists.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    shared_data_dir()
        .map(|d| d.join(rel))
        .filter(|p| p.exists())
}
