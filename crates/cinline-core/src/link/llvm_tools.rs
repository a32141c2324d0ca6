//! The `llvm-tools` engine: the Linux kernel's commands, `llvm-link
//! --suppress-warnings` then `clang -c -Wno-override-module`, on helpers
//! made imports by the one-definition rule (`--internalize`, as the kernel
//! does, only when rustc's libLLVM cannot be loaded to apply the rule).

use std::path::PathBuf;
use std::process::Command;

use cinline_llvm::{CodeModel, Llvm, RelocModel};

use super::prepare::{mark_always_inline, prepare, resolve, Resolved};
use super::{one_definition, LinkOptions, LinkOutcome};
use crate::bitcode::BitcodeFile;
use crate::output::{persist, temp_beside};
use crate::toolchain::{find_clang, find_llvm_tool, run, Rustc, Tool};
use crate::{write_atomic, Error};

/// The clang flags that carry `resolved` (the merged module's functions
/// already carry their CPU and features; only explicit options are passed).
fn clang_flags(resolved: &Resolved, opts: &LinkOptions) -> Vec<String> {
    let mut flags = vec![match resolved.size {
        Some(s) => format!("-O{s}"),
        None => format!("-O{}", resolved.opt as u8),
    }];
    flags.push(
        match resolved.reloc {
            RelocModel::Static => "-fno-pic",
            _ => "-fPIC",
        }
        .into(),
    );
    let model = match resolved.code_model {
        CodeModel::Default => None,
        CodeModel::Tiny => Some("tiny"),
        CodeModel::Small => Some("small"),
        CodeModel::Kernel => Some("kernel"),
        CodeModel::Medium => Some("medium"),
        CodeModel::Large => Some("large"),
    };
    flags.extend(model.map(|m| format!("-mcmodel={m}")));
    if opts.codegen.function_sections {
        flags.extend(["-ffunction-sections", "-fdata-sections"].map(String::from));
    }
    // As a cc1 option: rustc's CPU names are LLVM's, and the clang driver's
    // `-march` does not accept all of them (`generic`). Resolved: `native`
    // is the host's CPU, rustc's feature names are LLVM's.
    if let Some(cpu) = &resolved.option_cpu {
        flags.extend(["-Xclang", "-target-cpu", "-Xclang", cpu].map(String::from));
    }
    for feature in resolved
        .option_features
        .split(',')
        .filter(|f| !f.is_empty())
    {
        flags.extend(["-Xclang", "-target-feature", "-Xclang", feature].map(String::from));
    }
    flags
}

pub(super) fn link(
    llvm: Option<&'static Llvm>,
    rustc: &Rustc,
    opts: &LinkOptions,
) -> crate::Result<LinkOutcome> {
    let bin_dir = opts.llvm_bin.clone().or_else(crate::env::llvm_bin);
    let llvm_link = find_llvm_tool("llvm-link", bin_dir.as_deref(), rustc.llvm.major)?;
    let clang: Tool = match &opts.llvm_bin {
        Some(_) => find_llvm_tool("clang", opts.llvm_bin.as_deref(), rustc.llvm.major)?,
        None => find_clang(None, llvm_link.version.major)?,
    };
    let mut inputs: Vec<PathBuf> = std::iter::once(&opts.krate)
        .chain(&opts.siblings)
        .chain(&opts.helpers)
        .cloned()
        .collect();
    // Every unreadable input is named, not just the first: a module built
    // against shipped helper bitcode learns about both at once.
    let mut errors: Vec<Error> = inputs
        .iter()
        .filter_map(|path| BitcodeFile::read_for(path, llvm_link.version).err())
        .collect();
    match errors.len() {
        0 => {}
        1 => return Err(errors.remove(0)),
        _ => return Err(Error::Several(errors)),
    }
    let scratch = tempfile::tempdir().map_err(Error::write(std::env::temp_dir()))?;
    let mut warnings = Vec::new();
    let mut outcome_symbols = Vec::new();
    let mut mismatches = Vec::new();
    let mut helper_calls = 0;
    let mut called_helpers = std::collections::BTreeSet::new();
    let ctx = llvm.map(Llvm::context);
    let mut prepared = match (&ctx, llvm) {
        (Some(ctx), Some(llvm)) => Some(prepare(ctx, llvm.version(), opts)?),
        _ => None,
    };
    let mut out_of_line = Vec::new();
    // With the one-definition rule applied, the helpers are imports, not
    // definitions to internalize; without rustc's libLLVM it cannot be, and
    // the kernel's `--internalize` gives each object its own C state.
    let internalize = match prepared.as_mut() {
        Some(prepared) => {
            out_of_line = one_definition::apply_all(prepared);
            false
        }
        None => {
            warnings.push(
                "without rustc's libLLVM, C variables in the helpers cannot be kept \
                 single: each object gets its own copy (as with the kernel's \
                 `llvm-link --internalize`)"
                    .into(),
            );
            true
        }
    };
    let resolved = resolve(&opts.codegen, prepared.as_ref().map(|p| &p.krate))?;
    // clang compiles bitcode for its own default target unless told: the
    // host's, which fails on another architecture's inline asm (an arm64
    // kernel built on x86_64). The crate's triple, when its module is read.
    let triple = prepared.as_ref().map(|p| p.krate.triple());
    if let Some(prepared) = prepared {
        // Hand the tools the helpers as imports, always rewritten; the
        // crate's own file unless the attribute checks changed its module.
        let write = |i: usize, module: &cinline_llvm::Module<'_>| {
            let path = scratch.path().join(format!("input{i}.bc"));
            write_atomic(&path, &module.to_bitcode()).map(|()| path)
        };
        for (_, module) in &prepared.helpers {
            mark_always_inline(module, &prepared.helper_symbols, &prepared.mismatches);
        }
        // The crate's other units are in its module now.
        let krate = if prepared.modified || !opts.siblings.is_empty() {
            write(0, &prepared.krate)?
        } else {
            opts.krate.clone()
        };
        inputs = std::iter::once(Ok(krate))
            .chain(
                prepared
                    .helpers
                    .iter()
                    .enumerate()
                    .map(|(i, (_, module))| write(i + 1, module)),
            )
            .collect::<cinline_cc::Result<_>>()?;
        outcome_symbols = prepared.helper_symbols;
        helper_calls = prepared.helper_calls;
        called_helpers = prepared.called_helpers;
        mismatches = prepared.mismatches;
    } else if opts.reconcile {
        warnings.push("attribute reconciliation needs rustc's libLLVM; skipped".into());
    }
    let merged = scratch.path().join("merged.bc");
    let mut cmd = Command::new(&llvm_link.path);
    if internalize {
        cmd.arg("--internalize");
    }
    cmd.arg("--suppress-warnings")
        .args(&inputs)
        .arg("-o")
        .arg(&merged);
    run(&mut cmd)?;
    let tmp = temp_beside(&opts.output)?;
    let mut cmd = Command::new(&clang.path);
    cmd.args([
        "-c",
        "-Wno-override-module",
        "-Wno-unused-command-line-argument",
    ])
    .args(triple.map(|t| format!("--target={t}")))
    .args(clang_flags(&resolved, opts))
    .arg(&merged)
    .arg("-o")
    .arg(&*tmp);
    run(&mut cmd)?;
    persist(tmp, &opts.output)?;
    Ok(LinkOutcome {
        helper_symbols: outcome_symbols,
        mismatches,
        warnings,
        helper_calls,
        called_helpers,
        out_of_line,
    })
}
