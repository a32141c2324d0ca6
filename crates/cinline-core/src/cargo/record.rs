//! What the wrapper did to each crate, kept for `cargo cinline report`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::write_atomic;

/// One crate's (or one link's) result.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Record {
    /// The crate.
    pub crate_name: String,
    /// `{crate}{extra-filename}`: unique per build of the crate.
    pub stem: String,
    /// `rlib`, `staticlib` or `link` (binaries, tests, cdylibs).
    pub kind: String,
    /// Each codegen unit that called helpers.
    pub units: Vec<Unit>,
    /// Why something was not done.
    pub warnings: Vec<String>,
}

/// One codegen unit that called helpers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Unit {
    /// The object's name.
    pub name: String,
    /// Helper references before inlining.
    pub calls_before: usize,
    /// Helper references left (0 when every call was inlined).
    pub left: usize,
    /// Whether the object was replaced.
    pub replaced: bool,
    /// Attribute mismatches, as text.
    pub mismatches: Vec<String>,
}

/// Where records of a build with outputs in `out_dir` go: `<profile>/cinline`
/// beside `<profile>/deps`.
pub fn dir_for(out_dir: &Path) -> PathBuf {
    out_dir.parent().unwrap_or(out_dir).join("cinline")
}

impl Record {
    /// Writes the record into `dir` as `<stem>.<kind>.json`.
    pub fn save(&self, dir: &Path) -> crate::Result<()> {
        std::fs::create_dir_all(dir).map_err(crate::Error::write(dir))?;
        let path = dir.join(format!("{}.{}.json", self.stem, self.kind));
        write_atomic(
            &path,
            serde_json::to_string_pretty(self)
                .expect("records serialize")
                .as_bytes(),
        )
    }

    /// The record at `path`, if there is a readable one.
    pub fn load(path: &Path) -> Option<Record> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    }

    /// Every record in `dir`, sorted by crate.
    pub fn load_all(dir: &Path) -> Vec<Record> {
        let mut records: Vec<Record> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| Record::load(&e.path()))
            .collect();
        records.sort_by(|a, b| {
            (&a.crate_name, &a.kind, &a.stem).cmp(&(&b.crate_name, &b.kind, &b.stem))
        });
        records
    }
}
