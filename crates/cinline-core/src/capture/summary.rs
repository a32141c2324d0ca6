//! What `cargo cinline report` says of captured C, per package: the files
//! its build script compiled into its libraries (captured or not, and
//! why), the functions Rust called that were inlined, and those left with
//! why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::store::{self, Entry};
use crate::cargo::record::Record;

/// One package's captured C.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageCapture {
    /// The package.
    pub package: String,
    /// Each C file compiled into one of its libraries, with the library.
    pub files: Vec<(Entry, PathBuf)>,
    /// Its functions inlined somewhere (every call in a unit).
    pub inlined: BTreeSet<String>,
    /// Its functions left out of line somewhere: calls and why.
    pub left: BTreeMap<String, (usize, String)>,
}

impl PackageCapture {
    /// How many of its files were captured.
    pub fn captured(&self) -> usize {
        self.files
            .iter()
            .filter(|(e, _)| e.not_captured.is_none())
            .count()
    }
}

/// The captured C of the build whose output directory (`<profile>`) is
/// `profile_dir`, with what `records` say of its functions.
pub fn summarize(profile_dir: &Path, records: &[Record]) -> Vec<PackageCapture> {
    let mut packages: BTreeMap<String, PackageCapture> = BTreeMap::new();
    let out_dirs = std::fs::read_dir(profile_dir.join("build"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("out"));
    for out_dir in out_dirs {
        let files = store::archived_entries(&out_dir);
        let Some(package) = files.first().map(|(e, _)| e.package.clone()) else {
            continue;
        };
        let lib_dirs: BTreeSet<&Path> = files.iter().filter_map(|(_, lib)| lib.parent()).collect();
        let functions: BTreeSet<String> = lib_dirs
            .into_iter()
            .flat_map(store::captured_libs)
            .collect::<Vec<_>>()
            .iter()
            .flat_map(|lib| &lib.objects)
            .flat_map(|o| o.functions.iter().cloned())
            .collect();
        let summary = packages
            .entry(package.clone())
            .or_insert_with(|| PackageCapture {
                package,
                ..PackageCapture::default()
            });
        summary.files.extend(files);
        for unit in records.iter().flat_map(|r| &r.units) {
            summary.inlined.extend(
                unit.inlined
                    .iter()
                    .filter(|f| functions.contains(*f))
                    .cloned(),
            );
            for call in unit
                .left_calls
                .iter()
                .filter(|c| functions.contains(&c.helper))
            {
                let left = summary
                    .left
                    .entry(call.helper.clone())
                    .or_insert((0, call.reason.clone()));
                left.0 += call.calls;
            }
        }
    }
    packages.into_values().collect()
}
