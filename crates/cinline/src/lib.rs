//! `cinline` and `cargo cinline`: inline C helper functions into Rust crates.
//!
//! A thin command line over `cinline-core`; see `cinline --help`. One
//! executable plays several parts, chosen in [`main`]: the `cinline` CLI,
//! the `cargo cinline` subcommand, and — when cargo or rustc call it back —
//! the rustc wrapper and the linker wrapper.

#![forbid(unsafe_code)]

mod cargo_cli;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use cinline_core::cc::{compile, CcOptions};
use cinline_core::link::{
    link, CodeModel, Codegen, Engine, LinkOptions, OptLevel, Passes, RelocationModel,
};
use cinline_core::report::report;
use cinline_core::supervise::{supervise, Outcome, Streams};
use cinline_core::toolchain::Rustc;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "cinline",
    version,
    about = "Inline C helper functions into Rust crates without LTO"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile C helpers to LLVM bitcode for a Rust target.
    ///
    /// cinline cc [--clang PATH] [--target TARGET] [--debuginfo] HELPERS.c -o HELPERS.bc [CLANG_ARGS...]
    ///
    /// Adds `-c -emit-llvm -g0`, `-O2` unless an `-O` flag is given, and the LLVM triple rustc uses
    /// for TARGET (default: the host). Any other argument goes to clang unchanged; `--` ends
    /// cinline's own options.
    #[command(disable_help_flag = true)]
    Cc {
        /// Arguments, parsed as described above.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<OsString>,
    },
    /// Link helper bitcode into a crate's bitcode and write the crate's object.
    Link(LinkArgs),
    /// List the helper calls left in objects, and why they were not inlined.
    Report(ReportArgs),
    /// Check that inlining works on this machine, end to end.
    Doctor,
}

#[derive(clap::Args)]
struct LinkArgs {
    /// The crate's bitcode (`rustc --emit=llvm-bc`).
    krate: PathBuf,
    /// Helper bitcode (`cinline cc`); repeat for several files.
    #[arg(long = "helpers", required = true)]
    helpers: Vec<PathBuf>,
    /// The object file to write.
    #[arg(short = 'o')]
    output: PathBuf,
    /// `rustc-llvm` (rustc's own libLLVM, in process; default where available) or
    /// `llvm-tools` (`llvm-link --internalize` + `clang -c`, as the Linux kernel does).
    #[arg(long)]
    engine: Option<Engine>,
    /// Optimization level.
    #[arg(long, default_value = "2", value_parser = named::<OptLevel>(OptLevel::NAMES))]
    opt_level: OptLevel,
    /// Target CPU (default: the crate's, from its bitcode).
    #[arg(long)]
    target_cpu: Option<String>,
    /// Target features to add, such as `+sse4.2` or `-sse,-sse2`; repeatable.
    #[arg(long = "target-feature")]
    target_features: Vec<String>,
    /// Relocation model (default: the crate's).
    #[arg(long, value_parser = named::<RelocationModel>(RelocationModel::NAMES))]
    relocation_model: Option<RelocationModel>,
    /// Code model (default: the crate's).
    #[arg(long, value_parser = named::<CodeModel>(CodeModel::NAMES))]
    code_model: Option<CodeModel>,
    /// Put each function and variable in its own section (`.text.NAME`, `.data.NAME`...), as rustc
    /// does, so that the linker's `--gc-sections` can drop the unused ones (ELF targets).
    #[arg(long)]
    function_sections: bool,
    /// Resolve attribute mismatches that would block inlining where that is safe: add
    /// `null-pointer-is-valid` and `no-builtin-*` to the Rust callers, give helpers whose extra
    /// target features are all in the architecture's baseline the callers' CPU and features.
    #[arg(long)]
    reconcile: bool,
    /// Passes before code generation (rustc-llvm): `inline` (inline the helpers and clean up, the
    /// default), `full` (LLVM's whole default pipeline again) or a pass pipeline.
    #[arg(long, default_value = "inline")]
    passes: Passes,
    /// Directory holding llvm-link and clang for the llvm-tools engine (or CINLINE_LLVM_BIN).
    #[arg(long)]
    llvm_bin: Option<PathBuf>,
}

