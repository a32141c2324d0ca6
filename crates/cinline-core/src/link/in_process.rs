//! The `rustc-llvm` engine: link, internalize, optimize and emit inside
//! rustc's own libLLVM.

use std::collections::BTreeSet;

use cinline_llvm::{Llvm, Module, OptLevel, TargetMachine};

use super::prepare::{mark_always_inline, prepare, resolve, target_machine, Resolved};
use super::{one_definition, run_once, LinkOptions, LinkOutcome, Passes};
use crate::{write_atomic, Error};

/// The function pipeline run on each caller of a helper once the helpers
/// are inlined into it, by optimization level: what `default<On>` would do
/// to the inlined code (scalar clean-up, loop-invariant motion, unrolling,
/// vectorization), without re-optimizing the rest of the crate.
fn caller_pipeline(opt: OptLevel) -> Option<&'static str> {
    match opt {
        OptLevel::None => None,
        OptLevel::Less => Some("sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg"),
        // `no-verify-fixpoint`: a lone instcombine checks that one run reached a
        // fixpoint and aborts the process otherwise (`default<O2>` does not).
        // The steps of `default<O2>` that inlined code gives work to, in
        // its order: scalar clean-up (jump threading removes the tests a
        // helper's return value repeats, as in `refcount_dec_and_test`
        // loops), loop-invariant motion, induction variables (mimalloc's
        // allocation path in `alloc`), redundant loads, then vectorization
        // and unrolling of loops whose calls are gone. Measured on the
        // benchmark's callers, examples/liburing's `main` and loops over
        // slices: the same machine code as the 25 passes of the function
        // simplification and loop optimization steps, for 72% of their
        // instructions (callgrind, liburing's `main`: 72 M against 101 M).
        _ => Some(
            "sroa,early-cse<memssa>,simplifycfg,instcombine<no-verify-fixpoint>,\
             jump-threading,correlated-propagation,simplifycfg,loop-mssa(licm,loop-rotate),\
             loop(indvars),gvn,instcombine<no-verify-fixpoint>,loop-vectorize,slp-vectorizer,loop-unroll,\
             instcombine<no-verify-fixpoint>,simplifycfg",
        ),
    }
}

/// Runs the passes `opts` asks for on the merged module.
fn optimize(
    module: &mut Module<'_>,
    passes: &Passes,
    resolved: &Resolved,
    callers: &BTreeSet<String>,
    machine: &TargetMachine,
) -> Result<(), cinline_llvm::LlvmError> {
    match passes {
        // rustc already optimized the crate and clang the helpers: inline
        // the helpers (all `alwaysinline` by now), optimize the functions
        // they landed in, and drop the helpers nobody calls any more.
        Passes::Inline => {
            module.run_passes("always-inline", machine)?;
            if let Some(pipeline) = caller_pipeline(resolved.opt) {
                for f in module
                    .functions()
                    .iter()
                    .filter(|f| !f.is_declaration() && callers.contains(&f.name()))
                {
                    f.run_passes(pipeline, machine)?;
                }
            }
            // `available_externally` helpers inlined everywhere, or kept
            // out of line, go; so does the C state only they used.
            module.run_passes("elim-avail-extern,globaldce", machine)
        }
        Passes::Full => match resolved.size {
            Some(s) => module.run_passes(&format!("default<O{s}>"), machine),
            None => module.run_passes(&format!("default<O{}>", resolved.opt as u8), machine),
        },
        Passes::Custom(pipeline) => module.run_passes(pipeline, machine),
    }
}

/// Writes `<output>.<stage>.bc` when `CINLINE_SAVE_TEMPS` is set.
fn save_temp(opts: &LinkOptions, stage: &str, module: &Module<'_>) -> crate::Result<()> {
    if crate::env::save_temps() {
        let mut name = opts.output.clone().into_os_string();
        name.push(format!(".{stage}.bc"));
        write_atomic(name.as_ref(), &module.to_bitcode())?;
    }
    Ok(())
}

/// The link; its object written to `opts.output`, or returned
/// (`in_memory`).
pub(super) fn link(
    llvm: &'static Llvm,
    opts: &LinkOptions,
    in_memory: bool,
) -> crate::Result<(LinkOutcome, Option<Vec<u8>>)> {
    let start = std::time::Instant::now();
    let ctx = llvm.context();
    let mut prepared = prepare(&ctx, llvm.version(), opts)?;
    let read = start.elapsed();
    let mut out_of_line = one_definition::apply_all(&mut prepared);
    let mut module = prepared.krate;
    for (path, helper) in prepared.helpers {
        module.link_in(helper).map_err(|e| Error::Llvm {
            path,
            message: format!("cannot link into {}: {e}", opts.krate.display()),
        })?;
    }
    mark_always_inline(&module, &prepared.helper_symbols, &prepared.mismatches);
    if !opts.captured_everywhere {
        out_of_line.extend(run_once::keep_calls_that_run_once(
            &module,
            &prepared.captured_symbols,
        ));
    }
    save_temp(opts, "merged", &module)?;
    // Without helpers linked in, the module is rustc's own, as it made it:
    // nothing to verify, nothing to inline.
    let linked = !prepared.helper_symbols.is_empty();
    if linked {
        module.verify().map_err(|e| Error::Llvm {
            path: opts.krate.clone(),
            message: format!("the module merged with the helpers does not verify: {e}"),
        })?;
    }
    let resolved = resolve(&opts.codegen, Some(&module))?;
    let llvm_error = |what: &str, e: cinline_llvm::LlvmError| Error::Llvm {
        path: opts.krate.clone(),
        message: format!("{what}: {e}"),
    };
    let machine = target_machine(&ctx, &module, &resolved)
        .map_err(|e| llvm_error("cannot generate code", e))?;
    // Code inlined from another codegen unit is worth optimizing too.
    if linked || !prepared.callers.is_empty() || opts.passes != Passes::Inline {
        optimize(
            &mut module,
            &opts.passes,
            &resolved,
            &prepared.callers,
            &machine,
        )
        .map_err(|e| llvm_error("optimization failed", e))?;
    }
    save_temp(opts, "opt", &module)?;
    let optimized = start.elapsed();
    if opts.codegen.function_sections {
        separate_sections(&module);
    }
    let object = machine
        .emit_object(&module)
        .map_err(|e| llvm_error("code generation failed", e))?;
    let object = if in_memory {
        Some(object)
    } else {
        write_atomic(&opts.output, &object)?;
        None
    };
    crate::cargo::log(|| {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{}: read and checked in {:.1} ms, linked and optimized in {:.1} ms, code generated in {:.1} ms",
            opts.krate.display(),
            ms(read),
            ms(optimized - read),
            ms(start.elapsed() - optimized)
        )
    });
    let outcome = LinkOutcome {
        helper_symbols: prepared.helper_symbols,
        mismatches: prepared.mismatches,
        warnings: Vec::new(),
        helper_calls: prepared.helper_calls,
        called_helpers: prepared.called_helpers,
        out_of_line,
    };
    Ok((outcome, object))
}

/// Each function and variable in its own section (ELF targets only).
fn separate_sections(module: &Module<'_>) {
    let triple = module.triple();
    let elf = !["apple", "windows", "darwin", "uefi"]
        .iter()
        .any(|os| triple.contains(os));
    if elf {
        module.separate_sections();
    }
}
