//! The directory the index is read through: tantivy's memory-mapped directory, except for
//! the files a search reads a few scattered pieces of (the document stores, read for the
//! ten hits' snippets). Those are read with positioned reads into buffers that live as
//! long as the search, instead of being mapped: every page of a mapping a search once
//! touched stays counted in the process's resident memory, so at a million items the
//! mapped document stores alone held hundreds of megabytes after a few thousand searches
//! (see `docs/performance.md`), while their pages stay in the system's file cache either
//! way.
//!
//! Everything else (writing, locking, watching `meta.json`) is the memory-mapped
//! directory's own.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::HasLen;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};

/// The extensions of the files read with positioned reads rather than mapped.
const READ_NOT_MAPPED: &[&str] = &["store", "idx", "term", "pos"];

/// See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct SearchDirectory {
    mapped: MmapDirectory,
    root: PathBuf,
}

impl SearchDirectory {
    /// Opens the index folder `root` (it must exist).
    pub(crate) fn open(root: &Path) -> tantivy::Result<SearchDirectory> {
        let mapped = MmapDirectory::open(root)?;
        Ok(SearchDirectory {
            mapped,
            root: root.to_path_buf(),
        })
    }
}

/// A file read piece by piece with positioned reads.
#[derive(Debug)]
struct ReadFile {
    file: File,
    len: usize,
}

impl HasLen for ReadFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "bytes {}..{} asked of a file of {} bytes",
                    range.start, range.end, self.len
                ),
            ));
        }
        if range.is_empty() {
            return Ok(OwnedBytes::empty());
        }
        let mut buffer = vec![0u8; range.len()];
        read_exact_at(&self.file, &mut buffer, range.start as u64)?;
        Ok(OwnedBytes::new(buffer))
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buffer: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buffer.is_empty() {
        match file.seek_read(buffer, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buffer = &mut buffer[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Directory for SearchDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let read_not_mapped = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| READ_NOT_MAPPED.contains(&e));
        if !read_not_mapped {
            return self.mapped.get_file_handle(path);
        }
        let full = self.root.join(path);
        let opened = File::open(&full).and_then(|file| {
            let len = usize::try_from(file.metadata()?.len()).map_err(|_| {
                io::Error::other("the file is larger than this machine can address")
            })?;
            Ok(ReadFile { file, len })
        });
        match opened {
            Ok(file) => Ok(Arc::new(file)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(OpenReadError::FileDoesNotExist(path.to_path_buf()))
            }
            Err(e) => Err(OpenReadError::wrap_io_error(e, path.to_path_buf())),
        }
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(watch_callback)
    }
}
