//! The helper manifest: what a build script (`cinline-build`) leaves in its
//! `OUT_DIR` beside the helper bitcode, for the rustc wrapper of every
//! dependent crate to find through `-L native=OUT_DIR`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::toolchain::{parse_version, Version};
use crate::{write_atomic, Error};

/// Manifest files end with this; one per directory is usual.
pub const SUFFIX: &str = ".cinline.json";

/// The current manifest format.
pub const FORMAT: u32 = 1;

/// Helper bitcode and what it defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version ([`FORMAT`]).
    pub format: u32,
    /// The package whose build script wrote it.
    pub package: String,
    /// The Rust target it was built for (`TARGET` of the build script).
    pub target: String,
    /// The LLVM triple of the bitcode.
    pub llvm_triple: String,
    /// The LLVM release of the clang that made the bitcode.
    pub llvm_version: String,
    /// Bitcode files, relative to the manifest's directory.
    pub bitcode: Vec<PathBuf>,
    /// Every helper symbol the bitcode defines.
    pub symbols: Vec<String>,
}

impl Manifest {
    /// The LLVM release that made the bitcode.
    pub fn llvm(&self) -> Option<Version> {
        parse_version(&self.llvm_version, "")
    }

    /// Reads a manifest file.
    pub fn read(path: &Path) -> crate::Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(Error::read(path))?;
        let bad = |problem: String| Error::Manifest {
            path: path.to_path_buf(),
            problem,
        };
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a cinline manifest: {e}")))?;
        if manifest.format != FORMAT {
            return Err(bad(format!(
                "manifest format {} (this cinline reads format {FORMAT})",
                manifest.format
            )));
        }
        Ok(manifest)
    }

    /// Writes the manifest to `path`, atomically.
    pub fn write(&self, path: &Path) -> crate::Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a manifest always serializes");
        write_atomic(path, text.as_bytes())
    }

    /// The manifest files in `dir`, sorted.
    pub fn find_in(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(SUFFIX))
            })
            .collect();
        found.sort();
        found
    }
}
