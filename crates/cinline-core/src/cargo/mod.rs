//! cinline in cargo builds: `cargo cinline`, the rustc wrapper and the
//! linker wrapper.
//!
//! `cargo cinline build` runs cargo with this executable as
//! `RUSTC_WRAPPER`. For each rustc invocation the wrapper looks for helper
//! manifests (written by `cinline-build`) in the `-L` directories; if there
//! are none rustc runs unchanged. Otherwise rustc also emits bitcode, and
//! every codegen unit whose object calls a helper is linked with the helpers
//! and its object replaced: inside the `.rlib` for libraries, on the link
//! line for binaries (this executable is then rustc's linker, and calls the
//! real one). Whatever fails, the build goes on with rustc's own objects and
//! a warning, unless `CINLINE_STRICT=1`.

pub(crate) mod archive;
mod cgu;
pub mod chain;
mod helpers;
mod jobserver;
mod kept_objects;
mod link_server;
pub(crate) use link_server::abandon as abandon_link_server;
pub(crate) use link_server::end_with_the_build;
mod linker;
mod outcome;
mod own_codegen;
pub mod record;
pub mod rustc_args;
mod stream;
pub mod subcommand;
mod workspace;
mod wrapper;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

pub use helpers::{HelperSet, Skip, Skipped};
pub use outcome::{Level, Message, Outcome};
pub(crate) use stream::forward_notice;

/// Environment variables between the parts (private).
pub(crate) mod env_keys {
    /// Set by `cargo cinline` for cargo, next to `RUSTC_WRAPPER`: this
    /// executable, given a rustc as its first argument, is the rustc
    /// wrapper ([`super::Mode::from_env`]).
    pub const WRAPPER: &str = "__CINLINE_WRAPPER";
    /// Set by `cargo cinline`: a wrapper the user had, to call in turn.
    pub const CHAIN_WRAPPER: &str = "__CINLINE_CHAIN_WRAPPER";
    /// Set for rustc by the wrapper: this executable is the linker.
    pub const LINKER: &str = "__CINLINE_LINKER";
    /// The real linker.
    pub const REAL_LINKER: &str = "__CINLINE_REAL_LINKER";
    /// The manifests to use, as a path list.
    pub const MANIFESTS: &str = "__CINLINE_MANIFESTS";
    /// The `-L` directories holding captured C, as a path list.
    pub const CAPTURED: &str = "__CINLINE_CAPTURED";
    /// The Rust target of the crate.
    pub const TARGET: &str = "__CINLINE_TARGET";
    /// The rustc of the crate, described (`Rustc::to_json`).
    pub const RUSTC: &str = "__CINLINE_RUSTC";
    /// Codegen options (JSON).
    pub const CODEGEN: &str = "__CINLINE_CODEGEN";
    /// `{crate}{extra-filename}` and the out dir, for the record.
    pub const STEM: &str = "__CINLINE_STEM";
    /// The crate's output directory.
    pub const OUT_DIR: &str = "__CINLINE_OUT_DIR";
    /// `1` when the linker links a test harness (`--test`): its record is
    /// the harness's, not the crate's (both may link at once).
    pub const TEST: &str = "__CINLINE_TEST";
    /// Set by the rustc wrapper for the link server it starts
    /// (`link_server`): the directory the objects are generated into.
    pub const LINK_SERVER: &str = "__CINLINE_LINK_SERVER";
    /// Set with [`LINK_SERVER`] for a link server that serves a whole
    /// build.
    pub const LINK_SERVER_BUILD: &str = "__CINLINE_LINK_SERVER_BUILD";
    /// Set by `cargo cinline` for cargo: the socket of the build's link
    /// server.
    pub const BUILD_SOCKET: &str = "__CINLINE_BUILD_SOCKET";
    /// Set for rustc by the wrapper: the link server's socket.
    pub const LINK_SOCKET: &str = "__CINLINE_LINK_SOCKET";
    /// Set by the supervisor for its worker: the scratch directory
    /// (`crate::supervise`).
    pub const WORKER: &str = "__CINLINE_WORKER";
    /// Set with [`WORKER`]: the process id of the worker's starter, which
    /// the worker checks is still its parent once it has asked for a
    /// signal at the parent's end (`crate::supervise::enter_worker`).
    pub const STARTER: &str = "__CINLINE_STARTER";
    /// Fault injection for the tests: a worker aborts, as LLVM does on a
    /// fatal error, when it hands a file whose name ends with this to LLVM.
    pub const FAULT: &str = "__CINLINE_FAULT";
    /// Set by the rustc wrapper for what it runs: a wrapper entered with it
    /// set was called back by the wrapper it chains (itself, under another
    /// name, or a script calling it), and runs rustc directly.
    pub const ACTIVE: &str = "__CINLINE_WRAPPER_ACTIVE";
}

