//! `cinline-cc`: the C compiler build scripts run under `cargo cinline`.
//!
//! For a compile of one C file (`-c x.c -o x.o`), it runs clang (of rustc's
//! LLVM) twice with the build script's own flags: once to LLVM bitcode
//! (front end and optimization: `-emit-llvm`), once from that bitcode to
//! the object (`-x ir x.bc -Xclang -disable-llvm-passes`: code generation
//! only). The C front end runs once, and the object is generated from the
//! very bitcode cinline later inlines from; measured on cc-rs's flags, the
//! object is byte-identical to a one-step `clang -c`. The bitcode is kept
//! in the build script's store ([`super::store`]).
//!
//! Everything else (the `cc` crate's compiler detection, assembly, links,
//! `-E`) and every compile clang refuses runs the compiler the build would
//! have used ([`super::setup::original`]), exactly as given: the crate builds
//! as before, and the store says why it was not captured.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use super::policy;
use super::store::Entry;
use super::tools::Tools;
use crate::cargo::{exit_code, Outcome};
use crate::{env, getenv};

/// Options that take the next argument as their value.
const TAKES_VALUE: &[&str] = &[
    "-o",
    "-I",
    "-D",
    "-U",
    "-include",
    "-imacros",
    "-isystem",
    "-iquote",
    "-idirafter",
    "-isysroot",
    "-iprefix",
    "-iwithprefix",
    "-x",
    "-MF",
    "-MT",
    "-MQ",
    "-Xclang",
    "-Xpreprocessor",
    "-Xassembler",
    "-Xlinker",
    "-target",
    "-arch",
    "-L",
    "-l",
    "-T",
    "-u",
    "-z",
    "-B",
    "--param",
];

/// A compile of one C source file to one object.
#[derive(Debug, PartialEq, Eq)]
struct Compile {
    /// The index of the source file in the arguments.
    source: usize,
    /// The object file.
    output: PathBuf,
}

/// Why a command is not a capturable compile.
#[derive(Debug, PartialEq, Eq)]
enum NotCompile {
    /// Not a compile of C to an object (detection, `-E`, a link...): not
    /// recorded.
    Other,
    /// A compile of something else, or asked in a way cinline does not
    /// capture: recorded with the reason, under the file it names.
    Skipped {
        why: String,
        /// The one input file, if there is one.
        source: Option<PathBuf>,
        /// The `-o` output, if given.
        output: Option<PathBuf>,
    },
}

/// What a compiler command line says, as far as capture cares.
#[derive(Default)]
struct Scanned {
    /// The indices of the input files.
    inputs: Vec<usize>,
    output: Option<PathBuf>,
    /// The value of `-x`.
    language: Option<String>,
    /// `-flto...` or `-fembed-bitcode...`: the build's own bitcode.
    own_bitcode: Option<String>,
    /// `-emit-llvm`, `-M`, `-MM`: no object.
    no_object: bool,
}

impl Scanned {
    fn of(text: &[String]) -> Scanned {
        let mut scanned = Scanned::default();
        let mut i = 0;
        while i < text.len() {
            let arg = &text[i];
            if TAKES_VALUE.contains(&arg.as_str()) {
                let value = text.get(i + 1).cloned().unwrap_or_default();
                match arg.as_str() {
                    "-o" => scanned.output = Some(PathBuf::from(value)),
                    "-x" => scanned.language = Some(value),
                    _ => {}
                }
                i += 2;
                continue;
            }
            if let Some(joined) = arg.strip_prefix("-o").filter(|o| !o.is_empty()) {
                scanned.output = Some(PathBuf::from(joined));
            } else if arg.starts_with("-flto") || arg.starts_with("-fembed-bitcode") {
                scanned.own_bitcode.get_or_insert_with(|| arg.clone());
            } else if arg == "-emit-llvm" || arg == "-M" || arg == "-MM" {
                scanned.no_object = true;
            } else if !arg.starts_with('-') {
                scanned.inputs.push(i);
            }
            i += 1;
        }
        scanned
    }
}

