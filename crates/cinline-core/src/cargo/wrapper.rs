//! The rustc wrapper: decides, runs rustc, replaces objects in archives,
//! and makes this executable the linker of binaries.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use super::cgu::inline_cgu;
use super::own_codegen;
use super::record::{dir_for, Record};
use super::rustc_args::{decide, with_emit, without_codegen_option, Decision, Invocation};
use super::{archive, env_keys, exit_code, is_unit, log, strict, unit_bitcode, warn, HelperSet};
use crate::getenv;
use crate::link::Codegen;
use crate::manifest::Manifest;
use crate::toolchain::Rustc;

/// The command that runs rustc: through the user's own wrapper if any
/// (never through cinline itself, and never when this wrapper was called
/// back by the one it chains). What it runs is marked [`env_keys::ACTIVE`].
fn rustc_command(program: &OsString, args: &[OsString]) -> Command {
    let chain = getenv(env_keys::CHAIN_WRAPPER)
        .filter(|_| getenv(env_keys::ACTIVE).is_none())
        .filter(|chain| {
            let me = super::chain::is_self(Path::new(chain));
            if me {
                log(|| format!("{} is cinline itself: not chained", chain.to_string_lossy()));
            }
            !me
        });
    let mut cmd = match chain {
        Some(chain) => {
            let mut cmd = Command::new(chain);
            cmd.arg(program).args(args);
            cmd
        }
        None => {
            let mut cmd = Command::new(program);
            cmd.args(args);
            cmd
        }
    };
    cmd.env(env_keys::ACTIVE, "1");
    cmd
}

/// What to tell the user when `rustc_command` cannot start.
fn cannot_run(program: &OsString, e: &std::io::Error) -> String {
    match getenv(env_keys::CHAIN_WRAPPER).filter(|_| getenv(env_keys::ACTIVE).is_none()) {
        Some(chain) => format!(
            "cannot run the rustc wrapper {} (your RUSTC_WRAPPER or build.rustc-wrapper, called in turn by cinline): {e}; install it, or fix or unset that setting",
            chain.to_string_lossy()
        ),
        None => format!("cannot run rustc {}: {e}", program.to_string_lossy()),
    }
}

/// Runs rustc with the original arguments and passes its exit code through.
fn pass_through(program: &OsString, args: &[OsString]) -> ExitCode {
    match rustc_command(program, args).status() {
        Ok(status) => exit_code(status),
        Err(e) => {
            eprintln!("error: cinline: {}", cannot_run(program, &e));
            ExitCode::from(1)
        }
    }
}

/// `args`: rustc's path, then its arguments.
pub(super) fn run(args: &[OsString]) -> ExitCode {
    let Some((program, rustc_args)) = args.split_first() else {
        eprintln!("error: cinline: called as a rustc wrapper without a rustc");
        return ExitCode::from(1);
    };
    if getenv(env_keys::ACTIVE).is_some() {
        // Called back by the wrapper cinline chains: rustc, as asked.
        log(|| "entered again through the chained wrapper: running rustc directly".into());
        return pass_through(program, rustc_args);
    }
    let inv = match decide(rustc_args) {
        Decision::Handle(inv) => inv,
        Decision::PassThrough(why) => {
            log(|| format!("pass-through: {why}"));
            return pass_through(program, rustc_args);
        }
        Decision::NotCompilation => return pass_through(program, rustc_args),
    };
    if !inv
        .search_dirs
        .iter()
        .any(|d| !Manifest::find_in(d).is_empty())
    {
        log(|| {
            format!(
                "crate `{}`: no helper manifest in its -L directories",
                inv.crate_name
            )
        });
        return pass_through(program, rustc_args);
    }
    match prepare(program, &inv) {
        Ok(Some((rustc, helpers, target))) => {
            handle(program, rustc_args, &inv, &rustc, &helpers, &target)
        }
        Ok(None) => pass_through(program, rustc_args),
        Err(why) if strict() => {
            eprintln!("error: cinline: crate `{}`: {why}", inv.crate_name);
            ExitCode::from(1)
        }
        Err(why) => {
            warn(&inv.crate_name, &why);
            pass_through(program, rustc_args)
        }
    }
}

