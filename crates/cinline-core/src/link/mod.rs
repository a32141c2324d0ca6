//! `cinline link`: merge helper bitcode into a crate's bitcode and write
//! the crate's native object, with one of two engines.
//!
//! Both engines start the same way ([`prepare`]): read the files, refuse
//! bitcode newer than the engine, helpers for another architecture and
//! helpers that define a symbol the crate defines, then check (and with
//! `reconcile`, fix) the attributes that would block inlining. Then:
//!
//! * [`Engine::RustcLlvm`] links, internalizes, optimizes and emits the
//!   object inside rustc's own libLLVM ([`in_process`]);
//! * [`Engine::LlvmTools`] runs the Linux kernel's commands,
//!   `llvm-link --internalize` and `clang -c` ([`llvm_tools`]).

mod in_process;
mod llvm_tools;
mod one_definition;
mod options;
pub(crate) mod prepare;
mod run_once;
mod split;
mod units;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::full_message;
use crate::inline_attrs::Mismatch;
use crate::toolchain::{load_libllvm, Rustc};

pub use options::{CodeModel, OptLevel, RelocationModel};
pub use prepare::{arch_of, Prepared};
pub use split::Part;

/// Which LLVM does the link and code generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// rustc's own libLLVM, in process: clang may be of any LLVM not newer
    /// than rustc's.
    RustcLlvm,
    /// The external `llvm-link` and `clang`, as the Linux kernel does.
    LlvmTools,
}

impl Engine {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Engine::RustcLlvm => "rustc-llvm",
            Engine::LlvmTools => "llvm-tools",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rustc-llvm" => Ok(Engine::RustcLlvm),
            "llvm-tools" => Ok(Engine::LlvmTools),
            _ => Err(format!(
                "unknown engine `{s}` (expected rustc-llvm or llvm-tools)"
            )),
        }
    }
}

/// Code generation options, named and valued as rustc's `-C` options. An
/// unset option takes what rustc used for the crate, read from its bitcode.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Codegen {
    /// `-C opt-level` (default `2`).
    pub opt_level: Option<OptLevel>,
    /// `-C target-cpu`.
    pub target_cpu: Option<String>,
    /// `-C target-feature`, each `+x` or `-x` (comma-separated lists allowed).
    pub target_features: Vec<String>,
    /// `-C relocation-model`.
    pub relocation_model: Option<RelocationModel>,
    /// `-C code-model`.
    pub code_model: Option<CodeModel>,
    /// Each function and variable in its own section (`.text.NAME`,
    /// `.data.NAME`..., ELF only), as rustc does by default (its
    /// `-Z function-sections` covers both), so that the linker's
    /// `--gc-sections` can drop the unused ones. Off by default, as in clang.
    #[serde(default)]
    pub function_sections: bool,
}

/// Which passes run on the merged module before code generation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Passes {
    /// Inline the helpers and clean up after them; the crate's own code was
    /// already optimized by rustc (default).
    #[default]
    Inline,
    /// LLVM's whole `default<On>` pipeline again, as the kernel's `clang -O2`.
    Full,
    /// A custom new-pass-manager pipeline.
    Custom(String),
}

impl FromStr for Passes {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "inline" => Passes::Inline,
            "full" => Passes::Full,
            custom => Passes::Custom(custom.to_string()),
        })
    }
}

/// Everything `cinline link` needs.
#[derive(Debug, Clone, Default)]
pub struct LinkOptions {
    /// The crate's bitcode (`rustc --emit=llvm-bc`).
    pub krate: PathBuf,
    /// Helper bitcode files (`cinline cc`), linked in this order.
    pub helpers: Vec<PathBuf>,
    /// The object file to write.
    pub output: PathBuf,
    /// The engine; `None` picks `rustc-llvm` where it can be loaded.
    pub engine: Option<Engine>,
    /// Code generation options.
    pub codegen: Codegen,
    /// Resolve the attribute mismatches that are safe to resolve.
    pub reconcile: bool,
    /// Passes to run (rustc-llvm engine).
    pub passes: Passes,
    /// Directory of `llvm-link` and `clang` (llvm-tools engine).
    pub llvm_bin: Option<PathBuf>,
    /// The symbols each helper file defines, where known beforehand (from
    /// manifests): a file defining nothing the crate, or a helper read for
    /// it, declares is not read. Files not listed are always read.
    pub helper_index: std::collections::BTreeMap<PathBuf, std::collections::BTreeSet<String>>,
    /// Static libraries of captured C: the functions of theirs the crate
    /// declares are imported within [`LinkOptions::budget`]
    /// ([`crate::capture::import`]).
    pub captured: Vec<crate::capture::CapturedLib>,
    /// The inlining budget for captured functions, in LLVM instructions.
    pub budget: usize,
    /// The share of the crate's definitions this link keeps, where one
    /// unit is generated by several links at once (rustc-llvm engine);
    /// `None`: all of them.
    pub part: Option<Part>,
    /// The crate's other codegen units, linked into [`LinkOptions::krate`]
    /// (its first) before anything else, the calls between them inlined
    /// where LLVM's inliner finds it worth it (`units.rs`; rustc-llvm
    /// engine, and the llvm-tools engine where rustc's libLLVM loads).
    pub siblings: Vec<PathBuf>,
    /// Inline captured functions also where the call runs once (Rust's
    /// `main` outside its loops), which the rustc-llvm engine otherwise
    /// leaves calls ([`run_once`]): `CINLINE_STRICT`.
    pub captured_everywhere: bool,
}

