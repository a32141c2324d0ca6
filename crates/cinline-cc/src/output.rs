//! Writing outputs without ever leaving a half-written file, and without
//! replacing what the output path points at.
//!
//! - a regular file (or a new one) is written to a temporary file beside it
//!   and renamed over it: a reader sees the old file or the new one;
//! - a symbolic link is written through: its final target gets the new
//!   content (the same way), the link stays a link; a dangling link is
//!   refused;
//! - a device node, FIFO or socket (`-o /dev/null`) is written into, never
//!   replaced;
//! - a directory is refused;
//! - a new file gets ordinary permissions (0666 minus the umask); a file
//!   replaced keeps its permission bits, but never setuid, setgid or sticky.

use std::fs::Permissions;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::Error;

/// Told of each temporary file [`temp_beside`] creates.
static TEMP_OBSERVER: OnceLock<fn(&Path)> = OnceLock::new();

/// Has `observe` called with the path of each temporary file created from
/// now on: a process that may be killed before it can remove them (a
/// worker running LLVM) tells its parent which files to remove. Set once;
/// later calls are ignored.
pub fn observe_temps(observe: fn(&Path)) {
    let _ = TEMP_OBSERVER.set(observe);
}

/// Where the bytes for an output path really go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    /// A regular file, existing (with its permission bits) or not: replaced
    /// by renaming a temporary file over it.
    Replace {
        /// The file (symbolic links resolved).
        path: PathBuf,
        /// The permission bits to keep, if the file exists.
        mode: Option<u32>,
    },
    /// Not a regular file (device, FIFO, socket): written into.
    Into(PathBuf),
}

fn refuse(path: &Path, why: impl Into<String>) -> Error {
    Error::OutputRefused {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Where writing `path` puts the bytes, or why it must not be written.
fn destination(path: &Path) -> crate::Result<Destination> {
    let link = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Destination::Replace {
                path: path.to_path_buf(),
                mode: None,
            })
        }
        Err(e) => return Err(Error::write(path)(e)),
    };
    let meta = if link.file_type().is_symlink() {
        // Followed by the kernel: works for `/dev/stdout` and the like too.
        std::fs::metadata(path).map_err(|_| {
            refuse(
                path,
                "it is a symbolic link to a missing file (remove the link, or create its target)",
            )
        })?
    } else {
        link.clone()
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        Err(refuse(path, "it is a directory (name a file)"))
    } else if kind.is_file() {
        let real = if link.file_type().is_symlink() {
            std::fs::canonicalize(path).map_err(Error::write(path))?
        } else {
            path.to_path_buf()
        };
        Ok(Destination::Replace {
            path: real,
            mode: Some(meta.permissions().mode() & 0o777),
        })
    } else if kind.is_block_device() || kind.is_char_device() || kind.is_fifo() || kind.is_socket()
    {
        Ok(Destination::Into(path.to_path_buf()))
    } else {
        Err(refuse(path, "it is not a regular file"))
    }
}

/// Refuses, before any work, an output that is a directory or a dangling
/// link, or that is the same file as one of `inputs` (however spelled:
/// compared by device and inode).
pub fn check_output(output: &Path, inputs: &[&Path]) -> crate::Result<()> {
    destination(output)?;
    let Ok(out) = std::fs::metadata(output) else {
        return Ok(());
    };
    for input in inputs {
        if let Ok(meta) = std::fs::metadata(input) {
            if meta.dev() == out.dev() && meta.ino() == out.ino() {
                return Err(refuse(
                    output,
                    format!(
                        "it is the input {} (choose another output name)",
                        input.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A temporary file in the directory of the file `path` stands for (a
/// symbolic link's target), to be written (by us or by a tool) and then
/// given to [`persist`]. Removed if dropped, so a failure leaves nothing
/// behind. Created with mode 0666 minus the umask, as a new file would be.
pub fn temp_beside(path: &Path) -> crate::Result<tempfile::TempPath> {
    let target = match destination(path)? {
        Destination::Replace { path, .. } => path,
        // Written into later; the temporary file goes beside the name.
        Destination::Into(_) => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file = tempfile::Builder::new()
        .prefix(".cinline-")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(Error::write(path))?;
    if let Some(observe) = TEMP_OBSERVER.get() {
        observe(file.path());
    }
    Ok(file.into_temp_path())
}

/// Puts a finished temporary file (from [`temp_beside`]) in place of
/// `path`: renamed over a regular file (keeping its permission bits, less
/// setuid, setgid and sticky), or copied into a device or FIFO.
pub fn persist(tmp: tempfile::TempPath, path: &Path) -> crate::Result<()> {
    match destination(path)? {
        Destination::Replace { path: real, mode } => {
            if let Some(mode) = mode {
                std::fs::set_permissions(&tmp, Permissions::from_mode(mode))
                    .map_err(Error::write(path))?;
            }
            tmp.persist(&real).map_err(|e| Error::write(path)(e.error))
        }
        Destination::Into(real) => {
            let bytes = std::fs::read(&tmp).map_err(Error::write(path))?;
            write_into(&real, &bytes).map_err(Error::write(path))
        }
    }
}

/// Writes into an existing non-regular file (no create, no rename).
fn write_into(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// renamed over `path` only once complete: a reader sees the old file or
/// the new one, never a part. Symbolic links and devices are written
/// through (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> crate::Result<()> {
    if let Destination::Into(real) = destination(path)? {
        return write_into(&real, bytes).map_err(Error::write(path));
    }
    let tmp = temp_beside(path)?;
    std::fs::write(&tmp, bytes).map_err(Error::write(path))?;
    persist(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_symlink_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.o");
        let link = dir.path().join("link.o");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, Permissions::from_mode(0o4755)).unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(mode(&target), 0o755, "setuid dropped, the rest kept");
    }

    #[test]
    fn a_dangling_symlink_and_a_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.o");
        std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
        let e = write_atomic(&link, b"x").unwrap_err().to_string();
        assert!(e.contains("symbolic link to a missing file"), "{e}");
        let e = write_atomic(dir.path(), b"x").unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }

    #[test]
    fn a_device_is_written_into_not_replaced() {
        write_atomic(Path::new("/dev/null"), b"x").unwrap();
        let meta = std::fs::metadata("/dev/null").unwrap();
        assert!(meta.file_type().is_char_device());
    }

    #[test]
    fn a_new_file_gets_ordinary_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.o");
        write_atomic(&path, b"x").unwrap();
        // 0666 less a umask, which never removes the owner's read-write.
        let m = mode(&path);
        assert_eq!(m & 0o600, 0o600);
        assert_eq!(m & 0o7111, 0);
    }

    #[test]
    fn an_input_is_not_an_output() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.bc");
        std::fs::write(&input, b"x").unwrap();
        let other = dir.path().join("./in.bc");
        let e = check_output(&other, &[&input]).unwrap_err().to_string();
        assert!(e.contains("is the input"), "{e}");
        assert!(check_output(&dir.path().join("out.o"), &[&input]).is_ok());
    }
}
