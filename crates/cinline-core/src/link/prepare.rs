//! The checks and attribute work both engines do before linking.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use cinline_llvm::{
    CodeModel, Context, Function, Module, OptLevel, RelocModel, TargetMachine, TargetSpec, Version,
};

use super::options::{self, RelocationModel};
use super::{Codegen, LinkOptions, OutOfLine};
use crate::bitcode::{BitcodeFile, Fingerprint};
use crate::inline_attrs::{self, Mismatch, TargetCheck};
use crate::Error;

pub mod abi;
pub mod target_names;

/// The crate and helper modules, checked, ready to link.
pub struct Prepared<'ctx> {
    /// The crate's module.
    pub krate: Module<'ctx>,
    /// Each helper module with the file it came from, in link order.
    pub helpers: Vec<(PathBuf, Module<'ctx>)>,
    /// Every symbol the helpers define, to be internalized.
    pub helper_symbols: Vec<String>,
    /// Attribute mismatches, reconciled or not.
    pub mismatches: Vec<Mismatch>,
    /// Whether the attribute checks changed a module (the files on disk
    /// are stale). The one-definition rule always changes the helpers.
    pub modified: bool,
    /// The crate's functions that call a helper: where inlining will
    /// happen, and so the only code worth optimizing again.
    pub callers: BTreeSet<String>,
    /// Call sites of helpers in the crate.
    pub helper_calls: usize,
    /// The functions imported from captured C (a subset of
    /// `helper_symbols`).
    pub captured_symbols: BTreeSet<String>,
    /// The helpers the crate calls (declares).
    pub called_helpers: BTreeSet<String>,
    /// Helpers the crate declares with another IR type than their
    /// definition's (LLVM never inlines such a call), and captured
    /// functions not imported (over the inlining budget).
    pub left_out: Vec<OutOfLine>,
}

/// The architecture part of a target triple, with aliases folded.
pub fn arch_of(triple: &str) -> &str {
    match triple.split('-').next().unwrap_or_default() {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        arch => arch,
    }
}

