//! Captured C called where the call runs once.
//!
//! A captured library function (mimalloc's `mi_free`, say) is imported so
//! that Rust's calls to it can be inlined. Inlined in a loop, it saves a
//! call each time round. Inlined where it runs once per program, it saves
//! one call and costs a copy of its body: code to optimize and generate on
//! every build, and bytes in the binary. The binary's `main` outside its
//! loops is such a place, and setting up and tearing down there (reading
//! arguments, printing results, dropping what was built) calls the
//! allocator often: `bench/workloads`' `alloc` frees memory at 13 such
//! calls, and `mi_free` inlined at all of them made its `main` 1,109 LLVM
//! instructions instead of 355, for no instruction saved in its loop
//! (left calls, its unit is generated in 28.7 ms instead of 36.5).
//!
//! So those calls stay calls to the library's own definition (a
//! call-site `noinline`), the same code the out-of-line build runs; the
//! record says why. A function of a few instructions is inlined there
//! all the same: its body is no larger than the call. Helpers (cinline-build's, a Makefile's) are inlined
//! everywhere: they are written to be, and are smaller than a call's set-up.
//! Under `CINLINE_STRICT` ([`super::LinkOptions::captured_everywhere`])
//! captured functions are inlined at these calls too.

use std::collections::BTreeSet;

use cinline_llvm::{Function, Module};

use super::OutOfLine;

/// The largest body, in LLVM instructions, still inlined where it runs
/// once: about what a call with its arguments and result takes.
const NO_LARGER_THAN_A_CALL: usize = 8;

/// The symbol of C's entry point, which rustc generates for a binary in the
/// codegen unit of Rust's `main`.
const C_MAIN: &str = "main";

/// Marks `noinline` the calls of Rust's `main` (if `module` holds it) to
/// a function of `captured` larger than a call that sit outside its loops,
/// and returns those functions, each once, as kept out of line by design.
pub(super) fn keep_calls_that_run_once(
    module: &Module<'_>,
    captured: &BTreeSet<String>,
) -> Vec<OutOfLine> {
    let mut kept = BTreeSet::new();
    for entry in rust_main(module) {
        for call in entry.call_sites() {
            let Some(callee) = call.callee() else {
                continue;
            };
            let name = callee.name();
            if captured.contains(&name)
                && callee.instruction_count() > NO_LARGER_THAN_A_CALL
                && !call.in_loop()
            {
                call.add_enum_attribute("noinline");
                kept.insert(name);
            }
        }
    }
    kept.into_iter()
        .map(|helper| OutOfLine {
            helper,
            reason: "called where it runs once (the program's `main`, outside its loops): \
                     inlined there it would only add code"
                .into(),
            by_design: true,
        })
        .collect()
}

/// Rust's `main` of a binary: the function C's `main`, defined in this
/// module, hands to `std::rt::lang_start` by address (none in a library,
/// or in a codegen unit without the entry point).
fn rust_main<'m>(module: &'m Module<'_>) -> Vec<Function<'m>> {
    module
        .function(C_MAIN)
        .filter(|c_main| !c_main.is_declaration())
        .map(|c_main| {
            c_main
                .functions_used_as_values()
                .into_iter()
                .filter(|f| !f.is_declaration())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::prepare::{resolve, target_machine};
    use crate::link::Codegen;
    use crate::toolchain::{load_libllvm, Rustc};

    /// A binary's unit as rustc and the import of captured C leave it: C's
    /// `main` hands Rust's `main` to `lang_start_internal`; Rust's `main`
    /// calls the captured `big` in a loop and once after it, and the
    /// captured `tiny` once; `helper_user` calls `big` once too.
    fn unit() -> String {
        let body: String = (1..=12)
            .map(|i| format!("  %v{i} = add i64 %v{}, {i}\n", i - 1))
            .collect();
        format!(
            r#"target triple = "x86_64-unknown-linux-gnu"
@sink = global i64 0
declare i64 @lang_start_internal(ptr, i64, ptr)
define available_externally i64 @big(i64 %v0) alwaysinline {{
{body}  store i64 %v12, ptr @sink
  ret i64 %v12
}}
define available_externally i64 @tiny(i64 %x) alwaysinline {{
  %y = add i64 %x, 1
  ret i64 %y
}}
define internal void @rust_main() {{
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %r = call i64 @big(i64 %i)
  %next = add i64 %i, 1
  %done = icmp eq i64 %next, 10
  br i1 %done, label %after, label %loop
after:
  %once = call i64 @big(i64 %next)
  %t = call i64 @tiny(i64 %once)
  ret void
}}
define i64 @helper_user(i64 %x) {{
  %r = call i64 @big(i64 %x)
  ret i64 %r
}}
define i32 @main(i32 %argc, ptr %argv) {{
  %slot = alloca ptr
  store ptr @rust_main, ptr %slot
  %n = sext i32 %argc to i64
  %r = call i64 @lang_start_internal(ptr %slot, i64 %n, ptr %argv)
  %c = trunc i64 %r to i32
  ret i32 %c
}}
"#
        )
    }

    /// The callees of `function`'s calls, in order.
    fn callees(module: &Module<'_>, function: &str) -> Vec<String> {
        module
            .function(function)
            .unwrap()
            .call_sites()
            .iter()
            .filter_map(|c| c.callee())
            .map(|f| f.name())
            .collect()
    }

    #[test]
    fn a_captured_function_larger_than_a_call_stays_a_call_only_where_main_runs_it_once() {
        let rustc = Rustc::find().unwrap();
        let llvm = load_libllvm(&rustc).unwrap();
        let ctx = llvm.context();
        let mut module = ctx.parse_ir(&unit(), "bin").unwrap();
        let captured = BTreeSet::from(["big".to_string(), "tiny".to_string()]);
        let kept = keep_calls_that_run_once(&module, &captured);
        assert_eq!(
            kept.iter().map(|k| k.helper.as_str()).collect::<Vec<_>>(),
            ["big"]
        );
        assert!(kept[0].by_design && kept[0].reason.contains("runs once"));
        let resolved = resolve(&Codegen::default(), Some(&module)).unwrap();
        let machine = target_machine(&ctx, &module, &resolved).unwrap();
        module.run_passes("always-inline", &machine).unwrap();
        module.verify().unwrap();
        // The call in the loop, `tiny`'s and the one outside `main` are
        // inlined; the call after the loop is left.
        assert_eq!(callees(&module, "rust_main"), ["big"]);
        assert_eq!(callees(&module, "helper_user"), Vec::<String>::new());
    }

    #[test]
    fn a_library_has_no_main_to_leave_calls_in() {
        let rustc = Rustc::find().unwrap();
        let llvm = load_libllvm(&rustc).unwrap();
        let ctx = llvm.context();
        let ir = unit().replace("@main(", "@not_main(");
        let module = ctx.parse_ir(&ir, "lib").unwrap();
        let captured = BTreeSet::from(["big".to_string()]);
        assert!(keep_calls_that_run_once(&module, &captured).is_empty());
    }
}
