//! Compiling C to LLVM bitcode for a Rust target: `cinline cc`, and the
//! bitcode of `cinline-build`, through one function ([`bitcode`]).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::output::{persist, temp_beside};
use crate::toolchain::{command_line, find_clang, Rustc, TargetInfo, Tool};
use crate::Error;

/// The macro `cinline-build` defines (`-D`) when it compiles its native
/// helper library with the `cc` crate. The compiler wrapper of capture
/// leaves that compile to the compiler the build would have run: those
/// helpers have their bitcode and manifest already.
pub const HELPERS_DEFINE: &str = "CINLINE_BUILD_HELPERS";

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

/// `cinline cc`: finds clang (preferring rustc's LLVM major) and the
/// triple rustc uses for the target, then compiles with [`bitcode`].
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
    let command = bitcode(
        &clang.path,
        &target.llvm_triple,
        opts.debuginfo,
        &opts.clang_args,
        &opts.input,
        &opts.output,
    )?;
    Ok(CcOutcome {
        clang,
        target,
        command,
    })
}

/// Compiles `input` to bitcode at `output` with `clang`:
/// `--target=<triple> -c -emit-llvm`, `-g0` unless `debuginfo`, `-O2`
/// unless `args` choose an `-O` level, then `args`. The output appears
/// complete or not at all. Returns the command line run.
pub fn bitcode(
    clang: &Path,
    triple: &str,
    debuginfo: bool,
    args: &[impl AsRef<OsStr>],
    input: &Path,
    output: &Path,
) -> crate::Result<String> {
    let tmp = temp_beside(output)?;
    let mut cmd = Command::new(clang);
    cmd.arg(format!("--target={triple}"))
        .args(["-c", "-emit-llvm"]);
    if !debuginfo {
        cmd.arg("-g0");
    }
    if !args
        .iter()
        .any(|a| a.as_ref().to_string_lossy().starts_with("-O"))
    {
        cmd.arg("-O2");
    }
    cmd.args(args).arg(input).arg("-o").arg(&*tmp);
    let command = command_line(&cmd);
    crate::toolchain::run(&mut cmd).map_err(|e| match e {
        Error::ToolFailed { status, stderr, .. } => Error::Compile {
            file: input.to_path_buf(),
            command: command.clone(),
            status,
            stderr,
        },
        other => other,
    })?;
    persist(tmp, output)?;
    Ok(command)
}
