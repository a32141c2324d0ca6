//! Reading a rustc command line: is it a compilation cinline should
//! handle, and with what settings.
//!
//! Anything unclear means "pass through": rustc then runs exactly as cargo
//! asked, and the crate calls its helpers out of line.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

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
    pub opt_level: String,
    /// `-C target-cpu`.
    pub target_cpu: Option<String>,
    /// `-C target-feature`, each occurrence.
    pub target_features: Vec<String>,
    /// `-C relocation-model`.
    pub relocation_model: Option<String>,
    /// `-C code-model`.
    pub code_model: Option<String>,
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

/// Reads `args` (rustc's arguments, without the program).
pub fn decide(args: &[OsString]) -> Decision {
    let mut inv = Invocation {
        opt_level: "0".into(),
        ..Invocation::default()
    };
    let mut test = false;
    let mut lto = None;
    let mut reads_stdin = false;
    let mut i = 0;
    // `--flag value` or `--flag=value`.
    let value = |i: &mut usize, arg: &str, flag: &str| -> Option<String> {
        if arg == flag {
            *i += 1;
            args.get(*i).map(|v| v.to_string_lossy().into_owned())
        } else {
            arg.strip_prefix(flag)
                .and_then(|v| v.strip_prefix('='))
                .map(str::to_string)
        }
    };
    while i < args.len() {
        let arg = args[i].to_string_lossy().into_owned();
        if arg == "-" {
            reads_stdin = true;
        } else if arg == "-vV" || arg == "-V" || arg == "--version" || arg.starts_with("--print") {
            return Decision::NotCompilation;
        } else if arg == "--test" {
            test = true;
        } else if let Some(v) = value(&mut i, &arg, "--crate-name") {
            inv.crate_name = v;
        } else if let Some(v) = value(&mut i, &arg, "--crate-type") {
            inv.crate_types.extend(v.split(',').map(str::to_string));
        } else if let Some(v) = value(&mut i, &arg, "--emit") {
            inv.emit.extend(
                v.split(',')
                    .map(|k| k.split('=').next().unwrap_or_default().to_string()),
            );
        } else if let Some(v) = value(&mut i, &arg, "--out-dir") {
            inv.out_dir = v.into();
        } else if let Some(v) = value(&mut i, &arg, "--extern") {
            inv.externs
                .push(v.split('=').next().unwrap_or_default().to_string());
        } else if let Some(v) = value(&mut i, &arg, "--target") {
            inv.target = Some(v);
        } else if let Some(v) = value(&mut i, &arg, "-o") {
            return Decision::PassThrough(format!("explicit output file `-o {v}`"));
        } else if arg == "-L" || arg.starts_with("-L") {
            let v = if arg == "-L" {
                i += 1;
                args.get(i)
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                arg[2..].to_string()
            };
            let path = v.split_once('=').map_or(v.as_str(), |(_, p)| p);
            inv.search_dirs.push(path.into());
        } else if arg == "-C" || arg.starts_with("-C") || arg.starts_with("--codegen") {
            let option = if arg == "-C" || arg == "--codegen" {
                i += 1;
                args.get(i)
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                arg.trim_start_matches("--codegen")
                    .trim_start_matches("-C")
                    .trim_start_matches('=')
                    .to_string()
            };
            let (key, val) = option.split_once('=').unwrap_or((option.as_str(), ""));
            match key {
                "extra-filename" => inv.extra_filename = val.into(),
                "linker" => inv.linker = Some(val.into()),
                "opt-level" => inv.opt_level = val.into(),
                "target-cpu" => inv.target_cpu = Some(val.into()),
                "target-feature" => inv.target_features.push(val.into()),
                "relocation-model" => inv.relocation_model = Some(val.into()),
                "code-model" => inv.code_model = Some(val.into()),
                "codegen-units" => inv.codegen_units = val.parse().ok(),
                "lto" if !matches!(val, "off" | "no" | "n" | "false") => lto = Some("-C lto"),
                "linker-plugin-lto" if !matches!(val, "no" | "n" | "off" | "false") => {
                    lto = Some("-C linker-plugin-lto")
                }
                _ => {}
            }
        }
        i += 1;
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
    if let Some(flag) = lto {
        return Decision::PassThrough(format!(
            "{flag} is on: LTO already sees through the helpers"
        ));
    }
    if inv.out_dir.as_os_str().is_empty() {
        return Decision::PassThrough("no --out-dir".into());
    }
    Decision::Handle(Box::new(inv))
}

/// `args` with `kind` added to `--emit`.
pub fn with_emit(args: &[OsString], kind: &str) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == OsStr::new("--emit") {
            let kinds = iter.next().cloned().unwrap_or_default();
            out.push(arg.clone());
            out.push(format!("{},{kind}", kinds.to_string_lossy()).into());
        } else if let Some(kinds) = arg.to_str().and_then(|a| a.strip_prefix("--emit=")) {
            out.push(format!("--emit={kinds},{kind}").into());
        } else {
            out.push(arg.clone());
        }
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

/// `args` without the codegen option `key` (`-C key=...`, `-Ckey=...`).
pub fn without_codegen_option(args: &[OsString], key: &str) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    let matches = |a: &OsString| {
        a.to_str()
            .is_some_and(|a| a == key || a.starts_with(&format!("{key}=")))
    };
    while i < args.len() {
        let arg = &args[i];
        if (arg == "-C" || arg == "--codegen") && args.get(i + 1).is_some_and(matches) {
            i += 2;
            continue;
        }
        let inline = arg
            .to_str()
            .and_then(|a| a.strip_prefix("-C"))
            .map(OsString::from);
        if !inline.as_ref().is_some_and(matches) {
            out.push(arg.clone());
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn handled(line: &str) -> Invocation {
        match decide(&args(line)) {
            Decision::Handle(inv) => *inv,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn a_cargo_release_library_build_is_handled() {
        let inv = handled(
            "--crate-name mini --edition=2021 src/lib.rs --error-format=json --crate-type lib \
             --emit=dep-info,metadata,link -C opt-level=3 -C embed-bitcode=no -C metadata=abc \
             -C extra-filename=-0123 --out-dir /t/release/deps -L dependency=/t/release/deps \
             -L native=/t/release/build/mini-sys-1/out -C target-cpu=native",
        );
        assert_eq!(inv.crate_name, "mini");
        assert_eq!(inv.stem(), "mini-0123");
        assert_eq!(inv.crate_types, ["lib"]);
        assert_eq!(inv.opt_level, "3");
        assert_eq!(inv.target_cpu.as_deref(), Some("native"));
        assert_eq!(
            inv.search_dirs,
            [
                PathBuf::from("/t/release/deps"),
                PathBuf::from("/t/release/build/mini-sys-1/out")
            ]
        );
        assert!(inv.archive_types().next().is_some() && !inv.links());
    }

    #[test]
    fn tests_and_bins_link() {
        let inv = handled("--crate-name t src/lib.rs --emit=link --test --out-dir d");
        assert_eq!(inv.crate_types, ["bin"]);
        assert!(inv.links());
    }

    #[test]
    fn what_is_not_handled_says_why() {
        assert_eq!(decide(&args("-vV")), Decision::NotCompilation);
        assert_eq!(
            decide(&args("- --crate-name ___ --print=file-names")),
            Decision::NotCompilation
        );
        let reason = |line| match decide(&args(line)) {
            Decision::PassThrough(reason) => reason,
            other => panic!("{line}: {other:?}"),
        };
        assert!(
            reason("--crate-name a --emit=dep-info,metadata --out-dir d").contains("no object")
        );
        assert!(
            reason("--crate-name a --crate-type proc-macro --emit=link --out-dir d")
                .contains("proc-macro")
        );
        assert!(reason("--crate-name a --emit=link -C lto=fat --out-dir d").contains("-C lto"));
        assert!(
            reason("--crate-name a --emit=link -Clinker-plugin-lto --out-dir d")
                .contains("linker-plugin-lto")
        );
    }

    #[test]
    fn incremental_is_dropped_in_either_spelling() {
        assert_eq!(
            without_codegen_option(
                &args("a -C incremental=/x b -Cincremental=/y -C opt-level=0"),
                "incremental"
            ),
            args("a b -C opt-level=0")
        );
    }

    #[test]
    fn emit_gains_a_kind_in_either_spelling() {
        assert_eq!(
            with_emit(&args("a --emit=dep-info,link b"), "llvm-bc"),
            args("a --emit=dep-info,link,llvm-bc b")
        );
        assert_eq!(
            with_emit(&args("--emit link"), "llvm-bc"),
            args("--emit link,llvm-bc")
        );
    }
}
