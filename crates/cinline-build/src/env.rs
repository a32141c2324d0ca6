//! The one place cinline-build reads its environment.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::cpu::TargetCpu;
use crate::error::{Error, Kind};

/// Variables cargo sets for every build script run: cargo already reruns
/// the script when they change, so no `rerun-if-env-changed` line is
/// printed for them.
const SET_BY_CARGO: &[&str] = &[
    "CARGO_CFG_TARGET_ARCH",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_MANIFEST_DIR",
    "CARGO_PKG_NAME",
    "HOST",
    "OPT_LEVEL",
    "OUT_DIR",
    "RUSTC",
    "TARGET",
];

/// Reads the environment variable `name`; an empty value counts as unset.
///
/// Every variable cinline-build reads goes through here, and the first read
/// of each prints `cargo:rerun-if-env-changed=NAME` (except for the ones
/// cargo sets itself), so that changing it reruns the build script.
#[allow(clippy::disallowed_methods)] // the one allowed reader
pub(crate) fn getenv(name: &str) -> Option<OsString> {
    static ANNOUNCED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    if !SET_BY_CARGO.contains(&name) {
        let mut announced = ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner());
        if announced.insert(name.to_string()) {
            println!("cargo:rerun-if-env-changed={name}");
        }
    }
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// Reads a per-target variable the way cc-rs does, most specific first:
/// `VAR_<target>`, `VAR_<target with underscores>`, `TARGET_VAR`, `VAR`.
pub(crate) fn getenv_for_target(var: &str, target: &str) -> Option<OsString> {
    getenv(&format!("{var}_{target}"))
        .or_else(|| getenv(&format!("{var}_{}", target.replace(['-', '.'], "_"))))
        .or_else(|| getenv(&format!("TARGET_{var}")))
        .or_else(|| getenv(var))
}

/// What cargo tells a build script, read once.
#[derive(Debug, Clone)]
pub(crate) struct BuildEnv {
    /// `OUT_DIR` (or `Builder::out_dir`).
    pub out_dir: PathBuf,
    /// `CARGO_PKG_NAME`.
    pub package: String,
    /// `TARGET`; rustc's host if unset.
    pub target: Option<String>,
    /// `HOST`; rustc's host if unset.
    pub host: Option<String>,
    /// `RUSTC`; `rustc` if unset.
    pub rustc: OsString,
    /// `OPT_LEVEL`; `0` if unset.
    pub opt_level: String,
    /// `-C target-cpu`/`-C target-feature` in `CARGO_ENCODED_RUSTFLAGS`.
    pub target_cpu: TargetCpu,
    /// `CARGO_CFG_TARGET_ARCH`.
    pub target_arch: Option<String>,
}

impl BuildEnv {
    /// Reads the variables cargo sets; `out_dir` overrides `OUT_DIR`.
    pub fn read(out_dir: Option<PathBuf>) -> Result<BuildEnv, Error> {
        let text = |name| getenv(name).map(|v| v.to_string_lossy().into_owned());
        let out_dir = out_dir
            .or_else(|| getenv("OUT_DIR").map(PathBuf::from))
            .ok_or(Kind::NotInBuildScript { var: "OUT_DIR" })?;
        Ok(BuildEnv {
            out_dir: std::path::absolute(&out_dir).unwrap_or(out_dir),
            package: text("CARGO_PKG_NAME").ok_or(Kind::NotInBuildScript {
                var: "CARGO_PKG_NAME",
            })?,
            target: text("TARGET"),
            host: text("HOST"),
            rustc: getenv("RUSTC").unwrap_or_else(|| "rustc".into()),
            opt_level: text("OPT_LEVEL").unwrap_or_else(|| "0".into()),
            target_cpu: TargetCpu::from_rustflags(
                &text("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default(),
            ),
            target_arch: text("CARGO_CFG_TARGET_ARCH"),
        })
    }
}
