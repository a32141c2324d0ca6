//! Writing outputs without ever leaving a half-written file.

use std::path::Path;

use crate::Error;

/// A temporary file in the directory of `path`, to be written (by us or by
/// a tool) and then renamed to `path` with [`tempfile::TempPath::persist`].
/// Removed if dropped, so a failure leaves nothing behind.
pub(crate) fn temp_beside(path: &Path) -> crate::Result<tempfile::TempPath> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file = tempfile::Builder::new()
        .prefix(".cinline-")
        .tempfile_in(dir)
        .map_err(Error::write(path))?;
    Ok(file.into_temp_path())
}

/// Renames a finished temporary file to `path`. The file keeps the
/// permissions of the one it replaces, or gets `rw-r--r--` (temporary files
/// are created private).
pub(crate) fn persist(tmp: tempfile::TempPath, path: &Path) -> crate::Result<()> {
    let permissions = match std::fs::metadata(path) {
        Ok(old) => old.permissions(),
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        }
    };
    std::fs::set_permissions(&tmp, permissions).map_err(Error::write(path))?;
    tmp.persist(path).map_err(|e| Error::write(path)(e.error))
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// renamed over `path` only once complete: a reader sees the old file or
/// the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> crate::Result<()> {
    let tmp = temp_beside(path)?;
    std::fs::write(&tmp, bytes).map_err(Error::write(path))?;
    persist(tmp, path)
}
