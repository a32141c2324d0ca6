//! The `rustc-llvm` engine: link, internalize, optimize and emit inside
//! rustc's own libLLVM.

use std::collections::HashSet;

use cinline_llvm::{Llvm, Module, OptLevel};

use super::prepare::{prepare, resolve, Resolved};
use super::{Engine, LinkOptions, LinkOutcome, Passes};
use crate::{getenv, write_atomic, Error};

/// The pipeline run on the merged module.
fn pipeline(passes: &Passes, resolved: &Resolved) -> String {
    match passes {
        // rustc already optimized the crate and clang the helpers: inline
        // the helpers (all `alwaysinline` by now), simplify where they
        // landed, and drop the helpers nobody calls any more.
        Passes::Inline if resolved.opt == OptLevel::None => "always-inline,globaldce".into(),
        Passes::Inline => {
            "always-inline,function(sroa,early-cse,instcombine,simplifycfg),globaldce".into()
        }
        Passes::Full => match resolved.size {
            Some(s) => format!("default<O{s}>"),
            None => format!("default<O{}>", resolved.opt as u8),
        },
        Passes::Custom(pipeline) => pipeline.clone(),
    }
}

/// Writes `<output>.<stage>.bc` when `CINLINE_SAVE_TEMPS` is set.
fn save_temp(opts: &LinkOptions, stage: &str, module: &Module<'_>) -> crate::Result<()> {
    if getenv("CINLINE_SAVE_TEMPS").is_some() {
        let mut name = opts.output.clone().into_os_string();
        name.push(format!(".{stage}.bc"));
        write_atomic(name.as_ref(), &module.to_bitcode())?;
    }
    Ok(())
}

pub(super) fn link(llvm: &'static Llvm, opts: &LinkOptions) -> crate::Result<LinkOutcome> {
    let ctx = llvm.context();
    let prepared = prepare(&ctx, llvm.version(), opts)?;
    let mut module = prepared.krate;
    for (path, helper) in prepared.helpers {
        module.link_in(helper).map_err(|e| Error::Llvm {
            path,
            message: format!("cannot link into {}: {e}", opts.krate.display()),
        })?;
    }
    let names: HashSet<String> = prepared.helper_symbols.iter().cloned().collect();
    module.internalize(&names);
    // Helpers stand for C `static inline` functions: inline them whatever
    // the cost, as the kernel's `__rust_helper` (`__always_inline`) does.
    // Not those with an unresolved attribute mismatch: LLVM's always-inliner
    // would inline them anyway, and lose what the attribute guarantees.
    let blocked: HashSet<&str> = prepared
        .mismatches
        .iter()
        .filter(|m| !m.reconciled)
        .map(|m| m.helper.as_str())
        .collect();
    for f in module.functions() {
        let name = f.name();
        if !f.is_declaration()
            && names.contains(&name)
            && !blocked.contains(name.as_str())
            && !f.has_enum_attribute("noinline")
        {
            f.add_enum_attribute("alwaysinline");
        }
    }
    save_temp(opts, "merged", &module)?;
    module.verify().map_err(|e| Error::Llvm {
        path: opts.krate.clone(),
        message: format!("the module merged with the helpers does not verify: {e}"),
    })?;
    let resolved = resolve(&opts.codegen, Some(&module))?;
    let llvm_error = |what: &str, e: cinline_llvm::LlvmError| Error::Llvm {
        path: opts.krate.clone(),
        message: format!("{what}: {e}"),
    };
    let machine = llvm
        .target_machine(
            &module.triple(),
            &resolved.cpu,
            &resolved.features,
            resolved.opt,
            resolved.reloc,
            resolved.code_model,
        )
        .map_err(|e| llvm_error("cannot generate code", e))?;
    module
        .run_passes(&pipeline(&opts.passes, &resolved), &machine)
        .map_err(|e| llvm_error("optimization failed", e))?;
    save_temp(opts, "opt", &module)?;
    let object = machine
        .emit_object(&module)
        .map_err(|e| llvm_error("code generation failed", e))?;
    write_atomic(&opts.output, &object)?;
    Ok(LinkOutcome {
        engine: Engine::RustcLlvm,
        helper_symbols: prepared.helper_symbols,
        mismatches: prepared.mismatches,
        warnings: Vec::new(),
    })
}
