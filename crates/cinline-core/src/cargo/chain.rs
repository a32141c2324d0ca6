//! The rustc wrapper the user already had (sccache...), which cinline calls
//! in turn: found where cargo finds it, and never cinline itself.
//!
//! `cargo cinline` sets `RUSTC_WRAPPER` to this executable, which hides
//! the user's own `RUSTC_WRAPPER`, `CARGO_BUILD_RUSTC_WRAPPER`, `--config
//! build.rustc-wrapper=...` or `[build] rustc-wrapper` of a cargo
//! configuration file. So they are read here, in cargo's order, and the
//! wrapper found is passed on to the rustc wrapper (`CHAIN_WRAPPER`).
//!
//! A chained wrapper that is cinline again (any spelling of its path: a
//! symlink, `..`, a hard link, `cargo-cinline`) would call itself without
//! end: it is dropped here ([`is_self`]), and the rustc wrapper also refuses
//! to be entered twice for one rustc invocation (`env_keys::ACTIVE`).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::getenv;

/// Where a wrapper setting came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An environment variable (`RUSTC_WRAPPER`, `CARGO_BUILD_RUSTC_WRAPPER`).
    Env(&'static str),
    /// `--config` on cargo's command line.
    CommandLine,
    /// A cargo configuration file.
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Env(name) => write!(f, "{name}"),
            Source::CommandLine => write!(f, "--config build.rustc-wrapper"),
            Source::File(path) => write!(f, "build.rustc-wrapper in {}", path.display()),
        }
    }
}

/// A wrapper the user configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configured {
    /// The program as found: a path (made absolute for configuration
    /// files), or a bare name found on `PATH`.
    pub program: PathBuf,
    /// The setting as written.
    pub value: String,
    /// Where it was set.
    pub source: Source,
}

/// The wrapper cargo would use for `cargo ARGS` run in `cwd`, in cargo's
/// order: `RUSTC_WRAPPER`, `--config build.rustc-wrapper=...`,
/// `CARGO_BUILD_RUSTC_WRAPPER`, then `[build] rustc-wrapper` in the
/// `.cargo/config.toml` (or `.cargo/config`) of `cwd` and each parent,
/// nearest first, then `$CARGO_HOME/config.toml`. An empty value means no
/// wrapper, as for cargo. `None` if no wrapper is set.
pub fn configured(args: &[OsString], cwd: &Path) -> Option<Configured> {
    let (value, source, base) = getenv("RUSTC_WRAPPER")
        .map(|v| {
            (
                v.to_string_lossy().into_owned(),
                Source::Env("RUSTC_WRAPPER"),
                cwd.to_path_buf(),
            )
        })
        .or_else(|| build_setting(args, cwd, "rustc-wrapper", "CARGO_BUILD_RUSTC_WRAPPER"))?;
    if value.is_empty() {
        return None;
    }
    let program = if value.contains('/') {
        base.join(&value)
    } else {
        crate::toolchain::which(OsStr::new(&value)).unwrap_or_else(|| PathBuf::from(&value))
    };
    Some(Configured {
        program,
        value,
        source,
    })
}

/// The `[build]` setting `key` (`rustc-wrapper`, `target-dir`) cargo uses
/// for `cargo ARGS` run in `cwd`, in cargo's order: `--config
/// build.KEY=...`, the variable `env` (`CARGO_BUILD_...`), then the
/// `.cargo/config.toml` (or `.cargo/config`) of `cwd` and each parent,
/// nearest first, then `$CARGO_HOME/config.toml`. With where it was set and
/// the directory a relative path in it is relative to.
pub(super) fn build_setting(
    args: &[OsString],
    cwd: &Path,
    key: &str,
    env: &'static str,
) -> Option<(String, Source, PathBuf)> {
    command_line(args, key)
        .map(|v| (v, Source::CommandLine, cwd.to_path_buf()))
        .or_else(|| {
            getenv(env).map(|v| {
                (
                    v.to_string_lossy().into_owned(),
                    Source::Env(env),
                    cwd.to_path_buf(),
                )
            })
        })
        .or_else(|| {
            config_files(cwd).into_iter().find_map(|file| {
                let value = from_file(&file, key)?;
                // A path in a configuration file is relative to the
                // directory that holds its `.cargo` directory.
                let base = file.parent()?.parent()?.to_path_buf();
                Some((value, Source::File(file), base))
            })
        })
}

/// `build.KEY` from `--config KEY=VALUE` arguments (the last one wins, as
/// in cargo). `--config FILE` arguments are not read.
fn command_line(args: &[OsString], key: &str) -> Option<String> {
    config_args(args)
        .iter()
        .filter_map(|t| setting_in_toml(t, key))
        .next_back()
}

/// The values of cargo's `--config` arguments, in order.
pub(super) fn config_args(args: &[OsString]) -> Vec<String> {
    let mut found = Vec::new();
    let mut args = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let value = if arg == "--config" {
            args.next().map(|v| v.into_owned())
        } else {
            arg.strip_prefix("--config=").map(str::to_string)
        };
        found.extend(value);
    }
    found
}

