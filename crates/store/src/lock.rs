//! [`DataLock`]: one writer per data folder.
//!
//! Every command that writes to a data folder (the daemon, `fetch`, `demo`, `retag`,
//! `reindex`, `restore`) takes this lock before its first write and holds it until it exits;
//! a second writer is refused before it changes anything. Readers (`status`, `search`,
//! `sources`, `backup`, the digest) do not take it: SQLite's WAL mode lets them read beside
//! the writer. The lock is an advisory `flock` on `<data_dir>/rasd.lock`, so the operating
//! system releases it when the holder exits, however it exits (`kill -9` included); the file
//! itself only says who holds it, for the refusal message.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::{Error, Result};

/// The lock file's name inside the data folder.
pub const LOCK_FILE: &str = "rasd.lock";

/// The data folder's write lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataLock {
    file: File,
    dir: PathBuf,
}

impl DataLock {
    /// Takes the write lock of `data_dir` (creating the folder, readable by its owner only,
    /// if needed) for `purpose` (such as "rasd fetch --config config"), or fails at once with
    /// [`Error::Locked`] naming the holder.
    pub fn acquire(data_dir: &Path, purpose: &str) -> Result<DataLock> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(LOCK_FILE);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut file = private_file_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.split_whitespace().collect::<Vec<_>>().join(" ");
                return Err(Error::Locked {
                    dir: data_dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "no details recorded".into()
                    } else {
                        holder
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let note = format!(
            "pid {}, `{purpose}`, since {}\n",
            std::process::id(),
            Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
            .and_then(|()| file.write_all(note.as_bytes()))
            .map_err(io)?;
        Ok(DataLock {
            file,
            dir: data_dir.to_path_buf(),
        })
    }

    /// The data folder this lock holds.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for DataLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Creates `dir` (and missing parents) if needed; a folder this creates is readable by its
/// owner only, as it will hold the collection.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| Error::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Open options that create files readable and writable by their owner only.
pub(crate) fn private_file_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_with_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = DataLock::acquire(&data, "rasd run --config a").unwrap();
        assert_eq!(first.dir(), data);
        let err = DataLock::acquire(&data, "rasd fetch --config b").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Locked { .. }), "{msg}");
        assert!(msg.contains("rasd run --config a"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        DataLock::acquire(&data, "rasd fetch --config b").unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn created_folder_and_lock_file_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a").join("b");
        let _lock = DataLock::acquire(&data, "test").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join(LOCK_FILE)), 0o600);
    }
}
