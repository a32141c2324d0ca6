//! A crate's codegen units linked back into one module, the calls between
//! them inlined as crate-local ThinLTO would.
//!
//! rustc optimizes a crate's units in parallel; cinline asks it for a few
//! (`own_codegen::OPTIMIZED_UNITS`) for a binary, whose code it generates
//! itself, and generates them as one unit, so that every call into a
//! helper, in whichever unit, is inlined and the code generated once.
//! What rustc leaves undone under `-C linker-plugin-lto` is its
//! crate-local ThinLTO: a call from one unit to a function of another
//! would stay a call. So, once the units are linked,
//! LLVM's inliner is given those calls, with its own cost model, and no
//! other: each call into the caller's own unit was already weighed by
//! rustc's inliner, and is held back for the time (`noinline` with a mark
//! of cinline's, which copies of the call made by inlining carry too, then
//! taken off). The functions that received code are optimized again with
//! the callers of helpers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cinline_llvm::{CallSite, Context, Function, Linkage, Module, TargetMachine, Version};

use crate::bitcode::BitcodeFile;
use crate::Error;

/// The mark on the calls held back from the inliner.
const HELD: &str = "cinline-same-unit";

/// The mark on the calls that must be inlined ([`mark_last_calls`]).
const LAST_CALL: &str = "cinline-last-call";

/// The largest function whose only call [`mark_last_calls`] inlines, in
/// LLVM instructions: LLVM's bonus for the last call to a local function
/// (15,000) over the cost of an instruction (5).
const LAST_CALL_SIZE: usize = 3000;

/// Links the crate's other units, `siblings`, into `krate` (its first) and
/// inlines the calls between units that LLVM's inliner finds worth it;
/// returns the functions that received code (to optimize again).
pub(super) fn link_units<'ctx>(
    ctx: &'ctx Context,
    engine: Version,
    krate: &mut Module<'ctx>,
    krate_path: &Path,
    siblings: &[PathBuf],
    machine: &TargetMachine,
) -> crate::Result<BTreeSet<String>> {
    hold_calls_within(krate);
    for path in siblings {
        let unit = BitcodeFile::read_for(path, engine)?.parse(ctx)?;
        hold_calls_within(&unit);
        krate.link_in(unit).map_err(|e| Error::Llvm {
            path: path.clone(),
            message: format!("cannot link it with {}: {e}", krate_path.display()),
        })?;
    }
    // LLVM works on the units together from here: a crash names them all.
    let inputs: Vec<&Path> = std::iter::once(krate_path)
        .chain(siblings.iter().map(PathBuf::as_path))
        .collect();
    crate::supervise::stage_together(&inputs);
    let before = calls_between_units(krate);
    let calls: usize = before.values().map(|shape| shape.between).sum();
    let mut received = BTreeSet::new();
    if !before.is_empty() {
        mark_last_calls(krate);
        krate
            .run_passes("cgscc(inline)", machine)
            .map_err(|e| Error::Llvm {
                path: krate_path.to_path_buf(),
                message: format!("inlining between codegen units failed: {e}"),
            })?;
        for f in krate.functions() {
            if let Some(shape) = before.get(&f.name()) {
                if *shape != Shape::of(&f) {
                    received.insert(f.name());
                }
            }
        }
    }
    release_calls(krate);
    crate::cargo::log(|| {
        format!(
            "{}: {} codegen units linked, {calls} call(s) between them, code inlined into {} \
             function(s)",
            krate_path.display(),
            siblings.len() + 1,
            received.len()
        )
    });
    Ok(received)
}

/// Holds back from the inliner every call of `unit` into a function it
/// defines, unless the call already says `noinline`.
fn hold_calls_within(unit: &Module<'_>) {
    for f in unit.functions() {
        for call in f.call_sites() {
            if call.callee().is_some_and(|c| !c.is_declaration())
                && !call.has_enum_attribute("noinline")
            {
                call.add_enum_attribute("noinline");
                call.add_string_attribute(HELD);
            }
        }
    }
}

/// Marks `alwaysinline` each call between units that is the only use of
/// its callee, a hidden one or a local one. In one unit the callee would
/// be local, and LLVM inlines the last call to a local function almost
/// whatever its size; rustc made it global (hidden: not exported from the
/// crate) only for that call from another unit, so the inliner would weigh
/// it as any global function (a `Vec` built by `collect` in
/// examples/liburing's `main` stays a call without this: 9% more
/// instructions for that step). An exported function may have callers in
/// other crates: it is left to the cost model.
fn mark_last_calls(module: &Module<'_>) {
    for f in module.functions() {
        for call in f.call_sites() {
            let Some(callee) = call.callee() else {
                continue;
            };
            let global = callee.as_global();
            if is_between_units(&call)
                && (global.is_hidden() || global.linkage() == Linkage::Local)
                && !callee.has_enum_attribute("noinline")
                && callee.call_count() == 1
                && !callee.address_taken()
                && callee.instruction_count() <= LAST_CALL_SIZE
            {
                call.add_enum_attribute("alwaysinline");
                call.add_string_attribute(LAST_CALL);
            }
        }
    }
}

/// Takes the attributes [`hold_calls_within`] and [`mark_last_calls`] put
/// on calls off them, and off their copies.
fn release_calls(module: &Module<'_>) {
    for f in module.functions() {
        for call in f.call_sites() {
            if call.has_string_attribute(HELD) {
                call.remove_string_attribute(HELD);
                call.remove_enum_attribute("noinline");
            }
            if call.has_string_attribute(LAST_CALL) {
                call.remove_string_attribute(LAST_CALL);
                call.remove_enum_attribute("alwaysinline");
            }
        }
    }
}

