//! The helpers a crate can inline: found through the manifests in its `-L`
//! directories.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::manifest::Manifest;
use crate::toolchain::Version;

/// Helper bitcode usable for one crate, with the symbols it defines.
#[derive(Debug, Clone, Default)]
pub struct HelperSet {
    /// The manifests used.
    pub manifests: Vec<PathBuf>,
    /// Every bitcode file, absolute.
    pub bitcode: Vec<PathBuf>,
    /// Every helper symbol.
    pub symbols: BTreeSet<String>,
    /// The packages that wrote the manifests (`mini-sys`).
    pub packages: Vec<String>,
}

impl HelperSet {
    /// Collects the manifests in `dirs` that fit `target` (a Rust target
    /// name) and an engine of LLVM `engine`. Manifests that do not fit are
    /// skipped; the returned warnings say which and why.
    pub fn find(dirs: &[PathBuf], target: &str, engine: Version) -> (HelperSet, Vec<String>) {
        let mut paths: Vec<PathBuf> = dirs.iter().flat_map(|d| Manifest::find_in(d)).collect();
        paths.sort();
        paths.dedup();
        HelperSet::from_manifests(&paths, target, engine)
    }

    /// Like [`HelperSet::find`], from manifest paths.
    pub fn from_manifests(
        paths: &[PathBuf],
        target: &str,
        engine: Version,
    ) -> (HelperSet, Vec<String>) {
        let mut set = HelperSet::default();
        let mut warnings = Vec::new();
        for path in paths {
            match usable(path, target, engine) {
                Ok(manifest) => {
                    let dir = path.parent().unwrap_or(Path::new("."));
                    set.bitcode
                        .extend(manifest.bitcode.iter().map(|b| dir.join(b)));
                    set.symbols.extend(manifest.symbols);
                    set.packages.push(manifest.package);
                    set.manifests.push(path.clone());
                }
                Err(why) => warnings.push(format!("{}: skipped: {why}", path.display())),
            }
        }
        (set, warnings)
    }

    /// Whether there is nothing to inline.
    pub fn is_empty(&self) -> bool {
        self.bitcode.is_empty()
    }
}

fn usable(path: &Path, target: &str, engine: Version) -> Result<Manifest, String> {
    let manifest = Manifest::read(path).map_err(|e| e.to_string())?;
    if manifest.target != target {
        return Err(format!(
            "made for target {}, this crate is for {target}",
            manifest.target
        ));
    }
    if let Some(llvm) = manifest.llvm() {
        if llvm.major > engine.major {
            return Err(format!(
                "bitcode made by LLVM {llvm}, newer than the engine's LLVM {engine}"
            ));
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(missing) = manifest
        .bitcode
        .iter()
        .map(|b| dir.join(b))
        .find(|b| !b.is_file())
    {
        return Err(format!("{} is missing (stale manifest)", missing.display()));
    }
    Ok(manifest)
}
