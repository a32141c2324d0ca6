//! The rustc wrapper: decides, runs rustc, replaces objects in archives,
//! and makes this executable the linker of binaries.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use super::cgu::{inline_cgu, unit_left_out};
use super::outcome::strict_text;
use super::own_codegen::{self, Once};
use super::record::{dir_for, LeftCall, Record};
use super::rustc_args::{decide, with_emit, without_codegen_option, Decision, Invocation};
use super::{
    archive, env_keys, exit_code, is_unit, log, strict, unit_bitcode, HelperSet, Level, Outcome,
};
use super::{link_server, stream};
use crate::link::Codegen;
use crate::toolchain::Rustc;
use crate::{full_message, getenv};

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
pub(super) fn pass_through(program: &OsString, args: &[OsString]) -> Outcome {
    let mut cmd = rustc_command(program, args);
    // After a run whose metadata notice went to cargo (see `stream`).
    let status = if stream::announced() {
        log(|| "metadata announced to cargo already: this run's notice is dropped".into());
        stream::status_without_notices(&mut cmd)
    } else {
        cmd.status()
    };
    match status {
        Ok(status) => exit_code(status),
        Err(e) => Outcome::failed(cannot_run(program, &e)),
    }
}

/// Becomes rustc, run as cargo asked, for a crate cinline has no part in:
/// nothing is left to do after rustc, so this process does not wait for it
/// (each crate of a dev-profile build saves a process exit). A supervised
/// worker waits instead: its supervisor would take a rustc killed by a
/// signal for a crash of cinline's.
fn hand_over(program: &OsString, args: &[OsString]) -> Outcome {
    use std::os::unix::process::CommandExt;
    if crate::supervise::in_worker() || stream::announced() {
        return pass_through(program, args);
    }
    // `exec` returns only if rustc could not be started.
    let e = rustc_command(program, args).exec();
    Outcome::failed(cannot_run(program, &e))
}

/// `args`: rustc's path, then its arguments.
pub(super) fn run(args: &[OsString]) -> Outcome {
    let Some((program, rustc_args)) = args.split_first() else {
        return Outcome::failed("called as a rustc wrapper without a rustc");
    };
    if getenv(env_keys::ACTIVE).is_some() {
        // Called back by the wrapper cinline chains: rustc, as asked.
        log(|| "entered again through the chained wrapper: running rustc directly".into());
        return hand_over(program, rustc_args);
    }
    let inv = match decide(rustc_args) {
        Decision::Handle(inv) => {
            log(|| format!("crate `{}`: rustc wrapper", inv.crate_name));
            inv
        }
        Decision::PassThrough(why) => {
            log(|| format!("pass-through: {why}"));
            return hand_over(program, rustc_args);
        }
        Decision::NotCompilation => return hand_over(program, rustc_args),
    };
    if let Err(why) = handles(&inv) {
        log(|| format!("crate `{}`: {why}", inv.crate_name));
        return hand_over(program, rustc_args);
    }
    match prepare(program, &inv) {
        Ok((rustc, helpers, target, skipped)) if !helpers.is_empty() => handle(
            program, rustc_args, &inv, &rustc, &helpers, &target, skipped,
        ),
        // Manifests there, none usable: the crate cannot inline anything.
        Ok((_, _, _, skipped)) => only_skipped(program, rustc_args, &inv, skipped),
        Err(why) => fall_back(program, rustc_args, &inv, None, &full_message(&why)),
    }
}

/// Whether cinline has a part in building the crate `inv` describes, or
/// why not: it must be optimized (unless `CINLINE_UNOPTIMIZED`: at
/// opt-level 0 a helper call costs little beside the code around it, and
/// the dev loop stays as fast as cargo's own), and see helpers (a
/// manifest, captured C) in its `-L` directories. The opt-level first: it
/// is in the arguments, while the helpers are a read of every `-L`
/// directory (`deps` holds every crate's outputs), which a dev-profile
/// crate would pay before rustc starts.
pub(super) fn handles(inv: &Invocation) -> Result<(), &'static str> {
    if inv.opt_level == crate::link::OptLevel::O0 && !crate::env::unoptimized() {
        return Err("opt-level 0: built as rustc builds it (CINLINE_UNOPTIMIZED=1 inlines)");
    }
    if !super::helpers::may_inline(&inv.search_dirs) {
        return Err("no helper manifest or captured C in its -L directories");
    }
    Ok(())
}