/// The rustc, its helpers and the target, or `None` if no manifest fits.
fn prepare(
    program: &OsString,
    inv: &Invocation,
) -> Result<Option<(Rustc, HelperSet, String)>, String> {
    let rustc_path = crate::toolchain::which(program).unwrap_or_else(|| PathBuf::from(program));
    let cache = dir_for(&inv.out_dir).join("rustc.json");
    let rustc = Rustc::cached(rustc_path, &cache).map_err(|e| e.to_string())?;
    let target = inv
        .target
        .as_deref()
        .map(|t| {
            Path::new(t)
                .file_stem()
                .map_or(t.to_string(), |s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| rustc.host.clone());
    let (helpers, warnings) = HelperSet::find(&inv.search_dirs, &target, rustc.llvm);
    for warning in warnings {
        eprintln!("warning: cinline: {warning}");
    }
    Ok((!helpers.is_empty()).then_some((rustc, helpers, target)))
}

fn codegen_of(inv: &Invocation) -> Codegen {
    Codegen {
        opt_level: Some(inv.opt_level.clone()),
        target_cpu: inv.target_cpu.clone(),
        target_features: inv.target_features.clone(),
        relocation_model: inv.relocation_model.clone(),
        code_model: inv.code_model.clone(),
        // rustc's default on ELF targets, which cinline's objects replace.
        function_sections: true,
    }
}

fn handle(
    program: &OsString,
    rustc_args: &[OsString],
    inv: &Invocation,
    rustc: &Rustc,
    helpers: &HelperSet,
    target: &str,
) -> ExitCode {
    // Libraries whose code cinline generates itself need no bitcode file:
    // rustc leaves the bitcode in the archive.
    let own_codegen = own_codegen::applies(inv, helpers);
    let added_bitcode = !own_codegen && !inv.emit.iter().any(|k| k == "llvm-bc");
    let mut args = if own_codegen {
        own_codegen::rustc_args(rustc_args, inv)
    } else if added_bitcode {
        with_emit(rustc_args, "llvm-bc")
    } else {
        rustc_args.to_vec()
    };
    // Incremental builds name their units by hash and write the bitcode only
    // after linking: crates that call helpers build non-incrementally.
    args = without_codegen_option(&args, "incremental");
    let codegen = codegen_of(inv);
    let mut cmd = rustc_command(program, &[]);
    if inv.links() {
        let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cinline"));
        let real = inv.linker.clone().unwrap_or_else(|| PathBuf::from("cc"));
        let manifests = std::env::join_paths(&helpers.manifests).unwrap_or_default();
        args.push("-C".into());
        args.push(format!("linker={}", me.display()).into());
        cmd.env(env_keys::LINKER, "1")
            .env(env_keys::REAL_LINKER, real)
            .env(env_keys::MANIFESTS, manifests)
            .env(env_keys::TARGET, target)
            .env(env_keys::RUSTC, rustc.to_json())
            .env(
                env_keys::CODEGEN,
                serde_json::to_string(&codegen).unwrap_or_default(),
            )
            .env(env_keys::STEM, inv.stem())
            .env(env_keys::OUT_DIR, &inv.out_dir);
    }
    // The linker wrapper's own warnings reach us through its record: rustc
    // hides what a successful linker prints.
    let link_record = dir_for(&inv.out_dir).join(format!("{}.link.json", inv.stem()));
    let _ = std::fs::remove_file(&link_record);
    cmd.args(&args).stderr(Stdio::piped());
    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) => {
            warn(&inv.crate_name, &cannot_run(program, &e));
            return pass_through(program, rustc_args);
        }
    };
    if !output.status.success() && !strict() {
        // Never turn a good build into a failed one: run rustc exactly as
        // cargo asked; its diagnostics are then shown once, by that run.
        let code = pass_through(program, rustc_args);
        if code == ExitCode::SUCCESS {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let why = stderr
                .lines()
                .find(|l| l.contains("LLVM ERROR") || l.contains("error"))
                .unwrap_or("rustc failed")
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .to_string();
            warn(
                &inv.crate_name,
                &format!("the build with cinline failed ({why}); built without it"),
            );
        }
        return code;
    }
    let _ = std::io::stdout().write_all(&output.stdout);
    let _ = std::io::stderr().write_all(&output.stderr);
    if !output.status.success() {
        return exit_code(output.status);
    }
    let mut failed = false;
    if let Some(record) = Record::load(&link_record) {
        failed |= !record.warnings.is_empty();
        for w in &record.warnings {
            warn(&inv.crate_name, w);
        }
    }
    if own_codegen {
        let archive = inv.out_dir.join(format!("lib{}.rlib", inv.stem()));
        match own_codegen::compile_archive(&archive, inv, rustc, helpers, &codegen) {
            // Failures are errors here (the archive must not keep its
            // bitcode): the record carries no warnings.
            Ok(record) => {
                let _ = record.save(&dir_for(&inv.out_dir));
            }
            Err(why) if strict() => {
                eprintln!("error: cinline: crate `{}`: {why}", inv.crate_name);
                return ExitCode::from(1);
            }
            Err(why) => {
                // The archive holds bitcode no plain linker reads: build
                // the crate again, as cargo asked.
                warn(
                    &inv.crate_name,
                    &format!("{why}; built again without cinline"),
                );
                return pass_through(program, rustc_args);
            }
        }
    }
    for kind in inv.archive_types().filter(|_| !own_codegen) {
        let file = match kind {
            "staticlib" => format!("lib{}.a", inv.stem()),
            _ => format!("lib{}.rlib", inv.stem()),
        };
        let record = rewrite_archive(&inv.out_dir.join(file), inv, rustc, helpers, &codegen, kind);
        failed |= !record.warnings.is_empty();
        for w in &record.warnings {
            warn(&inv.crate_name, w);
        }
        let _ = record.save(&dir_for(&inv.out_dir));
    }
    if added_bitcode && getenv("CINLINE_SAVE_TEMPS").is_none() {
        remove_bitcode(&inv.out_dir, &inv.stem());
    }
    if failed && strict() {
        eprintln!(
            "error: cinline: crate `{}`: helpers not inlined (CINLINE_STRICT is set)",
            inv.crate_name
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Inlines helpers into each codegen unit of the archive that calls one.
fn rewrite_archive(
    path: &Path,
    inv: &Invocation,
    rustc: &Rustc,
    helpers: &HelperSet,
    codegen: &Codegen,
    kind: &str,
) -> Record {
    let mut record = Record {
        crate_name: inv.crate_name.clone(),
        stem: inv.stem(),
        kind: kind.to_string(),
        ..Record::default()
    };
    let members = match archive::members(path) {
        Ok(members) => members,
        Err(e) => {
            record.warnings.push(e.to_string());
            return record;
        }
    };
    let mut replacements = BTreeMap::new();
    let units = members
        .iter()
        .filter(|(n, _)| is_unit(n, &inv.stem()))
        .count();
    for (name, data) in &members {
        let Some(bitcode) = unit_bitcode(&inv.out_dir, name, &inv.stem(), units == 1) else {
            continue;
        };
        log(|| {
            format!(
                "crate `{}`: unit {name} with {}",
                inv.crate_name,
                bitcode.display()
            )
        });
        match inline_cgu(&bitcode, data, helpers, codegen, rustc) {
            Ok(None) => {}
            Ok(Some(inlined)) => {
                record.units.push(inlined.unit(name.clone()));
                replacements.insert(name.clone(), inlined.object);
            }
            Err(e) => record.warnings.push(e.to_string()),
        }
    }
    if !replacements.is_empty() {
        if let Err(e) = archive::replace(path, &members, &replacements) {
            record.warnings.push(e.to_string());
            record.units.iter_mut().for_each(|u| u.replaced = false);
        }
    }
    record
}

/// Removes the `.rcgu.bc` files cinline asked rustc for.
pub(super) fn remove_bitcode(out_dir: &Path, stem: &str) {
    for entry in std::fs::read_dir(out_dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(stem) && name.ends_with(".bc") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
