//! Reading a rustc command line: is it a compilation cinline should
//! handle, and with what settings.
//!
//! Anything unclear means "pass through": rustc then runs exactly as cargo
//! asked, and the crate calls its helpers out of line.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::link::{CodeModel, OptLevel, RelocationModel};

/// What to do with one rustc invocation.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// A compilation cinline can handle.
    Handle(Box<Invocation>),
    /// A compilation cinline leaves alone, and why.
    PassThrough(String),
    /// Not a compilation (`-vV`, `--print`, probing from stdin).
    NotCompilation,
}

/// The parts of a rustc command line cinline acts on.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Invocation {
    /// `--crate-name`.
    pub crate_name: String,
    /// `--crate-type` values (`bin` if none, or `--test`).
    pub crate_types: Vec<String>,
    /// `--emit` kinds, without their `=path` parts.
    pub emit: Vec<String>,
    /// `--out-dir`.
    pub out_dir: PathBuf,
    /// `-C extra-filename`.
    pub extra_filename: String,
    /// `--target` (a name or a JSON path).
    pub target: Option<String>,
    /// Every `-L` directory, whatever its kind.
    pub search_dirs: Vec<PathBuf>,
    /// `-C linker`.
    pub linker: Option<PathBuf>,
    /// `-C opt-level` (rustc's default is 0).
    pub opt_level: OptLevel,
    /// `-C target-cpu`.
    pub target_cpu: Option<String>,
    /// `-C target-feature`, each occurrence.
    pub target_features: Vec<String>,
    /// `-C relocation-model`.
    pub relocation_model: Option<RelocationModel>,
    /// `-C code-model`.
    pub code_model: Option<CodeModel>,
    /// `-C codegen-units`.
    pub codegen_units: Option<u32>,
    /// The crate names of `--extern NAME=PATH`: the direct dependencies.
    pub externs: Vec<String>,
    /// `--test`: a test harness.
    pub test: bool,
}

impl Invocation {
    /// `{crate}{extra-filename}`: how rustc prefixes this crate's outputs.
    pub fn stem(&self) -> String {
        format!("{}{}", self.crate_name, self.extra_filename)
    }

    /// Whether the crate is packed into an archive (`rlib`, `staticlib`).
    pub fn archive_types(&self) -> impl Iterator<Item = &str> {
        self.crate_types
            .iter()
            .map(String::as_str)
            .filter(|t| matches!(*t, "lib" | "rlib" | "staticlib"))
    }

    /// Whether rustc links something (`bin`, `dylib`, `cdylib`).
    pub fn links(&self) -> bool {
        self.crate_types
            .iter()
            .any(|t| matches!(t.as_str(), "bin" | "dylib" | "cdylib"))
    }
}

