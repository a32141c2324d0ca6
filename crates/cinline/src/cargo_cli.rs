//! `cargo cinline`: its arguments and what it prints. The work is
//! `cinline_core::cargo::subcommand`'s.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use cinline_core::capture::summary::PackageCapture;
use cinline_core::cargo::subcommand::{self, ReportQuery};
use clap::{CommandFactory as _, Parser, Subcommand};

use crate::{print, Format};

#[derive(Parser)]
#[command(
    name = "cargo-cinline",
    bin_name = "cargo cinline",
    version,
    about = "cargo with C helper calls inlined into Rust crates (cinline as RUSTC_WRAPPER)",
    after_help = "Any other command (build, test, run, bench, check, clippy, ...) runs as \
                  `cargo COMMAND ARGS...`, with cinline as RUSTC_WRAPPER (a wrapper already set is \
                  called in turn). Builds go to <target-dir>/cinline unless --target-dir or \
                  CARGO_TARGET_DIR says otherwise.",
    disable_help_subcommand = true,
    args_conflicts_with_subcommands = true
)]
struct CargoCinline {
    #[command(subcommand)]
    command: Option<CargoCommand>,
    /// A cargo command and its arguments, passed to cargo unchanged.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..,
        value_name = "CARGO_COMMAND"
    )]
    cargo: Vec<OsString>,
}

#[derive(Subcommand)]
enum CargoCommand {
    /// Per crate of the last `cargo cinline` build: helper calls found, inlined, left, and why.
    Report(CargoReportArgs),
}

#[derive(clap::Args)]
struct CargoReportArgs {
    /// The release profile's records (as `cargo build --release` built it).
    #[arg(short, long, conflicts_with = "profile")]
    release: bool,
    /// The records of the build with this cargo profile [default: dev].
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// The target directory the build was given [default: CARGO_TARGET_DIR, else the
    /// workspace's target directory + /cinline].
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// The workspace's Cargo.toml, to find its target directory.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Output format (json: the records as the wrapper saved them).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// `cargo cinline`, with the whole command line `args`
/// (`cargo-cinline cinline ...` when cargo runs it, or `cargo-cinline ...`).
pub(crate) fn main(args: &[OsString]) -> ExitCode {
    let rest = match args.get(1) {
        Some(first) if first == "cinline" => &args[2..],
        _ => args.get(1..).unwrap_or_default(),
    };
    let cli = match CargoCinline::try_parse_from(
        std::iter::once(OsString::from("cargo cinline")).chain(rest.iter().cloned()),
    ) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version on stdout with 0, errors on stderr with 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match cli.command {
        Some(CargoCommand::Report(args)) => report(args),
        None if cli.cargo.is_empty() => {
            let _ = CargoCinline::command().print_help();
            ExitCode::SUCCESS
        }
        None => {
            // Returns only if cargo could not be run.
            let e = subcommand::exec_cargo(&cli.cargo, &mut |n| eprintln!("cinline: note: {n}"));
            eprintln!("error: cinline: {:#}", anyhow::Error::new(e));
            ExitCode::from(1)
        }
    }
}

fn report(args: CargoReportArgs) -> ExitCode {
    let query = ReportQuery {
        profile: if args.release {
            Some("release".into())
        } else {
            args.profile
        },
        target_dir: args.target_dir,
        manifest_path: args.manifest_path,
    };
    let found = subcommand::records(&query);
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&found.records).map(|json| json + "\n"),
        Format::Text => Ok(report_text(&found)),
    };
    match text {
        Ok(text) => {
            print(&text);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cinline: cannot write the records as JSON: {e}");
            ExitCode::from(1)
        }
    }
}

