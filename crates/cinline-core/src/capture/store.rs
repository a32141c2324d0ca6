//! Where captured C is kept: `OUT_DIR/cinline-capture/` of the build script
//! that compiled it, one entry per compiled file, named by the object file
//! it made ([`ObjectKey`]).
//!
//! The compiler wrapper does not know which archive its object will end up
//! in (the `cc` crate archives objects after compiling them all, under a
//! name the build script chose); the rustc wrapper only sees the archives.
//! The object's bytes are what both see: `ar` copies members unchanged, so
//! a member whose [`ObjectKey`] has an entry is the object that entry's
//! bitcode was generated into.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use object::{Object, ObjectSymbol, SymbolKind};
use serde::{Deserialize, Serialize};

use super::lib_cache;
use crate::cargo::archive;
use crate::{write_atomic, Error};

/// The directory of entries, inside a build script's `OUT_DIR`.
pub const DIR: &str = "cinline-capture";

/// Names an object file by its contents: its length and FNV-1a hash.
/// (A stable hash of our own: the writer and the reader may be different
/// builds of cinline.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    len: u64,
    hash: u64,
}

impl ObjectKey {
    /// The key of an object file's bytes.
    pub fn of(bytes: &[u8]) -> ObjectKey {
        ObjectKey {
            len: bytes.len() as u64,
            hash: fnv1a(bytes),
        }
    }

    /// The file stem of its entry.
    fn stem(self) -> String {
        format!("{:016x}-{}", self.hash, self.len)
    }
}

/// The 64-bit FNV-1a hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// What the compiler wrapper did with one C file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The package whose build script compiled it.
    pub package: String,
    /// The source file, as given to the compiler.
    pub source: PathBuf,
    /// The object file written.
    pub object: PathBuf,
    /// The bitcode the object was generated from (a file name in the same
    /// directory), when captured.
    #[serde(default)]
    pub bitcode: Option<String>,
    /// Why not, when not captured (the original compiler made the object).
    #[serde(default)]
    pub not_captured: Option<String>,
}

impl Entry {
    /// Saves the entry of the object `object_bytes` in `out_dir`'s store,
    /// with its bitcode (`bitcode`, a temporary file moved into the store)
    /// when captured.
    pub fn save(
        mut self,
        out_dir: &Path,
        object_bytes: &[u8],
        bitcode: Option<&Path>,
    ) -> crate::Result<()> {
        let dir = out_dir.join(DIR);
        std::fs::create_dir_all(&dir).map_err(Error::write(&dir))?;
        let stem = ObjectKey::of(object_bytes).stem();
        if let Some(bitcode) = bitcode {
            let name = format!("{stem}.bc");
            let to = dir.join(&name);
            std::fs::rename(bitcode, &to).map_err(Error::write(&to))?;
            self.bitcode = Some(name);
        }
        let text = serde_json::to_string_pretty(&self).expect("an entry always serializes");
        Ok(write_atomic(
            &dir.join(format!("{stem}.json")),
            text.as_bytes(),
        )?)
    }
}

/// The store that serves the `-L` directory `dir`: in `dir` (the `cc`
/// crate's archives are in `OUT_DIR`) or in one of its parents up to the
/// build script's `out` (a CMake or make build installs its archives into
/// `OUT_DIR/lib`, `OUT_DIR/build/...`).
fn store_of(dir: &Path) -> Option<PathBuf> {
    for ancestor in dir.ancestors().take(4) {
        let store = ancestor.join(DIR);
        if store.is_dir() {
            return Some(store);
        }
        if ancestor.file_name().is_some_and(|n| n == "out") {
            break;
        }
    }
    None
}

/// Whether `dir` (a `-L` directory) holds captured C.
pub fn holds_capture(dir: &Path) -> bool {
    store_of(dir).is_some()
}

/// One object of a static library, compiled by the compiler wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedObject {
    /// The member's name in the archive.
    pub member: String,
    /// The bitcode it was generated from.
    pub bitcode: PathBuf,
    /// The global functions it defines.
    pub functions: Vec<String>,
}

