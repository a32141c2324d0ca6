//! The helpers a crate can inline: found through the manifests in its `-L`
//! directories, and the C captured from build scripts in them
//! ([`crate::capture`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::capture::{store, CapturedLib};
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
    /// For each bitcode file, the symbols of its manifest (a manifest's
    /// files together define them): which files a unit needs to read.
    pub index: BTreeMap<PathBuf, BTreeSet<String>>,
    /// The packages that wrote the manifests (`mini-sys`), or built
    /// captured libraries.
    pub packages: Vec<String>,
    /// Static libraries built from captured C, whose functions the crate's
    /// units import as they call them.
    pub captured: Vec<CapturedLib>,
    /// The directories they were found in.
    pub captured_dirs: Vec<PathBuf>,
}

/// Whether any of `dirs` (a crate's `-L` directories) holds a manifest or
/// captured C: only then may the crate inline anything.
pub fn may_inline(dirs: &[PathBuf]) -> bool {
    dirs.iter()
        .any(|d| !Manifest::find_in(d).is_empty() || store::holds_capture(d))
}

impl HelperSet {
    /// Collects the manifests in `dirs` that fit `target` (a Rust target
    /// name) and an engine of LLVM `engine`. Manifests that do not fit are
    /// skipped, and returned with why.
    pub fn find(dirs: &[PathBuf], target: &str, engine: Version) -> (HelperSet, Vec<Skipped>) {
        let mut paths: Vec<PathBuf> = dirs.iter().flat_map(|d| Manifest::find_in(d)).collect();
        paths.sort();
        paths.dedup();
        let (mut set, skipped) = HelperSet::from_manifests(&paths, target, engine);
        // A directory with a manifest is cinline-build's: its bitcode is
        // already there, and its library is the helpers'.
        let captured: Vec<PathBuf> = dirs
            .iter()
            .filter(|d| store::holds_capture(d) && Manifest::find_in(d).is_empty())
            .cloned()
            .collect();
        set.add_captured(&captured);
        (set, skipped)
    }

    /// Adds the captured libraries of `dirs`.
    pub fn add_captured(&mut self, dirs: &[PathBuf]) {
        for dir in dirs {
            let libs = store::captured_libs(dir);
            if libs.is_empty() {
                continue;
            }
            for lib in libs {
                self.symbols
                    .extend(lib.objects.iter().flat_map(|o| o.functions.iter().cloned()));
                self.packages.push(lib.package.clone());
                self.captured.push(lib);
            }
            self.captured_dirs.push(dir.clone());
        }
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
                    let symbols: BTreeSet<String> = manifest.symbols.into_iter().collect();
                    for file in manifest.bitcode.iter().map(|b| dir.join(b)) {
                        set.index.insert(file.clone(), symbols.clone());
                        set.bitcode.push(file);
                    }
                    set.symbols.extend(symbols);
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
        self.bitcode.is_empty() && self.captured.is_empty()
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