/// A clap parser for one of cinline-core's named option values: clap lists
/// the names in `--help` and refuses others; the names are the type's own.
fn named<T>(names: &'static [&'static str]) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(names).try_map(|name| name.parse::<T>())
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Object files to inspect.
    #[arg(required = true)]
    objects: Vec<PathBuf>,
    /// Helper bitcode whose symbols count as helpers; repeatable.
    #[arg(long = "helpers", required = true)]
    helpers: Vec<PathBuf>,
    /// The crate's bitcode, to compare each helper with its real callers.
    #[arg(long = "crate")]
    krate: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Exit with status 1 if any helper call is left.
    #[arg(long)]
    deny_not_inlined: bool,
}

/// The entry point of the three executables, `cinline`, `cargo-cinline` and
/// `cinline-cc` (the part each plays comes from its name and environment).
///
/// The commands that load LLVM (`link`, `report`, `doctor`, and the rustc
/// and linker wrappers for crates with helpers) run in a supervised worker
/// process ([`cinline_core::supervise`]): an abort inside LLVM then becomes
/// an error naming the file, or a fallback in cargo builds.
pub fn main() -> ExitCode {
    let worker = cinline_core::supervise::enter_worker();
    let code = dispatch(worker);
    if worker {
        cinline_core::supervise::worker_done();
    }
    code
}

/// Runs the part this process plays (`worker`: under a supervisor).
fn dispatch(worker: bool) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(mode) = cinline_core::cargo::Mode::from_env(&args) {
        if mode == cinline_core::cargo::Mode::Subcommand {
            return cargo_cli::main(&args);
        }
        if !worker {
            if let Some(outcome) = cinline_core::cargo::served(mode, &args) {
                return tell(outcome);
            }
        }
        if !worker && cinline_core::cargo::needs_worker(mode, &args) {
            match supervise(&args, Streams::Buffered) {
                Outcome::Exited(code) => return code,
                Outcome::Crashed(crash) => {
                    return tell(cinline_core::cargo::after_crash(
                        mode,
                        &args,
                        &crash.to_string(),
                    ))
                }
                // Without a worker, the work runs here, uncontained.
                Outcome::NotStarted(_) => {}
            }
        }
        return tell(cinline_core::cargo::run(mode, args));
    }
    let cli = Cli::parse_from(&args);
    if !worker && cli.command.loads_llvm() {
        match supervise(&args, Streams::Live) {
            Outcome::Exited(code) => return code,
            Outcome::Crashed(crash) => {
                eprintln!("cinline: error: {crash}");
                return ExitCode::FAILURE;
            }
            Outcome::NotStarted(why) => {
                eprintln!("cinline: warning: {why}; running without crash containment")
            }
        }
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cinline: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints what a wrapper run has to say, in order, and ends with its code.
fn tell(outcome: cinline_core::cargo::Outcome) -> ExitCode {
    for message in &outcome.messages {
        eprintln!("{message}");
    }
    outcome.code
}

impl Command {
    /// Whether the command loads LLVM (and so runs in a worker).
    fn loads_llvm(&self) -> bool {
        !matches!(self, Command::Cc { .. })
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Cc { args } => cc(args),
        Command::Link(args) => link_command(args),
        Command::Report(args) => report_command(args),
        Command::Doctor => Ok(doctor()),
    }
}

/// Splits `cinline cc` arguments into cinline's options and clang's.
fn parse_cc(args: Vec<OsString>) -> anyhow::Result<CcOptions> {
    let mut opts = CcOptions::default();
    let mut output = None;
    let mut inputs = Vec::new();
    // Arguments that are not .c files but look like inputs (a directory),
    // named if no .c input is found.
    let mut not_c = Vec::new();
    let mut after_flag = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        let is_value = std::mem::replace(&mut after_flag, takes_value(&arg));
        if !is_value {
            let s = arg.to_string_lossy();
            let path = std::path::Path::new(&arg);
            if !s.starts_with('-') && !s.ends_with(".c") && path.is_dir() {
                not_c.push(format!("`{s}` is a directory"));
            }
        }
        match arg.to_str() {
            Some("--clang") => opts.clang = Some(value("--clang")?.into()),
            Some("--target") => opts.target = Some(value("--target")?.to_string_lossy().into_owned()),
            Some("--debuginfo") => opts.debuginfo = true,
            Some("-o") => output = Some(PathBuf::from(value("-o")?)),
            Some("--") => opts.clang_args.extend(args.by_ref()),
            Some("-h" | "--help") => bail!("usage: cinline cc [--clang PATH] [--target TARGET] [--debuginfo] HELPERS.c -o HELPERS.bc [CLANG_ARGS...]"),
            Some(s) if !s.starts_with('-') && s.ends_with(".c") => inputs.push(PathBuf::from(s)),
            _ => opts.clang_args.push(arg),
        }
    }
    match inputs.as_slice() {
        [input] => opts.input = input.clone(),
        [] if !not_c.is_empty() => bail!(
            "cinline cc: no .c input given ({}); give the helpers' .c file",
            not_c.join(", ")
        ),
        [] => bail!("cinline cc: no .c input given; give the helpers' .c file"),
        _ => bail!("cinline cc: one .c input at a time (got {})", inputs.len()),
    }
    opts.output = output.context("cinline cc: no output given (-o HELPERS.bc)")?;
    Ok(opts)
}

