//! The store's error type.

use std::path::PathBuf;

/// Errors raised by the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data folder could not be created.
    #[error("cannot create the data folder {path}: {source}")]
    CreateDir {
        /// The folder Rasd tried to create.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The database file could not be opened or set up (missing permissions, not a database…).
    #[error("cannot open the database {path}: {reason}")]
    Open {
        /// The database file (or the PostgreSQL address, password hidden).
        path: PathBuf,
        /// The underlying engine's error (in the message, not repeated as its source).
        reason: crate::db::DbError,
    },
    /// A call to the database (SQLite or PostgreSQL) failed.
    #[error("database error: {0}")]
    Db(#[from] crate::db::DbError),
    /// A schema migration failed; the database is left at the previous version.
    #[error("database migration to schema version {version} failed: {source}")]
    Migration {
        /// The schema version being applied.
        version: u32,
        /// The underlying engine's error.
        source: crate::db::DbError,
    },
    /// The database was written by a newer Rasd than this one.
    #[error(
        "the database has schema version {found}, but this Rasd only knows versions up to \
         {supported}: upgrade Rasd to open it (or point it at another data folder)"
    )]
    SchemaTooNew {
        /// The database's `user_version`.
        found: i64,
        /// The newest schema version this build knows.
        supported: u32,
    },
    /// A stored row cannot be read back (bad timestamp, bad JSON…).
    #[error("stored row {id:?} is corrupt: {message}")]
    Corrupt {
        /// The item id or source id of the row.
        id: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value could not be encoded as JSON for storage.
    #[error("cannot encode a value as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Another Rasd process holds the data folder's write lock.
    #[error(
        "the data folder {dir} is in use by another rasd ({holder}): stop it first, or point \
         this command at another folder with --data-dir"
    )]
    Locked {
        /// The data folder.
        dir: PathBuf,
        /// What the lock file says about its holder (pid, command, config, since when).
        holder: String,
    },
    /// A file or folder of the data folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The request cannot be done as asked (a name taken, an unknown user…); the message
    /// says why and what to do instead.
    #[error("{0}")]
    Refused(String),
    /// A backup cannot be made or restored; the message says why and what to do.
    #[error("{0}")]
    Backup(String),
    /// The callback given to [`crate::Store::for_each_item`] failed; iteration stopped there.
    #[error("item callback failed: {0}")]
    Callback(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Db(e.into())
    }
}

/// The store's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
