//! The harness as a rustc wrapper and as rustc's linker: the by-hand
//! `cinline link --engine llvm-tools` flow of the `cinline-llvm-tools`
//! mode, inside one ordinary `cargo build`.
//!
//! `cargo cinline` has no engine switch, so this mode does what the README's
//! "flow by hand" does, for the crates that need it:
//!
//! 1. as `RUSTC_WRAPPER` (`BENCH_ROLE=rustc-wrapper`): a binary crate whose
//!    `-L native=` directories hold a cinline helper manifest is compiled
//!    with `--emit=llvm-bc` added (rustc merges it with cargo's `--emit`)
//!    and with this executable as its linker; every other rustc call runs
//!    unchanged;
//! 2. as the linker (`BENCH_ROLE=linker`): the crate's object
//!    (`<stem>.<crate>.<hash>-cgu.0.rcgu.o`, one codegen unit) is replaced by
//!    `cinline link <stem>.bc --helpers <every manifest's bitcode>
//!    --engine llvm-tools --reconcile --opt-level <rustc's>`, then `cc` links
//!    the program as rustc asked, the fallback library included.
//!
//! Any failure fails the link: a benchmark must not silently measure a
//! build without inlining. Each replaced object is logged, one JSON line
//! each, to `$BENCH_LINK_LOG`.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Environment variable naming the role this executable plays.
pub const ROLE: &str = "BENCH_ROLE";
/// The `cinline` executable the linker role runs.
pub const CINLINE: &str = "BENCH_CINLINE";
/// Where the linker role appends its log.
pub const LINK_LOG: &str = "BENCH_LINK_LOG";
const OPT_LEVEL: &str = "BENCH_OPT_LEVEL";

/// Runs the role named by `BENCH_ROLE`, if any.
pub fn run_role() -> Option<ExitCode> {
    let role = std::env::var(ROLE).ok()?;
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    Some(match role.as_str() {
        "rustc-wrapper" => rustc_wrapper(&args),
        "linker" => linker(&args),
        other => {
            eprintln!("cinline-bench: unknown {ROLE}={other}");
            ExitCode::from(2)
        }
    })
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8)
}

/// The directories of `-L native=DIR` / `-L DIR` arguments (rustc's form
/// and the C compiler driver's).
fn search_dirs(args: &[String]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let value = if arg == "-L" {
            iter.next().cloned()
        } else {
            arg.strip_prefix("-L").map(str::to_string)
        };
        if let Some(v) = value {
            let v = v.strip_prefix("native=").unwrap_or(&v);
            if !v.contains('=') || Path::new(v).is_absolute() {
                dirs.push(PathBuf::from(v));
            }
        }
    }
    dirs
}

/// The cinline manifests (`*.cinline.json`) in `dir`.
fn manifests_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".cinline.json"))
        .collect();
    found.sort();
    found
}

fn rustc_wrapper(args: &[OsString]) -> ExitCode {
    let Some((rustc, rargs)) = args.split_first() else {
        eprintln!("cinline-bench: rustc wrapper called without rustc");
        return ExitCode::from(2);
    };
    let text: Vec<String> = rargs.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let is_bin = text.windows(2).any(|w| w[0] == "--crate-type" && w[1] == "bin");
    let has_helpers = search_dirs(&text).iter().any(|d| !manifests_in(d).is_empty());
    let mut cmd = Command::new(rustc);
    cmd.args(rargs);
    if is_bin && has_helpers {
        let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cinline-bench"));
        let opt = text
            .iter()
            .find_map(|a| a.strip_prefix("opt-level="))
            .unwrap_or("3")
            .to_string();
        cmd.arg("--emit=llvm-bc")
            .arg("-C")
            .arg(format!("linker={}", me.display()))
            .env(ROLE, "linker")
            .env(OPT_LEVEL, opt);
    } else {
        cmd.env_remove(ROLE);
    }
    match cmd.status() {
        Ok(status) => exit_code(status),
        Err(e) => {
            eprintln!("cinline-bench: cannot run {}: {e}", rustc.to_string_lossy());
            ExitCode::from(1)
        }
    }
}

/// The helper bitcode files listed by the manifests in `dirs`.
fn helper_bitcode(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for dir in dirs {
        for manifest in manifests_in(dir) {
            let text = std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", manifest.display()))?;
            for bc in json["bitcode"].as_array().into_iter().flatten() {
                if let Some(rel) = bc.as_str() {
                    out.push(dir.join(rel));
                }
            }
        }
    }
    Ok(out)
}

fn linker(args: &[OsString]) -> ExitCode {
    match relink(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cinline-bench (llvm-tools linker): {e}");
            ExitCode::from(1)
        }
    }
}

fn relink(args: &[OsString]) -> Result<ExitCode, String> {
    let text: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let helpers = helper_bitcode(&search_dirs(&text))?;
    if helpers.is_empty() {
        return Err("no helper bitcode in the -L directories".into());
    }
    let cinline = std::env::var_os(CINLINE).ok_or(format!("{CINLINE} is not set"))?;
    let opt = std::env::var(OPT_LEVEL).unwrap_or_else(|_| "3".into());
    let mut new_args = args.to_vec();
    let mut replaced = 0;
    for (i, arg) in text.iter().enumerate() {
        let path = Path::new(arg);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !(name.ends_with(".rcgu.o") && name.contains("-cgu.")) {
            continue;
        }
        let stem = name.split('.').next().unwrap_or_default();
        let bitcode = path.with_file_name(format!("{stem}.bc"));
        if !bitcode.exists() {
            return Err(format!("{}: no bitcode {} beside it", arg, bitcode.display()));
        }
        let output = path.with_file_name(format!("{stem}.llvm-tools.o"));
        let start = Instant::now();
        let mut cmd = Command::new(&cinline);
        cmd.arg("link").arg(&bitcode);
        for h in &helpers {
            cmd.arg("--helpers").arg(h);
        }
        cmd.arg("-o")
            .arg(&output)
            .args(["--engine", "llvm-tools", "--reconcile", "--opt-level", &opt]);
        let out = cmd.output().map_err(|e| format!("cannot run cinline: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cinline link failed on {}:\n{}",
                bitcode.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let seconds = start.elapsed().as_secs_f64();
        if let Some(log) = std::env::var_os(LINK_LOG) {
            let line = serde_json::json!({
                "bitcode": bitcode,
                "object": output,
                "seconds": seconds,
                "stderr": String::from_utf8_lossy(&out.stderr),
            });
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
                let _ = writeln!(f, "{line}");
            }
        }
        new_args[i] = output.into_os_string();
        replaced += 1;
    }
    if replaced != 1 {
        return Err(format!("expected one codegen unit object on the link line, found {replaced}"));
    }
    let status = Command::new("cc")
        .args(&new_args)
        .status()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    Ok(exit_code(status))
}