/// Whether the clang flag `arg` takes the next argument as its value.
fn takes_value(arg: &OsString) -> bool {
    matches!(
        arg.to_str(),
        Some(
            "-I" | "-D"
                | "-U"
                | "-include"
                | "-imacros"
                | "-isystem"
                | "-iquote"
                | "-idirafter"
                | "-isysroot"
                | "--sysroot"
                | "-x"
                | "-Xclang"
                | "-MF"
                | "-MT"
                | "-MQ"
                | "-target"
        )
    )
}

fn cc(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let opts = parse_cc(args)?;
    let rustc = Rustc::find()?;
    compile(&opts, &rustc)?;
    Ok(ExitCode::SUCCESS)
}

fn link_command(args: LinkArgs) -> anyhow::Result<ExitCode> {
    let inputs: Vec<&std::path::Path> = std::iter::once(args.krate.as_path())
        .chain(args.helpers.iter().map(PathBuf::as_path))
        .collect();
    cinline_core::check_output(&args.output, &inputs)?;
    let rustc = Rustc::find()?;
    let opts = LinkOptions {
        krate: args.krate,
        helpers: args.helpers,
        output: args.output,
        engine: args.engine,
        codegen: Codegen {
            opt_level: Some(args.opt_level),
            target_cpu: args.target_cpu,
            target_features: args.target_features,
            relocation_model: args.relocation_model,
            code_model: args.code_model,
            function_sections: args.function_sections,
        },
        reconcile: args.reconcile,
        passes: args.passes,
        llvm_bin: args.llvm_bin,
        ..LinkOptions::default()
    };
    let outcome = link(&opts, &rustc)?;
    for warning in &outcome.warnings {
        eprintln!("cinline: warning: {warning}");
    }
    for kept in &outcome.out_of_line {
        eprintln!(
            "cinline: note: {} kept out of line: {}",
            kept.helper, kept.reason
        );
    }
    // One line per helper and reason, not per call site.
    let mut grouped: BTreeMap<(String, String, bool, bool), usize> = BTreeMap::new();
    for m in &outcome.mismatches {
        let key = (
            m.helper.clone(),
            m.kind.to_string(),
            m.reconciled,
            m.kind.reconcilable(),
        );
        *grouped.entry(key).or_default() += 1;
    }
    for ((helper, kind, reconciled, reconcilable), callers) in grouped {
        let (level, advice) = match (reconciled, reconcilable) {
            (true, _) => ("note", " (reconciled)"),
            (false, true) => ("warning", "; not inlined (--reconcile resolves it)"),
            (false, false) => ("warning", "; not inlined"),
        };
        eprintln!("cinline: {level}: {helper} ({callers} caller(s)): {kind}{advice}");
    }
    Ok(ExitCode::SUCCESS)
}

