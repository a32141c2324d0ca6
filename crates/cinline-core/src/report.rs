//! `cinline report`: which helper calls are left in native objects, and why.
//!
//! A call that was inlined leaves nothing behind. A call that was not leaves
//! a relocation against the helper's symbol: undefined if the call goes to
//! the helper's out-of-line definition (in the helpers' object or native
//! library; every call in an out-of-line build), or a local copy of the
//! helper kept in the object. Each relocation is a call (a call or jump
//! instruction refers to it) or an address use (a function pointer to the
//! helper is taken): calls through such a pointer go to the out-of-line
//! definition, whatever was inlined.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use object::elf;
use object::{
    Architecture, Object, ObjectSection, ObjectSymbol, Relocation, RelocationEncoding,
    RelocationFlags, RelocationKind, RelocationTarget, SymbolIndex,
};

use crate::bitcode::BitcodeFile;
use crate::inline_attrs::{mismatches, TargetCheck};
use crate::link::prepare::type_mismatch;
use crate::toolchain::{load_libllvm, Rustc};
use crate::Error;

/// The helper references found in one object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Residual {
    /// The helper symbol.
    pub helper: String,
    /// Relocations that refer to it: `calls + address_uses`.
    pub references: usize,
    /// Relocations of call or jump instructions: calls left.
    pub calls: usize,
    /// Other relocations: the helper's address is taken (a function
    /// pointer, or data pointing at it).
    pub address_uses: usize,
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

/// What an object holds of one helper.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct References {
    /// Relocations of call or jump instructions.
    pub calls: usize,
    /// Relocations that take the helper's address (stored in data, `lea`).
    pub address_uses: usize,
    /// Loads of the helper's address from the GOT into a register: for a
    /// call through the register (rustc's default `-Z plt=no` hoists them
    /// out of loops) or for a function pointer; the code alone does not
    /// tell which.
    pub got_loads: usize,
    /// Of the relocations above, those in debug information and unwind
    /// tables (`.debug*`, `.eh_frame*`): a kept copy of a helper has them,
    /// and they are no calls.
    pub debug_uses: usize,
    /// The object defines the helper (a local copy).
    pub defined_here: bool,
}

impl References {
    /// Every relocation to the helper.
    pub fn total(&self) -> usize {
        self.calls + self.address_uses + self.got_loads
    }
}

/// What a relocation to a helper is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RelocationUse {
    Call,
    Address,
    GotLoad,
}

/// What `relocation`, at `offset` in a code section holding `data`, is for:
/// a call or jump instruction, a GOT load (see [`References::got_loads`]),
/// or an address taken. Told by the relocation type where the architecture
/// has call relocations (`R_X86_64_PLT32`, `R_AARCH64_CALL26`,
/// `R_RISCV_CALL_PLT`...); on x86 by the instruction bytes before it too,
/// since calls may also be PC-relative `call`/`jmp` (`e8`, `e9`: non-PIC
/// code) or go through the GOT (`call *sym@GOTPCREL(%rip)`, `ff 15`/`ff 25`).
fn classify(
    arch: Architecture,
    relocation: &Relocation,
    offset: u64,
    data: &[u8],
) -> RelocationUse {
    if matches!(
        relocation.encoding(),
        RelocationEncoding::X86Branch | RelocationEncoding::AArch64Call
    ) || relocation.kind() == RelocationKind::PltRelative
    {
        return RelocationUse::Call;
    }
    let before = |back: u64| {
        offset
            .checked_sub(back)
            .and_then(|at| data.get(usize::try_from(at).ok()?).copied())
    };
    let r_type = match relocation.flags() {
        RelocationFlags::Elf { r_type } => Some(r_type),
        _ => None,
    };
    let got = relocation.kind() == RelocationKind::GotRelative
        || matches!(
            r_type,
            Some(
                elf::R_X86_64_GOTPCREL
                    | elf::R_X86_64_GOTPCRELX
                    | elf::R_X86_64_REX_GOTPCRELX
                    | elf::R_AARCH64_ADR_GOT_PAGE
                    | elf::R_AARCH64_LD64_GOT_LO12_NC
            )
        );
    let call = match arch {
        Architecture::X86_64 | Architecture::X86_64_X32 | Architecture::I386 => {
            matches!(before(1), Some(0xe8 | 0xe9)) && !got
                || (before(2) == Some(0xff) && matches!(before(1), Some(0x15 | 0x25)))
        }
        _ => matches!(
            r_type,
            Some(
                elf::R_AARCH64_JUMP26
                    | elf::R_AARCH64_CALL26
                    | elf::R_RISCV_CALL
                    | elf::R_RISCV_CALL_PLT
            )
        ),
    };
    match (call, got) {
        (true, _) => RelocationUse::Call,
        (false, true) => RelocationUse::GotLoad,
        (false, false) => RelocationUse::Address,
    }
}

