//! One codegen unit generated on several threads: each thread parses the
//! whole unit and keeps its share of the definitions ([`keep_part`]), so
//! that the link, the callers' optimization and code generation of a
//! large unit run in parallel, as rustc's own codegen units would.
//!
//! Every thread computes the same partition from the same module, so no
//! thread needs to see another's work:
//!
//! - global variables, members of a comdat, and functions the module's
//!   `llvm.used`-style lists name, belong to the first part (a comdat split
//!   across objects would lose members: the linker keeps one group of a
//!   name); the other functions are shared out by size, the largest first,
//!   each to the part with least code so far;
//! - a definition some other part refers to must stay in its own part's
//!   object even where nothing there uses it: a local one is promoted to a
//!   hidden global under a name unique to the unit (ThinLTO's promotion;
//!   still one definition, one address), a `linkonce` one becomes `weak`;
//! - in each part, the definitions it does not own become declarations
//!   (`available_externally`, then `elim-avail-extern`), the locals only
//!   they used go (`globaldce`), and the lists stay in the first part only.
//!
//! A module with aliases, ifuncs or block addresses is not split: the
//! first part is all of it, the others are empty modules.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use cinline_llvm::{Global, GlobalKind, Linkage, LlvmError, Module};

/// Which share of a unit's definitions one link keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// This part, from 0.
    pub index: usize,
    /// How many parts the unit is generated in (at least 2).
    pub count: usize,
    /// The unit's name: promoted locals are named after it, unique in the
    /// program's link.
    pub unit: String,
}

impl Part {
    /// The suffix of the names of promoted locals.
    fn suffix(&self) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.unit.hash(&mut hasher);
        format!("cinline.{:016x}", hasher.finish())
    }
}

/// Whether `module` can be split: no aliases, ifuncs or block addresses
/// (each ties a definition to another, or to its object).
fn splittable(module: &Module<'_>) -> bool {
    !module.has_ifuncs()
        && !module.globals().iter().any(|g| {
            g.kind() == GlobalKind::Alias || g.as_function().is_some_and(|_| g.has_block_address())
        })
}

/// A definition of the module being split.
struct Definition<'m> {
    global: Global<'m>,
    /// The globals whose definitions refer to it.
    users: Vec<Global<'m>>,
    /// The part it belongs to.
    owner: usize,
}

/// Every definition of a [`splittable`] `module`, in module order, with the
/// part it belongs to.
fn definitions<'m>(module: &'m Module<'_>, count: usize) -> Vec<Definition<'m>> {
    let mut defs: Vec<Definition<'m>> = module
        .globals()
        .into_iter()
        .filter(|g| !g.is_declaration() && g.linkage() != Linkage::AvailableExternally)
        .map(|global| Definition {
            users: global.users(),
            global,
            owner: 0,
        })
        .collect();
    let mut loads = vec![0usize; count];
    let mut shared_out = Vec::new();
    for (order, def) in defs.iter().enumerate() {
        let g = &def.global;
        let size = g.as_function().map_or(0, |f| f.instruction_count());
        let pinned = g.kind() != GlobalKind::Function
            || g.in_comdat()
            || def.users.iter().any(|u| u.linkage() == Linkage::Appending);
        if pinned {
            loads[0] += size;
        } else {
            shared_out.push((size, order));
        }
    }
    // Largest first, ties in module order: the same answer in every thread.
    shared_out.sort_by_key(|&(size, order)| (std::cmp::Reverse(size), order));
    for (size, order) in shared_out {
        let lightest = (0..count).min_by_key(|&k| (loads[k], k)).unwrap_or(0);
        loads[lightest] += size;
        defs[order].owner = lightest;
    }
    defs
}

