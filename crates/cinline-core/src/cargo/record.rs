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
    /// What kept cinline from finishing (the crate is built again next
    /// time); the reasons for calls left are in [`Unit::left_calls`].
    #[serde(alias = "warnings")]
    pub failures: Vec<String>,
    /// Set when the whole crate was built without cinline: why.
    #[serde(default)]
    pub fallback: Option<String>,
    /// Helper manifests skipped, each with why.
    #[serde(default)]
    pub skipped: Vec<String>,
    /// A test harness (`--test`): kept apart from the crate's own record.
    #[serde(default)]
    pub test: bool,
    /// The bitcode of the crate's units cinline read, in bytes: how large
    /// the crate is, for the choice of its next build
    /// ([`super::own_codegen::LARGE_CRATE`]).
    #[serde(default)]
    pub bitcode_bytes: u64,
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
    /// Attribute mismatches, as text.
    pub mismatches: Vec<String>,
    /// The helpers still referenced, with why: their counts add up to
    /// `left`.
    #[serde(default)]
    pub left_calls: Vec<LeftCall>,
    /// The helpers it called that are referenced no more: every call
    /// inlined.
    #[serde(default)]
    pub inlined: Vec<String>,
}

/// Calls of one helper left out of line in a unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftCall {
    /// The helper symbol.
    pub helper: String,
    /// References left to it (a kept local copy counts one).
    pub calls: usize,
    /// Why, as far as known ("reason unknown" otherwise).
    pub reason: String,
    /// A captured C function left by a limit of capture (over the inlining
    /// budget, say): by design, so no warning (see [`crate::link::OutOfLine::by_design`]).
    #[serde(default)]
    pub by_design: bool,
}

impl Unit {
    /// Calls inlined: found minus left.
    pub fn inlined(&self) -> usize {
        self.calls_before.saturating_sub(self.left)
    }
}

/// Where records of a build with outputs in `out_dir` go: `<profile>/cinline`
/// beside `<profile>/deps`.
pub fn dir_for(out_dir: &Path) -> PathBuf {
    out_dir.parent().unwrap_or(out_dir).join("cinline")
}

impl Record {
    /// Helper calls found in the crate.
    pub fn found(&self) -> usize {
        self.units.iter().map(|u| u.calls_before).sum()
    }

    /// Helper calls left out of line.
    pub fn left(&self) -> usize {
        self.units.iter().map(|u| u.left).sum()
    }

    /// Whether anything was left out of line or not done: what
    /// `CINLINE_STRICT` refuses.
    pub fn incomplete(&self) -> bool {
        self.fallback.is_some()
            || !self.failures.is_empty()
            || !self.skipped.is_empty()
            || self.left() > 0
    }

    /// Whether a failure (not a property of the inputs, such as an
    /// attribute mismatch or a manifest skipped) kept cinline from
    /// finishing: the crate should be built again next time.
    pub fn failed(&self) -> bool {
        self.fallback.is_some() || !self.failures.is_empty()
    }

    /// One short line for the user on what was left and why, or `None`
    /// when every helper call was inlined and nothing failed. Captured
    /// functions over the inlining budget count only under
    /// `CINLINE_STRICT` (they are left by design, as are the others of
    /// [`LeftCall::by_design`]).
    pub fn summary(&self) -> Option<String> {
        self.summary_with(crate::env::strict())
    }

    /// [`Record::summary`], counting the calls left by the budget if
    /// `budget_counts`.
    fn summary_with(&self, budget_counts: bool) -> Option<String> {
        let (found, left) = (self.found(), self.left());
        if let Some(why) = &self.fallback {
            let calls = match left {
                0 => "its helper calls stay out of line".to_string(),
                n => format!("{n} helper call(s) left out of line"),
            };
            return Some(format!("built without cinline ({why}); {calls}"));
        }
        // Reasons, most calls first, each with the helpers it concerns.
        // Captured functions over the inlining budget are left by design.
        let mut reasons: Vec<(String, usize, Vec<&str>)> = Vec::new();
        let by_design: usize = self
            .units
            .iter()
            .flat_map(|u| &u.left_calls)
            .filter(|c| c.by_design && !budget_counts)
            .map(|c| c.calls)
            .sum();
        for call in self
            .units
            .iter()
            .flat_map(|u| &u.left_calls)
            .filter(|c| budget_counts || !c.by_design)
        {
            match reasons.iter_mut().find(|r| r.0 == call.reason) {
                Some(r) => {
                    r.1 += call.calls;
                    if !r.2.contains(&call.helper.as_str()) {
                        r.2.push(&call.helper);
                    }
                }
                None => reasons.push((call.reason.clone(), call.calls, vec![&call.helper])),
            }
        }
        reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
        let mut parts: Vec<String> = reasons
            .iter()
            .map(|(reason, _, helpers)| {
                let names = match helpers.len() {
                    1 => helpers[0].to_string(),
                    n => format!("{} and {} more", helpers[0], n - 1),
                };
                format!("{reason} ({names})")
            })
            .collect();
        // Failures not already told as the reason of a call left.
        for w in self.skipped.iter().chain(&self.failures) {
            if !reasons.iter().any(|r| r.0.contains(w.as_str())) && !parts.contains(w) {
                parts.push(w.clone());
            }
        }
        if parts.is_empty() && left <= by_design {
            return None;
        }
        let more = match parts.len().saturating_sub(1) {
            0 => String::new(),
            n => format!("; and {n} more reason(s): see `cargo cinline report`"),
        };
        let counts = match found {
            0 => "its helper calls stay out of line".to_string(),
            _ => format!("{left} of {found} helper call(s) left out of line"),
        };
        Some(format!(
            "{counts}: {}{more}",
            parts.first().map_or("reason unknown", String::as_str)
        ))
    }

