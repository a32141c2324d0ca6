//! Differential testing with csmith, the random program generator compiler
//! developers test with: random C programs full of global state, used as
//! helpers called from two separately linked Rust objects
//! (`tests/fixtures/csmith`). Each program is built out of line and with
//! cinline (both engines) and must print the same checksums.
//!
//! Two variants of each program: as csmith writes it (`static` globals and
//! functions: state cinline must leave out of line) and with `static`
//! removed (external globals and functions: inlined into Rust, with every
//! global still defined once, in the helpers' object).
//!
//! `CINLINE_CSMITH_SEEDS=N` (default 3) and `CINLINE_CSMITH_FIRST_SEED=S`
//! (default 1) choose the programs; `scripts/fuzz.sh` runs many.

#![forbid(unsafe_code)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{cinline, csmith_with_checksum, env_number, fixture, run_ok, rustc_lib, CLANG};

/// Flags for compiling a csmith program as helpers.
const CSMITH_CFLAGS: &[&str] = &["-O2", "-w", "-I/usr/include/csmith", "-Dmain=csmith_main"];

/// The Rust type of `func_1`'s C return type, if it is an integer.
fn rust_type(c: &str) -> Option<&'static str> {
    Some(match c {
        "int8_t" => "i8",
        "uint8_t" => "u8",
        "int16_t" => "i16",
        "uint16_t" => "u16",
        "int32_t" | "int" => "i32",
        "uint32_t" => "u32",
        "int64_t" => "i64",
        "uint64_t" => "u64",
        _ => return None,
    })
}

/// `a.rs` for a program: runs it (its `main`) when its functions are
/// static; when they are external, calls its `func_1` directly (inlined by
/// cinline) if that returns an integer, else runs it.
fn a_source(program: &str, external: bool) -> String {
    let func_1 = program
        .lines()
        .find_map(|l| l.strip_suffix(" func_1(void)"))
        .and_then(|ret| rust_type(ret.trim_start_matches("static ").trim()))
        .filter(|_| external);
    let (decl, call) = match func_1 {
        Some(ty) => (
            format!("fn func_1() -> {ty};"),
            "core::hint::black_box(func_1());",
        ),
        None => ("fn csmith_main() -> i32;".to_string(), "csmith_main();"),
    };
    format!(
        "#![no_std]\nextern \"C\" {{\n    {decl}\n}}\n\
         #[no_mangle]\npub extern \"C\" fn a_run() {{\n    // SAFETY: no arguments.\n    unsafe {{\n        {call}\n    }}\n}}\n"
    )
}