/// Keeps the definitions of `module` that belong to `part` (see the module
/// documentation). False, with nothing changed, where the part is empty:
/// the module cannot be split and this is not the first part.
pub fn keep_part(module: &mut Module<'_>, part: &Part) -> Result<bool, LlvmError> {
    if !splittable(module) {
        return Ok(part.index == 0);
    }
    let suffix = part.suffix();
    let mut appending = Vec::new();
    {
        let defs = definitions(module, part.count);
        let owner: HashMap<Global<'_>, usize> = defs.iter().map(|d| (d.global, d.owner)).collect();
        // Decided for every definition before anything changes.
        let referenced_elsewhere: Vec<bool> = defs
            .iter()
            .map(|d| {
                d.users
                    .iter()
                    .any(|u| owner.get(u).is_some_and(|&other| other != d.owner))
            })
            .collect();
        // Promoted in module order, the same in every thread (an unnamed
        // global gets its number in that order).
        let mut unnamed = 0;
        for (def, _) in defs
            .iter()
            .zip(&referenced_elsewhere)
            .filter(|(d, &r)| r && d.global.linkage() == Linkage::Local)
        {
            let name = def.global.name();
            let new = if name.is_empty() {
                unnamed += 1;
                format!("{suffix}.{unnamed}")
            } else {
                format!("{name}.{suffix}")
            };
            def.global.promote(&new);
        }
        for (def, &elsewhere) in defs.iter().zip(&referenced_elsewhere) {
            let g = &def.global;
            if def.owner == part.index {
                if elsewhere {
                    g.keep_unreferenced();
                }
            } else if g.linkage() == Linkage::Appending {
                appending.push(g.name());
            } else if g.linkage() != Linkage::Local {
                g.set_available_externally();
            }
        }
    }
    for name in appending {
        module.remove_global_variable(&name);
    }
    module.drop_available_externally()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toolchain::{load_libllvm, Rustc};
    use std::collections::BTreeMap;

    /// A module with what splitting must keep whole: C-like state, a local
    /// function and a private constant used from several functions, an
    /// `linkonce_odr` function, a table of function pointers, `llvm.used`
    /// and a comdat.
    fn ir(triple: &str, extra: &str) -> String {
        format!(
            r#"target triple = "{triple}"
$grp = comdat any
@counter = internal global i32 0
@msg = private unnamed_addr constant [3 x i8] c"hi\00"
@table = internal constant [2 x ptr] [ptr @a, ptr @big]
@llvm.used = appending global [1 x ptr] [ptr @kept], section "llvm.metadata"
declare void @use(ptr)
define internal i32 @local(i32 %x) {{
  %v = load i32, ptr @counter
  %s = add i32 %v, %x
  store i32 %s, ptr @counter
  ret i32 %s
}}
define linkonce_odr i32 @odr(i32 %x) {{
  %y = mul i32 %x, 3
  ret i32 %y
}}
define i32 @a() {{
  %r = call i32 @local(i32 1)
  ret i32 %r
}}
define i32 @big(i32 %x) {{
  call void @use(ptr @msg)
  call void @use(ptr @table)
  %1 = call i32 @local(i32 %x)
  %2 = call i32 @odr(i32 %1)
  %3 = add i32 %2, 1
  %4 = add i32 %3, 2
  %5 = add i32 %4, 3
  %6 = add i32 %5, 4
  %7 = add i32 %6, 5
  ret i32 %7
}}
define i32 @c(i32 %x) {{
  %r = call i32 @odr(i32 %x)
  ret i32 %r
}}
define void @kept() {{
  ret void
}}
define i32 @grouped() comdat($grp) {{
  ret i32 1
}}
{extra}"#
        )
    }

    /// Each part of `ir` split in `count`: its definitions (the suffix of
    /// promoted names cut) with their linkage.
    fn parts(ir: &str, count: usize) -> Vec<BTreeMap<String, Linkage>> {
        let rustc = Rustc::find().unwrap();
        let llvm = load_libllvm(&rustc).unwrap();
        (0..count)
            .map(|index| {
                let ctx = llvm.context();
                let mut module = ctx.parse_ir(ir, "unit").unwrap();
                let part = Part {
                    index,
                    count,
                    unit: "app.unit.rcgu.o".into(),
                };
                if !keep_part(&mut module, &part).unwrap() {
                    return BTreeMap::new();
                }
                module.verify().unwrap();
                let suffix = format!(".{}", part.suffix());
                module
                    .globals()
                    .iter()
                    .filter(|g| !g.is_declaration())
                    .map(|g| {
                        let name = g.name();
                        (name.trim_end_matches(&suffix).to_string(), g.linkage())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_definition_is_in_one_part_and_kept_where_others_use_it() {
        let rustc = Rustc::find().unwrap();
        let split = parts(&ir(&rustc.host, ""), 2);
        let names = [
            "counter",
            "msg",
            "table",
            "llvm.used",
            "local",
            "odr",
            "a",
            "big",
            "c",
            "kept",
            "grouped",
        ];
        for name in names {
            let owners: Vec<usize> = (0..2).filter(|&k| split[k].contains_key(name)).collect();
            assert_eq!(owners.len(), 1, "{name} in parts {owners:?}: {split:?}");
        }
        assert_eq!(split.iter().map(BTreeMap::len).sum::<usize>(), names.len());
        // Data, the lists and comdats in the first part; the largest
        // function alone in the other.
        for name in ["counter", "msg", "table", "llvm.used", "kept", "grouped"] {
            assert!(split[0].contains_key(name), "{name}: {split:?}");
        }
        assert_eq!(split[1].keys().collect::<Vec<_>>(), ["big"]);
        // What `big` uses from the first part is visible to it there.
        assert_eq!(split[0]["local"], Linkage::External);
        assert_eq!(split[0]["msg"], Linkage::External);
        assert_eq!(split[0]["counter"], Linkage::Local);
    }

    #[test]
    fn a_module_with_an_alias_is_the_first_part_whole() {
        let rustc = Rustc::find().unwrap();
        let split = parts(&ir(&rustc.host, "@alias = alias i32 (), ptr @a\n"), 3);
        assert!(split[0].contains_key("big") && split[0].contains_key("alias"));
        assert!(split[1].is_empty() && split[2].is_empty(), "{split:?}");
    }
}
