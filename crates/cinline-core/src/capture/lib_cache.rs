//! Libraries matched once: what [`super::store::captured_libs`] found in a
//! static library (which members the store captured, their bitcode, the
//! functions they define), kept in the store (`libs/<archive>.json`) under
//! the archive's stamp (path, size, modification time: the test cargo
//! itself makes of a changed file), so that the rustc wrapper of each
//! crate linking the library, and each link of the build server, read a
//! small file instead of reading the archive, hashing every member and
//! listing its symbols (mimalloc's 453 KiB `static.o`: about a millisecond
//! of every wrapper's and every link's time, on each rebuild).
//!
//! A rebuilt library is a new file (the `cc` crate writes a new archive),
//! so a new stamp: it is matched again. A cache that cannot be read or
//! written is no error: the library is matched again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::{fnv1a, CapturedLib};

/// The directory of kept matches, inside a store.
const DIR: &str = "libs";

/// One archive's match, as kept.
#[derive(Serialize, Deserialize)]
struct Kept {
    /// The cinline that matched it (what a match holds may change with it).
    cinline: String,
    /// The archive's stamp when it was matched.
    stamp: String,
    /// What was found: `None` for an archive with no captured member.
    lib: Option<CapturedLib>,
}

/// What `find` says of `archive` (whose captured objects `store` holds),
/// or what it said before of the same file.
pub(super) fn matched(
    store: &Path,
    archive: &Path,
    find: impl FnOnce() -> Option<CapturedLib>,
) -> Option<CapturedLib> {
    let Some(stamp) = cinline_cc::toolchain::file_stamp(archive) else {
        return find();
    };
    let slot = slot(store, archive);
    if let Some(lib) = load(&slot, &stamp) {
        return lib;
    }
    let lib = find();
    let kept = Kept {
        cinline: env!("CARGO_PKG_VERSION").into(),
        stamp,
        lib,
    };
    if let Ok(text) = serde_json::to_vec(&kept) {
        let _ = std::fs::create_dir_all(store.join(DIR));
        let _ = crate::write_atomic(&slot, &text);
    }
    kept.lib
}

/// Where the match of `archive` is kept.
fn slot(store: &Path, archive: &Path) -> PathBuf {
    let name = fnv1a(archive.as_os_str().as_encoded_bytes());
    store.join(DIR).join(format!("{name:016x}.json"))
}

/// The match kept at `slot`, if it was made by this cinline for the
/// archive as `stamp` says it is, and its bitcode files are all there.
fn load(slot: &Path, stamp: &str) -> Option<Option<CapturedLib>> {
    let kept: Kept = serde_json::from_slice(&std::fs::read(slot).ok()?).ok()?;
    let current = kept.cinline == env!("CARGO_PKG_VERSION") && kept.stamp == stamp;
    let complete = kept
        .lib
        .iter()
        .flat_map(|lib| &lib.objects)
        .all(|o| o.bitcode.is_file());
    (current && complete).then_some(kept.lib)
}