impl Compile {
    fn parse(args: &[OsString]) -> Result<Compile, NotCompile> {
        let text: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if !text.iter().any(|a| a == "-c") || text.iter().any(|a| a == "-E" || a == "-S") {
            return Err(NotCompile::Other);
        }
        // cinline-build's own helper library: its bitcode and manifest are
        // made by cinline-build, so it is neither captured nor listed.
        let marker = format!("-D{}", cinline_cc::cc::HELPERS_DEFINE);
        if text
            .iter()
            .any(|a| *a == marker || a.starts_with(&format!("{marker}=")))
        {
            return Err(NotCompile::Other);
        }
        let scanned = Scanned::of(&text);
        if scanned.no_object {
            return Err(NotCompile::Other);
        }
        let source = match scanned.inputs[..] {
            [source] => Some(source),
            _ => None,
        };
        let skipped = |why: String| NotCompile::Skipped {
            why,
            source: source.map(|i| PathBuf::from(&text[i])),
            output: scanned.output.clone(),
        };
        if let Some(language) = scanned.language.as_deref().filter(|l| *l != "c") {
            return Err(skipped(format!("`-x {language}`: not C")));
        }
        if let Some(arg) = &scanned.own_bitcode {
            return Err(skipped(format!(
                "`{arg}`: the build asks for its own bitcode"
            )));
        }
        let Some(source) = source else {
            return Err(skipped(format!(
                "{} input files in one command",
                scanned.inputs.len()
            )));
        };
        if !text[source].ends_with(".c") {
            let what = match Path::new(&text[source]).extension() {
                Some(x) if x == "s" || x == "S" || x == "asm" => "assembly",
                _ => "not a C file",
            };
            return Err(skipped(what.into()));
        }
        // Unoptimized C (the dev profile) is compiled `optnone noinline`:
        // nothing to inline, so the original compiler makes it.
        let optimized = text
            .iter()
            .rev()
            .find_map(|a| a.strip_prefix("-O"))
            .is_some_and(|level| level != "0");
        if !optimized {
            return Err(skipped(
                "compiled without optimization (-O0): nothing to inline".into(),
            ));
        }
        let output = scanned
            .output
            .clone()
            .ok_or_else(|| skipped("no `-o` output".into()))?;
        Ok(Compile { source, output })
    }
}

/// Runs the original compiler with `args`, its streams the caller's.
fn run_original(args: &[OsString]) -> Outcome {
    let (program, leading) = super::setup::original();
    match Command::new(&program).args(&leading).args(args).status() {
        Ok(status) => exit_code(status),
        Err(e) => Outcome::failed(format!(
            "cinline-cc: cannot run the C compiler {}: {e}",
            program.to_string_lossy()
        )),
    }
}

/// Whether the compile `args` loads LLVM (to promote locals), and so runs
/// in a supervised worker.
pub fn loads_llvm(args: &[OsString]) -> bool {
    Compile::parse(args).is_ok()
}

/// The worker compiling `args` died (`why`): the original compiler makes
/// the object, and the store says why.
pub fn after_crash(args: &[OsString], why: &str) -> Outcome {
    match Compile::parse(args) {
        Ok(compile) => original_recorded(args, &compile, why.to_string()),
        Err(_) => run_original(args),
    }
}

