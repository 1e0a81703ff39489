//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's shipped config folder.
pub fn shipped_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// A `rasd` command with logs kept quiet unless the test asks.
pub fn rasd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rasd"));
    c.env("RUST_LOG", "warn");
    c
}

/// Runs `rasd ARGS`, returning the output; panics with both streams when it fails.
pub fn rasd_ok(args: &[&str]) -> Output {
    let out = rasd().args(args).output().expect("rasd runs");
    assert!(
        out.status.success(),
        "rasd {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Copies the five files of a config folder into `to`.
pub fn copy_config(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in [
        "rasd.toml",
        "sources.toml",
        "topics.toml",
        "places.toml",
        "alerts.toml",
    ] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}
