//! The tools `cinline-cc` captures with: the clang of rustc's LLVM (or the
//! nearest one not newer), and rustc's libLLVM where that clang reads what
//! it writes (for [`super::promote`]).
//!
//! Found when a build script first compiles a file to capture, from the
//! `RUSTC` cargo gives build scripts, and kept for the build in
//! `<profile>/cinline/capture-tools.json` (beside the wrapper's
//! `rustc.json`): a vendored library of a hundred files asks once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::toolchain::{file_stamp, find_clang, find_libllvm, Rustc};
use crate::{env, full_message, getenv};

/// The capture tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tools {
    /// The clang that compiles.
    pub clang: PathBuf,
    /// rustc's libLLVM, when promotion may use it.
    pub libllvm: Option<PathBuf>,
}

/// [`Tools`] as cached, with what they were found for.
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    /// rustc's path and release.
    rustc: String,
    /// `CLANG` as it was.
    clang_variable: Option<String>,
    /// The clang's size and modification time.
    clang_stamp: String,
    tools: Tools,
}

/// The tools for the build script running this compiler (its `OUT_DIR`
/// is `<profile>/build/<package>-<hash>/out`), or why there are none.
pub fn find() -> Result<Tools, String> {
    let profile =
        getenv("OUT_DIR").and_then(|d| PathBuf::from(d).ancestors().nth(3).map(Path::to_path_buf));
    let dir = profile.map(|p| p.join("cinline"));
    let rustc_path = getenv("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc_path = crate::toolchain::which(&rustc_path).unwrap_or_else(|| rustc_path.into());
    let rustc = match &dir {
        Some(dir) => Rustc::cached(rustc_path, &dir.join("rustc.json")),
        None => Rustc::at(rustc_path),
    }
    .map_err(|e| full_message(&e))?;
    let rustc_key = format!("{} {}", rustc.path.display(), rustc.release);
    let clang_variable = env::clang().map(|c| c.to_string_lossy().into_owned());
    let cache = dir.map(|d| d.join("capture-tools.json"));
    let hit = cache
        .as_ref()
        .and_then(|c| std::fs::read(c).ok())
        .and_then(|bytes| serde_json::from_slice::<Cached>(&bytes).ok())
        .filter(|c| {
            c.rustc == rustc_key
                && c.clang_variable == clang_variable
                && file_stamp(&c.tools.clang).as_ref() == Some(&c.clang_stamp)
        });
    if let Some(cached) = hit {
        return Ok(cached.tools);
    }
    let clang = find_clang(None, rustc.llvm.major).map_err(|e| full_message(&e))?;
    // Bitcode written by rustc's LLVM is read by a clang as new or newer.
    let libllvm = (clang.version.major >= rustc.llvm.major)
        .then(|| find_libllvm(&rustc).ok())
        .flatten();
    let tools = Tools {
        clang: clang.path,
        libllvm,
    };
    if let (Some(cache), Some(clang_stamp)) = (cache, file_stamp(&tools.clang)) {
        let cached = Cached {
            rustc: rustc_key,
            clang_variable,
            clang_stamp,
            tools: tools.clone(),
        };
        if let Some(parent) = cache.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        // A cache that cannot be written only costs time.
        let _ = crate::write_atomic(
            &cache,
            serde_json::to_string(&cached)
                .unwrap_or_default()
                .as_bytes(),
        );
    }
    Ok(tools)
}