/// The crate's `-L` directories hold manifests, none usable: rustc runs as
/// asked, and the record says which manifests were skipped and why (under
/// `CINLINE_STRICT`, an error). Not retried: a manifest changes only when
/// its package is built again, and then so is this crate.
fn only_skipped(
    program: &OsString,
    rustc_args: &[OsString],
    inv: &Invocation,
    skipped: Vec<String>,
) -> Outcome {
    if strict() {
        return Outcome::strict_failure(&inv.crate_name, &skipped.join("; "));
    }
    let rustc = pass_through(program, rustc_args);
    if !rustc.success() {
        return rustc;
    }
    let record = Record {
        crate_name: inv.crate_name.clone(),
        stem: inv.stem(),
        kind: inv.archive_types().next().unwrap_or("link").to_string(),
        skipped,
        ..Record::default()
    };
    finish(inv, vec![record])
}

/// Builds the crate as rustc would (cargo's exact command), because `why`
/// kept cinline from doing its part; under `CINLINE_STRICT` fails instead.
/// The crate's record says so, with the helper calls its archive keeps
/// (counted when `helpers` are known), and the crate is marked to be built
/// again next time (see [`retry_next_time`]).
pub(super) fn fall_back(
    program: &OsString,
    rustc_args: &[OsString],
    inv: &Invocation,
    helpers: Option<&HelperSet>,
    why: &str,
) -> Outcome {
    if strict() {
        return Outcome::strict_failure(&inv.crate_name, why);
    }
    let rustc = pass_through(program, rustc_args);
    if !rustc.success() {
        // rustc itself failed and said why: nothing of cinline's to add.
        return rustc;
    }
    let kind = inv.archive_types().next().unwrap_or("link").to_string();
    let mut record = Record {
        crate_name: inv.crate_name.clone(),
        stem: inv.stem(),
        kind: kind.clone(),
        fallback: Some(why.to_string()),
        test: inv.test,
        ..Record::default()
    };
    if let (Some(helpers), true) = (helpers, kind != "link") {
        let file = match kind.as_str() {
            "staticlib" => format!("lib{}.a", inv.stem()),
            _ => format!("lib{}.rlib", inv.stem()),
        };
        let path = inv.out_dir.join(file);
        for (name, data) in archive::members(&path).unwrap_or_default() {
            if is_unit(&name, &inv.stem()) {
                record.units.extend(unit_left_out(
                    &name,
                    &path,
                    &data,
                    helpers,
                    "the crate was built without cinline",
                ));
            }
        }
    }
    finish(inv, vec![record])
}

/// Says what was left for each record (one warning line per record, or
/// under `CINLINE_STRICT` one error line and a failure), saves the records,
/// and marks the crate to be built again if something failed.
fn finish(inv: &Invocation, records: Vec<Record>) -> Outcome {
    let mut outcome = Outcome::exit(ExitCode::SUCCESS);
    let mut retry = false;
    for mut record in records {
        record.test = inv.test;
        if let Some(summary) = record.summary() {
            if strict() && record.incomplete() {
                outcome.code = ExitCode::from(1);
                outcome.say(Level::Error, strict_text(&inv.crate_name, &summary));
            } else {
                outcome.say(
                    Level::Warning,
                    format!("crate `{}`: {summary}", inv.crate_name),
                );
            }
        }
        retry |= record.failed();
        let _ = record.save(&dir_for(&inv.out_dir));
    }
    if retry {
        retry_next_time(inv);
    }
    outcome
}

