//! Promotion: a captured file's local (`static`) functions and mutable
//! variables become hidden globals with names unique to the file, before
//! its object is generated.
//!
//! The object then holds the one definition of each, as before (hidden: not
//! exported from the program or shared library it is linked into), and a
//! C function inlined into Rust refers to that definition instead of
//! bringing its own copy: a `static` counter stays one counter, a `static`
//! function keeps one address. Without promotion, a function reaching such
//! state stays out of line (the one-definition rule); with it, mimalloc's
//! allocation path, which reads its `static` options, can be inlined.
//! The bitcode is already optimized when this runs, so the code is the
//! same; only the symbols' binding changes.

use std::path::Path;

use cinline_llvm::{GlobalKind, Linkage, Llvm};

use crate::{write_atomic, Error};

/// Promotes the locals of the bitcode file `path` in place, naming each
/// `NAME.cinline.TAG`; returns how many.
pub fn promote(llvm: &'static Llvm, path: &Path, tag: u64) -> crate::Result<usize> {
    let bytes = std::fs::read(path).map_err(Error::read(path))?;
    let ctx = llvm.context();
    let module = ctx
        .parse_bitcode(&bytes, &path.to_string_lossy())
        .map_err(|e| Error::Llvm {
            path: path.to_path_buf(),
            message: e.0,
        })?;
    let mut promoted = 0;
    for global in module.globals() {
        let name = global.name();
        let wanted = global.kind() == GlobalKind::Function || global.is_mutable_variable();
        if wanted
            && !name.is_empty()
            && global.linkage() == Linkage::Local
            && global.promote(&format!("{name}.cinline.{tag:016x}"))
        {
            promoted += 1;
        }
    }
    if promoted > 0 {
        write_atomic(path, &module.to_bitcode())?;
    }
    Ok(promoted)
}