/// A static library some of whose objects were captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedLib {
    /// The archive (`OUT_DIR/libfoo.a`).
    pub archive: PathBuf,
    /// The package that built it.
    pub package: String,
    /// Its captured objects.
    pub objects: Vec<CapturedObject>,
}

/// The entries of `dir`'s store, by object key.
fn entries(store: &Path) -> BTreeMap<String, Entry> {
    std::fs::read_dir(store)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            if path.extension()? != "json" {
                return None;
            }
            let entry = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
            Some((stem, entry))
        })
        .collect()
}

/// The static libraries of `dir` (`*.a`), sorted.
fn archives(dir: &Path) -> Vec<PathBuf> {
    archives_within(dir, 0)
}

/// The static libraries of `dir` and its subdirectories down to `depth`
/// levels, sorted.
fn archives_within(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut archives = Vec::new();
    for path in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
    {
        if path.extension().is_some_and(|x| x == "a") && path.is_file() {
            archives.push(path);
        } else if depth > 0 && path.is_dir() && !path.ends_with(DIR) {
            archives.extend(archives_within(&path, depth - 1));
        }
    }
    archives.sort();
    archives
}

/// The entries of the store of `out_dir` (a build script's) whose objects
/// are members of a static library in it or below (compiles of anything
/// else, such as the `cc` crate's flag checks, are left out), each with
/// the library; sorted by source.
pub fn archived_entries(out_dir: &Path) -> Vec<(Entry, PathBuf)> {
    let entries = entries(&out_dir.join(DIR));
    if entries.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for archive in archives_within(out_dir, 3) {
        for (_, data) in archive::members(&archive).unwrap_or_default() {
            if let Some(entry) = entries.get(&ObjectKey::of(&data).stem()) {
                found.push((entry.clone(), archive.clone()));
            }
        }
    }
    found.sort_by(|a, b| a.0.source.cmp(&b.0.source));
    found
}

/// The static libraries in `dir` with captured objects whose bitcode is
/// still there.
pub fn captured_libs(dir: &Path) -> Vec<CapturedLib> {
    let Some(store) = store_of(dir) else {
        return Vec::new();
    };
    // Read only if an archive must be matched again.
    let mut entries_read = None;
    archives(dir)
        .into_iter()
        .filter_map(|archive| {
            lib_cache::matched(&store, &archive, || {
                let entries = entries_read.get_or_insert_with(|| entries(&store));
                captured_lib(&archive, entries, &store)
            })
        })
        .collect()
}

fn captured_lib(
    archive: &Path,
    entries: &BTreeMap<String, Entry>,
    store: &Path,
) -> Option<CapturedLib> {
    if entries.is_empty() {
        return None;
    }
    let mut package = None;
    let objects: Vec<CapturedObject> = archive::members(archive)
        .ok()?
        .into_iter()
        .filter_map(|(member, data)| {
            let entry = entries.get(&ObjectKey::of(&data).stem())?;
            let bitcode = store.join(entry.bitcode.as_ref()?);
            if !bitcode.is_file() {
                return None;
            }
            package.get_or_insert_with(|| entry.package.clone());
            Some(CapturedObject {
                member,
                bitcode,
                functions: defined_functions(&data),
            })
        })
        .collect();
    Some(CapturedLib {
        archive: archive.to_path_buf(),
        package: package?,
        objects,
    })
}

/// The global functions an object file defines.
fn defined_functions(data: &[u8]) -> Vec<String> {
    let Ok(file) = object::File::parse(data) else {
        return Vec::new();
    };
    file.symbols()
        .filter(|s| s.is_global() && s.is_definition() && s.kind() == SymbolKind::Text)
        .filter_map(|s| s.name().ok().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_contents_apart() {
        assert_eq!(ObjectKey::of(b"abc"), ObjectKey::of(b"abc"));
        assert_ne!(ObjectKey::of(b"abc"), ObjectKey::of(b"abd"));
        assert_eq!(ObjectKey::of(b"").stem(), "cbf29ce484222325-0");
    }
}