/// Reads and parses the crate and helpers in `ctx`, refusing bitcode newer
/// than `engine`, helpers whose target's ABI differs from the crate's
/// ([`abi::abi_difference`]), and symbols defined twice; then checks (and with `opts.reconcile` resolves) the attributes
/// that would block inlining.
pub fn prepare<'ctx>(
    ctx: &'ctx Context,
    engine: Version,
    opts: &LinkOptions,
) -> crate::Result<Prepared<'ctx>> {
    let mut krate = BitcodeFile::read_for(&opts.krate, engine)?.parse(ctx)?;
    let mut callers: BTreeSet<String> = BTreeSet::new();
    if !opts.siblings.is_empty() {
        let resolved = resolve(&opts.codegen, Some(&krate))?;
        let machine = target_machine(ctx, &krate, &resolved).map_err(|e| Error::Llvm {
            path: opts.krate.clone(),
            message: format!("cannot generate code: {e}"),
        })?;
        callers = super::units::link_units(
            ctx,
            engine,
            &mut krate,
            &opts.krate,
            &opts.siblings,
            &machine,
        )?;
    }
    if let Some(part) = &opts.part {
        let llvm_error = |e: cinline_llvm::LlvmError| Error::Llvm {
            path: opts.krate.clone(),
            message: format!("part {} of {}: {e}", part.index + 1, part.count),
        };
        if !super::split::keep_part(&mut krate, part).map_err(llvm_error)? {
            krate = krate.empty_like().map_err(llvm_error)?;
        }
    }
    let crate_triple = krate.triple();
    let crate_layout = krate.data_layout();
    let mut owners: BTreeMap<String, PathBuf> = krate
        .defined_symbols()
        .into_iter()
        .map(|s| (s, opts.krate.clone()))
        .collect();
    let mut helpers = Vec::new();
    let mut helper_symbols = Vec::new();
    let mut left_out = Vec::new();
    let mut captured_symbols = BTreeSet::new();
    // The functions the crate declares: the helpers and captured C it calls.
    let declared: BTreeSet<String> = declarations(&krate).into_iter().collect();
    for (path, module, fingerprint) in read_helpers(ctx, engine, &declared, opts)? {
        // A damaged helper that still parses would fail the merged module's
        // verification, which names the crate: name the helper instead.
        verify_once(&module, fingerprint).map_err(|e| Error::Llvm {
            path: path.clone(),
            message: format!("LLVM cannot use it (the file is damaged: rebuild it): {e}"),
        })?;
        let triple = module.triple();
        let found = abi::Target {
            triple: &triple,
            data_layout: &module.data_layout(),
        };
        let expected = abi::Target {
            triple: &crate_triple,
            data_layout: &crate_layout,
        };
        if let Some(differs) = abi::abi_difference(expected, found) {
            return Err(Error::AbiMismatch {
                helper: path.clone(),
                krate: opts.krate.clone(),
                found: triple,
                expected: crate_triple,
                differs: differs.to_string(),
            });
        }
        for symbol in module.defined_symbols() {
            if let Some(other) = owners.get(&symbol) {
                return Err(if *other == opts.krate {
                    Error::DuplicateSymbol {
                        helper: path.clone(),
                        krate: other.clone(),
                        symbol,
                    }
                } else {
                    Error::DuplicateHelperSymbol {
                        first: other.clone(),
                        second: path.clone(),
                        symbol,
                    }
                });
            }
            owners.insert(symbol.clone(), path.clone());
            helper_symbols.push(symbol);
        }
        helpers.push((path, module));
    }
    if !opts.captured.is_empty() {
        let import =
            crate::capture::import::import(ctx, engine, &opts.captured, &declared, opts.budget)?;
        left_out.extend(import.left_out);
        for (path, module) in import.modules {
            for symbol in module.defined_symbols() {
                if !owners.contains_key(&symbol) {
                    owners.insert(symbol.clone(), path.clone());
                    captured_symbols.insert(symbol.clone());
                    helper_symbols.push(symbol);
                }
            }
            helpers.push((path, module));
        }
    }
    let called: Vec<_> = krate
        .functions()
        .into_iter()
        .filter(|f| {
            f.is_declaration()
                && owners
                    .get(&f.name())
                    .is_some_and(|owner| *owner != opts.krate)
        })
        .collect();
    // Captured functions left out before the link are calls too.
    let not_imported: Vec<_> = krate
        .functions()
        .into_iter()
        .filter(|f| f.is_declaration() && left_out.iter().any(|o| o.helper == f.name()))
        .collect();
    let helper_calls = called
        .iter()
        .chain(&not_imported)
        .map(|f| f.call_count())
        .sum();
    let called_helpers = called
        .iter()
        .chain(&not_imported)
        .map(|f| f.name())
        .collect();
    left_out.extend(mismatched_types(&called, &helpers));
    callers.extend(called.iter().flat_map(|f| f.callers()).map(|c| c.name()));
    let inputs: Vec<&Path> = std::iter::once(opts.krate.as_path())
        .chain(opts.siblings.iter().map(PathBuf::as_path))
        .chain(helpers.iter().map(|(path, _)| path.as_path()))
        .collect();
    crate::supervise::stage_together(&inputs);
    let modules: Vec<&Module<'_>> = helpers.iter().map(|(_, m)| m).collect();
    let defaults = resolve(&opts.codegen, Some(&krate))?;
    let target = TargetCheck::new(ctx, &krate, &defaults.cpu, &defaults.features);
    let checked = inline_attrs::check(&target, &krate, &modules, opts.reconcile);
    Ok(Prepared {
        krate,
        helpers,
        helper_symbols,
        mismatches: checked.mismatches,
        modified: checked.modified,
        callers,
        helper_calls,
        captured_symbols,
        called_helpers,
        left_out,
    })
}

/// Verifies `module`, parsed from a content with `fingerprint`, unless
/// that content verified before ([`inline_attrs::remembered`]): the
/// build's link server reads the same helper files for every part of every
/// binary, and every build reads them again (1 ms a part for
/// examples/liburing's 107 helpers).
fn verify_once(
    module: &Module<'_>,
    fingerprint: Fingerprint,
) -> Result<(), cinline_llvm::LlvmError> {
    let question = format!("verify {} {:032x}\n", fingerprint.len, fingerprint.hash);
    let valid = || module.verify().map(|()| "valid".to_string());
    if inline_attrs::remembered(&question, valid)? != "valid" {
        module.verify()?;
    }
    Ok(())
}

