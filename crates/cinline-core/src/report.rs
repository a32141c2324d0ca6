//! `cinline report`: which helper calls are left in native objects, and why.
//!
//! A call that was inlined leaves nothing behind. A call that was not leaves
//! a relocation against the helper's symbol: undefined if the helper was
//! never linked into the crate (an out-of-line build), or a local copy of
//! the helper kept in the object (linked, but not inlined everywhere).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SymbolIndex};

use crate::bitcode::BitcodeFile;
use crate::inline_attrs::mismatches;
use crate::link::arch_of;
use crate::link::prepare::parse;
use crate::toolchain::{load_libllvm, Rustc};
use crate::Error;

/// The helper references found in one object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Residual {
    /// The helper symbol.
    pub helper: String,
    /// Relocations that refer to it (calls or address uses).
    pub references: usize,
    /// Whether the object keeps its own copy of the helper.
    pub defined_here: bool,
    /// Why it was not inlined, as far as can be told.
    pub reasons: Vec<String>,
}

/// One object's residual helper references.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectReport {
    /// The object file.
    pub object: PathBuf,
    /// One entry per helper still referenced, sorted by name.
    pub residuals: Vec<Residual>,
}

/// Counts the references to `helpers` in an object file's bytes: for each
/// helper referenced or defined, (references, defined here). An ELF
/// relocation may name the section of a local function instead of the
/// function itself; both count.
pub fn scan_object(
    path: &Path,
    data: &[u8],
    helpers: &BTreeSet<String>,
) -> crate::Result<BTreeMap<String, (usize, bool)>> {
    let file = object::File::parse(data)
        .map_err(|e| Error::Usage(format!("{}: not an object file: {e}", path.display())))?;
    let mut by_symbol: HashMap<SymbolIndex, String> = HashMap::new();
    let mut by_section = HashMap::new();
    let mut found: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    for symbol in file.symbols() {
        let Ok(name) = symbol.name() else { continue };
        if !helpers.contains(name) {
            continue;
        }
        by_symbol.insert(symbol.index(), name.to_string());
        let defined = !symbol.is_undefined();
        if defined {
            if let Some(section) = symbol.section_index() {
                by_section.insert(section, name.to_string());
            }
        }
        let entry = found.entry(name.to_string()).or_default();
        entry.1 |= defined;
    }
    for section in file.sections() {
        for (_, relocation) in section.relocations() {
            let RelocationTarget::Symbol(index) = relocation.target() else {
                continue;
            };
            let name = by_symbol.get(&index).cloned().or_else(|| {
                let symbol = file.symbol_by_index(index).ok()?;
                let target = symbol.section_index()?;
                // A section symbol standing for a local helper's section,
                // but not the helper's own section referring to itself.
                (symbol.kind() == object::SymbolKind::Section
                    && Some(target) != Some(section.index()))
                .then(|| by_section.get(&target).cloned())
                .flatten()
            });
            if let Some(name) = name {
                found.entry(name).or_default().0 += 1;
            }
        }
    }
    Ok(found)
}

/// Reports the helper references left in each object. Helper names are the
/// symbols the `helpers` bitcode defines. With `krate` (the crate's
/// bitcode), reasons compare each helper with its real callers; without it,
/// with what the architecture guarantees.
pub fn report(
    objects: &[PathBuf],
    helpers: &[PathBuf],
    krate: Option<&Path>,
    rustc: &Rustc,
) -> crate::Result<Vec<ObjectReport>> {
    let llvm = load_libllvm(rustc)?;
    let ctx = llvm.context();
    let parse = |path: &Path| parse(&ctx, &BitcodeFile::read_for(path, llvm.version())?);
    let helper_modules = helpers
        .iter()
        .map(|p| parse(p))
        .collect::<crate::Result<Vec<_>>>()?;
    let crate_module = krate.map(parse).transpose()?;
    let names: BTreeSet<String> = helper_modules
        .iter()
        .flat_map(|m| m.defined_symbols())
        .collect();
    let arch = crate_module
        .as_ref()
        .or(helper_modules.first())
        .map(|m| arch_of(&m.triple()).to_string())
        .unwrap_or_default();
    let reasons_for = |helper: &str, defined_here: bool| -> Vec<String> {
        let mut reasons = Vec::new();
        if !defined_here {
            reasons.push(
                "the helper is not in this object: it was not linked in with `cinline link`"
                    .to_string(),
            );
        }
        let Some(def) = helper_modules
            .iter()
            .find_map(|m| m.function(helper))
            .filter(|f| !f.is_declaration())
        else {
            return reasons;
        };
        let callers = crate_module
            .as_ref()
            .and_then(|m| m.function(helper))
            .map(|decl| decl.callers())
            .unwrap_or_default();
        let mut kinds: Vec<String> = if callers.is_empty() {
            mismatches(&def, None, &arch)
                .iter()
                .map(ToString::to_string)
                .collect()
        } else {
            callers
                .iter()
                .flat_map(|c| {
                    mismatches(&def, Some(c), &arch)
                        .into_iter()
                        .map(move |k| format!("in {}: {k}", c.name()))
                })
                .collect()
        };
        kinds.dedup();
        if kinds.is_empty() && defined_here {
            kinds.push(format!(
                "no attribute mismatch found; LLVM's inliner declined it ({} IR instructions)",
                def.instruction_count()
            ));
        }
        reasons.extend(kinds);
        reasons
    };
    objects
        .iter()
        .map(|object| {
            let data = std::fs::read(object).map_err(Error::read(object))?;
            let residuals = scan_object(object, &data, &names)?
                .into_iter()
                .map(|(helper, (references, defined_here))| Residual {
                    reasons: reasons_for(&helper, defined_here),
                    helper,
                    references,
                    defined_here,
                })
                .collect();
            Ok(ObjectReport {
                object: object.clone(),
                residuals,
            })
        })
        .collect()
}
