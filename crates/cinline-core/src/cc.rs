//! `cinline cc`: compile C helpers to LLVM bitcode for a Rust target.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use crate::output::{persist, temp_beside};
use crate::toolchain::{command_line, find_clang, Rustc, TargetInfo, Tool};
use crate::Error;

/// What to compile and how.
#[derive(Debug, Clone, Default)]
pub struct CcOptions {
    /// The C helper file.
    pub input: PathBuf,
    /// The bitcode file to write.
    pub output: PathBuf,
    /// clang to use (`--clang`); found if `None`.
    pub clang: Option<PathBuf>,
    /// Rust target name or target JSON (`--target`); the host if `None`.
    pub target: Option<String>,
    /// Keep debug information (default `-g0`: a C compile unit inside a
    /// Rust object breaks BTF generation).
    pub debuginfo: bool,
    /// Flags passed to clang unchanged, after cinline's own.
    pub clang_args: Vec<OsString>,
}

/// What `compile` did.
#[derive(Debug, Clone)]
pub struct CcOutcome {
    /// The clang used.
    pub clang: Tool,
    /// The target the bitcode is for.
    pub target: TargetInfo,
    /// The clang command line run.
    pub command: String,
}

/// Compiles `opts.input` to bitcode with the triple rustc uses for the
/// target: `-c -emit-llvm -g0`, `-O2` unless the caller passes an `-O`
/// flag. The output appears complete or not at all.
pub fn compile(opts: &CcOptions, rustc: &Rustc) -> crate::Result<CcOutcome> {
    if !opts.input.is_file() {
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        return Err(Error::read(&opts.input)(missing));
    }
    crate::output::check_output(&opts.output, &[&opts.input])?;
    let clang = find_clang(
        opts.clang.as_deref().map(|c| (c, "--clang")),
        rustc.llvm.major,
    )?;
    let target = rustc.target_info(opts.target.as_deref())?;
    let tmp = temp_beside(&opts.output)?;
    let mut cmd = Command::new(&clang.path);
    cmd.arg(format!("--target={}", target.llvm_triple))
        .args(["-c", "-emit-llvm"]);
    if !opts.debuginfo {
        cmd.arg("-g0");
    }
    if !opts
        .clang_args
        .iter()
        .any(|a| a.to_string_lossy().starts_with("-O"))
    {
        cmd.arg("-O2");
    }
    cmd.args(&opts.clang_args)
        .arg(&opts.input)
        .arg("-o")
        .arg(&*tmp);
    let command = command_line(&cmd);
    crate::toolchain::run(&mut cmd).map_err(|e| match e {
        Error::ToolFailed { status, stderr, .. } => Error::ToolFailed {
            command: command.clone(),
            status,
            stderr,
        },
        other => other,
    })?;
    persist(tmp, &opts.output)?;
    Ok(CcOutcome {
        clang,
        target,
        command,
    })
}
