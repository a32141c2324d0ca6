//! Inlining helpers into one codegen unit: rustc's bitcode of the unit in,
//! a replacement for rustc's object of the unit out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use object::{Object, ObjectSymbol};

use super::helpers::HelperSet;
use super::record::{LeftCall, Unit};
use crate::inline_attrs::Mismatch;
use crate::link::{link_object, Codegen, LinkOptions, LinkOutcome};
use crate::report::{scan_object, scan_references};
use crate::toolchain::Rustc;
use crate::Error;

/// A codegen unit with its helpers inlined.
#[derive(Debug)]
pub struct Inlined {
    /// The new object.
    pub object: Vec<u8>,
    /// Helper references in rustc's object.
    calls_found: usize,
    /// Attribute mismatches met (reconciled or not).
    mismatches: Vec<Mismatch>,
    /// The helpers left, with why.
    left_calls: Vec<LeftCall>,
    /// The helpers the unit called.
    called: BTreeSet<String>,
}

impl Inlined {
    /// What the record of the build says of this unit, named `name`.
    pub fn unit(&self, name: String) -> Unit {
        unit_record(
            name,
            self.calls_found,
            &self.called,
            self.left_calls.clone(),
            &self.mismatches,
        )
    }
}

/// The record of a unit in which `calls_found` calls of the helpers
/// `called` were found and `left_calls` are left after a link that met
/// `mismatches`.
pub fn unit_record(
    name: String,
    calls_found: usize,
    called: &BTreeSet<String>,
    left_calls: Vec<LeftCall>,
    mismatches: &[Mismatch],
) -> Unit {
    let left = left_calls.iter().map(|c| c.calls).sum();
    let inlined = called
        .iter()
        .filter(|h| !left_calls.iter().any(|c| c.helper == **h))
        .cloned()
        .collect();
    Unit {
        name,
        // Inlining may copy a call (a Rust function inlined in two places
        // keeps a helper call in each): found is never less than left.
        calls_before: calls_found.max(left),
        left,
        mismatches: mismatches.iter().map(ToString::to_string).collect(),
        left_calls,
        inlined,
    }
}

/// The global symbols `data` defines, helpers excepted.
fn defined_globals(
    path: &Path,
    data: &[u8],
    helpers: &BTreeSet<String>,
) -> crate::Result<BTreeSet<String>> {
    let file = object::File::parse(data).map_err(|source| Error::NotObject {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(file
        .symbols()
        .filter(|s| s.is_global() && !s.is_undefined())
        .filter_map(|s| s.name().ok().map(str::to_string))
        .filter(|n| !helpers.contains(n))
        .collect())
}

/// Inlines `helpers` into the unit whose bitcode is `bitcode` and whose
/// object rustc made is `object`. `None` if the object calls no helper.
/// Refuses when the new object does not define the same global symbols as
/// rustc's: then the bitcode is not the code of the object (with several
/// codegen units rustc runs ThinLTO, which may rename and move symbols).
pub fn inline_cgu(
    bitcode: &Path,
    object: &[u8],
    helpers: &HelperSet,
    codegen: &Codegen,
    rustc: &Rustc,
) -> crate::Result<Option<Inlined>> {
    let calls = scan_object(bitcode, object, &helpers.symbols)?;
    if calls.is_empty() {
        return Ok(None);
    }
    let calls_found: usize = calls.values().map(|(refs, _)| refs).sum();
    let scratch = tempfile::tempdir().map_err(Error::write(std::env::temp_dir()))?;
    let output = scratch.path().join("cgu.o");
    let (outcome, new) = link_object(
        &LinkOptions {
            krate: bitcode.to_path_buf(),
            helpers: helpers.bitcode.clone(),
            output: output.clone(),
            codegen: codegen.clone(),
            reconcile: true,
            captured: helpers.captured.clone(),
            budget: crate::env::inline_budget()?,
            engine: crate::env::engine()?,
            helper_index: helpers.index.clone(),
            captured_everywhere: crate::env::strict(),
            ..LinkOptions::default()
        },
        rustc,
    )?;
    let before = defined_globals(bitcode, object, &helpers.symbols)?;
    let after = defined_globals(bitcode, &new, &helpers.symbols)?;
    if before != after {
        let differ: Vec<&String> = before.symmetric_difference(&after).take(3).collect();
        return Err(Error::SymbolsDiffer {
            bitcode: bitcode.to_path_buf(),
            differ: differ.into_iter().cloned().collect(),
        });
    }
    let left_calls = left_calls(bitcode, &new, helpers, &outcome)?;
    Ok(Some(Inlined {
        object: new,
        calls_found,
        mismatches: outcome.mismatches,
        left_calls,
        called: calls.into_keys().collect(),
    }))
}

/// The helpers `object` (made from `bitcode` by the link that gave
/// `outcome`) still references, each with its count (a kept copy of a
/// helper counting as one) and the reason the link gave for it.
pub fn left_calls(
    bitcode: &Path,
    object: &[u8],
    helpers: &HelperSet,
    outcome: &LinkOutcome,
) -> crate::Result<Vec<LeftCall>> {
    // The helpers the crate called: inlined C code may call other functions
    // of a captured library, which are no calls left from Rust.
    let called = if outcome.called_helpers.is_empty() {
        &helpers.symbols
    } else {
        &outcome.called_helpers
    };
    Ok(code_references(bitcode, object, called)?
        .into_iter()
        // A kept copy nothing calls still counts once.
        .map(|(helper, (refs, defined))| (helper, refs.max(usize::from(defined))))
        .filter(|(_, calls)| *calls > 0)
        .map(|(helper, calls)| {
            let kept = outcome.out_of_line.iter().find(|o| o.helper == helper);
            let reason = kept
                .map(|o| o.reason.clone())
                .or_else(|| {
                    outcome
                        .mismatches
                        .iter()
                        .find(|m| m.helper == helper && !m.reconciled)
                        .map(|m| m.kind.to_string())
                })
                .unwrap_or_else(|| "reason unknown".into());
            LeftCall {
                helper,
                calls,
                reason,
                by_design: kept.is_some_and(|o| o.by_design),
            }
        })
        .collect())
}

/// Like [`scan_object`], counting only the references from code and data:
/// those from debug information and unwind tables (which a kept copy of a
/// helper has, and which are no calls) are left out, so that a count of
/// calls left is comparable with the calls found in rustc's object.
pub fn code_references(
    path: &Path,
    data: &[u8],
    helpers: &BTreeSet<String>,
) -> crate::Result<BTreeMap<String, (usize, bool)>> {
    Ok(scan_references(path, data, helpers)?
        .into_iter()
        .map(|(name, refs)| (name, (refs.total() - refs.debug_uses, refs.defined_here)))
        .collect())
}

/// Each helper `object` (rustc's, made without cinline) references, with
/// `reason` for all of them: a unit whose calls all stay out of line.
pub fn unit_left_out(
    name: &str,
    path: &Path,
    object: &[u8],
    helpers: &HelperSet,
    reason: &str,
) -> Option<Unit> {
    let left_calls: Vec<LeftCall> = code_references(path, object, &helpers.symbols)
        .ok()?
        .into_iter()
        .filter(|(_, (refs, _))| *refs > 0)
        .map(|(helper, (calls, _))| LeftCall {
            helper,
            calls,
            reason: reason.to_string(),
            by_design: false,
        })
        .collect();
    (!left_calls.is_empty())
        .then(|| unit_record(name.to_string(), 0, &BTreeSet::new(), left_calls, &[]))
}
