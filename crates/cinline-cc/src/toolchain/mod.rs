//! Finding the tools: rustc, clang and the LLVM command-line tools, each
//! with its LLVM version.

mod clang;
mod rustc;

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use clang::{find_clang, find_llvm_tool, list_tools, Tool};
pub use rustc::{Rustc, TargetInfo};

/// The file `path` resolves to, its size and modification time: what a
/// cache of what a tool says keeps, to tell the tool changed. `None` if it
/// cannot be read.
pub fn file_stamp(path: &std::path::Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    let meta = std::fs::metadata(&real).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{} {} {}",
        real.display(),
        meta.len(),
        modified.as_nanos()
    ))
}

use crate::Error;

/// Runs `cmd`, returning its stdout; a failure to start or a non-zero exit
/// is an error carrying the command line and stderr.
pub fn run(cmd: &mut Command) -> crate::Result<String> {
    let output = cmd.output().map_err(|e| Error::ToolFailed {
        command: command_line(cmd),
        status: e.to_string(),
        stderr: String::new(),
    })?;
    if !output.status.success() {
        return Err(Error::ToolFailed {
            command: command_line(cmd),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// An LLVM release number, such as 22.1.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version: bitcode is compatible within one.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version.
    pub patch: u32,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// `cmd` as a shell-like line, for messages.
pub fn command_line(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first `major.minor.patch` after `marker` in `text`
/// (`"clang version "`, `"LLVM version "`, `"LLVM"`).
pub fn parse_version(text: &str, marker: &str) -> Option<Version> {
    let start = text.find(marker)? + marker.len();
    let mut parts = text[start..]
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()?
        .split('.')
        .map(|p| p.parse::<u32>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().and_then(Result::ok).unwrap_or(0);
    let patch = parts.next().and_then(Result::ok).unwrap_or(0);
    Some(Version {
        major,
        minor,
        patch,
    })
}

/// Finds `name` as `which` would: a path is taken as is, a bare name is
/// looked up in `PATH`.
pub fn which(name: &OsStr) -> Option<PathBuf> {
    let as_path = Path::new(name);
    if as_path.components().count() > 1 {
        return as_path.is_file().then(|| as_path.to_path_buf());
    }
    let path = crate::getenv("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_tool_banners() {
        let v = |s, m| parse_version(s, m).map(|v| v.to_string());
        assert_eq!(
            v("Debian clang version 22.1.8 (1~deb12u1)", "clang version "),
            Some("22.1.8".into())
        );
        assert_eq!(
            v(
                "LLVM (http://llvm.org/):\n  LLVM version 16.0.6\n",
                "LLVM version "
            ),
            Some("16.0.6".into())
        );
        assert_eq!(
            v("LLVM22.1.2-rust-1.95.0-stable", "LLVM"),
            Some("22.1.2".into())
        );
        assert_eq!(
            v("clang version 19", "clang version "),
            Some("19.0.0".into())
        );
        assert_eq!(v("gcc (Debian 12.2.0-14) 12.2.0", "clang version "), None);
    }
}
