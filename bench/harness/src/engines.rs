//! `cinline link` alone, on the bitcode the `cinline-llvm-tools` build kept
//! (rustc's `--emit=llvm-bc` of each workload binary): how long each engine
//! and pass choice takes, and how big the workload loop comes out.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use object::{Object, ObjectSymbol};

use crate::measure::median;
use crate::WORKLOADS;

/// One `cinline link` variant on one workload.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EngineResult {
    pub workload: String,
    pub variant: String,
    /// Median wall time of the `cinline link` command.
    pub seconds: f64,
    /// Bytes of `run_workload` in the object written.
    pub run_fn_bytes: u64,
}

/// The variants: name and `cinline link` options.
pub const VARIANTS: [(&str, &[&str]); 3] = [
    ("rustc-llvm (--passes inline, the default)", &["--engine", "rustc-llvm"]),
    ("rustc-llvm --passes full", &["--engine", "rustc-llvm", "--passes", "full"]),
    ("llvm-tools", &["--engine", "llvm-tools"]),
];

fn newest(paths: impl Iterator<Item = PathBuf>) -> Option<PathBuf> {
    paths
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
}

fn glob_dir(dir: &Path, pred: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| pred(&n.to_string_lossy())))
        .collect()
}

/// The helper bitcode of the newest manifest of each -sys package.
fn helpers(release: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for pkg in ["bench-sys", "uring-sys"] {
        let manifests = glob_dir(&release.join("build"), |n| n.starts_with(&format!("{pkg}-")))
            .into_iter()
            .flat_map(|d| glob_dir(&d.join("out"), |n| n.ends_with(".cinline.json")));
        let manifest = newest(manifests).with_context(|| format!("no cinline manifest of {pkg}"))?;
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&manifest)?)?;
        let dir = manifest.parent().unwrap_or(Path::new("."));
        for bc in json["bitcode"].as_array().into_iter().flatten() {
            out.push(dir.join(bc.as_str().unwrap_or_default()));
        }
    }
    Ok(out)
}

fn run_fn_bytes(object: &Path) -> Result<u64> {
    let data = std::fs::read(object)?;
    let file = object::File::parse(&*data)?;
    Ok(file
        .symbols()
        .filter(|s| !s.is_undefined() && s.name().is_ok_and(|n| n.contains("run_workload")))
        .map(|s| s.size())
        .sum())
}

/// Runs every variant `repeats` times on every workload's bitcode in the
/// `cinline-llvm-tools` target directory.
pub fn compare(cinline: &Path, target_dir: &Path, scratch: &Path, repeats: usize) -> Result<Vec<EngineResult>> {
    let release = target_dir.join("release");
    let helpers = helpers(&release)?;
    let mut results = Vec::new();
    for w in WORKLOADS {
        let bitcode = newest(
            glob_dir(&release.join("deps"), |n| n.starts_with(&format!("{w}-")) && n.ends_with(".bc")).into_iter(),
        )
        .with_context(|| format!("no bitcode of {w} in {}", release.join("deps").display()))?;
        for (i, (variant, opts)) in VARIANTS.iter().enumerate() {
            let output = scratch.join(format!("{w}.variant{i}.o"));
            let mut times = Vec::new();
            for _ in 0..repeats.max(1) {
                let mut cmd = Command::new(cinline);
                cmd.arg("link").arg(&bitcode);
                for h in &helpers {
                    cmd.arg("--helpers").arg(h);
                }
                cmd.arg("-o").arg(&output).args(["--reconcile", "--opt-level", "3"]).args(*opts);
                let start = Instant::now();
                let out = cmd.output().context("cannot run cinline")?;
                times.push(start.elapsed().as_secs_f64());
                if !out.status.success() {
                    bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
                }
            }
            results.push(EngineResult {
                workload: w.into(),
                variant: variant.to_string(),
                seconds: median(&mut times),
                run_fn_bytes: run_fn_bytes(&output)?,
            });
            let _ = std::fs::remove_file(&output);
        }
    }
    Ok(results)
}