    /// The file name of the record of `stem`'s build of `kind`:
    /// `<stem>.<kind>.json`.
    pub fn file_name(stem: &str, kind: &str) -> String {
        format!("{stem}.{kind}.json")
    }

    /// Writes the record into `dir` as `<stem>.<kind>.json`, and removes
    /// older records of the same crate, kind and harness under another
    /// stem (the crate was rebuilt with other settings): the report then
    /// describes each crate's last build only.
    pub fn save(&self, dir: &Path) -> crate::Result<()> {
        self.write(dir)?;
        let name = Record::file_name(&self.stem, &self.kind);
        // Only this crate's records are read (`<crate>-<hash>.<kind>.json`,
        // or `<crate>.<kind>.json` without cargo): not every crate's.
        let of_this_crate = |file: &str| {
            file.strip_prefix(self.crate_name.as_str())
                .is_some_and(|rest| rest.starts_with(['-', '.']))
        };
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let other = entry.path();
            let file = entry.file_name().to_string_lossy().into_owned();
            if file == name
                || !of_this_crate(&file)
                || other.extension().is_none_or(|e| e != "json")
            {
                continue;
            }
            if let Some(old) = Record::load(&other) {
                if (&old.crate_name, &old.kind, old.test)
                    == (&self.crate_name, &self.kind, self.test)
                {
                    let _ = std::fs::remove_file(&other);
                }
            }
        }
        Ok(())
    }

    /// Writes the record into `dir` as `<stem>.<kind>.json`, leaving other
    /// records alone (the linker wrapper's; the rustc wrapper saves the
    /// record again once rustc is done).
    pub fn write(&self, dir: &Path) -> crate::Result<()> {
        std::fs::create_dir_all(dir).map_err(crate::Error::write(dir))?;
        let path = dir.join(Record::file_name(&self.stem, &self.kind));
        write_atomic(
            &path,
            serde_json::to_string_pretty(self)
                .expect("records serialize")
                .as_bytes(),
        )?;
        Ok(())
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
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| Record::load(&e.path()))
            .collect();
        records.sort_by(|a, b| {
            (&a.crate_name, &a.kind, &a.stem).cmp(&(&b.crate_name, &b.kind, &b.stem))
        });
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(before: usize, left: &[(&str, usize, &str)]) -> Unit {
        Unit {
            name: "u.rcgu.o".into(),
            calls_before: before,
            left: left.iter().map(|l| l.1).sum(),
            mismatches: Vec::new(),
            left_calls: left
                .iter()
                .map(|(helper, calls, reason)| LeftCall {
                    helper: helper.to_string(),
                    calls: *calls,
                    reason: reason.to_string(),
                    ..LeftCall::default()
                })
                .collect(),
            inlined: Vec::new(),
        }
    }

    #[test]
    fn a_crate_with_everything_inlined_says_nothing() {
        let record = Record {
            units: vec![unit(5, &[])],
            ..Record::default()
        };
        assert_eq!(record.summary(), None);
        assert!(!record.incomplete());
        assert_eq!(record.units[0].inlined(), 5);
    }

    #[test]
    fn calls_left_are_counted_and_grouped_by_reason() {
        let record = Record {
            units: vec![
                unit(4, &[("a", 2, "needs +avx2"), ("b", 1, "needs +avx2")]),
                unit(3, &[("c", 1, "mutable C state")]),
            ],
            ..Record::default()
        };
        assert_eq!(record.found(), 7);
        assert_eq!(record.left(), 4);
        assert!(record.incomplete() && !record.failed());
        assert_eq!(
            record.summary().unwrap(),
            "4 of 7 helper call(s) left out of line: needs +avx2 (a and 1 more); \
             and 1 more reason(s): see `cargo cinline report`"
        );
    }

    #[test]
    fn calls_left_by_the_budget_are_told_only_under_strict() {
        let mut record = Record {
            units: vec![unit(3, &[("big", 1, "over the inlining budget")])],
            ..Record::default()
        };
        record.units[0].left_calls[0].by_design = true;
        assert_eq!(record.summary_with(false), None);
        assert!(record.incomplete());
        assert_eq!(
            record.summary_with(true).unwrap(),
            "1 of 3 helper call(s) left out of line: over the inlining budget (big)"
        );
    }

    #[test]
    fn fallbacks_and_skipped_manifests_are_told() {
        let record = Record {
            fallback: Some("x.bc: damaged".into()),
            ..Record::default()
        };
        assert!(record.failed());
        assert_eq!(
            record.summary().unwrap(),
            "built without cinline (x.bc: damaged); its helper calls stay out of line"
        );
        let record = Record {
            skipped: vec!["m.cinline.json: skipped: not JSON".into()],
            ..Record::default()
        };
        assert!(record.incomplete() && !record.failed());
        assert_eq!(
            record.summary().unwrap(),
            "its helper calls stay out of line: m.cinline.json: skipped: not JSON"
        );
    }

    #[test]
    fn saving_removes_the_records_of_older_builds_of_the_crate() {
        let dir = tempfile::tempdir().unwrap();
        let record = |stem: &str, kind: &str, test: bool| Record {
            crate_name: "app".into(),
            stem: stem.into(),
            kind: kind.into(),
            test,
            ..Record::default()
        };
        record("app-1", "link", false).save(dir.path()).unwrap();
        record("app-2", "link", true).save(dir.path()).unwrap();
        record("app-3", "rlib", false).save(dir.path()).unwrap();
        record("app-4", "link", false).save(dir.path()).unwrap();
        let stems: Vec<String> = Record::load_all(dir.path())
            .into_iter()
            .map(|r| r.stem)
            .collect();
        assert_eq!(stems, ["app-2", "app-4", "app-3"]);
    }
}
