//! Which packages' C is captured: every package's by default, unless the
//! user says otherwise (`CINLINE_CAPTURE_ONLY`, `CINLINE_CAPTURE_SKIP`) or
//! the package itself opts out in its `Cargo.toml`:
//!
//! ```toml
//! [package.metadata.cinline]
//! capture = false
//! ```
//!
//! The user's word comes first: a package they name in
//! `CINLINE_CAPTURE_ONLY` is captured even if it opts out.

use std::path::Path;

use crate::env;

/// Whether `package` (with its `Cargo.toml` in `manifest_dir`) is captured,
/// and if not, why (for the report).
pub fn decide(package: &str, manifest_dir: Option<&Path>) -> Result<(), String> {
    decide_with(
        package,
        env::capture_only().as_deref(),
        &env::capture_skip(),
        manifest_dir.and_then(opts_out).unwrap_or(false),
    )
}

fn decide_with(
    package: &str,
    only: Option<&[String]>,
    skip: &[String],
    opts_out: bool,
) -> Result<(), String> {
    if let Some(only) = only {
        return if only.iter().any(|p| p == package) {
            Ok(())
        } else {
            Err(format!("not named in {}", env::CAPTURE_ONLY.name))
        };
    }
    if skip.iter().any(|p| p == package) {
        return Err(format!("named in {}", env::CAPTURE_SKIP.name));
    }
    if opts_out {
        return Err("its Cargo.toml says `[package.metadata.cinline] capture = false`".into());
    }
    Ok(())
}

/// Whether the package's `Cargo.toml` says `capture = false` under
/// `[package.metadata.cinline]`; `None` if it cannot be read.
fn opts_out(manifest_dir: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(manifest_dir.join("Cargo.toml")).ok()?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    let capture = doc
        .get("package")?
        .get("metadata")?
        .get("cinline")?
        .get("capture")?
        .as_bool()?;
    Some(!capture)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_s_lists_come_before_the_package_s_word() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(decide_with("a-sys", None, &[], false).is_ok());
        assert!(decide_with("a-sys", None, &[], true).is_err());
        assert!(decide_with("a-sys", None, &names(&["a-sys"]), false).is_err());
        assert!(decide_with("a-sys", Some(&names(&["a-sys"])), &[], true).is_ok());
        assert!(decide_with("b-sys", Some(&names(&["a-sys"])), &[], false).is_err());
    }

    #[test]
    fn a_package_opts_out_in_its_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("Cargo.toml"), text).unwrap();
        write("[package]\nname = \"x\"\n[package.metadata.cinline]\ncapture = false\n");
        assert_eq!(opts_out(dir.path()), Some(true));
        write("[package]\nname = \"x\"\n");
        assert_eq!(opts_out(dir.path()), None);
    }
}
