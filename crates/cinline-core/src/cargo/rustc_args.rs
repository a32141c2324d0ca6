//! Reading a rustc command line: is it a compilation cinline should
//! handle, and with what settings.
//!
//! Anything unclear means "pass through": rustc then runs exactly as cargo
//! asked, and the crate calls its helpers out of line.

use std::ffi::OsString;
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
        "code-model" => inv.code_model = Some(value.into()),
        "codegen-units" => {
            let n = value
                .parse()
                .map_err(|_| format!("-C codegen-units={value} is not a number"))?;
            inv.codegen_units = Some(n);
        }
        "extra-filename" => inv.extra_filename = value.into(),
        "linker" => inv.linker = Some(value.into()),
        "opt-level" => inv.opt_level = value.into(),
        "relocation-model" => inv.relocation_model = Some(value.into()),
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
    let mut inv = Invocation {
        opt_level: "0".into(),
        ..Invocation::default()
    };
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

    /// Splits a command line as `cargo build -v` prints it (words, and
    /// words in single quotes).
    fn shell_words(line: &str) -> Vec<OsString> {
        let mut words = Vec::new();
        let mut word = String::new();
        let (mut quoted, mut started) = (false, false);
        for c in line.chars() {
            match c {
                '\'' => (quoted, started) = (!quoted, true),
                c if c.is_whitespace() && !quoted => {
                    if started {
                        words.push(OsString::from(std::mem::take(&mut word)));
                    }
                    started = false;
                }
                c => (word, started) = (word + &c.to_string(), true),
            }
        }
        if started {
            words.push(word.into());
        }
        words
    }

    #[test]
    fn the_option_tables_are_sorted_and_have_no_duplicates() {
        for pair in CODEGEN_OPTIONS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for pair in HARMLESS_UNSTABLE_OPTIONS.windows(2) {
            assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn every_option_read_is_read() {
        for (key, usage) in CODEGEN_OPTIONS {
            let read = read_codegen_option(&mut Invocation::default(), key, "1").is_ok();
            assert_eq!(read, *usage == CodegenUse::Read, "-C {key}");
        }
    }

    /// Real command lines, copied from `cargo build -v` (cargo 1.95): a
    /// build script (debug), a library (debug, incremental), a binary
    /// (release) and a test harness (release); then other spellings, and
    /// options cinline does not know.
    #[test]
    fn decisions_over_real_and_unknown_command_lines() {
        const HANDLED: &str = "";
        let cases: &[(&str, &str)] = &[
            (
                "--crate-name build_script_build --edition=2024 build.rs --error-format=json \
                 --json=diagnostic-rendered-ansi,artifacts,future-incompat --crate-type bin \
                 --emit=dep-info,link -C embed-bitcode=no --check-cfg 'cfg(docsrs,test)' \
                 --check-cfg 'cfg(feature, values())' -C metadata=d68a60be0c7323b2 \
                 -C extra-filename=-b90e40f573b2c615 --out-dir /w/a/target/debug/build/a-b90e40f573b2c615 \
                 -C incremental=/w/a/target/debug/incremental -L dependency=/w/a/target/debug/deps",
                HANDLED,
            ),
            (
                "--crate-name a --edition=2024 src/lib.rs --error-format=json \
                 --json=diagnostic-rendered-ansi,artifacts,future-incompat --crate-type lib \
                 --emit=dep-info,metadata,link -C embed-bitcode=no -C debuginfo=2 \
                 --check-cfg 'cfg(docsrs,test)' --check-cfg 'cfg(feature, values())' \
                 -C metadata=c4b76d1b3cd540fa -C extra-filename=-0e6c79024f3fd5bb \
                 --out-dir /w/a/target/debug/deps -C incremental=/w/a/target/debug/incremental \
                 -L dependency=/w/a/target/debug/deps",
                HANDLED,
            ),
            (
                "--crate-name b --edition=2024 src/bin/b.rs --error-format=json \
                 --json=diagnostic-rendered-ansi,artifacts,future-incompat --crate-type bin \
                 --emit=dep-info,link -C opt-level=3 -C embed-bitcode=no \
                 --check-cfg 'cfg(docsrs,test)' --check-cfg 'cfg(feature, values())' \
                 -C metadata=f1dcada44c811b28 -C extra-filename=-7a34c7d79bafb28f \
                 --out-dir /w/a/target/release/deps -C strip=debuginfo \
                 -L dependency=/w/a/target/release/deps \
                 --extern a=/w/a/target/release/deps/liba-48106c9287c313ad.rlib",
                HANDLED,
            ),
            (
                "--crate-name a --edition=2024 src/lib.rs --error-format=json \
                 --json=diagnostic-rendered-ansi,artifacts,future-incompat --emit=dep-info,link \
                 -C opt-level=3 -C embed-bitcode=no --test --check-cfg 'cfg(docsrs,test)' \
                 --check-cfg 'cfg(feature, values())' -C metadata=79af5d5e5400c83f \
                 -C extra-filename=-f1bf17284ed5f5cf --out-dir /w/a/target/release/deps \
                 -C strip=debuginfo -L dependency=/w/a/target/release/deps",
                HANDLED,
            ),
            // A profile with `panic = "abort"`, `lto = "off"`, more units.
            (
                "--crate-name a src/lib.rs --crate-type lib --emit=dep-info,metadata,link \
                 -C opt-level=3 -C panic=abort -C lto=off -C codegen-units=16 \
                 -C debug-assertions=on -C overflow-checks=on --out-dir d",
                HANDLED,
            ),
            (
                "--crate-name a src/lib.rs --emit=link --codegen=opt-level=2 -Ctarget-cpu=native \
                 -Z threads=2 --out-dir d",
                HANDLED,
            ),
            // A crate cargo builds with `lto = true`.
            (
                "--crate-name b src/main.rs --crate-type bin --emit=dep-info,link -C opt-level=3 \
                 -C lto -C metadata=1 --out-dir d",
                "-C lto is on: LTO already sees through the helpers",
            ),
            (
                "--crate-name a src/lib.rs --crate-type lib --emit=dep-info,metadata,link \
                 -C opt-level=3 -C linker-plugin-lto --out-dir d",
                "-C linker-plugin-lto is on: LTO already sees through the helpers",
            ),
            (
                "--crate-name a src/lib.rs --emit=link -C profile-generate=/tmp/pgo --out-dir d",
                "-C profile-generate: profile instrumentation is rustc's pipeline, not cinline's",
            ),
            (
                "--crate-name a src/lib.rs --emit=link -C frobnicate=yes --out-dir d",
                "unknown codegen option -C frobnicate",
            ),
            (
                "--crate-name a src/lib.rs --emit=link --codegen frobnicate --out-dir d",
                "unknown codegen option -C frobnicate",
            ),
            (
                "--crate-name a src/lib.rs --emit=link -Zsanitizer=address --out-dir d",
                "unknown unstable option -Z sanitizer",
            ),
            (
                "--crate-name a src/lib.rs --emit=link -C codegen-units=many --out-dir d",
                "-C codegen-units=many is not a number",
            ),
        ];
        for (line, expected) in cases {
            let got = match decide(&shell_words(line)) {
                Decision::Handle(_) => String::new(),
                Decision::PassThrough(why) => why,
                Decision::NotCompilation => "not a compilation".into(),
            };
            assert_eq!(&got, expected, "{line}");
        }
        let release_bin = handled_words(cases[2].0);
        assert_eq!(release_bin.opt_level, "3");
        assert_eq!(release_bin.externs, ["a"]);
        let spelled = handled_words(cases[5].0);
        assert_eq!(spelled.opt_level, "2");
        assert_eq!(spelled.target_cpu.as_deref(), Some("native"));
        assert_eq!(handled_words(cases[4].0).codegen_units, Some(16));
    }

    fn handled_words(line: &str) -> Invocation {
        match decide(&shell_words(line)) {
            Decision::Handle(inv) => *inv,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn incremental_is_dropped_in_either_spelling() {
        assert_eq!(
            without_codegen_option(
                &args(
                    "a -C incremental=/x b -Cincremental=/y --codegen=incremental=/z \
                     --codegen incremental=/w -C opt-level=0"
                ),
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
