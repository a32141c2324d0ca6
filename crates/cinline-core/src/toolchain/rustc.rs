//! rustc: its version, its LLVM, and what it emits for a target.

use std::path::PathBuf;
use std::process::Command;

use super::{parse_version, run, which, Version};
use crate::{getenv, Error};

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
}

/// What rustc emits for one target: the values C helpers must be compiled
/// with so that LLVM can link them into the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The LLVM target triple rustc writes in modules
    /// (`x86_64-unknown-linux-gnu`).
    pub llvm_triple: String,
    /// The module data layout.
    pub data_layout: String,
}

impl Rustc {
    /// Finds rustc: `$RUSTC`, else `rustc` on `PATH`.
    pub fn find() -> crate::Result<Rustc> {
        let name = getenv("RUSTC").unwrap_or_else(|| "rustc".into());
        let path = which(&name).ok_or_else(|| Error::ToolNotFound {
            tool: "rustc".into(),
            tried: vec![name.to_string_lossy().into_owned()],
            hint: "install Rust with rustup, or set RUSTC".into(),
        })?;
        Rustc::at(path)
    }

    /// Describes the rustc at `path`.
    pub fn at(path: PathBuf) -> crate::Result<Rustc> {
        let text = run(Command::new(&path).arg("-vV"))?;
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
        };
        let llvm = field("LLVM version:")
            .and_then(|v| parse_version(&v, ""))
            .ok_or_else(|| {
                Error::Usage(format!("{}: `-vV` names no LLVM version", path.display()))
            })?;
        Ok(Rustc {
            release: text.lines().next().unwrap_or_default().to_string(),
            host: field("host:").unwrap_or_default(),
            llvm,
            path,
        })
    }

    /// `rustc --print sysroot`.
    pub fn sysroot(&self) -> crate::Result<PathBuf> {
        Ok(PathBuf::from(
            run(Command::new(&self.path).args(["--print", "sysroot"]))?.trim(),
        ))
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
            data_layout: quoted("target datalayout"),
        })
    }
}