/// Whether a `--config` value names a file (cargo reads a value that is
/// not TOML as a path).
pub(super) fn is_config_file(value: &str) -> bool {
    value.parse::<toml_edit::DocumentMut>().is_err()
}

/// The `build.KEY` string of a TOML text, if it has one.
fn setting_in_toml(text: &str, key: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    doc.get("build")?.get(key)?.as_str().map(str::to_string)
}

fn from_file(path: &Path, key: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let value = setting_in_toml(&text, key);
            if value.is_none() && text.parse::<toml_edit::DocumentMut>().is_err() {
                // cargo itself will say what is wrong with the file.
                super::log(|| format!("{}: not valid TOML", path.display()));
            }
            value
        }
        Err(_) => None,
    }
}

/// Cargo's configuration files for a build run in `cwd`, nearest first.
fn config_files(cwd: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut push = |dir: &Path| {
        // With both, cargo reads the file without extension.
        let found = ["config", "config.toml"]
            .iter()
            .map(|name| dir.join(name))
            .find(|f| f.is_file());
        if let Some(f) = found {
            let canonical = f.canonicalize().unwrap_or_else(|_| f.clone());
            if !files
                .iter()
                .any(|g: &PathBuf| g.canonicalize().ok().as_ref() == Some(&canonical))
            {
                files.push(f);
            }
        }
    };
    for dir in cwd.ancestors() {
        push(&dir.join(".cargo"));
    }
    let cargo_home = getenv("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| getenv("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        push(&home);
    }
    files
}

/// Whether `program` is this executable or its sibling (`cinline` and
/// `cargo-cinline` are one program), however its path is spelled: same
/// file (device and inode, so hard links count) or same canonical path, or
/// a file named `cinline`/`cargo-cinline` once symlinks are resolved.
pub fn is_self(program: &Path) -> bool {
    let program = if program.components().count() > 1 {
        program.to_path_buf()
    } else {
        match crate::toolchain::which(program.as_os_str()) {
            Some(p) => p,
            None => return false,
        }
    };
    let Ok(canonical) = program.canonicalize() else {
        return false;
    };
    if canonical
        .file_name()
        .is_some_and(|n| n == "cinline" || n == "cargo-cinline")
    {
        return true;
    }
    let Ok(me) = std::env::current_exe() else {
        return false;
    };
    let dir = me.parent().map(Path::to_path_buf).unwrap_or_default();
    [me, dir.join("cinline"), dir.join("cargo-cinline")]
        .iter()
        .any(|candidate| same_file(candidate, &canonical))
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_is_read_from_config_toml() {
        assert_eq!(
            setting_in_toml("[build]\nrustc-wrapper = \"sccache\"\n", "rustc-wrapper").as_deref(),
            Some("sccache")
        );
        assert_eq!(
            setting_in_toml("build.rustc-wrapper = \"x/y\"", "rustc-wrapper").as_deref(),
            Some("x/y")
        );
        assert_eq!(
            setting_in_toml("[build]\nrustc-wrapper = \"\"\n", "rustc-wrapper").as_deref(),
            Some("")
        );
        assert_eq!(
            setting_in_toml("[build]\njobs = 2\n", "rustc-wrapper"),
            None
        );
        assert_eq!(setting_in_toml("not toml [", "rustc-wrapper"), None);
    }

    #[test]
    fn command_line_config_is_read() {
        let args: Vec<OsString> = ["build", "--config", "build.rustc-wrapper=\"a/b\""]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(command_line(&args, "rustc-wrapper").as_deref(), Some("a/b"));
        let args: Vec<OsString> = ["build", "--config=build.jobs=1"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(command_line(&args, "rustc-wrapper"), None);
    }

    #[test]
    fn nearest_config_file_wins_and_paths_are_relative_to_it() {
        let root = tempfile::tempdir().unwrap();
        let outer = root.path();
        let inner = outer.join("ws/sub");
        std::fs::create_dir_all(inner.join(".cargo")).unwrap();
        std::fs::create_dir_all(outer.join(".cargo")).unwrap();
        std::fs::write(
            outer.join(".cargo/config.toml"),
            "[build]\nrustc-wrapper = \"tools/outer\"\n",
        )
        .unwrap();
        let files = config_files(&inner);
        assert_eq!(files[0], outer.join(".cargo/config.toml"));
        std::fs::write(
            inner.join(".cargo/config.toml"),
            "[build]\nrustc-wrapper = \"tools/inner\"\n",
        )
        .unwrap();
        let files = config_files(&inner);
        assert_eq!(files[0], inner.join(".cargo/config.toml"));
        assert_eq!(
            from_file(&files[0], "rustc-wrapper").as_deref(),
            Some("tools/inner")
        );
    }

    #[test]
    fn this_executable_is_self_however_spelled() {
        let me = std::env::current_exe().unwrap();
        assert!(is_self(&me));
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("x");
        std::os::unix::fs::symlink(&me, &link).unwrap();
        assert!(is_self(&link));
        let dotted = dir.path().join("sub/../x");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(is_self(&dotted));
        assert!(!is_self(Path::new("/bin/sh")));
        assert!(!is_self(Path::new("/nonexistent/x")));
    }
}
