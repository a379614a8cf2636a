//! Writing a file that holds credentials: never through a symbolic link, never half-written,
//! readable by its owner only.
//!
//! The text goes to a new temporary file in the same directory (created exclusively, so it cannot
//! be a link someone planted), is flushed to disk, and is renamed over the destination. A rename
//! replaces a link itself rather than what it points at, so even a link created between the check
//! and the rename is replaced, not followed; the check is there to say so clearly instead.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Why a private file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The destination is a symbolic link.
    #[error(
        "refusing to write {path}: it is a symbolic link (to {target}); remove the link or \
         name the file itself"
    )]
    Symlink {
        /// The destination as given.
        path: PathBuf,
        /// Where the link points.
        target: PathBuf,
    },
    /// The destination exists and is not a regular file (a directory, a device, a FIFO).
    #[error("refusing to write {path}: it is not a regular file")]
    NotAFile {
        /// The destination as given.
        path: PathBuf,
    },
    /// Creating, writing or renaming failed.
    #[error("failed to write {path}: {source}")]
    Io {
        /// The destination as given.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

/// Writes `contents` to `path` atomically, with mode 0600 on Unix, refusing to follow a link.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let io_error = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(WriteError::Symlink {
                path: path.to_path_buf(),
                target: std::fs::read_link(path).unwrap_or_else(|_| PathBuf::from("?")),
            });
        }
        Ok(meta) if !meta.is_file() => {
            return Err(WriteError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    let (temporary, mut file) = create_temporary(path).map_err(io_error)?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(io_error(error));
    }
    Ok(())
}

/// A new file next to `path`, created exclusively (`O_EXCL`: an existing name, link or not,
/// fails instead of being opened), mode 0600.
fn create_temporary(path: &Path) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let mut attempts = 0;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temporary = directory.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&temporary) {
            Ok(file) => {
                // The umask can only remove bits; set the mode exactly anyway.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                }
                return Ok((temporary, file));
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => {
                attempts += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn replaces_an_existing_file_with_a_private_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.yaml");
        std::fs::write(&path, "old").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        write_private(&path, b"new").expect("writes");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlink_and_leaves_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("victim");
        std::fs::write(&target, "precious").expect("write");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let error = write_private(&link, b"credentials").expect_err("refused");
        let message = error.to_string();
        assert!(message.contains("is a symbolic link"), "{message}");
        assert!(message.contains("victim"), "{message}");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("stat")
                .file_type()
                .is_symlink()
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_dangling_symlink_instead_of_creating_its_target() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("absent");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(matches!(
            write_private(&link, b"x"),
            Err(WriteError::Symlink { .. })
        ));
        assert!(!target.exists());
    }

    #[test]
    fn refuses_a_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            write_private(dir.path(), b"x"),
            Err(WriteError::NotAFile { .. })
        ));
    }
}
