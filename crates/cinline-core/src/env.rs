//! The one place cinline reads its environment.

use std::ffi::OsString;

/// Reads the environment variable `name`; an empty value counts as unset.
///
/// Every environment variable cinline reads goes through here, so the list
/// of them is `grep getenv`.
#[allow(clippy::disallowed_methods)] // the one allowed reader (clippy.toml)
pub fn getenv(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}