/// The names of the functions `module` declares (calls, not defines).
fn declarations(module: &Module<'_>) -> Vec<String> {
    module
        .functions()
        .iter()
        .filter(|f| f.is_declaration())
        .map(|f| f.name())
        .collect()
}

/// The helper modules the crate can use, in link order: every file of
/// `opts.helpers` that [`LinkOptions::helper_index`] does not describe,
/// and those defining a function the crate (`crate_declares`), or a helper
/// read for it, declares. The others (another -sys crate's helpers, say)
/// are not read.
fn read_helpers<'ctx>(
    ctx: &'ctx Context,
    engine: Version,
    crate_declares: &BTreeSet<String>,
    opts: &LinkOptions,
) -> crate::Result<Vec<(PathBuf, Module<'ctx>, Fingerprint)>> {
    let mut declared: HashSet<String> = crate_declares.iter().cloned().collect();
    let mut read: Vec<Option<(Module<'ctx>, Fingerprint)>> =
        opts.helpers.iter().map(|_| None).collect();
    loop {
        let mut more = false;
        for (path, slot) in opts.helpers.iter().zip(read.iter_mut()) {
            let needed = opts
                .helper_index
                .get(path)
                .is_none_or(|defines| defines.iter().any(|d| declared.contains(d)));
            if slot.is_some() || !needed {
                continue;
            }
            let file = BitcodeFile::read_for(path, engine)?;
            let module = file.parse(ctx)?;
            declared.extend(declarations(&module));
            *slot = Some((module, file.fingerprint()));
            more = true;
        }
        if !more {
            break;
        }
    }
    Ok(opts
        .helpers
        .iter()
        .zip(read)
        .filter_map(|(path, read)| read.map(|(module, key)| (path.clone(), module, key)))
        .collect())
}

/// The helpers among `called` (the crate's declarations) whose definition
/// in `helpers` has another IR type. A call through a mismatched type is
/// not a direct call for LLVM, so it is never inlined; bindgen's binding of
/// a C `_Complex` does that (a Rust struct of two fields against C's
/// vector or pair of floats: the same registers, another IR type).
fn mismatched_types(called: &[Function<'_>], helpers: &[(PathBuf, Module<'_>)]) -> Vec<OutOfLine> {
    called
        .iter()
        .filter_map(|declared| {
            let name = declared.name();
            let defined = helpers
                .iter()
                .find_map(|(_, m)| m.function(&name).filter(|f| !f.is_declaration()))?;
            type_mismatch(declared, &defined).map(|reason| OutOfLine {
                helper: name,
                reason,
                by_design: false,
            })
        })
        .collect()
}

/// Why the crate's `declared` helper cannot be inlined from its
/// `defined` body because their IR types differ, if they do.
pub(crate) fn type_mismatch(declared: &Function<'_>, defined: &Function<'_>) -> Option<String> {
    let (rust, c) = (declared.type_text(), defined.type_text());
    (rust != c).then(|| {
        format!(
            "Rust calls it as `{rust}`, its C definition is `{c}`: LLVM inlines a call only \
             through the callee's own type (rustc and clang lower this signature differently, \
             as they do a C `_Complex` or a small struct returned in a register)"
        )
    })
}

/// Marks `alwaysinline` the helpers (`helper_symbols`) `module` defines:
/// they stand for C `static inline` functions, inlined whatever the cost,
/// as the kernel's `__rust_helper` (`__always_inline`) is. Not those with
/// an unresolved attribute mismatch (`mismatches`): the always-inliner
/// would inline them anyway, and lose what the attribute guarantees; nor
/// those kept out of line (`noinline`) by the one-definition rule. Both
/// engines do this, so that they inline the same calls.
pub(crate) fn mark_always_inline(
    module: &Module<'_>,
    helper_symbols: &[String],
    mismatches: &[Mismatch],
) {
    let names: HashSet<&str> = helper_symbols.iter().map(String::as_str).collect();
    let blocked: HashSet<&str> = mismatches
        .iter()
        .filter(|m| !m.reconciled)
        .map(|m| m.helper.as_str())
        .collect();
    for f in module.functions() {
        let name = f.name();
        if !f.is_declaration()
            && names.contains(name.as_str())
            && !blocked.contains(name.as_str())
            && !f.has_enum_attribute("noinline")
        {
            f.add_enum_attribute("alwaysinline");
        }
    }
}

