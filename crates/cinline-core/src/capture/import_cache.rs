//! Imports cut once: what [`super::import`] cut from a captured object's
//! bitcode for one set of called functions, kept beside that bitcode
//! (`<key>.imports/<file version>/<cut>.{bc,json}`), so that the other
//! units of a build calling the same functions, and the builds after it,
//! parse a module of a few functions instead of the whole C file again
//! (mimalloc's `static.c`: 17 ms to parse, 3 ms to cut, per unit; its cut
//! module: well under a millisecond).
//!
//! The key holds everything the cut depends on: the bitcode file (path,
//! size, modification time: the directory of its cuts, whose siblings,
//! cuts of an older version of the file, go when it is made), the called
//! functions, the inlining budget and the LLVM that reads and writes the
//! modules. A cache that cannot be read or written is no error: the cut is
//! made again.

use std::path::{Path, PathBuf};

use cinline_llvm::{Context, Module, Version};

use super::store::fnv1a;
use crate::link::OutOfLine;

/// What one cut gave: the functions left out, and whether a module was
/// cut (none when every called function was left out).
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    left_out: Vec<OutOfLine>,
    module: bool,
}

/// Where the cut of `wanted` from `bitcode` is kept (without extension),
/// or `None` if the bitcode file cannot be stamped.
pub(super) fn slot(
    bitcode: &Path,
    wanted: &[&String],
    budget: usize,
    llvm: Version,
) -> Option<PathBuf> {
    let stamp = cinline_cc::toolchain::file_stamp(bitcode)?;
    let names: Vec<&str> = wanted.iter().map(|w| w.as_str()).collect();
    let key = format!("{budget}\n{llvm}\n{}", names.join("\n"));
    let dir = bitcode
        .with_extension("imports")
        .join(format!("{:016x}", fnv1a(stamp.as_bytes())));
    Some(dir.join(format!("{:016x}", fnv1a(key.as_bytes()))))
}

/// The cut kept at `slot`, if there is a complete one.
pub(super) fn load<'ctx>(
    ctx: &'ctx Context,
    slot: &Path,
) -> Option<(Option<Module<'ctx>>, Vec<OutOfLine>)> {
    let entry: Entry =
        serde_json::from_slice(&std::fs::read(slot.with_extension("json")).ok()?).ok()?;
    let module = match entry.module {
        true => {
            let path = slot.with_extension("bc");
            let bytes = std::fs::read(&path).ok()?;
            Some(ctx.parse_bitcode(&bytes, &path.to_string_lossy()).ok()?)
        }
        false => None,
    };
    Some((module, entry.left_out))
}

/// Keeps a cut at `slot`: the module first, then the entry that says it is
/// complete (a reader never sees a half-written cut).
pub(super) fn store(slot: &Path, module: Option<&Module<'_>>, left_out: &[OutOfLine]) {
    let Some(dir) = slot.parent() else { return };
    if !dir.is_dir() {
        // The first cut of this version of the file: the others' go.
        if let Some(all) = dir.parent() {
            for old in std::fs::read_dir(all).into_iter().flatten().flatten() {
                let old = old.path();
                if old != dir {
                    let _ = std::fs::remove_dir_all(&old).or_else(|_| std::fs::remove_file(&old));
                }
            }
        }
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
    }
    if let Some(module) = module {
        if crate::write_atomic(&slot.with_extension("bc"), &module.to_bitcode()).is_err() {
            return;
        }
    }
    let entry = Entry {
        left_out: left_out.to_vec(),
        module: module.is_some(),
    };
    if let Ok(json) = serde_json::to_vec(&entry) {
        let _ = crate::write_atomic(&slot.with_extension("json"), &json);
    }
}