/// What tells whether inlining changed a function: its size and the
/// functions it calls; and how many of its calls go to another unit.
struct Shape {
    instructions: usize,
    callees: Vec<String>,
    between: usize,
}

impl Shape {
    fn of(f: &Function<'_>) -> Shape {
        let calls = f.call_sites();
        Shape {
            instructions: f.instruction_count(),
            callees: calls
                .iter()
                .filter_map(|c| c.callee())
                .map(|c| c.name())
                .collect(),
            between: calls.iter().filter(|c| is_between_units(c)).count(),
        }
    }
}

impl PartialEq for Shape {
    fn eq(&self, other: &Self) -> bool {
        (self.instructions, &self.callees) == (other.instructions, &other.callees)
    }
}

/// Whether `call`, in the linked module, goes to a function another unit
/// defined: not held back, and to a definition.
fn is_between_units(call: &CallSite<'_>) -> bool {
    !call.has_string_attribute(HELD)
        && !call.has_enum_attribute("noinline")
        && call.callee().is_some_and(|c| !c.is_declaration())
}

/// The functions of the linked `module` that call into another unit, with
/// their shape.
fn calls_between_units(module: &Module<'_>) -> BTreeMap<String, Shape> {
    module
        .functions()
        .into_iter()
        .map(|f| (f.name(), Shape::of(&f)))
        .filter(|(_, shape)| shape.between > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::prepare::{resolve, target_machine};
    use crate::link::Codegen;
    use crate::toolchain::{load_libllvm, Rustc};

    /// `count` additions, each on the last: a body too large for the
    /// inliner's threshold.
    fn chain(count: usize) -> String {
        let mut body = String::from("  %v0 = add i32 %x, 1\n");
        for i in 1..count {
            body += &format!("  %v{i} = mul i32 %v{}, 3\n", i - 1);
        }
        body + &format!("  ret i32 %v{}\n", count - 1)
    }

    #[test]
    fn calls_between_units_are_inlined_and_calls_within_are_left_as_rustc_left_them() {
        let rustc = Rustc::find().unwrap();
        let llvm = load_libllvm(&rustc).unwrap();
        let ctx = llvm.context();
        let triple = format!("target triple = \"{}\"\n", rustc.host);
        // The first unit: `run` calls into the second (a small function, a
        // large one it alone calls, a call rustc marked `noinline`) and
        // into its own unit (a small function rustc chose not to inline).
        let first = format!(
            "{triple}declare i32 @small(i32)
declare i32 @once(i32)
declare i32 @kept(i32)
declare i32 @exported(i32)
define internal i32 @own(i32 %x) {{
  %y = add i32 %x, 5
  ret i32 %y
}}
define i32 @run(i32 %x) {{
  %a = call i32 @small(i32 %x)
  %b = call i32 @once(i32 %a)
  %c = call i32 @own(i32 %b)
  %d = call i32 @kept(i32 %c) #0
  %e = call i32 @exported(i32 %d)
  ret i32 %e
}}
define i32 @other(i32 %x) {{
  %a = call i32 @own(i32 %x)
  ret i32 %a
}}
attributes #0 = {{ noinline }}
"
        );
        let second = format!(
            "{triple}define hidden i32 @small(i32 %x) {{
  %y = add i32 %x, 7
  ret i32 %y
}}
define hidden i32 @once(i32 %x) {{
{}}}
define hidden i32 @kept(i32 %x) {{
  ret i32 %x
}}
define i32 @exported(i32 %x) {{
{}}}
",
            chain(200),
            chain(200)
        );
        let dir = tempfile::tempdir().unwrap();
        let sibling = dir.path().join("app.app.1234-cgu.1.rcgu.o");
        std::fs::write(
            &sibling,
            ctx.parse_ir(&second, "second").unwrap().to_bitcode(),
        )
        .unwrap();
        let mut krate = ctx.parse_ir(&first, "first").unwrap();
        let resolved = resolve(&Codegen::default(), Some(&krate)).unwrap();
        let machine = target_machine(&ctx, &krate, &resolved).unwrap();
        let first_path = dir.path().join("app.app.1234-cgu.0.rcgu.o");
        let received = link_units(
            &ctx,
            llvm.version(),
            &mut krate,
            &first_path,
            &[sibling],
            &machine,
        )
        .unwrap();
        krate.verify().unwrap();
        assert_eq!(received, BTreeSet::from(["run".to_string()]));
        let run = krate.function("run").unwrap();
        let callees: Vec<String> = run
            .call_sites()
            .iter()
            .filter_map(|c| c.callee())
            .map(|c| c.name())
            .collect();
        // `exported` may have callers in other crates: its one call here
        // is weighed, and it is too large.
        assert_eq!(callees, ["own", "kept", "exported"]);
        // The marks are gone; the `noinline` rustc put stays.
        for f in krate.functions() {
            for call in f.call_sites() {
                assert!(!call.has_string_attribute(HELD) && !call.has_string_attribute(LAST_CALL));
                assert!(!call.has_enum_attribute("alwaysinline"));
                let callee = call.callee().map(|c| c.name());
                assert_eq!(
                    call.has_enum_attribute("noinline"),
                    callee.as_deref() == Some("kept"),
                    "{callee:?}"
                );
            }
        }
    }
}