/// The part this executable plays, when it is not the plain CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `cargo cinline ...` (executable named `cargo-cinline`).
    Subcommand,
    /// `RUSTC_WRAPPER`: called as `cinline rustc ARGS...`.
    Wrapper,
    /// rustc's linker.
    Linker,
    /// A binary's link prepared while rustc compiles it, started by the
    /// rustc wrapper (`link_server`).
    LinkServer,
    /// The C compiler of build scripts (executable named `cinline-cc`).
    Compiler,
}

/// The name of the executable that is the C compiler of build scripts.
pub const COMPILER_NAME: &str = "cinline-cc";

/// The first arguments of the `cinline` CLI (its commands, and options such
/// as `--help`, which start with `-`): never the path of a rustc. The
/// binary's tests check the list against its commands.
pub const CLI_COMMANDS: &[&str] = &["cc", "doctor", "help", "link", "report"];

impl Mode {
    /// Which part `args` (the whole command line) ask for.
    ///
    /// In order: rustc's linker, marked by [`env_keys::LINKER`], which the
    /// wrapper sets for rustc only, and the linker wrapper removes for the
    /// real linker; the rustc wrapper, marked by [`env_keys::WRAPPER`] when
    /// `cargo cinline` runs cargo, else guessed from the program name in
    /// `argv[1]` (`rustc`, `clippy-driver`: users who set `RUSTC_WRAPPER`
    /// to cinline themselves); then `cargo cinline`.
    ///
    /// [`env_keys::WRAPPER`] is in the environment of everything cargo
    /// runs, not only of the wrapper: rustc and what it runs (the linker
    /// wrapper, told apart by [`env_keys::LINKER`] first), the wrapper the
    /// user had (which may call cinline back as a rustc wrapper, and must
    /// find it so), and build scripts. Those never run cinline as a rustc
    /// wrapper: a build script that runs cinline at all runs the CLI
    /// (`cinline cc`, from a Makefile say), or `cargo cinline` again
    /// (`argv[1]` is then `cinline`). So the variable selects the wrapper
    /// only when `argv[1]` is none of the CLI's commands ([`CLI_COMMANDS`])
    /// nor `cinline`, and is not an option: a rustc is a path or a program
    /// name, and never named so. Removing the variable from what the
    /// wrapper runs would break the chained wrapper calling cinline back;
    /// cargo passes it to build scripts whatever the wrapper does.
    pub fn from_env(args: &[OsString]) -> Option<Mode> {
        if crate::getenv(env_keys::LINK_SERVER).is_some() {
            return Some(Mode::LinkServer);
        }
        Mode::select(
            args,
            crate::getenv(env_keys::LINKER).is_some(),
            crate::getenv(env_keys::WRAPPER).is_some(),
        )
    }