fn report_command(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let rustc = Rustc::find()?;
    let reports = report(&args.objects, &args.helpers, args.krate.as_deref(), &rustc)?;
    let mut out = String::new();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&reports)?)?,
        Format::Text => {
            for r in &reports {
                if r.residuals.is_empty() {
                    writeln!(out, "{}: every helper call inlined", r.object.display())?;
                    continue;
                }
                writeln!(
                    out,
                    "{}: {} helper(s) not inlined",
                    r.object.display(),
                    r.residuals.len()
                )?;
                for residual in &r.residuals {
                    let mut what = Vec::new();
                    if residual.defined_here {
                        what.push("an out-of-line copy kept in the object".to_string());
                    }
                    if residual.references > 0 {
                        what.push(format!("{} relocation(s) to it", residual.references));
                    }
                    writeln!(out, "  {}: {}", residual.helper, what.join(", "))?;
                    for reason in &residual.reasons {
                        writeln!(out, "    - {reason}")?;
                    }
                }
            }
        }
    }
    print(&out);
    let left = reports.iter().any(|r| !r.residuals.is_empty());
    Ok(if args.deny_not_inlined && left {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn doctor() -> ExitCode {
    let diagnosis = cinline_core::doctor::diagnose();
    for fact in &diagnosis.facts {
        println!("{fact}");
    }
    for problem in &diagnosis.problems {
        println!("problem: {problem}");
    }
    if diagnosis.ok() {
        println!("ok: inlining works here");
        ExitCode::SUCCESS
    } else if diagnosis.attribute_checks_off() {
        println!(
            "not ok: without rustc's libLLVM, attribute checks and --reconcile are off \
             (the llvm-tools engine inlined the sample without them)"
        );
        ExitCode::FAILURE
    } else {
        println!("not ok: inlining does not work here yet");
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<CcOptions> {
        parse_cc(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn the_wrapper_mode_knows_every_cli_command() {
        use clap::CommandFactory;
        let mut names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .chain(["help".to_string()])
            .collect();
        names.sort();
        assert_eq!(names, cinline_core::cargo::CLI_COMMANDS);
    }

    #[test]
    fn cc_splits_its_options_from_clang_flags() {
        let opts = parse(&[
            "--clang",
            "clang-16",
            "-I",
            "inc",
            "-DMODULE",
            "helpers.c",
            "-o",
            "h.bc",
            "--",
            "-O1",
            "x.c",
        ])
        .unwrap();
        assert_eq!(opts.clang, Some(PathBuf::from("clang-16")));
        assert_eq!(opts.input, PathBuf::from("helpers.c"));
        assert_eq!(opts.output, PathBuf::from("h.bc"));
        assert_eq!(
            opts.clang_args,
            ["-I", "inc", "-DMODULE", "-O1", "x.c"].map(OsString::from)
        );
    }

    #[test]
    fn cc_needs_one_input_and_an_output() {
        assert!(parse(&["-o", "h.bc"])
            .unwrap_err()
            .to_string()
            .contains("no .c input"));
        assert!(parse(&["a.c", "b.c", "-o", "h.bc"])
            .unwrap_err()
            .to_string()
            .contains("one .c input"));
        assert!(parse(&["a.c"])
            .unwrap_err()
            .to_string()
            .contains("no output"));
        assert!(parse(&["a.c", "-o"])
            .unwrap_err()
            .to_string()
            .contains("-o needs a value"));
    }
}
