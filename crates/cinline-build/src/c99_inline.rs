//! Functions a header defines `inline` but not `static`: C99 `inline`
//! (libxdp's `xsk_ring_prod__reserve`), GNU `extern inline`. bindgen skips
//! them unless asked, and then binds them as plain functions, which calls
//! them out of line in whatever library provides their one external
//! definition.
//!
//! C99 lets any translation unit provide that definition: one file-scope
//! `extern` declaration of an inline function makes its unit define it.
//! So `OUT_DIR/cinline_inline.c` includes the headers and redeclares each
//! one, `extern __typeof__(foo) foo;`: the native library and the bitcode
//! then define `foo` itself, Rust calls `foo`, and cinline inlines it like
//! any helper. (A GNU `extern inline` function is never defined that way:
//! it stays in the library that defines it, called out of line.)

use std::path::{Path, PathBuf};

use crate::compile;
use crate::error::Error;

/// The generated C file, in `OUT_DIR`.
pub(crate) const INLINE_FILE: &str = "cinline_inline.c";

/// Writes `OUT_DIR/cinline_inline.c` for `functions` (the headers' inline,
/// non-static functions the bindings call). Returns its path.
pub(crate) fn write_definitions(
    out_dir: &Path,
    headers: &[PathBuf],
    functions: &[String],
) -> Result<PathBuf, Error> {
    let body: String = functions
        .iter()
        .map(|name| format!("extern __typeof__({name}) {name};\n"))
        .collect();
    compile::write_generated(
        out_dir,
        INLINE_FILE,
        "the external definition of each inline, non-static function the bindings call.",
        headers,
        &body,
    )
}
