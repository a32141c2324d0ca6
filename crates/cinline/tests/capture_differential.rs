//! Differential testing of capture with csmith: random C programs, full
//! of `static` globals and functions, compiled by a build script with the
//! `cc` crate (`tests/fixtures/capture-csmith`), run from one codegen unit
//! of a Rust program while another prints the checksum of their globals.
//! Each program is built with `cargo build` and with `cargo cinline
//! build`, every C function within a budget large enough to inline the
//! program into Rust; both must print the same. Captured, every `static`
//! becomes a hidden global (promotion), so this is the proof that
//! promotion and imports keep one C state.
//!
//! `CINLINE_CSMITH_SEEDS=N` (default 3) and `CINLINE_CSMITH_FIRST_SEED=S`
//! (default 1) choose the programs, as for `differential.rs`.

#![forbid(unsafe_code)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{
    cargo_cinline, command, copy_workspace, csmith_with_checksum, env_number, run_ok, timed,
};

/// Runs `exe` (5 s at most); its output, `None` if it fails or is slow.
fn run(exe: &Path) -> Option<String> {
    let out = Command::new("timeout")
        .arg("5")
        .arg(exe)
        .current_dir(exe.parent().unwrap())
        .output()
        .expect("runs timeout(1)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What one program gave: `None` if it cannot be compared (too slow, or
/// its unoptimized and optimized builds disagree: undefined behaviour).
fn check(ws: &Path, seed: u64) -> Option<Result<(), String>> {
    let program = ws.parent().unwrap().join(format!("{seed}.c"));
    run_ok(
        Command::new("csmith")
            .args(["--no-argc", "--seed", &seed.to_string(), "-o"])
            .arg(&program)
            .current_dir(ws.parent().unwrap()),
    );
    let text = std::fs::read_to_string(&program).unwrap();
    std::fs::write(ws.join("cs-sys/program.c"), csmith_with_checksum(&text)).unwrap();
    let cargo = env!("CARGO");
    timed(&mut command(cargo, ws, &["build"]), "cargo build");
    timed(
        &mut command(cargo, ws, &["build", "--release"]),
        "cargo build --release",
    );
    timed(
        command(cargo_cinline(), ws, &["cinline", "build", "--release"])
            .env("CARGO", cargo)
            .env("CINLINE_INLINE_BUDGET", "1000000"),
        "cargo cinline build --release",
    );
    let report = timed(
        command(cargo_cinline(), ws, &["cinline", "report", "--release"]).env("CARGO", cargo),
        "cargo cinline report --release",
    );
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains("cs-sys: 1 of 1 C file(s) captured") && report.contains("inlined: csmith_"),
        "seed {seed}: the program is captured and inlined:\n{report}"
    );
    let plain = run(&ws.join("target/release/cs-app"))?;
    if run(&ws.join("target/debug/cs-app")).as_ref() != Some(&plain) {
        return None;
    }
    assert!(plain.contains("checksum"), "seed {seed}: {plain}");
    Some(match run(&ws.join("target/cinline/release/cs-app")) {
        Some(out) if out == plain => Ok(()),
        Some(out) => Err(format!(
            "seed {seed}: out of line\n{plain}captured and inlined\n{out}"
        )),
        None => Err(format!("seed {seed}: runs out of line, fails captured")),
    })
}

#[test]
fn captured_csmith_programs_behave_as_out_of_line() {
    let count = env_number("CINLINE_CSMITH_SEEDS", 3);
    let first = env_number("CINLINE_CSMITH_FIRST_SEED", 1);
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("capture-csmith");
    copy_workspace("tests/fixtures/capture-csmith", &ws);
    let (mut same, mut skipped, mut differ) = (0, 0, Vec::new());
    for seed in first..first + count {
        match check(&ws, seed) {
            Some(Ok(())) => same += 1,
            Some(Err(what)) => differ.push(what),
            None => skipped += 1,
        }
    }
    eprintln!(
        "captured csmith: {count} programs from seed {first}: {same} identical, {} different, \
         {skipped} not comparable",
        differ.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(same > 0, "no program could be compared");
}