/// A helper the link kept out of line on purpose: calls to it go to its
/// one out-of-line definition (the helpers' object or native library).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutOfLine {
    /// The helper symbol.
    pub helper: String,
    /// Why it is not inlined, for the user.
    pub reason: String,
    /// Left by a limit of capture (the inlining budget, aliases): by
    /// design, so no warning (the report lists it; `CINLINE_STRICT` still
    /// refuses it).
    #[serde(default)]
    pub by_design: bool,
}

/// What `link` did.
#[derive(Debug, Clone, Default)]
pub struct LinkOutcome {
    /// Helper symbols given internal linkage.
    pub helper_symbols: Vec<String>,
    /// Attribute mismatches found (some reconciled).
    pub mismatches: Vec<Mismatch>,
    /// Things the user should know (engine fallback, skipped checks).
    pub warnings: Vec<String>,
    /// Call sites of helpers in the crate before inlining.
    pub helper_calls: usize,
    /// The helpers the crate calls (empty when unknown: the llvm-tools
    /// engine without libLLVM).
    pub called_helpers: std::collections::BTreeSet<String>,
    /// Helpers kept out of line on purpose, with the reason (mutable C
    /// state, an unresolved attribute mismatch, `noinline`...).
    pub out_of_line: Vec<OutOfLine>,
}

/// Links the helpers into the crate and writes its object.
pub fn link(opts: &LinkOptions, rustc: &Rustc) -> crate::Result<LinkOutcome> {
    link_to(opts, rustc, false).map(|(outcome, _)| outcome)
}

/// Links as [`link`] does and hands back the object: made in memory by
/// the rustc-llvm engine (`opts.output` is not written), read from
/// `opts.output` where the llvm-tools engine's clang wrote it. For callers
/// that put the object somewhere else (an archive, the linker's line):
/// each object is written once, not first to a file of its own.
pub fn link_object(opts: &LinkOptions, rustc: &Rustc) -> crate::Result<(LinkOutcome, Vec<u8>)> {
    let (outcome, object) = link_to(opts, rustc, true)?;
    let object = match object {
        Some(object) => object,
        None => std::fs::read(&opts.output).map_err(crate::Error::read(&opts.output))?,
    };
    Ok((outcome, object))
}

/// [`link`], the object kept in memory where the engine can (`in_memory`).
fn link_to(
    opts: &LinkOptions,
    rustc: &Rustc,
    in_memory: bool,
) -> crate::Result<(LinkOutcome, Option<Vec<u8>>)> {
    let mut warnings = Vec::new();
    let llvm = match load_libllvm(rustc) {
        Ok(llvm) => Some(llvm),
        Err(e) if opts.engine == Some(Engine::LlvmTools) => {
            warnings.push(format!("{}; attribute checks skipped", full_message(&e)));
            None
        }
        Err(e) if opts.engine.is_none() => {
            warnings.push(format!(
                "{}; using the llvm-tools engine, without attribute checks",
                full_message(&e)
            ));
            None
        }
        Err(e) => return Err(e),
    };
    let engine = opts.engine.unwrap_or(if llvm.is_some() {
        Engine::RustcLlvm
    } else {
        Engine::LlvmTools
    });
    let (mut outcome, object) = match (engine, llvm) {
        (Engine::RustcLlvm, Some(llvm)) => in_process::link(llvm, opts, in_memory)?,
        (_, llvm) => (llvm_tools::link(llvm, rustc, opts)?, None),
    };
    outcome.warnings.splice(0..0, warnings);
    Ok((outcome, object))
}
