//! rustc: its version, its LLVM, and what it emits for a target.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{parse_version, run, which, Version};
use crate::Error;

/// A rustc, as `rustc -vV` describes it.
#[derive(Debug, Clone)]
pub struct Rustc {
    /// The executable.
    pub path: PathBuf,
    /// The release line (`rustc 1.95.0 (59807616e 2026-04-14)`).
    pub release: String,
    /// The LLVM it is built on.
    pub llvm: Version,
    /// The host target triple.
    pub host: String,
    /// `rustc -vV` as printed: what the rest was read from.
    version_text: String,
    /// `rustc --print sysroot`, asked once.
    sysroot: OnceLock<PathBuf>,
}

/// What [`Rustc::to_json`] keeps: enough to describe a rustc without
/// running it again.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    path: PathBuf,
    version_text: String,
    sysroot: Option<PathBuf>,
    /// What the executable was when it was asked (see [`Rustc::cached`]).
    stamp: Option<String>,
}

/// What rustc emits for one target: the values C helpers must be compiled
/// with so that LLVM can link them into the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The LLVM target triple rustc writes in modules
    /// (`x86_64-unknown-linux-gnu`).
    pub llvm_triple: String,
}

impl Rustc {
    /// Finds rustc: `$RUSTC`, else `rustc` on `PATH`.
    pub fn find() -> crate::Result<Rustc> {
        let name = crate::env::rustc().unwrap_or_else(|| "rustc".into());
        let path = which(&name).ok_or_else(|| Error::ToolNotFound {
            tool: "rustc".into(),
            tried: vec![name.to_string_lossy().into_owned()],
            hint: format!(
                "install Rust with rustup, or set {}",
                crate::env::RUSTC.name
            ),
        })?;
        Rustc::at(path)
    }

    /// Describes the rustc at `path`.
    pub fn at(path: PathBuf) -> crate::Result<Rustc> {
        let text = run(Command::new(&path).arg("-vV"))?;
        Rustc::from_version_text(path, text)
    }