    /// [`Mode::from_env`], given whether [`env_keys::LINKER`] and
    /// [`env_keys::WRAPPER`] are set.
    fn select(args: &[OsString], linker: bool, wrapper: bool) -> Option<Mode> {
        let name = |i: usize| {
            args.get(i)
                .and_then(|a| Path::new(a).file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let rustc_given = args.get(1).is_some_and(|a| {
            let a = a.to_string_lossy();
            !a.is_empty()
                && !a.starts_with('-')
                && a != "cinline"
                && !CLI_COMMANDS.contains(&a.as_ref())
        });
        if name(0).strip_suffix(std::env::consts::EXE_SUFFIX) == Some(COMPILER_NAME) {
            Some(Mode::Compiler)
        } else if linker {
            Some(Mode::Linker)
        } else if (wrapper && rustc_given)
            || name(1).starts_with("rustc")
            || name(1).starts_with("clippy-driver")
        {
            Some(Mode::Wrapper)
        } else if name(0).starts_with("cargo-cinline") {
            Some(Mode::Subcommand)
        } else {
            None
        }
    }
}

/// Runs `mode` with the whole command line `args`.
///
/// # Panics
///
/// On [`Mode::Subcommand`]: `cargo cinline`'s arguments are the binary's to
/// parse; it calls [`subcommand`]'s functions itself.
pub fn run(mode: Mode, args: Vec<OsString>) -> Outcome {
    match mode {
        Mode::Subcommand => panic!("`cargo cinline` is run by the binary, through `subcommand`"),
        Mode::Wrapper => wrapper::run(&args[1..]),
        Mode::Linker => linker::run(&args[1..]),
        Mode::LinkServer => link_server::serve(),
        Mode::Compiler => crate::capture::compiler::run(&args[1..]),
    }
}

/// The link of rustc's linker (`mode` [`Mode::Linker`], `args` its whole
/// command line) as the link server the rustc wrapper started answered
/// it; `None` if there is none, or it did not answer: the linker then does
/// the work itself (in a supervised worker).
pub fn served(mode: Mode, args: &[OsString]) -> Option<Outcome> {
    (mode == Mode::Linker)
        .then(|| link_server::ask(args.get(1..).unwrap_or_default()))
        .flatten()
}

/// Where the processes of a build with outputs in `out_dir` keep LLVM's
/// answers about inlining (see [`crate::inline_attrs::keep_probes_in`]):
/// beside the build's records.
pub(crate) fn probes_dir(out_dir: &Path) -> std::path::PathBuf {
    record::dir_for(out_dir).join("probes")
}

/// The bitcode rustc wrote for the codegen unit whose object is named
/// `object_name` (`{stem}.{crate}.{hash}-cgu.N.rcgu.o`) in `dir`:
/// `{unit}.rcgu.bc`, or `{stem}.bc` when the crate has one codegen unit
/// (`single`). `None` if this is not one of the crate's units.
pub(crate) fn unit_bitcode(
    dir: &Path,
    object_name: &str,
    stem: &str,
    single: bool,
) -> Option<std::path::PathBuf> {
    let unit = object_name
        .strip_suffix(".rcgu.o")
        .filter(|_| is_unit(object_name, stem))?;
    [format!("{unit}.rcgu.bc"), format!("{stem}.bc")]
        .into_iter()
        .take(if single { 2 } else { 1 })
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// The size of the file at `path` in bytes (0 if it cannot be read: its
/// reader says why).
pub(crate) fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Whether the object named `name` is one of the crate's codegen units
/// (`{stem}.{crate}.{hash}-cgu.N.rcgu.o`, or `{stem}.{hash}.{hash}.rcgu.o`
/// in incremental builds), not the allocator or metadata shim rustc adds to
/// binaries (`{stem}.{hash}.rcgu.o`).
pub(crate) fn is_unit(name: &str, stem: &str) -> bool {
    name.strip_prefix(stem)
        .and_then(|n| n.strip_prefix('.'))
        .and_then(|n| n.strip_suffix(".rcgu.o"))
        .is_some_and(|middle| middle.contains('.'))
}

pub(crate) use crate::env::strict;

/// With `CINLINE_LOG` set, says what the wrapper decides and why: on
/// stderr for `1`, else appended to the file it names (rustc hides what its
/// linker prints, so the linker wrapper's lines only show up in a file).
///
/// Each line starts with the process id and the time (seconds and
/// microseconds of the Unix clock), so that the lines of the processes of
/// one build, merged in one file, show where its time goes.
pub(crate) fn log(what: impl FnOnce() -> String) {
    use crate::env::LogTarget;
    use std::io::Write;
    let Some(target) = crate::env::log_target() else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let line = format!(
        "cinline[{} {}.{:06}]: {}",
        std::process::id(),
        now.as_secs(),
        now.subsec_micros(),
        what()
    );
    match target {
        LogTarget::Stderr => eprintln!("{line}"),
        LogTarget::File(path) => {
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{line}");
            }
        }
    }
}

/// The outcome of a child that ended with `status`: its exit code (signals
/// become 101, like rustc's ICE).
pub fn exit_code(status: std::process::ExitStatus) -> Outcome {
    Outcome::exit(ExitCode::from(
        status.code().map_or(101, |c| c.clamp(0, 255) as u8),
    ))
}

/// Crash containment (`crate::supervise`): whether this invocation of
/// `mode` (`args`: the whole command line) may load LLVM, and so runs in a
/// supervised worker. A rustc invocation cinline passes through does not,
/// nor one that only links (a binary, a test): the linker wrapper, which
/// does the LLVM work of those, has a worker of its own.
pub fn needs_worker(mode: Mode, args: &[OsString]) -> bool {
    match mode {
        Mode::Subcommand => false,
        Mode::Compiler => crate::capture::compiler::loads_llvm(args.get(1..).unwrap_or_default()),
        Mode::Linker => true,
        // It is the worker: its supervisor is the rustc wrapper.
        Mode::LinkServer => false,
        Mode::Wrapper => match rustc_args::decide(args.get(2..).unwrap_or_default()) {
            rustc_args::Decision::Handle(inv) => {
                wrapper::handles(&inv).is_ok() && inv.archive_types().next().is_some()
            }
            _ => false,
        },
    }
}

/// Crash containment: the worker for `mode` died (`why`, naming the file).
/// Does what cargo or rustc asked, without cinline: the rustc wrapper runs
/// rustc with the original arguments, the linker wrapper the real linker;
/// one warning names the crate. Under `CINLINE_STRICT=1` an error instead.
pub fn after_crash(mode: Mode, args: &[OsString], why: &str) -> Outcome {
    match mode {
        Mode::Subcommand | Mode::LinkServer => Outcome::failed(why),
        Mode::Compiler => {
            crate::capture::compiler::after_crash(args.get(1..).unwrap_or_default(), why)
        }
        Mode::Wrapper => {
            let (program, rustc_args) = match args.get(1..).and_then(|a| a.split_first()) {
                Some(split) => split,
                None => return Outcome::failed("called as a rustc wrapper without a rustc"),
            };
            match rustc_args::decide(rustc_args) {
                rustc_args::Decision::Handle(inv) => {
                    // The worker's bitcode files go; the fallback itself
                    // (strict mode, record, retry next time) is the
                    // wrapper's.
                    if !inv.emit.iter().any(|k| k == "llvm-bc") && !crate::env::save_temps() {
                        wrapper::remove_bitcode(&inv.out_dir, &inv.stem());
                    }
                    wrapper::fall_back(program, rustc_args, &inv, None, why)
                }
                _ => wrapper::pass_through(program, rustc_args),
            }
        }
        Mode::Linker => {
            let stem = crate::getenv(env_keys::STEM)
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let crate_name = stem.split('-').next().unwrap_or_default().to_string();
            let args = args.get(1..).unwrap_or_default();
            // rustc made no objects of its own to link instead of its
            // bitcode: rustc fails, and the wrapper builds the crate again.
            let bitcode = !linker::bitcode_units(args, &stem).is_empty();
            // rustc hides a successful linker's output: the wrapper shows
            // the warning from the record.
            if let Some(out_dir) = crate::getenv(env_keys::OUT_DIR) {
                let fallback = if bitcode {
                    why.to_string()
                } else {
                    format!("{why}; linked without cinline")
                };
                let record = record::Record {
                    crate_name: crate_name.clone(),
                    stem,
                    kind: "link".into(),
                    fallback: Some(fallback),
                    test: linker::links_a_test(),
                    ..record::Record::default()
                };
                let _ = record.save(&record::dir_for(Path::new(&out_dir)));
            }
            if strict() {
                return Outcome::strict_failure(&crate_name, why);
            }
            if bitcode {
                return Outcome::failed(why);
            }
            let real = crate::getenv(env_keys::REAL_LINKER).unwrap_or_else(|| "cc".into());
            linker::run_real_linker(&real, args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_comes_from_the_private_variables_then_from_argv() {
        let select = |line: &str, linker, wrapper| {
            let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
            Mode::select(&args, linker, wrapper)
        };
        let me = "/home/u/.cargo/bin/cargo-cinline";
        // rustc under any name, with the variable `cargo cinline` sets.
        let wrapped = format!("{me} /nix/store/x-rust/bin/rust-compiler --crate-name a");
        assert_eq!(select(&wrapped, false, true), Some(Mode::Wrapper));
        assert_eq!(select(&wrapped, false, false), Some(Mode::Subcommand));
        // The argv guess, for a `RUSTC_WRAPPER` the user set.
        let guessed = "/usr/bin/cinline /usr/bin/rustc --crate-name a";
        assert_eq!(select(guessed, false, false), Some(Mode::Wrapper));
        assert_eq!(
            select("cinline clippy-driver -", false, false),
            Some(Mode::Wrapper)
        );
        // rustc's linker, whatever else is set.
        assert_eq!(select(&wrapped, true, true), Some(Mode::Linker));
        assert_eq!(
            select("cinline -m64 a.o -o app", true, false),
            Some(Mode::Linker)
        );
        // A build script under `cargo cinline` running the CLI, or
        // `cargo cinline` again.
        for line in [
            "cinline cc h.c -o h.bc",
            "cinline report",
            "cinline --help",
            "cinline",
        ] {
            assert_eq!(select(line, false, true), None, "{line}");
        }
        let again = format!("{me} cinline build");
        assert_eq!(select(&again, false, true), Some(Mode::Subcommand));
        assert_eq!(
            select("cinline link k.bc --helpers h.bc -o k.o", false, false),
            None
        );
    }

    #[test]
    fn codegen_units_are_told_from_the_shim() {
        let stem = "app-4b00bfb067ecae95";
        assert!(is_unit(
            "app-4b00bfb067ecae95.app.a74981af74294b73-cgu.0.rcgu.o",
            stem
        ));
        assert!(is_unit(
            "app-4b00bfb067ecae95.26f57ffvfpszl1cz90gh4cq1e.0jb6ekg.rcgu.o",
            stem
        ));
        assert!(!is_unit(
            "app-4b00bfb067ecae95.68jjvljgnaopezy5wb6ar5s52.rcgu.o",
            stem
        ));
        assert!(!is_unit("other-4b00bfb067ecae95.app.a7-cgu.0.rcgu.o", stem));
        assert!(!is_unit("helpers.o", stem));
    }

    #[test]
    fn a_single_unit_may_use_the_crate_bitcode() {
        let dir = tempfile::tempdir().unwrap();
        let stem = "hsys-22";
        std::fs::write(dir.path().join("hsys-22.bc"), b"").unwrap();
        let unit = "hsys-22.aaa.bbb.rcgu.o";
        assert_eq!(
            unit_bitcode(dir.path(), unit, stem, true),
            Some(dir.path().join("hsys-22.bc"))
        );
        assert_eq!(unit_bitcode(dir.path(), unit, stem, false), None);
        std::fs::write(dir.path().join("hsys-22.aaa.bbb.rcgu.bc"), b"").unwrap();
        assert_eq!(
            unit_bitcode(dir.path(), unit, stem, false),
            Some(dir.path().join("hsys-22.aaa.bbb.rcgu.bc"))
        );
    }
}
