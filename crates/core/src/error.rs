//! The error type of the core crate.

use std::path::PathBuf;

/// Errors raised by the core crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more config files are invalid; each problem names its file and line.
    #[error("{}", format_config_errors(.0))]
    Config(Vec<crate::config::ConfigError>),
    /// A config file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

/// The core crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn format_config_errors(errors: &[crate::config::ConfigError]) -> String {
    let mut out = format!(
        "{} problem{} in the config:",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for e in errors {
        out.push_str("\n  ");
        out.push_str(&e.to_string());
    }
    out
}