/// `args`: the compiler's arguments, as the build script gave them.
pub fn run(args: &[OsString]) -> Outcome {
    let compile = match Compile::parse(args) {
        Ok(compile) => compile,
        Err(NotCompile::Other) => return run_original(args),
        Err(NotCompile::Skipped {
            why,
            source: Some(source),
            output: Some(output),
        }) => return original_recorded_as(args, source, &output, why),
        Err(NotCompile::Skipped { .. }) => return run_original(args),
    };
    let manifest_dir = getenv("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if let Err(why) = policy::decide(&package(), manifest_dir.as_deref()) {
        return original_recorded(args, &compile, why);
    }
    let Some(out_dir) = getenv("OUT_DIR") else {
        return run_original(args);
    };
    let tools = match super::tools::find() {
        Ok(tools) => tools,
        Err(why) => {
            let why = format!("no clang to capture with: {why}");
            return original_recorded(args, &compile, why);
        }
    };
    match capture(args, &compile, &tools) {
        Ok(bitcode) => {
            let saved = std::fs::read(&compile.output)
                .map_err(crate::Error::read(&compile.output))
                .and_then(|object| {
                    let entry = entry(args[compile.source].clone().into(), &compile.output, None);
                    entry.save(Path::new(&out_dir), &object, Some(&bitcode))
                });
            if let Err(e) = saved {
                let _ = std::fs::remove_file(&bitcode);
                crate::cargo::log(|| format!("cinline-cc: {}", crate::full_message(&e)));
            }
            Outcome::exit(ExitCode::SUCCESS)
        }
        Err(why) if env::strict() => Outcome::failed(format!(
            "cinline-cc: {} not captured ({why}), and {} is set",
            args[compile.source].to_string_lossy(),
            env::STRICT.name
        )),
        Err(why) => original_recorded(args, &compile, why),
    }
}