/// What cinline does with one `-C` option (see [`CODEGEN_OPTIONS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodegenUse {
    /// Read into the [`Invocation`].
    Read,
    /// Accepted: it changes nothing cinline relies on (it lives in the
    /// bitcode's function attributes, concerns the link line or the Rust
    /// source, or the wrapper removes it where it would be in the way).
    Harmless,
    /// Accepted when switched off (`no`, `n`, `off`, `false`); otherwise
    /// the crate is passed through, because of this reason.
    UnlessOff(&'static str),
    /// The crate is passed through, because of this reason.
    PassThrough(&'static str),
}

/// The `-C` (`--codegen`) options cinline knows, sorted by key (a test
/// checks it), each with what cinline does with it. Any other key means
/// "pass through": cinline does not guess what a new option does.
pub const CODEGEN_OPTIONS: &[(&str, CodegenUse)] = {
    use CodegenUse::{Harmless, PassThrough, Read, UnlessOff};
    &[
        ("ar", Harmless),
        ("code-model", Read),
        ("codegen-units", Read),
        ("collapse-macro-debuginfo", Harmless),
        (
            "control-flow-guard",
            UnlessOff("cinline's objects would lack the control-flow guard checks"),
        ),
        ("debug-assertions", Harmless),
        ("debuginfo", Harmless),
        ("default-linker-libraries", Harmless),
        ("dlltool", Harmless),
        ("dwarf-version", Harmless),
        // cargo says `embed-bitcode=no` unless it uses LTO; the own-codegen
        // path removes it (rustc refuses it next to `-C lto`).
        ("embed-bitcode", Harmless),
        ("extra-filename", Read),
        ("force-frame-pointers", Harmless),
        ("force-unwind-tables", Harmless),
        ("help", PassThrough("-C help prints rustc's help")),
        // The wrapper removes it for the crates it handles.
        ("incremental", Harmless),
        ("inline-threshold", Harmless),
        (
            "instrument-coverage",
            UnlessOff("coverage instrumentation is lowered by rustc's pipeline, not cinline's"),
        ),
        ("jump-tables", Harmless),
        ("link-arg", Harmless),
        ("link-args", Harmless),
        ("link-dead-code", Harmless),
        ("link-self-contained", Harmless),
        ("linker", Read),
        ("linker-features", Harmless),
        (
            "linker-flavor",
            PassThrough(
                "rustc would call its linker otherwise than cinline's linker wrapper expects",
            ),
        ),
        (
            "linker-plugin-lto",
            UnlessOff("LTO already sees through the helpers"),
        ),
        (
            "llvm-args",
            PassThrough("options for rustc's LLVM would not reach cinline's code generation"),
        ),
        ("lto", UnlessOff("LTO already sees through the helpers")),
        ("metadata", Harmless),
        (
            "no-prepopulate-passes",
            PassThrough("rustc is asked to run no LLVM passes, cinline would"),
        ),
        (
            "no-redzone",
            UnlessOff("the helpers were compiled to use the red zone"),
        ),
        ("no-stack-check", Harmless),
        (
            "no-vectorize-loops",
            PassThrough("cinline's optimization would vectorize anyway"),
        ),
        (
            "no-vectorize-slp",
            PassThrough("cinline's optimization would vectorize anyway"),
        ),
        ("opt-level", Read),
        ("overflow-checks", Harmless),
        ("panic", Harmless),
        (
            "passes",
            PassThrough("extra LLVM passes rustc runs would not run on cinline's units"),
        ),
        ("prefer-dynamic", Harmless),
        (
            "profile-generate",
            PassThrough("profile instrumentation is rustc's pipeline, not cinline's"),
        ),
        (
            "profile-use",
            PassThrough("the profile is read by rustc's pipeline, not cinline's"),
        ),
        ("relocation-model", Read),
        ("relro-level", Harmless),
        ("remark", Harmless),
        ("rpath", Harmless),
        ("save-temps", Harmless),
        (
            "soft-float",
            PassThrough("the helpers were compiled for the target's float ABI"),
        ),
        ("split-debuginfo", Harmless),
        ("strip", Harmless),
        ("symbol-mangling-version", Harmless),
        ("target-cpu", Read),
        ("target-feature", Read),
        ("unsafe-allow-abi-mismatch", Harmless),
    ]
};

/// The unstable `-Z` options cinline accepts, sorted (a test checks it):
/// they change diagnostics or how rustc runs, not the code. Any other `-Z`
/// option means "pass through". cargo passes none in stable builds.
pub const HARMLESS_UNSTABLE_OPTIONS: &[&str] = &[
    "force-unstable-if-unmarked",
    "macro-backtrace",
    "remap-cwd-prefix",
    "terminal-urls",
    "threads",
    "time-passes",
    "track-diagnostics",
    "unstable-options",
];

/// What `-C key=value` means to cinline: `None` when it is accepted (and
/// read into `inv` if it is a [`CodegenUse::Read`] option), or why the
/// crate is passed through.
fn codegen_option(inv: &mut Invocation, key: &str, value: &str) -> Option<String> {
    let Ok(i) = CODEGEN_OPTIONS.binary_search_by(|(k, _)| (*k).cmp(key)) else {
        return Some(format!("unknown codegen option -C {key}"));
    };
    match CODEGEN_OPTIONS[i].1 {
        CodegenUse::Read => read_codegen_option(inv, key, value).err(),
        CodegenUse::Harmless => None,
        CodegenUse::UnlessOff(_) if matches!(value, "no" | "n" | "off" | "false") => None,
        CodegenUse::UnlessOff(why) => Some(format!("-C {key} is on: {why}")),
        CodegenUse::PassThrough(why) => Some(format!("-C {key}: {why}")),
    }
}

/// Reads a [`CodegenUse::Read`] option into `inv`; an error says why the
/// crate is passed through.
fn read_codegen_option(inv: &mut Invocation, key: &str, value: &str) -> Result<(), String> {
    match key {
        "code-model" => inv.code_model = Some(value.parse()?),
        "codegen-units" => {
            let n = value
                .parse()
                .map_err(|_| format!("-C codegen-units={value} is not a number"))?;
            inv.codegen_units = Some(n);
        }
        "extra-filename" => inv.extra_filename = value.into(),
        "linker" => inv.linker = Some(value.into()),
        "opt-level" => inv.opt_level = value.parse()?,
        "relocation-model" => inv.relocation_model = Some(value.parse()?),
        "target-cpu" => inv.target_cpu = Some(value.into()),
        "target-feature" => inv.target_features.push(value.into()),
        _ => return Err(format!("codegen option -C {key} is not read by cinline")),
    }
    Ok(())
}

/// The value of the flag at `args[i]` if it is one of `names`, and how
/// many arguments it takes: `-C value` and `-Cvalue` for a short name,
/// `--name value` and `--name=value` for a long one.
fn flag_value(args: &[OsString], i: usize, names: &[&str]) -> Option<(String, usize)> {
    let arg = args[i].to_str()?;
    names.iter().find_map(|name| {
        if arg == *name {
            let value = args.get(i + 1).map(|v| v.to_string_lossy().into_owned());
            Some((value.unwrap_or_default(), 2))
        } else if name.starts_with("--") {
            let value = arg.strip_prefix(name)?.strip_prefix('=')?;
            Some((value.to_string(), 1))
        } else {
            arg.strip_prefix(name).map(|v| (v.to_string(), 1))
        }
    })
}

/// The spellings of the codegen flag.
const CODEGEN_FLAG: &[&str] = &["-C", "--codegen"];

/// Reads `args` (rustc's arguments, without the program).
pub fn decide(args: &[OsString]) -> Decision {
    let mut inv = Invocation::default();
    let mut test = false;
    // The first option that makes cinline pass the crate through.
    let mut option_reason = None;
    let mut reads_stdin = false;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        let mut step = 1;
        if arg == "-" {
            reads_stdin = true;
        } else if arg == "-vV" || arg == "-V" || arg == "--version" || arg.starts_with("--print") {
            return Decision::NotCompilation;
        } else if arg == "--test" {
            test = true;
        } else if let Some((v, n)) = flag_value(args, i, &["--crate-name"]) {
            (inv.crate_name, step) = (v, n);
        } else if let Some((v, n)) = flag_value(args, i, &["--crate-type"]) {
            inv.crate_types.extend(v.split(',').map(str::to_string));
            step = n;
        } else if let Some((v, n)) = flag_value(args, i, &["--emit"]) {
            inv.emit.extend(
                v.split(',')
                    .map(|k| k.split('=').next().unwrap_or_default().to_string()),
            );
            step = n;
        } else if let Some((v, n)) = flag_value(args, i, &["--out-dir"]) {
            (inv.out_dir, step) = (v.into(), n);
        } else if let Some((v, n)) = flag_value(args, i, &["--extern"]) {
            inv.externs
                .push(v.split('=').next().unwrap_or_default().to_string());
            step = n;
        } else if let Some((v, n)) = flag_value(args, i, &["--target"]) {
            (inv.target, step) = (Some(v), n);
        } else if let Some((v, _)) = flag_value(args, i, &["-o"]) {
            return Decision::PassThrough(format!("explicit output file `-o {v}`"));
        } else if let Some((v, n)) = flag_value(args, i, &["-L"]) {
            let path = v.split_once('=').map_or(v.as_str(), |(_, p)| p);
            inv.search_dirs.push(path.into());
            step = n;
        } else if let Some((option, n)) = flag_value(args, i, CODEGEN_FLAG) {
            let (key, value) = option.split_once('=').unwrap_or((option.as_str(), ""));
            let why = codegen_option(&mut inv, key, value);
            option_reason = option_reason.or(why);
            step = n;
        } else if let Some((option, n)) = flag_value(args, i, &["-Z"]) {
            let key = option.split_once('=').map_or(option.as_str(), |(k, _)| k);
            if HARMLESS_UNSTABLE_OPTIONS.binary_search(&key).is_err() {
                option_reason =
                    option_reason.or_else(|| Some(format!("unknown unstable option -Z {key}")));
            }
            step = n;
        }
        i += step;
    }
    if inv.crate_name.is_empty() || reads_stdin {
        return Decision::NotCompilation;
    }
    inv.test = test;
    if test || inv.crate_types.is_empty() {
        inv.crate_types.push("bin".into());
    }
    if inv.crate_types.iter().any(|t| t == "proc-macro") {
        return Decision::PassThrough(
            "a proc-macro runs in the compiler, not in the program".into(),
        );
    }
    if !inv.emit.iter().any(|k| k == "link") {
        return Decision::PassThrough("no object is emitted (check or metadata build)".into());
    }
    if let Some(why) = option_reason {
        return Decision::PassThrough(why);
    }
    if inv.out_dir.as_os_str().is_empty() {
        return Decision::PassThrough("no --out-dir".into());
    }
    Decision::Handle(Box::new(inv))
}

