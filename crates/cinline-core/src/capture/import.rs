//! Import only what is called: for one Rust codegen unit, the captured C
//! functions it calls, small enough to inline, with what they need, cut
//! out of the library's bitcode into a module of their own. That module
//! then goes through the link like any helper bitcode (the one-definition
//! rule, attribute checks, inlining); the library itself stays on the link
//! line as the out-of-line definition of everything.
//!
//! "Small" is the inlining budget (`CINLINE_INLINE_BUDGET` LLVM
//! instructions): a function's own instructions plus those of the local
//! (`static`) functions it reaches, which would come along into the unit.
//! The global functions it calls stay calls into the library. A called
//! function over the budget is not imported at all: Rust calls it out of
//! line, and the record says why.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use cinline_llvm::{Context, Global, GlobalKind, Linkage, Module, Version};

use super::import_cache;
use super::store::CapturedLib;
use crate::link::OutOfLine;
use crate::Error;

/// What one unit imports.
pub struct Import<'ctx> {
    /// One module per library object used, with its bitcode file.
    pub modules: Vec<(PathBuf, Module<'ctx>)>,
    /// Called functions left out, with why.
    pub left_out: Vec<OutOfLine>,
}

/// Cuts the functions of `libs` that `called` names (the functions a unit
/// declares) out of their bitcode, within `budget`, into modules of `ctx`
/// (of LLVM `llvm`). Each cut is made once and kept ([`import_cache`]).
pub fn import<'ctx>(
    ctx: &'ctx Context,
    llvm: Version,
    libs: &[CapturedLib],
    called: &BTreeSet<String>,
    budget: usize,
) -> crate::Result<Import<'ctx>> {
    let mut import = Import {
        modules: Vec::new(),
        left_out: Vec::new(),
    };
    for object in libs.iter().flat_map(|lib| &lib.objects) {
        let wanted: Vec<&String> = object
            .functions
            .iter()
            .filter(|f| called.contains(*f))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let path = &object.bitcode;
        let slot = import_cache::slot(path, &wanted, budget, llvm);
        let (module, left_out) = match slot.as_deref().and_then(|s| import_cache::load(ctx, s)) {
            Some(kept) => kept,
            None => {
                let (module, left_out) = cut(ctx, path, &wanted, budget)?;
                if let Some(slot) = &slot {
                    import_cache::store(slot, module.as_ref(), &left_out);
                }
                (module, left_out)
            }
        };
        import.left_out.extend(left_out);
        import.modules.extend(module.map(|m| (path.clone(), m)));
    }
    Ok(import)
}

/// The module of the functions of `path` among `wanted` within `budget`
/// (none if all are left out), and those left out with why.
fn cut<'ctx>(
    ctx: &'ctx Context,
    path: &Path,
    wanted: &[&String],
    budget: usize,
) -> crate::Result<(Option<Module<'ctx>>, Vec<OutOfLine>)> {
    let llvm_error = |e: cinline_llvm::LlvmError| Error::Llvm {
        path: path.to_path_buf(),
        message: e.0,
    };
    let bytes = std::fs::read(path).map_err(Error::read(path))?;
    let mut module = ctx
        .parse_bitcode(&bytes, &path.to_string_lossy())
        .map_err(llvm_error)?;
    // An alias must point to a definition, and pruning turns
    // definitions into declarations: a file with aliases is not cut.
    if let Some(alias) = module
        .globals()
        .iter()
        .find(|g| g.kind() == GlobalKind::Alias)
    {
        let left_out = wanted
            .iter()
            .map(|name| OutOfLine {
                helper: name.to_string(),
                reason: format!(
                    "its C file defines aliases (`{}`), which cinline does not import from",
                    alias.name()
                ),
                by_design: true,
            })
            .collect();
        return Ok((None, left_out));
    }
    let selection = select(&module, wanted, budget);
    if selection.imported.is_empty() {
        return Ok((None, selection.too_large));
    }
    prune(&mut module, &selection.imported).map_err(llvm_error)?;
    Ok((Some(module), selection.too_large))
}

/// The functions to import, and the called ones too large.
struct Selection {
    imported: BTreeSet<String>,
    too_large: Vec<OutOfLine>,
}

/// Picks, from the called functions `wanted`, those within `budget`. The
/// global functions they call stay calls: clang already inlined into them
/// what it judged worth inlining, and importing those too would inline a
/// library's call tree into every caller.
fn select(module: &Module<'_>, wanted: &[&String], budget: usize) -> Selection {
    let uses = uses_of(module);
    let mut imported = BTreeSet::new();
    let mut too_large = Vec::new();
    for name in wanted {
        let Some(root) = module.function(name).map(|f| *f.as_global()) else {
            continue;
        };
        let cost = cost(root, &uses);
        if cost > budget {
            too_large.push(OutOfLine {
                helper: root.name(),
                reason: format!(
                    "{cost} LLVM instructions with the local functions it calls, over the \
                     inlining budget of {budget} ({})",
                    crate::env::INLINE_BUDGET.name
                ),
                by_design: true,
            });
        } else {
            imported.insert(root.name());
        }
    }
    Selection {
        imported,
        too_large,
    }
}

/// For each global, the globals its definition uses.
fn uses_of<'m>(module: &'m Module<'_>) -> HashMap<Global<'m>, Vec<Global<'m>>> {
    let mut uses: HashMap<Global<'m>, Vec<Global<'m>>> = HashMap::new();
    for used in module.globals() {
        for user in used.users() {
            uses.entry(user).or_default().push(used);
        }
    }
    uses
}

/// The size of `root` with the local globals it reaches: the instructions
/// of the functions among them, which come along when it is imported.
fn cost<'m>(root: Global<'m>, uses: &HashMap<Global<'m>, Vec<Global<'m>>>) -> usize {
    let mut size = 0;
    let mut seen = HashSet::from([root]);
    let mut pending = vec![root];
    while let Some(global) = pending.pop() {
        size += global.as_function().map_or(0, |f| f.instruction_count());
        for used in uses.get(&global).into_iter().flatten() {
            if used.linkage() == Linkage::Local && !used.is_declaration() && seen.insert(*used) {
                pending.push(*used);
            }
        }
    }
    size
}

/// Leaves in `module` the definitions of `keep` and what they use: every
/// other global function or variable becomes a declaration, and what
/// nothing uses any more goes.
fn prune(module: &mut Module<'_>, keep: &BTreeSet<String>) -> Result<(), cinline_llvm::LlvmError> {
    for global in module.globals() {
        let other_function =
            global.kind() == GlobalKind::Function && !keep.contains(&global.name());
        let variable = global.kind() == GlobalKind::Variable;
        if global.linkage() != Linkage::Local && (other_function || variable) {
            global.set_available_externally();
        }
    }
    // Variables the kept functions use get their initializers back as
    // imports later (the one-definition rule): here they are declarations,
    // so that a table of pointers does not drag in every function it names.
    module.drop_available_externally()
}
