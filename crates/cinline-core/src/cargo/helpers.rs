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
    /// skipped, and returned with why.
    pub fn find(dirs: &[PathBuf], target: &str, engine: Version) -> (HelperSet, Vec<Skipped>) {
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
    ) -> (HelperSet, Vec<Skipped>) {
        let mut set = HelperSet::default();
        let mut skipped = Vec::new();
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
                Err(why) => skipped.push(Skipped {
                    manifest: path.clone(),
                    why,
                }),
            }
        }
        (set, skipped)
    }

    /// Whether there is nothing to inline.
    pub fn is_empty(&self) -> bool {
        self.bitcode.is_empty()
    }
}

/// A manifest that does not fit the crate, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: skipped: {}", manifest.display(), cinline_cc::full_message(why))]
pub struct Skipped {
    /// The manifest file.
    pub manifest: PathBuf,
    /// Why it does not fit.
    pub why: Skip,
}

/// Why a manifest does not fit a crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Skip {
    /// It cannot be read, or is not a manifest of this format.
    #[error(transparent)]
    Unreadable(#[from] cinline_cc::Error),
    /// It was made for another Rust target.
    #[error("made for target {found}, this crate is for {expected}")]
    OtherTarget {
        /// The manifest's target.
        found: String,
        /// The crate's.
        expected: String,
    },
    /// Its bitcode is newer than the engine can read.
    #[error("bitcode made by LLVM {found}, newer than the engine's LLVM {engine}")]
    TooNew {
        /// The LLVM that made the bitcode.
        found: Version,
        /// The engine's.
        engine: Version,
    },
    /// A bitcode file it names is gone (a stale manifest).
    #[error("{} is missing (stale manifest)", .0.display())]
    MissingBitcode(PathBuf),
}

fn usable(path: &Path, target: &str, engine: Version) -> Result<Manifest, Skip> {
    let manifest = Manifest::read(path)?;
    if manifest.target != target {
        return Err(Skip::OtherTarget {
            found: manifest.target,
            expected: target.to_string(),
        });
    }
    if let Some(llvm) = manifest.llvm() {
        if llvm.major > engine.major {
            return Err(Skip::TooNew {
                found: llvm,
                engine,
            });
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(missing) = manifest
        .bitcode
        .iter()
        .map(|b| dir.join(b))
        .find(|b| !b.is_file())
    {
        return Err(Skip::MissingBitcode(missing));
    }
    Ok(manifest)
}