/// Makes cargo build the crate again next time: a dependency on a file
/// that does not exist (`<profile>/cinline/<stem>.retry`) is added to the
/// dep-info rustc wrote, which cargo reads once rustc is done to decide
/// when the crate is stale. Without it, a crate cinline fell back on would
/// keep its fallback build until its sources change, though the cause
/// (a stale helper file, say) is gone.
fn retry_next_time(inv: &Invocation) {
    if !inv.emit.iter().any(|k| k == "dep-info") {
        return;
    }
    let dep_info = inv.out_dir.join(format!("{}.d", inv.stem()));
    let marker = dir_for(&inv.out_dir).join(format!("{}.retry", inv.stem()));
    let _ = std::fs::remove_file(&marker);
    let Ok(text) = std::fs::read_to_string(&dep_info) else {
        return;
    };
    match with_dependency(&text, &marker) {
        Some(new) => {
            log(|| format!("crate `{}`: built again next time", inv.crate_name));
            let _ = crate::write_atomic(&dep_info, new.as_bytes());
        }
        None => log(|| format!("{}: no dependency line", dep_info.display())),
    }
}

/// `dep_info` (a makefile rustc wrote) with `file` added to its first rule,
/// the one cargo reads.
fn with_dependency(dep_info: &str, file: &Path) -> Option<String> {
    let escaped = file.display().to_string().replace(' ', "\\ ");
    let mut done = false;
    let mut out = String::new();
    for line in dep_info.lines() {
        out.push_str(line);
        if !done && !line.starts_with('#') && line.contains(':') {
            out.push(' ');
            out.push_str(&escaped);
            done = true;
        }
        out.push('\n');
    }
    done.then_some(out)
}