/// The records as text: one line per crate, what was left and why.
fn report_text(found: &subcommand::Records) -> String {
    let records = &found.records;
    let mut out = String::new();
    if records.is_empty() {
        let _ = writeln!(
            out,
            "no cinline records in {}: build with `cargo cinline build` first (crates built at \
             opt-level 0, as in the dev profile, leave none unless {}=1)",
            found.dir.display(),
            cinline_core::env::UNOPTIMIZED.name
        );
        out.push_str(&captured_text(&found.captured));
        return out;
    }
    let (mut total_found, mut total_left) = (0, 0);
    for r in records {
        let (f, l) = (r.found(), r.left());
        total_found += f;
        total_left += l;
        let _ = writeln!(
            out,
            "{} ({}): {} unit(s) calling helpers, {f} helper call(s), {} inlined, {l} left{}",
            r.crate_name,
            r.kind,
            r.units.len(),
            f.saturating_sub(l),
            if r.test { " [test harness]" } else { "" }
        );
        if let Some(why) = &r.fallback {
            let _ = writeln!(out, "  built without cinline: {why}");
        }
        for u in r
            .units
            .iter()
            .filter(|u| u.left > 0 || !u.mismatches.is_empty())
        {
            let _ = writeln!(
                out,
                "  {}: {} found, {} left",
                u.name, u.calls_before, u.left
            );
            for c in &u.left_calls {
                let _ = writeln!(out, "    - {} ({} left): {}", c.helper, c.calls, c.reason);
            }
            let explained = u.left_calls.iter().map(|c| c.calls).sum::<usize>();
            let unexplained = u.left - explained.min(u.left);
            if unexplained > 0 {
                let _ = writeln!(out, "    - {unexplained} left: reason unknown");
            }
            for m in &u.mismatches {
                let _ = writeln!(out, "    mismatch: {m}");
            }
        }
        for w in &r.failures {
            let _ = writeln!(out, "  warning: {w}");
        }
        for m in &r.skipped {
            let _ = writeln!(out, "  manifest {m}");
        }
    }
    let _ = writeln!(
        out,
        "total: {total_found} helper call(s) in {} record(s), {} inlined, {total_left} left",
        records.len(),
        total_found.saturating_sub(total_left)
    );
    out.push_str(&captured_text(&found.captured));
    out
}

/// The C captured from build scripts, per package: files, functions
/// inlined, functions left and why.
fn captured_text(captured: &[PackageCapture]) -> String {
    let mut out = String::new();
    if captured.is_empty() {
        return out;
    }
    let _ = writeln!(out, "C compiled by build scripts:");
    for p in captured {
        let libraries: BTreeSet<String> = p
            .files
            .iter()
            .filter_map(|(_, lib)| lib.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        let _ = writeln!(
            out,
            "  {}: {} of {} C file(s) captured ({})",
            p.package,
            p.captured(),
            p.files.len(),
            libraries.into_iter().collect::<Vec<_>>().join(", ")
        );
        for (entry, _) in &p.files {
            if let Some(why) = &entry.not_captured {
                let _ = writeln!(out, "    not captured: {}: {why}", entry.source.display());
            }
        }
        if !p.inlined.is_empty() {
            let names: Vec<&str> = p.inlined.iter().map(String::as_str).collect();
            let _ = writeln!(out, "    inlined: {}", names.join(", "));
        }
        for (function, (calls, why)) in &p.left {
            let _ = writeln!(out, "    left: {function} ({calls} call(s)): {why}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<CargoCinline, clap::Error> {
        CargoCinline::try_parse_from(std::iter::once("cargo cinline").chain(args.iter().copied()))
    }

    #[test]
    fn the_definition_is_valid() {
        CargoCinline::command().debug_assert();
    }

    #[test]
    fn other_commands_go_to_cargo_unchanged() {
        for args in [
            &["build", "--release", "--help"][..],
            &["-v", "test", "--", "--nocapture"],
            &["--config", "build.rustc-wrapper=''", "clippy"],
            &["help", "report"],
        ] {
            let cli = parse(args).unwrap();
            assert!(cli.command.is_none());
            assert_eq!(
                cli.cargo,
                args.iter().map(OsString::from).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn report_takes_its_options() {
        let cli = parse(&[
            "report",
            "-r",
            "--target-dir",
            "t",
            "--manifest-path=m/Cargo.toml",
            "--format",
            "json",
        ])
        .unwrap();
        let Some(CargoCommand::Report(args)) = cli.command else {
            panic!("not report")
        };
        assert!(args.release && matches!(args.format, Format::Json));
        assert_eq!(args.target_dir, Some(PathBuf::from("t")));
        assert_eq!(args.manifest_path, Some(PathBuf::from("m/Cargo.toml")));
        assert!(parse(&["report", "--release", "--profile", "x"]).is_err());
        assert!(parse(&["report", "--bogus"]).is_err());
    }
}
