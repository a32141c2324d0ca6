//! The cargo wrapper's safety net, with the real cargo on
//! `tests/fixtures/cargo-ws` in the dev profile (several codegen units
//! generated on several threads): never chaining to itself, chaining a
//! wrapper from cargo's configuration, naming a missing wrapper, strict
//! mode, one warning per crate, fallbacks recorded and retried,
//! `CINLINE_CODEGEN_ONCE=0`.
//!
//! One workspace is built once (the build script compiles bindgen, the
//! slow part) and shared: the tests take turns on it (a lock), and each
//! touches the crates it wants rebuilt.

#![forbid(unsafe_code)]

mod common;
#[path = "wrapper_safety/shared.rs"]
mod shared;

use shared::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Helper calls in the dev profile: several codegen units generated on
/// several threads (libLLVM loaded once, before they start), every call
/// inlined, the program unchanged.
#[test]
fn a_dev_build_inlines_every_helper_call() {
    let ws = ws();
    ws.touch_mini();
    // rustc merges the units of a crate this small unless told otherwise.
    let out = ws.cargo_cinline(
        &[
            "build",
            "--config",
            "profile.dev.package.mini.codegen-units=4",
        ],
        &[("CINLINE_LOG", "1")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let common::Generating {
        line,
        units,
        parts,
        threads,
        free_cores,
    } = common::generating(&stderr, "mini");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(units > 1, "several units: {line}");
    // A library's units are archive members: each one object, not split,
    // and no core is asked of the jobserver for a part.
    assert_eq!((parts, free_cores), (units, 0), "{line}");
    assert_eq!(threads, cores.min(units), "{line}");
    assert!(!stderr.contains("warning: cinline"), "{stderr}");
    let report = ws.report();
    let total = report.lines().find(|l| l.starts_with("total:")).unwrap();
    assert!(total.ends_with(", 0 left"), "{report}");
    assert!(!total.starts_with("total: 0 "), "{report}");
    assert_eq!(ws.program_output(), ws.expected_output());
    // Nothing left, nothing skipped: strict mode builds it too.
    ws.touch_mini();
    ws.build_ok(&[("CINLINE_STRICT", "1")]);
}

/// A unit that calls no helper is generated once: its object is kept
/// beside the records and taken back while its bitcode, the codegen
/// options and the helpers stay the same; the program is the same.
#[test]
fn units_calling_no_helper_are_kept_from_the_last_build() {
    let ws = ws();
    let args = [
        "build",
        "--config",
        "profile.dev.package.mini.codegen-units=4",
    ];
    let mut logs = Vec::new();
    for _ in 0..2 {
        ws.touch_mini();
        let out = ws.cargo_cinline(&args, &[("CINLINE_LOG", "1")]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        logs.push(stderr);
    }
    assert!(
        logs[1].contains("object kept from the last build"),
        "{}",
        logs[1]
    );
    assert!(!logs[1].contains("warning: cinline"), "{}", logs[1]);
    assert_eq!(ws.program_output(), ws.expected_output());
}

#[test]
fn codegen_once_can_be_switched_off() {
    let ws = ws();
    ws.touch_mini();
    let stderr = ws.build_ok(&[("CINLINE_CODEGEN_ONCE", "0"), ("CINLINE_LOG", "1")]);
    assert!(!stderr.contains("warning: cinline"), "{stderr}");
    assert!(!stderr.contains("generating"), "{stderr}");
    let report = ws.report();
    assert!(report.contains("mini (lib)"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("total:") && l.ends_with(", 0 left")),
        "{report}"
    );
    assert_eq!(ws.program_output(), ws.expected_output());
    ws.touch_mini();
    ws.build_ok(&[]);
}

/// `RUSTC_WRAPPER` naming cinline itself, spelled every way: the build
/// works and cinline is not called in a loop (guarded: a regression hits
/// the process limit or the time limit instead of the machine).
#[test]
fn cinline_never_chains_to_itself() {
    let ws = ws();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cinline"));
    let links = ws.root.join("target/links");
    std::fs::create_dir_all(links.join("sub")).unwrap();
    let symlink = links.join("x");
    let _ = std::fs::remove_file(&symlink);
    std::os::unix::fs::symlink(&bin, &symlink).unwrap();
    // A hard link needs the same file system: the target directory of the
    // test's own build is the likeliest.
    let hard = bin.with_file_name("cinline-hardlink-test");
    let _ = std::fs::remove_file(&hard);
    std::fs::hard_link(&bin, &hard).unwrap();
    let spellings = [
        bin.clone(),
        symlink,
        links.join("sub/../x"),
        common::cargo_cinline(),
        hard.clone(),
    ];
    for wrapper in &spellings {
        ws.touch_mini();
        let out = ws.cargo_cinline(&["build"], &[("RUSTC_WRAPPER", wrapper.to_str().unwrap())]);
        assert!(
            out.status.success(),
            "{}: {}",
            wrapper.display(),
            text(&out)
        );
        assert!(!text(&out).contains("warning: cinline"), "{}", text(&out));
    }
    let _ = std::fs::remove_file(&hard);
    // Through a script that calls cinline again: the second entry runs
    // rustc directly (the environment guard).
    let log = links.join("calls.log");
    let script = write_wrapper(&links, "again.sh", &log, Some(&bin));
    ws.touch_mini();
    let out = ws.cargo_cinline(&["build"], &[("RUSTC_WRAPPER", script.to_str().unwrap())]);
    assert!(out.status.success(), "{}", text(&out));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("--crate-name mini "), "{calls}");
    assert_eq!(ws.program_output(), ws.expected_output());
}

/// A wrapper script that records its arguments in `log` and runs them,
/// through `then` if given.
fn write_wrapper(dir: &Path, name: &str, log: &Path, then: Option<&Path>) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    let then = then.map_or(String::new(), |t| format!("{} ", t.display()));
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec {then}\"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// `[build] rustc-wrapper` of `.cargo/config.toml` (a path relative to the
/// directory holding `.cargo`), and `CARGO_BUILD_RUSTC_WRAPPER` before it.
#[test]
fn a_wrapper_from_cargo_config_is_chained() {
    let ws = ws();
    let tools = ws.root.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let (file_log, env_log) = (tools.join("file.log"), tools.join("env.log"));
    write_wrapper(&tools, "from-file.sh", &file_log, None);
    let from_env = write_wrapper(&tools, "from-env.sh", &env_log, None);
    std::fs::create_dir_all(ws.root.join(".cargo")).unwrap();
    let config = ws.root.join(".cargo/config.toml");
    std::fs::write(&config, "[build]\nrustc-wrapper = \"tools/from-file.sh\"\n").unwrap();
    ws.touch_mini();
    let result = std::panic::catch_unwind(|| {
        let stderr = ws.build_ok(&[]);
        assert!(!stderr.contains("warning: cinline"), "{stderr}");
        let calls = std::fs::read_to_string(&file_log).unwrap_or_default();
        assert!(calls.contains("--crate-name mini "), "{calls}");
        ws.touch_mini();
        ws.build_ok(&[("CARGO_BUILD_RUSTC_WRAPPER", from_env.to_str().unwrap())]);
        let calls = std::fs::read_to_string(&env_log).unwrap_or_default();
        assert!(calls.contains("--crate-name mini "), "{calls}");
        assert_eq!(ws.program_output(), ws.expected_output());
    });
    std::fs::remove_file(&config).unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// A wrapper that does not exist is named, with what to do.
#[test]
fn a_missing_wrapper_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = guarded(
        dir.path(),
        common::cargo_cinline().as_os_str(),
        &["cinline", "build"],
        &[("RUSTC_WRAPPER", "/nonexistent/x")],
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/x")
            && stderr.contains("RUSTC_WRAPPER")
            && stderr.contains("unset"),
        "{stderr}"
    );
}

/// The rustc wrapper alone, told to chain a script that calls it again:
/// rustc runs once, the script once.
#[test]
fn the_environment_guard_stops_a_second_entry() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.log");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cinline"));
    let script = write_wrapper(dir.path(), "again.sh", &log, Some(&bin));
    let out = guarded(
        dir.path(),
        bin.as_os_str(),
        &["rustc", "--version"],
        &[("__CINLINE_CHAIN_WRAPPER", script.to_str().unwrap())],
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rustc "));
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
}