/// `args` with `kind` added to `--emit`.
pub fn with_emit(args: &[OsString], kind: &str) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let step = match flag_value(args, i, &["--emit"]) {
            Some((kinds, 2)) => {
                out.extend(["--emit".into(), format!("{kinds},{kind}").into()]);
                2
            }
            Some((kinds, _)) => {
                out.push(format!("--emit={kinds},{kind}").into());
                1
            }
            None => {
                out.push(args[i].clone());
                1
            }
        };
        i += step;
    }
    out
}

/// `args` with `-C option` added for each of `options`.
pub fn with_codegen_options(args: &[OsString], options: &[&str]) -> Vec<OsString> {
    let mut out = args.to_vec();
    for option in options {
        out.push("-C".into());
        out.push(option.into());
    }
    out
}

/// `args` without the codegen option `key`, in any spelling (`-C key=...`,
/// `-Ckey=...`, `--codegen key=...`, `--codegen=key=...`).
pub fn without_codegen_option(args: &[OsString], key: &str) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let (drop, step) = match flag_value(args, i, CODEGEN_FLAG) {
            Some((option, n)) => (option.split('=').next() == Some(key), n),
            None => (false, 1),
        };
        if !drop {
            out.extend_from_slice(&args[i..(i + step).min(args.len())]);
        }
        i += step;
    }
    out
}

#[cfg(test)]
mod tests;