/// The target machine for `module`'s triple with the `resolved` settings.
pub(crate) fn target_machine(
    ctx: &Context,
    module: &Module<'_>,
    resolved: &Resolved,
) -> Result<TargetMachine, cinline_llvm::LlvmError> {
    ctx.target_machine(&TargetSpec {
        triple: &module.triple(),
        cpu: &resolved.cpu,
        features: &resolved.features,
        opt: resolved.opt,
        reloc: resolved.reloc,
        code_model: resolved.code_model,
    })
}

/// Code generation settings with every default filled in from the crate.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub opt: OptLevel,
    /// `s` or `z` when size is optimized for.
    pub size: Option<char>,
    pub cpu: String,
    pub features: String,
    /// What the options alone ask for (`--target-cpu`, `--target-feature`),
    /// with `native` resolved and rustc's feature names turned into LLVM's:
    /// what an external tool must be told, the merged module's functions
    /// carrying the crate's own CPU and features.
    pub option_cpu: Option<String>,
    /// See `option_cpu`.
    pub option_features: String,
    pub reloc: RelocModel,
    pub code_model: CodeModel,
}

/// Fills unset options from what rustc put in the crate's module: the CPU
/// and features of its functions, and its `PIC Level` and `Code Model`
/// flags. Without a module, the target's defaults.
pub(crate) fn resolve(codegen: &Codegen, krate: Option<&Module<'_>>) -> crate::Result<Resolved> {
    // Unset: `-O2`, as the kernel's `clang -O2` on the merged module.
    let level = codegen.opt_level.unwrap_or(options::OptLevel::O2);
    let opt = match level.number() {
        0 => OptLevel::None,
        1 => OptLevel::Less,
        2 => OptLevel::Default,
        _ => OptLevel::Aggressive,
    };
    let size = level.size();
    target_names::check(codegen, &krate.map(Module::triple).unwrap_or_default())?;
    let first_defined = krate.and_then(|m| m.functions().into_iter().find(|f| !f.is_declaration()));
    let attr = |key: &str| first_defined.as_ref().and_then(|f| f.string_attribute(key));
    // `native` is rustc's and clang's word, not LLVM's: the host's CPU and
    // features, as rustc resolves it.
    let (cpu, native_features) = match codegen.target_cpu.as_deref() {
        Some("native") => Context::host_cpu().unwrap_or(("native".into(), String::new())),
        Some(cpu) => (cpu.to_string(), String::new()),
        None => (attr("target-cpu").unwrap_or_default(), String::new()),
    };
    let option_cpu = codegen.target_cpu.as_ref().map(|_| cpu.clone());
    let option_features = [native_features, target_names::llvm_features(codegen)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    let features = [
        attr("target-features").unwrap_or_default(),
        option_features.clone(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(",");
    let reloc = match codegen.relocation_model {
        Some(RelocationModel::Static) => RelocModel::Static,
        Some(RelocationModel::Pic | RelocationModel::Pie) => RelocModel::Pic,
        Some(RelocationModel::DynamicNoPic) => RelocModel::DynamicNoPic,
        Some(RelocationModel::Default) => RelocModel::Default,
        None => match krate {
            Some(m) if m.flag("PIC Level").is_some() => RelocModel::Pic,
            Some(_) => RelocModel::Static,
            None => RelocModel::Default,
        },
    };
    let code_model = match codegen.code_model {
        Some(options::CodeModel::Tiny) => CodeModel::Tiny,
        Some(options::CodeModel::Small) => CodeModel::Small,
        Some(options::CodeModel::Kernel) => CodeModel::Kernel,
        Some(options::CodeModel::Medium) => CodeModel::Medium,
        Some(options::CodeModel::Large) => CodeModel::Large,
        // LLVM's `CodeModel::Model` numbering in the module flag.
        None => match krate.and_then(|m| m.flag("Code Model")) {
            Some(0) => CodeModel::Tiny,
            Some(1) => CodeModel::Small,
            Some(2) => CodeModel::Kernel,
            Some(3) => CodeModel::Medium,
            Some(4) => CodeModel::Large,
            _ => CodeModel::Default,
        },
    };
    Ok(Resolved {
        opt,
        size,
        cpu,
        features,
        option_cpu,
        option_features,
        reloc,
        code_model,
    })
}