/// Rewrites helper bitcode so that its functions need AVX2, which the
/// crate's target lacks (as `-march=x86-64-v3` would): cinline cannot
/// inline them.
fn require_avx2(bitcode: &Path) {
    let ll = bitcode.with_extension("ll");
    common::run_ok(Command::new("llvm-dis-22").arg(bitcode).arg("-o").arg(&ll));
    let text = std::fs::read_to_string(&ll).unwrap();
    assert!(text.contains("\"target-features\"=\""), "{}", ll.display());
    std::fs::write(
        &ll,
        text.replace(
            "\"target-features\"=\"",
            "\"target-features\"=\"+avx2,+avx,",
        ),
    )
    .unwrap();
    common::run_ok(Command::new("llvm-as-22").arg(&ll).arg("-o").arg(bitcode));
}

/// Calls left out of line: one warning line per crate with how many and
/// why, a report whose counts add up with a reason for each, and under
/// `CINLINE_STRICT=1` a failed build naming the crate.
#[test]
fn calls_left_warn_once_and_fail_strict_builds() {
    let ws = ws();
    let bitcode = ws.helper_bitcode();
    let _restore: Vec<Restore> = bitcode.iter().map(|b| Restore::save(b)).collect();
    for b in &bitcode {
        require_avx2(b);
    }
    ws.touch_mini();
    let stderr = ws.build_ok(&[]);
    let mini = the_one_warning_for_mini(&stderr);
    assert!(
        mini.contains("left out of line") && mini.contains("avx2"),
        "{stderr}"
    );
    let report = ws.report();
    eprintln!("{stderr}\n{report}");
    let line = report
        .lines()
        .find(|l| l.starts_with("mini (lib)"))
        .unwrap();
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    // `N unit(s) ..., F helper call(s), I inlined, L left`
    let (found, inlined, left) = (numbers[1], numbers[2], numbers[3]);
    assert!(left > 0 && found == inlined + left, "{report}");
    assert!(report.contains("target-feature mismatch"), "{report}");
    assert!(!report.contains("reason unknown"), "{report}");
    assert_eq!(ws.program_output(), ws.expected_output());
    ws.touch_mini();
    let out = ws.cargo_cinline(&["build"], &[("CINLINE_STRICT", "1")]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("error: cinline: crate `mini`"),
        "{}",
        text(&out)
    );
    drop(_restore);
    ws.touch_mini();
    ws.build_ok(&[]);
}

