//! One definition of every C function and variable in the program.
//!
//! Out of line, a helper and every C variable it uses exist once: in the
//! helpers' object (cinline-build's always-linked native library, or the
//! `helpers.o` a Makefile links). Internalizing helper bitcode into each
//! Rust codegen unit, as the kernel's `llvm-link --internalize` does, gives
//! every unit its own copy of that state: a function-local `static`
//! counter counts per unit, a global set from C is not seen from Rust.
//!
//! So before a helper module is linked into a unit, [`apply`] makes it a
//! module of *imports*, as ThinLTO imports functions from other modules:
//!
//! * helper functions and variables become `available_externally`: their
//!   bodies and initializers are there to inline and optimize, but no code
//!   or data is emitted for them; a call not inlined, a function pointer, a
//!   read or write of a C global all go to the one out-of-line definition;
//! * a helper that reaches mutable *internal* state (a `static` variable,
//!   function-local or file-scope, directly or through internal functions
//!   and constants) is kept out of line (`noinline`): inlined, it would
//!   use a copy of that state;
//! * a helper that may be replaced at link time (`weak`) is kept out of
//!   line: the program may run another definition;
//! * constructors, destructors and `llvm.used` lists stay with the
//!   out-of-line object, or they would run or be kept once per unit;
//! * `linkonce_odr` and `weak_odr` definitions (C++ inline functions and
//!   their static locals) link as they are: the linker keeps one of them.
//!
//! Read-only data (string literals, `const` tables) may be duplicated:
//! nothing can tell the copies apart but their addresses, which C does not
//! promise to keep distinct for such data either.

use std::collections::{HashMap, HashSet};

use cinline_llvm::{Global, GlobalKind, Linkage, Module};

use super::prepare::Prepared;
use super::OutOfLine;

/// The module-level lists that belong to the out-of-line object.
const OUT_OF_LINE_LISTS: [&str; 4] = [
    "llvm.global_ctors",
    "llvm.global_dtors",
    "llvm.used",
    "llvm.compiler.used",
];

/// Applies [`apply`] to every helper module of `prepared` and returns the
/// helpers kept out of line that the crate calls, with those LLVM cannot
/// inline for their type or did not import (`Prepared::left_out`).
pub(crate) fn apply_all(prepared: &mut Prepared<'_>) -> Vec<OutOfLine> {
    let declared: HashSet<String> = prepared
        .krate
        .functions()
        .iter()
        .filter(|f| f.is_declaration())
        .map(|f| f.name())
        .collect();
    let mut out_of_line: Vec<OutOfLine> = prepared
        .helpers
        .iter_mut()
        .flat_map(|(_, module)| apply(module))
        .filter(|o| declared.contains(&o.helper))
        .chain(prepared.left_out.iter().cloned())
        .collect();
    out_of_line.sort_by(|a, b| a.helper.cmp(&b.helper));
    out_of_line
}

/// Turns the helper module `module` into imports (see the module docs) and
/// returns the helpers kept out of line, with the reason.
pub(crate) fn apply(module: &mut Module<'_>) -> Vec<OutOfLine> {
    for list in OUT_OF_LINE_LISTS {
        module.remove_global_variable(list);
    }
    let state = reaches_local_state(module);
    let mut out_of_line = Vec::new();
    for global in module.globals() {
        if global.is_declaration() || global.kind() == GlobalKind::Alias {
            continue;
        }
        let reason = match global.linkage() {
            // `linkonce_odr`/`weak_odr` (C++ inline functions and their
            // static locals): every object may keep a copy and the linker
            // keeps one, so they link as they are; the out-of-line object
            // may not have them at all.
            Linkage::Local | Linkage::Appending | Linkage::AvailableExternally | Linkage::Odr => {
                continue
            }
            Linkage::Interposable => {
                Some("weak: the program may use another definition".to_string())
            }
            Linkage::External => state
                .get(&global)
                .map(|variable| format!("uses C state `{variable}`, which must stay one instance")),
        };
        // A constant holding the address of a local variable would be
        // folded to the address of this unit's copy.
        if state.contains_key(&global) || global.linkage() == Linkage::Interposable {
            global.set_mutable();
        }
        global.set_available_externally();
        if let (Some(reason), Some(function)) = (reason, global.as_function()) {
            function.remove_enum_attribute("alwaysinline");
            function.add_enum_attribute("noinline");
            out_of_line.push(OutOfLine {
                helper: global.name(),
                reason,
                by_design: false,
            });
        }
    }
    out_of_line
}

/// The non-local globals whose definitions reach a mutable local variable
/// (through local functions and constants), each with that variable's name.
fn reaches_local_state<'m>(module: &'m Module<'_>) -> HashMap<Global<'m>, String> {
    let mut reached = HashMap::new();
    for root in module
        .globals()
        .into_iter()
        .filter(|g| g.linkage() == Linkage::Local && g.is_mutable_variable() && !g.is_declaration())
    {
        let name = root.name();
        let mut seen: HashSet<Global<'m>> = HashSet::from([root]);
        let mut pending = vec![root];
        while let Some(global) = pending.pop() {
            for user in global.users() {
                if user.linkage() == Linkage::Local {
                    if seen.insert(user) {
                        pending.push(user);
                    }
                } else {
                    reached.entry(user).or_insert_with(|| name.clone());
                }
            }
        }
    }
    reached
}