/// Links `objects` with `main.c` and runs the program (5 s at most).
/// `None` if it does not finish in time or fails.
fn run(dir: &Path, name: &str, objects: &[&Path]) -> Option<String> {
    let exe = dir.join(name);
    run_ok(
        Command::new(CLANG)
            .arg(fixture("csmith").join("main.c"))
            .args(objects)
            .arg("-o")
            .arg(&exe),
    );
    // The programs write `platform.info` into their working directory.
    let out = Command::new("timeout")
        .arg("5")
        .arg(&exe)
        .current_dir(dir)
        .output()
        .expect("runs timeout(1)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What one program gave.
enum Outcome {
    Same,
    Differs(String),
    /// The out-of-line program does not finish in time, fails, or prints
    /// something else at -O0 (undefined behaviour): nothing to compare with.
    NotRunnable,
}

fn check_program(dir: &Path, seed: u64, external: bool) -> Outcome {
    let variant = if external { "extern" } else { "static" };
    let d = dir.join(format!("{seed}-{variant}"));
    std::fs::create_dir_all(&d).unwrap();
    let generated = dir.join(format!("{seed}.c"));
    let mut program = std::fs::read_to_string(&generated).unwrap();
    if external {
        program = program
            .lines()
            .map(|l| l.strip_prefix("static ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let c = d.join("program.c");
    std::fs::write(&c, csmith_with_checksum(&program)).unwrap();
    let a = d.join("a.rs");
    std::fs::write(&a, a_source(&program, external)).unwrap();
    for (src, name) in [(a, "a"), (fixture("csmith").join("b.rs"), "b")] {
        rustc_lib(&src, "llvm-bc", &d.join(format!("{name}.bc")), &[]);
        rustc_lib(&src, "obj", &d.join(format!("{name}_plain.o")), &[]);
    }
    run_ok(
        Command::new(CLANG)
            .args(CSMITH_CFLAGS)
            .arg("-c")
            .arg(&c)
            .arg("-o")
            .arg(d.join("helpers.o")),
    );
    run_ok(
        cinline()
            .arg("cc")
            .arg(&c)
            .arg("-o")
            .arg(d.join("helpers.bc"))
            .args(CSMITH_CFLAGS),
    );
    // The reference must be the program's defined behaviour: a program
    // that loops forever without side effects, say, is undefined, and
    // clang at -O2 may make it print anything. -O0 and -O2 must agree.
    run_ok(
        Command::new(CLANG)
            .args(CSMITH_CFLAGS)
            .arg("-O0")
            .arg("-c")
            .arg(&c)
            .arg("-o")
            .arg(d.join("helpers_O0.o")),
    );
    let plain_objects = [d.join("a_plain.o"), d.join("b_plain.o")];
    let helpers_o = d.join("helpers.o");
    let reference = |name: &str, helpers: &Path| {
        run(&d, name, &[&plain_objects[0], &plain_objects[1], helpers])
    };
    let Some(plain) = reference("plain", &helpers_o) else {
        return Outcome::NotRunnable;
    };
    if reference("plain_O0", &d.join("helpers_O0.o")).as_ref() != Some(&plain) {
        return Outcome::NotRunnable;
    }
    assert!(
        plain.matches("checksum").count() >= 1,
        "seed {seed}: the program prints its checksum:\n{plain}"
    );
    for engine in ["rustc-llvm", "llvm-tools"] {
        let mut objects = Vec::new();
        for krate in ["a", "b"] {
            let object = d.join(format!("{krate}-{engine}.o"));
            run_ok(
                cinline()
                    .arg("link")
                    .arg(d.join(format!("{krate}.bc")))
                    .arg("--helpers")
                    .arg(d.join("helpers.bc"))
                    .args(["--engine", engine, "-o"])
                    .arg(&object),
            );
            objects.push(object);
        }
        let mut paths: Vec<&Path> = objects.iter().map(|p| p.as_path()).collect();
        paths.push(&helpers_o);
        match run(&d, engine, &paths) {
            Some(out) if out == plain => {}
            Some(out) => {
                return Outcome::Differs(format!(
                    "seed {seed} ({variant}), {engine}: out of line\n{plain}with cinline\n{out}"
                ))
            }
            None => {
                return Outcome::Differs(format!(
                    "seed {seed} ({variant}), {engine}: runs out of line, fails with cinline"
                ))
            }
        }
    }
    Outcome::Same
}

#[test]
fn csmith_programs_behave_as_out_of_line() {
    let count = env_number("CINLINE_CSMITH_SEEDS", 3);
    let first = env_number("CINLINE_CSMITH_FIRST_SEED", 1);
    let tmp = tempfile::tempdir().unwrap();
    let (mut same, mut slow, mut differ) = (0, 0, Vec::new());
    for seed in first..first + count {
        let generated = tmp.path().join(format!("{seed}.c"));
        run_ok(
            Command::new("csmith")
                .args(["--no-argc", "--seed", &seed.to_string(), "-o"])
                .arg(&generated)
                // csmith writes `platform.info` into its working directory:
                // there, not into the crate (where it would be packaged).
                .current_dir(tmp.path()),
        );
        for external in [false, true] {
            match check_program(tmp.path(), seed, external) {
                Outcome::Same => same += 1,
                Outcome::NotRunnable => slow += 1,
                Outcome::Differs(what) => differ.push(what),
            }
        }
    }
    eprintln!(
        "csmith: {} program variants from seeds {first}..{}: {same} identical, {} different, \
         {slow} not comparable (out of line: too slow, failing, or -O0 and -O2 disagree)",
        2 * count,
        first + count,
        differ.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(same > 0, "no program could be compared");
}