/// The rustc, the usable helpers, the target, and why other manifests
/// were skipped.
fn prepare(
    program: &OsString,
    inv: &Invocation,
) -> crate::Result<(Rustc, HelperSet, String, Vec<String>)> {
    let rustc_path = crate::toolchain::which(program).unwrap_or_else(|| PathBuf::from(program));
    let cache = dir_for(&inv.out_dir).join("rustc.json");
    let rustc = Rustc::cached(rustc_path, &cache)?;
    let target = inv
        .target
        .as_deref()
        .map(|t| {
            Path::new(t)
                .file_stem()
                .map_or(t.to_string(), |s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| rustc.host.clone());
    let (helpers, skipped) = HelperSet::find(&inv.search_dirs, &target, rustc.llvm);
    let skipped = skipped.iter().map(ToString::to_string).collect();
    Ok((rustc, helpers, target, skipped))
}

/// What the wrapper hands rustc's linker (and the link server) through
/// the environment.
fn linker_env(
    inv: &Invocation,
    rustc: &Rustc,
    helpers: &HelperSet,
    target: &str,
    codegen: &Codegen,
) -> Vec<(&'static str, OsString)> {
    let real = inv.linker.clone().unwrap_or_else(|| PathBuf::from("cc"));
    vec![
        (env_keys::LINKER, "1".into()),
        (env_keys::REAL_LINKER, real.into()),
        (
            env_keys::MANIFESTS,
            std::env::join_paths(&helpers.manifests).unwrap_or_default(),
        ),
        (
            env_keys::CAPTURED,
            std::env::join_paths(&helpers.captured_dirs).unwrap_or_default(),
        ),
        (env_keys::TARGET, target.into()),
        (env_keys::RUSTC, rustc.to_json().into()),
        (
            env_keys::CODEGEN,
            serde_json::to_string(codegen).unwrap_or_default().into(),
        ),
        (env_keys::STEM, inv.stem().into()),
        (env_keys::OUT_DIR, inv.out_dir.clone().into()),
        (env_keys::TEST, if inv.test { "1" } else { "0" }.into()),
    ]
}

fn codegen_of(inv: &Invocation) -> Codegen {
    Codegen {
        opt_level: Some(inv.opt_level),
        target_cpu: inv.target_cpu.clone(),
        target_features: inv.target_features.clone(),
        relocation_model: inv.relocation_model,
        code_model: inv.code_model,
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
    skipped: Vec<String>,
) -> Outcome {
    if strict() && !skipped.is_empty() {
        return only_skipped(program, rustc_args, inv, skipped);
    }
    crate::inline_attrs::keep_probes_in(super::probes_dir(&inv.out_dir));

    let record_dir = dir_for(&inv.out_dir);
    let link_record = record_dir.join(Record::file_name(&inv.stem(), "link"));
    // The crate's size, as its last build's record gives it.
    let kind = inv.archive_types().next().unwrap_or("link");
    let last_record = record_dir.join(Record::file_name(&inv.stem(), kind));
    let last_bitcode = Record::load(&last_record).map_or(0, |r| r.bitcode_bytes);
    // Crates whose code cinline generates itself need no bitcode file:
    // rustc leaves the bitcode in the archive or on the link line.
    let once = own_codegen::applies(inv, helpers, last_bitcode);
    let own_codegen = once == Some(Once::Archive);
    let added_bitcode = once.is_none() && !inv.emit.iter().any(|k| k == "llvm-bc");
    let mut args = if let Some(once) = once {
        own_codegen::rustc_args(rustc_args, inv, once)
    } else if added_bitcode {
        with_emit(rustc_args, "llvm-bc")
    } else {
        rustc_args.to_vec()
    };
    if own_codegen::keeps_rustc_units(inv, last_bitcode) {
        log(|| {
            format!(
                "crate `{}`: {} KiB of bitcode last time, rustc's codegen units kept",
                inv.crate_name,
                last_bitcode / 1024
            )
        });
    }
    if own_codegen::needs_rustc_units(inv, added_bitcode) {
        args = own_codegen::with_rustc_units(&args);
    }
    // Incremental builds name their units by hash and write the bitcode only
    // after linking: crates that call helpers build non-incrementally.
    args = without_codegen_option(&args, "incremental");
    let codegen = codegen_of(inv);
    let mut cmd = rustc_command(program, &[]);
    // A binary's link prepared while rustc runs (`link_server`); dropped
    // (stopped if still waiting) when this function returns, after rustc.
    let mut server = None;
    let mut build_server = None;
    let mut env = Vec::new();
    if inv.links() {
        let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cinline"));
        args.push("-C".into());
        args.push(format!("linker={}", me.display()).into());
        env = linker_env(inv, rustc, helpers, target, &codegen);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        if once == Some(Once::Linked) {
            // The build's server (`cargo cinline`), else one of the crate's.
            build_server = getenv(env_keys::BUILD_SOCKET).map(PathBuf::from);
            if build_server.is_none() {
                server = link_server::Server::bind();
            }
            let socket = build_server
                .as_deref()
                .or(server.as_ref().map(link_server::Server::socket));
            if let Some(socket) = socket {
                cmd.env(env_keys::LINK_SOCKET, socket);
            }
        }
    }
    // A library whose code cinline generates: by the build's link server
    // if there is one (libLLVM loaded, the helpers read and its code warm
    // once for the whole build), its context handed over as rustc starts.
    let archive_server = getenv(env_keys::BUILD_SOCKET)
        .filter(|_| own_codegen)
        .map(|socket| {
            (
                PathBuf::from(socket),
                linker_env(inv, rustc, helpers, target, &codegen),
            )
        });
    // The linker wrapper's own warnings reach us through its record: rustc
    // hides what a successful linker prints.
    let _ = std::fs::remove_file(&link_record);
    cmd.args(&args);
    log(|| format!("crate `{}`: running rustc", inv.crate_name));
    // cargo may start the crates that need only this one's metadata as soon
    // as rustc wrote it; not when cinline generates the code, whose
    // fallback would write metadata with another crate hash (see `stream`).
    // A library whose code cinline generates here loads rustc's libLLVM
    // while rustc compiles it, instead of after (3-4 ms).
    let preload = || {
        match &archive_server {
            Some((socket, handed)) => link_server::prepare(socket, handed.clone()),
            None if own_codegen => {
                let _ = crate::toolchain::load_libllvm(rustc);
            }
            None => {}
        }
        if let Some(server) = &mut server {
            server.start(link_server::Scope::Crate, &env);
        }
        if let Some(socket) = &build_server {
            link_server::prepare(socket, env);
        }
    };
    let output = match stream::output(&mut cmd, !own_codegen, preload) {
        Ok(output) => output,
        Err(e) => return fall_back(program, rustc_args, inv, None, &cannot_run(program, &e)),
    };
    if !output.status.success() && !strict() {
        // Never turn a good build into a failed one: run rustc exactly as
        // cargo asked; its diagnostics are then shown once, by that run.
        // A linker wrapper that could not generate the binary's bitcode
        // says why in its record; rustc only says the link failed.
        let linked = Record::load(&link_record)
            .and_then(|r| r.fallback.or_else(|| r.failures.first().cloned()));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = linked.unwrap_or_else(|| {
            stderr
                .lines()
                .find(|l| l.contains("LLVM ERROR") || l.contains("error"))
                .unwrap_or("rustc failed")
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        });
        return fall_back(
            program,
            rustc_args,
            inv,
            Some(helpers),
            &format!("the build with cinline failed ({why})"),
        );
    }
    log(|| format!("crate `{}`: rustc done", inv.crate_name));
    let link = Record::load(&link_record);
    if !output.status.success() {
        show(&output);
        // Under CINLINE_STRICT: the linker wrapper refused (its record
        // says why; rustc shows the linker's output among much else).
        let mut outcome = exit_code(output.status);
        if let Some(summary) = link
            .as_ref()
            .filter(|r| r.incomplete())
            .and_then(Record::summary)
        {
            outcome.say(Level::Error, strict_text(&inv.crate_name, &summary));
        }
        return outcome;
    }
    let mut records: Vec<Record> = link.into_iter().collect();
    if own_codegen {
        let krate = own_codegen::ArchiveCrate::of(inv);
        let served = archive_server
            .and_then(|(socket, handed)| link_server::ask_archive(&socket, handed, &krate));
        // Without a server, or if it failed: here (a crash contained by
        // this worker's supervisor, as without a server).
        let generated = match served {
            Some(record) => Ok(record),
            None => own_codegen::compile_archive(&krate, rustc, helpers, &codegen),
        };
        match generated {
            Ok(record) => records.push(record),
            // The archive holds bitcode no plain linker reads: build the
            // crate again, as cargo asked.
            Err(why) => {
                let why = full_message(&why);
                return fall_back(program, rustc_args, inv, Some(helpers), &why);
            }
        }
    }
    // Shown once cinline's code generation, which a fallback would show
    // again, is done.
    show(&output);
    for kind in inv.archive_types().filter(|_| !own_codegen) {
        let file = match kind {
            "staticlib" => format!("lib{}.a", inv.stem()),
            _ => format!("lib{}.rlib", inv.stem()),
        };
        records.push(rewrite_archive(
            &inv.out_dir.join(file),
            inv,
            rustc,
            helpers,
            &codegen,
            kind,
        ));
    }
    if added_bitcode && !crate::env::save_temps() {
        remove_bitcode(&inv.out_dir, &inv.stem());
    }
    // Manifests skipped while others were used.
    for record in &mut records {
        record.skipped.extend(skipped.iter().cloned());
    }
    finish(inv, records)
}

/// Passes on what rustc printed (what the wrapper held).
fn show(output: &std::process::Output) {
    let _ = std::io::stdout().write_all(&output.stdout);
    let _ = std::io::stderr().write_all(&output.stderr);
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
            record.failures.push(full_message(&e));
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
        record.bitcode_bytes += super::file_size(&bitcode);
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
            Err(e) => {
                record.units.extend(unit_left_out(
                    name,
                    &bitcode,
                    data,
                    helpers,
                    &format!("not inlined: {}", full_message(&e)),
                ));
                record.failures.push(full_message(&e));
            }
        }
    }
    if !replacements.is_empty() {
        if let Err(e) = archive::replace(path, &members, &replacements) {
            let why = format!("the archive could not be rewritten: {}", full_message(&e));
            for unit in &mut record.units {
                unit.left = unit.calls_before;
                unit.left_calls = vec![LeftCall {
                    helper: "(every helper of the unit)".into(),
                    calls: unit.calls_before,
                    reason: why.clone(),
                    ..LeftCall::default()
                }];
            }
            record.failures.push(why);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_marker_joins_the_rule_cargo_reads() {
        let dep_info = "# a comment\n/o/m-1.d: src/lib.rs src/a.rs\n\n/o/libm-1.rlib: src/lib.rs\n\nsrc/lib.rs:\n";
        let new = with_dependency(dep_info, Path::new("/t/cinline dir/m-1.retry")).unwrap();
        assert_eq!(
            new,
            "# a comment\n/o/m-1.d: src/lib.rs src/a.rs /t/cinline\\ dir/m-1.retry\n\n/o/libm-1.rlib: src/lib.rs\n\nsrc/lib.rs:\n"
        );
        assert_eq!(with_dependency("# nothing\n", Path::new("/x")), None);
    }
}