/// The build's one warning line about crate `mini` (one per crate).
fn the_one_warning_for_mini(stderr: &str) -> &str {
    let mini: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: cinline: crate `mini`"))
        .collect();
    assert_eq!(mini.len(), 1, "{stderr}");
    mini[0]
}

/// A corrupt helper file: the crate is built without cinline (one warning,
/// a record saying so, its calls counted as left), built again by the next
/// build once the file is good, and not rebuilt after that.
#[test]
fn a_fallback_is_recorded_and_retried() {
    let ws = ws();
    let bitcode = ws.helper_bitcode()[0].clone();
    let restore = Restore::save(&bitcode);
    std::fs::write(&bitcode, b"BC\xC0\xDEgarbage").unwrap();
    ws.touch_mini();
    let stderr = ws.build_ok(&[]);
    let mini = the_one_warning_for_mini(&stderr);
    assert!(mini.contains("built without cinline"), "{stderr}");
    let report = ws.report();
    eprintln!("{stderr}\n{report}");
    assert!(report.contains("built without cinline"), "{report}");
    let line = report
        .lines()
        .find(|l| l.starts_with("mini (lib)"))
        .unwrap();
    assert!(
        !line.ends_with(" 0 left"),
        "calls counted as left: {report}"
    );
    assert_eq!(ws.program_output(), ws.expected_output());
    // Strict: the same file fails the build.
    ws.touch_mini();
    let out = ws.cargo_cinline(&["build"], &[("CINLINE_STRICT", "1")]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("error: cinline: crate `mini`"),
        "{}",
        text(&out)
    );
    ws.build_ok(&[]);
    // The file repaired: the next build builds `mini` again, with cinline.
    drop(restore);
    let stderr = ws.build_ok(&[]);
    assert!(stderr.contains("Compiling mini "), "not retried:\n{stderr}");
    assert!(!stderr.contains("warning: cinline"), "{stderr}");
    let report = ws.report();
    assert!(!report.contains("built without cinline"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("total:") && l.ends_with(", 0 left")),
        "{report}"
    );
    // And then it is fresh.
    let stderr = ws.build_ok(&[]);
    assert!(!stderr.contains("Compiling"), "rebuilt again:\n{stderr}");
}

/// Under `CINLINE_STRICT=1`, a manifest that names a missing bitcode file
/// or is not a manifest fails the build, naming the file; without it, the
/// build works and warns.
#[test]
fn strict_mode_refuses_skipped_manifests() {
    let ws = ws();
    let manifest = ws.manifest();
    let bitcode = ws.helper_bitcode()[0].clone();
    let _restore = (Restore::save(&manifest), Restore::save(&bitcode));
    // A strict build fails with an error naming the crate and `file`.
    let strict_build_names = |file: &Path| {
        ws.touch_mini();
        let out = ws.cargo_cinline(&["build"], &[("CINLINE_STRICT", "1")]);
        assert!(!out.status.success());
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            text(&out).contains("error: cinline: crate `mini`") && text(&out).contains(&name),
            "{}",
            text(&out)
        );
    };
    std::fs::remove_file(&bitcode).unwrap();
    strict_build_names(&bitcode);
    std::fs::write(&bitcode, &_restore.1 .1).unwrap();
    std::fs::write(&manifest, "{ not json").unwrap();
    strict_build_names(&manifest);
    let stderr = ws.build_ok(&[]);
    assert!(
        stderr.contains("warning: cinline: crate `mini`"),
        "{stderr}"
    );
    drop(_restore);
    ws.build_ok(&[]);
}

/// A crate rebuilt under another hash (other settings) leaves one record
/// in the report, its last build's.
#[test]
fn the_report_describes_the_last_build_of_each_crate() {
    let ws = ws();
    let records = ws.root.join("target/cinline/debug/cinline");
    let mini_records = || -> Vec<String> {
        std::fs::read_dir(&records)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("mini-") && name.ends_with(".lib.json"))
            .collect()
    };
    ws.touch_mini();
    ws.build_ok(&[]);
    let before = mini_records();
    let out = ws.cargo_cinline(
        &["build", "--config", "profile.dev.package.mini.opt-level=1"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report = ws.report();
    let mini: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("mini (lib)"))
        .collect();
    assert_eq!(mini.len(), 1, "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("total:") && l.ends_with(", 0 left")),
        "{report}"
    );
    let after = mini_records();
    assert_eq!(after.len(), 1, "{report}");
    assert_ne!(before, after, "mini was rebuilt under another hash");
    ws.touch_mini();
    ws.build_ok(&[]);
}