    fn from_version_text(path: PathBuf, text: String) -> crate::Result<Rustc> {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
        };
        let llvm = field("LLVM version:")
            .and_then(|v| parse_version(&v, ""))
            .ok_or_else(|| Error::ToolOutput {
                tool: path.clone(),
                problem: "`-vV` names no LLVM version".into(),
            })?;
        let host = field("host:").unwrap_or_default();
        let _ = IN_USE.set((path.clone(), host.clone()));
        Ok(Rustc {
            release: text.lines().next().unwrap_or_default().to_string(),
            host,
            llvm,
            path,
            version_text: text,
            sysroot: OnceLock::new(),
        })
    }

    /// `rustc --print sysroot` (asked once).
    pub fn sysroot(&self) -> crate::Result<PathBuf> {
        if let Some(known) = self.sysroot.get() {
            return Ok(known.clone());
        }
        let printed = run(Command::new(&self.path).args(["--print", "sysroot"]))?;
        Ok(self
            .sysroot
            .get_or_init(|| PathBuf::from(printed.trim()))
            .clone())
    }

    /// This description as JSON, for [`Rustc::from_json`] in another
    /// process: the sysroot is asked first, so that nobody asks again.
    pub fn to_json(&self) -> String {
        self.saved(None).map_or_else(String::new, |saved| {
            serde_json::to_string(&saved).unwrap_or_default()
        })
    }

    fn saved(&self, stamp: Option<String>) -> Option<Saved> {
        Some(Saved {
            path: self.path.clone(),
            version_text: self.version_text.clone(),
            sysroot: Some(self.sysroot().ok()?),
            stamp,
        })
    }

    /// A description written by [`Rustc::to_json`].
    pub fn from_json(json: &str) -> Option<Rustc> {
        let saved: Saved = serde_json::from_str(json).ok()?;
        Rustc::from_saved(saved)
    }

    fn from_saved(saved: Saved) -> Option<Rustc> {
        let rustc = Rustc::from_version_text(saved.path, saved.version_text).ok()?;
        if let Some(sysroot) = saved.sysroot {
            let _ = rustc.sysroot.set(sysroot);
        }
        Some(rustc)
    }

    /// Describes the rustc at `path`, through a cache file `cache` (cargo
    /// runs the wrapper once per crate; asking rustc costs two process
    /// starts each time). The cache holds for the same executable: same
    /// path, size and modification time. A rustup proxy (a `rustup` beside
    /// it) is never cached: the toolchain it runs can change under it.
    pub fn cached(path: PathBuf, cache: &Path) -> crate::Result<Rustc> {
        let Some(stamp) = stamp_of(&path) else {
            return Rustc::at(path);
        };
        let hit = std::fs::read_to_string(cache)
            .ok()
            .and_then(|text| serde_json::from_str::<Saved>(&text).ok())
            .filter(|saved| saved.path == path && saved.stamp.as_deref() == Some(&stamp))
            .and_then(Rustc::from_saved);
        if let Some(rustc) = hit {
            return Ok(rustc);
        }
        let rustc = Rustc::at(path)?;
        if let Some(saved) = rustc.saved(Some(stamp)) {
            if let Some(dir) = cache.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // A cache that cannot be written only costs time.
            let _ = crate::write_atomic(
                cache,
                serde_json::to_string(&saved).unwrap_or_default().as_bytes(),
            );
        }
        Ok(rustc)
    }

    /// The path and host target of the rustc this process works for (the
    /// first one described), once one has been.
    pub fn in_use() -> Option<&'static (PathBuf, String)> {
        IN_USE.get()
    }

    /// `rustc --print WHAT --target TARGET` (`target-cpus`,
    /// `target-features`) with the rustc at `path`, or `None` if it does not
    /// know the target.
    pub fn print_for_target(path: &Path, what: &str, target: &str) -> Option<String> {
        run(Command::new(path).args(["--print", what, "--target", target])).ok()
    }

    /// Asks rustc what it emits for `target` (default: the host) by
    /// compiling an empty `#![no_std]` crate to LLVM IR and reading its
    /// `target triple` and `target datalayout` lines. Nothing is guessed:
    /// a custom target JSON gives what rustc really uses.
    pub fn target_info(&self, target: Option<&str>) -> crate::Result<TargetInfo> {
        let dir = tempfile::tempdir().map_err(Error::write(std::env::temp_dir()))?;
        let src = dir.path().join("probe.rs");
        let ir = dir.path().join("probe.ll");
        std::fs::write(&src, "#![no_std]\n").map_err(Error::write(src.clone()))?;
        let mut cmd = Command::new(&self.path);
        cmd.args([
            "--crate-type=lib",
            "--emit=llvm-ir",
            "--crate-name=cinline_probe",
            "-o",
        ])
        .arg(&ir)
        .arg(&src);
        if let Some(target) = target {
            cmd.args(["--target", target]);
        }
        run(&mut cmd)?;
        let text = std::fs::read_to_string(&ir).map_err(Error::read(ir))?;
        let quoted = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| {
                    v.trim()
                        .trim_start_matches("= ")
                        .trim_matches('"')
                        .to_string()
                })
                .unwrap_or_default()
        };
        Ok(TargetInfo {
            llvm_triple: quoted("target triple"),
        })
    }
}

/// The rustc this process works for, and its host target: the first one
/// described (the CLI's, or the one cargo runs). Checks deep in the pipeline
/// that need to ask rustc (`--print target-cpus`) use it.
static IN_USE: OnceLock<(PathBuf, String)> = OnceLock::new();

/// [`super::file_stamp`] of the executable at `path`, or `None` for a
/// rustup proxy or an unreadable file.
fn stamp_of(path: &Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    let dir = path.parent()?;
    if dir.join("rustup").exists() || real.file_name()? == "rustup" {
        return None;
    }
    super::file_stamp(&real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_survives_json_and_the_cache() {
        let rustc = Rustc::find().unwrap();
        let again = Rustc::from_json(&rustc.to_json()).unwrap();
        assert_eq!(again.llvm, rustc.llvm);
        assert_eq!(again.host, rustc.host);
        assert_eq!(again.sysroot().unwrap(), rustc.sysroot().unwrap());

        // The real executable, not the rustup proxy, as cargo passes it.
        let real = rustc.sysroot().unwrap().join("bin/rustc");
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("sub/rustc.json");
        let first = Rustc::cached(real.clone(), &cache).unwrap();
        assert!(cache.is_file());
        let second = Rustc::cached(real, &cache).unwrap();
        assert_eq!(first.release, second.release);
        assert_eq!(second.sysroot.get(), first.sysroot.get());
    }
}