/// The references to `helpers` in an object file's bytes, for each helper
/// referenced or defined. An ELF relocation may name the section of a local
/// function instead of the function itself; both count.
pub fn scan_references(
    path: &Path,
    data: &[u8],
    helpers: &BTreeSet<String>,
) -> crate::Result<BTreeMap<String, References>> {
    let file = object::File::parse(data).map_err(|source| Error::NotObject {
        path: path.to_path_buf(),
        source,
    })?;
    let mut by_symbol: HashMap<SymbolIndex, String> = HashMap::new();
    let mut by_section = HashMap::new();
    let mut found: BTreeMap<String, References> = BTreeMap::new();
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
        found.entry(name.to_string()).or_default().defined_here |= defined;
    }
    for section in file.sections() {
        // Only code holds call instructions; a relocation in data is an
        // address stored there.
        let code = section.kind() == object::SectionKind::Text;
        let section_name = section.name().unwrap_or_default();
        let debug = section_name.starts_with(".debug") || section_name.starts_with(".eh_frame");
        let bytes = section.data().unwrap_or_default();
        for (offset, relocation) in section.relocations() {
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
                let entry = found.entry(name).or_default();
                entry.debug_uses += usize::from(debug);
                let used = if code {
                    classify(file.architecture(), &relocation, offset, bytes)
                } else {
                    RelocationUse::Address
                };
                match used {
                    RelocationUse::Call => entry.calls += 1,
                    RelocationUse::Address => entry.address_uses += 1,
                    RelocationUse::GotLoad => entry.got_loads += 1,
                }
            }
        }
    }
    Ok(found)
}

/// Counts the references to `helpers` in an object file's bytes: for each
/// helper referenced or defined, (references, defined here). See
/// [`scan_references`], which also tells calls from address uses.
pub fn scan_object(
    path: &Path,
    data: &[u8],
    helpers: &BTreeSet<String>,
) -> crate::Result<BTreeMap<String, (usize, bool)>> {
    Ok(scan_references(path, data, helpers)?
        .into_iter()
        .map(|(name, refs)| (name, (refs.total(), refs.defined_here)))
        .collect())
}

/// The reason given for relocations that take a helper's address.
pub const ADDRESS_TAKEN: &str = "its address is taken (a function pointer to the helper): \
     calls through the pointer go to the helper's out-of-line definition";