/// The package whose build script runs this compiler.
fn package() -> String {
    getenv("CARGO_PKG_NAME")
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The store entry of a compile of `source` to `object` (`why`: why it is
/// not captured).
fn entry(source: PathBuf, object: &Path, why: Option<String>) -> Entry {
    Entry {
        package: package(),
        source,
        object: object.to_path_buf(),
        bitcode: None,
        not_captured: why,
    }
}

/// Runs the original compiler for `compile`, and records its object as
/// not captured, because `why`.
fn original_recorded(args: &[OsString], compile: &Compile, why: String) -> Outcome {
    let source = PathBuf::from(&args[compile.source]);
    original_recorded_as(args, source, &compile.output, why)
}

/// Runs the original compiler; if it made `output` (from `source`),
/// records it as not captured, because `why`.
fn original_recorded_as(args: &[OsString], source: PathBuf, output: &Path, why: String) -> Outcome {
    let outcome = run_original(args);
    if let (Some(out_dir), true) = (getenv("OUT_DIR"), outcome.success()) {
        if let Ok(object) = std::fs::read(output) {
            let _ = entry(source, output, Some(why)).save(Path::new(&out_dir), &object, None);
        }
    }
    outcome
}

/// Compiles `compile` with the `tools`' clang in two steps (see the module
/// docs); returns the bitcode file, or why not.
fn capture(args: &[OsString], compile: &Compile, tools: &Tools) -> Result<PathBuf, String> {
    let clang = tools.clang.as_path();
    let bitcode = compile.output.with_extension("cinline.bc");
    let cross = cross_target(args);
    // 1. Front end and optimization, to bitcode, with the build's flags.
    let mut to_bitcode: Vec<OsString> = args.to_vec();
    if let Some(i) = to_bitcode.iter().position(|a| a == "-o") {
        to_bitcode[i + 1] = bitcode.clone().into();
    } else if let Some(arg) = to_bitcode
        .iter_mut()
        .find(|a| a.to_string_lossy().starts_with("-o"))
    {
        *arg = OsString::from(format!("-o{}", bitcode.display()));
    }
    to_bitcode.push("-emit-llvm".into());
    to_bitcode.extend(cross.clone());
    let warnings = run_clang(clang, &to_bitcode, &bitcode)?;
    // 1b. Locals made hidden globals (see `promote`), when rustc's
    // libLLVM may write bitcode this clang reads.
    if let Some(libllvm) = &tools.libllvm {
        let source = std::fs::canonicalize(&args[compile.source]).unwrap_or_default();
        let tag = super::store::fnv1a(source.as_os_str().as_encoded_bytes());
        let promoted = cinline_llvm::Llvm::load(libllvm)
            .map_err(|e| crate::full_message(&e))
            .and_then(|llvm| {
                super::promote::promote(llvm, &bitcode, tag).map_err(|e| crate::full_message(&e))
            });
        if let Err(why) = promoted {
            let _ = std::fs::remove_file(&bitcode);
            return Err(why);
        }
    }
    // 2. Code generation only, from that bitcode, with the same flags (the
    // preprocessor's are unused: said so by clang, hence the -Wno).
    let mut to_object: Vec<OsString> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != compile.source)
        .map(|(_, a)| a.clone())
        .collect();
    to_object.extend(cross);
    to_object.extend(
        [
            "-Wno-unused-command-line-argument",
            "-Xclang",
            "-disable-llvm-passes",
            "-x",
            "ir",
        ]
        .map(OsString::from),
    );
    to_object.push(bitcode.clone().into());
    run_clang(clang, &to_object, &bitcode)?;
    // A real compiler's warnings (the front end's), shown as the build
    // shows them.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), &warnings);
    Ok(bitcode)
}

/// Runs `clang` with `args`; returns what it printed, or why it refused
/// (then `bitcode`, the capture's file, is removed).
fn run_clang(clang: &Path, args: &[OsString], bitcode: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new(clang)
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", clang.display()))?;
    if out.status.success() {
        return Ok(out.stderr);
    }
    let _ = std::fs::remove_file(bitcode);
    Err(refused(clang, &out.stderr))
}

/// `--target=TARGET` when the build script compiles for another target
/// than the host and the flags name none: clang's default is the host.
fn cross_target(args: &[OsString]) -> Option<OsString> {
    let target = getenv("TARGET")?;
    let host = getenv("HOST")?;
    let named = args.iter().any(|a| {
        let a = a.to_string_lossy();
        a == "-target" || a.starts_with("--target")
    });
    (target != host && !named).then(|| {
        let mut arg = OsString::from("--target=");
        arg.push(&target);
        arg
    })
}

/// Why clang refused a command: its first error line.
fn refused(clang: &Path, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .find(|l| l.contains("error"))
        .unwrap_or("failed")
        .trim();
    format!(
        "{} refused it: {line}",
        clang
            .file_name()
            .unwrap_or(OsStr::new("clang"))
            .to_string_lossy()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_cc_crate_compile_is_recognized() {
        let args = os(&[
            "-O3",
            "-ffunction-sections",
            "-fPIC",
            "-I",
            "inc",
            "-DX=1",
            "-o",
            "out/a.o",
            "-c",
            "src/a.c",
        ]);
        assert_eq!(
            Compile::parse(&args),
            Ok(Compile {
                source: 9,
                output: "out/a.o".into()
            })
        );
    }

    #[test]
    fn other_commands_are_not_compiles() {
        // cinline-build's helper library.
        assert_eq!(
            Compile::parse(&os(&[
                "-O3",
                "-DCINLINE_BUILD_HELPERS",
                "-c",
                "w.c",
                "-o",
                "w.o"
            ])),
            Err(NotCompile::Other)
        );
        assert_eq!(
            Compile::parse(&os(&["-E", "detect.c"])),
            Err(NotCompile::Other)
        );
        assert_eq!(
            Compile::parse(&os(&["a.o", "-o", "a"])),
            Err(NotCompile::Other)
        );
        assert!(matches!(
            Compile::parse(&os(&["-O2", "-c", "a.S", "-o", "a.o"])),
            Err(NotCompile::Skipped { why, source: Some(s), .. }) if why == "assembly" && s == Path::new("a.S")
        ));
        assert!(matches!(
            Compile::parse(&os(&["-O2", "-O0", "-c", "a.c", "-o", "a.o"])),
            Err(NotCompile::Skipped { why, .. }) if why.contains("-O0")
        ));
        assert!(matches!(
            Compile::parse(&os(&["-c", "-flto=thin", "a.c", "-o", "a.o"])),
            Err(NotCompile::Skipped { .. })
        ));
        assert!(matches!(
            Compile::parse(&os(&["-c", "-x", "c++", "a.c", "-o", "a.o"])),
            Err(NotCompile::Skipped { .. })
        ));
    }
}
