//! `cargo cinline <command> [args]`: cargo with cinline as `RUSTC_WRAPPER`,
//! and `cargo cinline report`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use super::record::Record;
use super::{chain, env_keys, exit_code, log};
use crate::getenv;

const USAGE: &str =
    "usage: cargo cinline <build|test|run|bench|check|clippy|...> [cargo args]\n       \
    cargo cinline report [--release | --profile NAME] [--target-dir DIR] [--manifest-path PATH]\n\n\
    Builds go to <target-dir>/cinline unless --target-dir or CARGO_TARGET_DIR says otherwise.";

/// `args`: what follows `cargo-cinline` (starting with `cinline`).
pub(super) fn run(args: &[OsString]) -> ExitCode {
    let args = match args.first() {
        Some(first) if first == "cinline" => &args[1..],
        _ => args,
    };
    match args.first().and_then(|a| a.to_str()) {
        None | Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("report") => report(&args[1..]),
        Some(_) => cargo(args),
    }
}

/// The target directory `cargo cinline` builds in: `--target-dir` or
/// `CARGO_TARGET_DIR` if given, else `cinline/` inside the workspace's
/// target directory. A separate directory, as cargo-llvm-cov does, because
/// cargo's fingerprints do not know about the wrapper: a plain `cargo build`
/// would otherwise reuse inlined libraries, and `cargo cinline` plain ones.
fn target_dir(args: &[OsString]) -> Option<PathBuf> {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(i) = args.iter().position(|a| a == "--target-dir") {
        return args.get(i + 1).map(PathBuf::from);
    }
    if let Some(dir) = args.iter().find_map(|a| a.strip_prefix("--target-dir=")) {
        return Some(dir.into());
    }
    if let Some(dir) = getenv("CARGO_TARGET_DIR") {
        return Some(dir.into());
    }
    let mut cmd = Command::new(getenv("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
    if let Some(i) = args.iter().position(|a| a == "--manifest-path") {
        cmd.arg("--manifest-path").args(args.get(i + 1));
    }
    let output = cmd.stderr(std::process::Stdio::inherit()).output().ok()?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some(PathBuf::from(metadata["target_directory"].as_str()?).join("cinline"))
}

fn cargo(args: &[OsString]) -> ExitCode {
    let me = match std::env::current_exe() {
        Ok(me) => me,
        Err(e) => {
            eprintln!("error: cinline: cannot find its own executable: {e}");
            return ExitCode::from(1);
        }
    };
    let mut cmd = Command::new(getenv("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(args).env("RUSTC_WRAPPER", &me);
    // A wrapper the user already had (sccache...) is called in turn, unless
    // it is cinline again (which would call itself without end).
    let cwd = std::env::current_dir().unwrap_or_default();
    cmd.env_remove(env_keys::CHAIN_WRAPPER);
    if let Some(chained) = chain::configured(args, &cwd) {
        if chain::is_self(&chained.program) {
            log(|| {
                format!(
                    "{} ({}) is cinline itself: not chained",
                    chained.value, chained.source
                )
            });
        } else if crate::toolchain::which(chained.program.as_os_str()).is_none() {
            eprintln!(
                "error: cinline: the rustc wrapper `{}` set by {} is not an executable file \
                 ({} not found); install it, or fix or unset {}",
                chained.value,
                chained.source,
                chained.program.display(),
                chained.source
            );
            return ExitCode::from(1);
        } else {
            cmd.env(env_keys::CHAIN_WRAPPER, &chained.program);
        }
    }
    cmd.env_remove("CARGO_BUILD_RUSTC_WRAPPER");
    if let Some(dir) = target_dir(args) {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    match cmd.status() {
        Ok(status) => exit_code(status),
        Err(e) => {
            eprintln!("error: cinline: cannot run cargo: {e}");
            ExitCode::from(1)
        }
    }
}

fn report(args: &[OsString]) -> ExitCode {
    let mut profile = "debug".to_string();
    let target_dir = target_dir(args).unwrap_or_else(|| "target/cinline".into());
    let mut iter = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--release" | "-r" => profile = "release".into(),
            "--profile" => profile = iter.next().unwrap_or_default(),
            "--target-dir" | "--manifest-path" => {
                iter.next();
            }
            other => {
                eprintln!("error: cinline: unknown report option `{other}`\n{USAGE}");
                return ExitCode::from(1);
            }
        }
    }
    let dir = target_dir.join(&profile).join("cinline");
    let records = Record::load_all(&dir);
    if records.is_empty() {
        println!(
            "no cinline records in {}: build with `cargo cinline build` first",
            dir.display()
        );
        return ExitCode::SUCCESS;
    }
    let (mut found, mut left) = (0, 0);
    for r in &records {
        let (f, l) = (r.found(), r.left());
        found += f;
        left += l;
        println!(
            "{} ({}): {} unit(s) calling helpers, {f} helper call(s), {} inlined, {l} left{}",
            r.crate_name,
            r.kind,
            r.units.len(),
            f.saturating_sub(l),
            if r.test { " [test harness]" } else { "" }
        );
        if let Some(why) = &r.fallback {
            println!("  built without cinline: {why}");
        }
        for u in r
            .units
            .iter()
            .filter(|u| u.left > 0 || !u.mismatches.is_empty())
        {
            println!("  {}: {} found, {} left", u.name, u.calls_before, u.left);
            for c in &u.left_calls {
                println!("    - {} ({} left): {}", c.helper, c.calls, c.reason);
            }
            let unexplained = u.left
                - u.left_calls
                    .iter()
                    .map(|c| c.calls)
                    .sum::<usize>()
                    .min(u.left);
            if unexplained > 0 {
                println!("    - {unexplained} left: reason unknown");
            }
            for m in &u.mismatches {
                println!("    mismatch: {m}");
            }
        }
        for w in &r.warnings {
            println!("  warning: {w}");
        }
        for m in &r.skipped {
            println!("  manifest {m}");
        }
    }
    println!(
        "total: {found} helper call(s) in {} record(s), {} inlined, {left} left",
        records.len(),
        found.saturating_sub(left)
    );
    ExitCode::SUCCESS
}