/// What a helper's attributes say about calls to it not being inlined.
enum Attributes {
    /// The helper's definition or the target is not known.
    Unknown,
    /// The mismatches found, as text.
    Mismatches(Vec<String>),
    /// No mismatch; the helper's size in IR instructions.
    NoneFound { instructions: usize },
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
    let parse = |path: &Path| BitcodeFile::read_for(path, llvm.version())?.parse(&ctx);
    let helper_modules = helpers
        .iter()
        .map(|p| parse(p))
        .collect::<crate::Result<Vec<_>>>()?;
    let crate_module = krate.map(parse).transpose()?;
    let inputs: Vec<&Path> = krate
        .into_iter()
        .chain(helpers.iter().map(PathBuf::as_path))
        .collect();
    crate::supervise::stage_together(&inputs);
    let names: BTreeSet<String> = helper_modules
        .iter()
        .flat_map(|m| m.defined_symbols())
        .collect();
    let target = crate_module
        .as_ref()
        .or(helper_modules.first())
        .map(|m| TargetCheck::new(&ctx, m, "", ""));
    // The attribute reasons `helper` may not inline: compared with its real
    // callers with `--crate`, else facts about the helper alone.
    let attribute_reasons = |helper: &str| -> Attributes {
        let def = helper_modules
            .iter()
            .find_map(|m| m.function(helper))
            .filter(|f| !f.is_declaration());
        let (Some(def), Some(target)) = (def, target.as_ref()) else {
            return Attributes::Unknown;
        };
        let declared = crate_module.as_ref().and_then(|m| m.function(helper));
        if let Some(why) = declared.as_ref().and_then(|d| type_mismatch(d, &def)) {
            return Attributes::Mismatches(vec![why]);
        }
        let callers = declared.map(|decl| decl.callers()).unwrap_or_default();
        let mut kinds: Vec<String> = if callers.is_empty() {
            mismatches(&def, None, target)
                .iter()
                .map(ToString::to_string)
                .collect()
        } else {
            callers
                .iter()
                .flat_map(|c| {
                    mismatches(&def, Some(c), target)
                        .into_iter()
                        .map(move |k| format!("in {}: {k}", c.name()))
                })
                .collect()
        };
        kinds.dedup();
        if kinds.is_empty() {
            Attributes::NoneFound {
                instructions: def.instruction_count(),
            }
        } else {
            Attributes::Mismatches(kinds)
        }
    };
    // Whether the crate's code takes the helper's address (with `--crate`).
    let address_taken_in_ir = |helper: &str| -> Option<bool> {
        let krate = crate_module.as_ref()?;
        Some(krate.function(helper).is_some_and(|f| f.address_taken()))
    };
    // GOT loads are calls through a register unless the crate's IR takes
    // the helper's address; without the IR, counted as calls.
    let resolve_got = |helper: &str, refs: References| -> References {
        let mut refs = refs;
        if address_taken_in_ir(helper) == Some(true) {
            refs.address_uses += refs.got_loads;
        } else {
            refs.calls += refs.got_loads;
        }
        refs.got_loads = 0;
        refs
    };
    let reasons_for = |helper: &str, refs: &References| -> Vec<String> {
        let mut reasons = Vec::new();
        // A local copy with no relocation at all still stands for calls
        // not inlined (its callers are gone only if nothing refers to it).
        if refs.calls > 0 || (refs.defined_here && refs.address_uses == 0) {
            match attribute_reasons(helper) {
                Attributes::Mismatches(kinds) => reasons.extend(kinds),
                Attributes::NoneFound { instructions } if refs.defined_here => {
                    reasons.push(format!(
                        "no attribute mismatch found; LLVM's inliner declined it \
                         ({instructions} IR instructions)"
                    ))
                }
                Attributes::NoneFound { .. } | Attributes::Unknown => reasons.push(
                    "reason unknown: no attribute of the helper or of its callers blocks \
                     inlining (in a plain rustc object every call is left: the helper was \
                     not linked in with `cinline link`)"
                        .to_string(),
                ),
            }
        }
        if refs.address_uses > 0 {
            reasons.push(ADDRESS_TAKEN.to_string());
        }
        reasons
    };
    objects
        .iter()
        .map(|object| {
            let data = std::fs::read(object).map_err(Error::read(object))?;
            let residuals = scan_references(object, &data, &names)?
                .into_iter()
                .map(|(helper, refs)| (resolve_got(&helper, refs), helper))
                .map(|(refs, helper)| Residual {
                    reasons: reasons_for(&helper, &refs),
                    helper,
                    references: refs.total(),
                    calls: refs.calls,
                    address_uses: refs.address_uses,
                    defined_here: refs.defined_here,
                })
                .collect();
            Ok(ObjectReport {
                object: object.clone(),
                residuals,
            })
        })
        .collect()
}
