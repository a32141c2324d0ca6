//! The root of the cargo workspace a directory belongs to, read from the
//! manifests where the answer is plain, so that `cargo cinline` knows its
//! target directory without running `cargo metadata` before every build.
//!
//! Plain means: the nearest `Cargo.toml` is a workspace root itself, or a
//! package with no workspace above it, or a member named in the first
//! workspace above it by its path or by a `dir/*` pattern, and not under
//! one of its `exclude` paths. Anything else (`package.workspace`, an
//! excluded package, other patterns, a manifest that does not parse) is
//! `None`, and cargo is asked.

use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

/// The workspace root of the package whose directory is `start` or holds
/// it, when the manifests say so plainly.
pub fn root(start: &Path) -> Option<PathBuf> {
    let package = start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file())?;
    let manifest = read(package)?;
    if manifest.contains_key("workspace") {
        return Some(package.to_path_buf());
    }
    if manifest
        .get("package")
        .and_then(|p| p.get("workspace"))
        .is_some()
    {
        return None;
    }
    for dir in package.ancestors().skip(1) {
        if !dir.join("Cargo.toml").is_file() {
            continue;
        }
        let Some(workspace) = read(dir)?.get("workspace").cloned() else {
            continue;
        };
        let relative = package.strip_prefix(dir).ok()?;
        let excludes = workspace.get("exclude").and_then(|e| e.as_array());
        let excluded = excludes
            .into_iter()
            .flatten()
            .any(|e| e.as_str().is_none_or(|e| relative.starts_with(e)));
        if excluded {
            return None;
        }
        let members = workspace.get("members").and_then(|m| m.as_array());
        let member = members
            .into_iter()
            .flatten()
            .any(|m| m.as_str().is_some_and(|pattern| matches(pattern, relative)));
        return member.then(|| dir.to_path_buf());
    }
    Some(package.to_path_buf())
}

/// The manifest of `dir`, parsed.
fn read(dir: &Path) -> Option<DocumentMut> {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()?
        .parse()
        .ok()
}

/// Whether the member pattern `pattern` (a path, or `dir/*`) names the
/// package at `relative`. Any other pattern is `false`: the caller then
/// asks cargo.
fn matches(pattern: &str, relative: &Path) -> bool {
    let pattern = pattern.trim_end_matches('/');
    match pattern.strip_suffix("/*") {
        Some(dir) if !dir.contains(['*', '?', '[']) => relative.parent() == Some(Path::new(dir)),
        _ if !pattern.contains(['*', '?', '[']) => Path::new(pattern) == relative,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, file: &str, text: &str) {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const PACKAGE: &str = "[package]\nname = \"p\"\nversion = \"0.1.0\"\n";

    #[test]
    fn plain_layouts_are_read_from_the_manifests() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        // A package alone, asked from a subdirectory.
        write(top, "alone/Cargo.toml", PACKAGE);
        std::fs::create_dir_all(top.join("alone/src")).unwrap();
        assert_eq!(root(&top.join("alone/src")), Some(top.join("alone")));
        // A workspace: its root, a member by path, a member by `dir/*`.
        write(
            top,
            "ws/Cargo.toml",
            "[workspace]\nmembers = [\"app\", \"crates/*\"]\n",
        );
        write(top, "ws/app/Cargo.toml", PACKAGE);
        write(top, "ws/crates/a/Cargo.toml", PACKAGE);
        assert_eq!(root(&top.join("ws")), Some(top.join("ws")));
        assert_eq!(root(&top.join("ws/app")), Some(top.join("ws")));
        assert_eq!(root(&top.join("ws/crates/a")), Some(top.join("ws")));
        // An `exclude` elsewhere does not matter.
        write(
            top,
            "ex/Cargo.toml",
            "[workspace]\nmembers = [\"m\"]\nexclude = [\"fixtures\"]\n",
        );
        write(top, "ex/m/Cargo.toml", PACKAGE);
        assert_eq!(root(&top.join("ex/m")), Some(top.join("ex")));
    }

    #[test]
    fn anything_else_is_left_to_cargo() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        write(
            top,
            "ws/Cargo.toml",
            "[workspace]\nmembers = [\"a*\"]\nexclude = [\"x\"]\n",
        );
        write(top, "ws/x/Cargo.toml", PACKAGE);
        assert_eq!(root(&top.join("ws/x")), None);
        write(top, "other/Cargo.toml", "[workspace]\nmembers = [\"m?\"]\n");
        write(top, "other/m1/Cargo.toml", PACKAGE);
        assert_eq!(root(&top.join("other/m1")), None);
        write(
            top,
            "pointed/p/Cargo.toml",
            "[package]\nname = \"p\"\nworkspace = \"..\"\n",
        );
        assert_eq!(root(&top.join("pointed/p")), None);
        write(top, "broken/Cargo.toml", "[package\n");
        assert_eq!(root(&top.join("broken")), None);
    }
}
