//! Shared set-up of the end-to-end tests: the real rustc, clang-22 and
//! linker build the `tests/fixtures/sample` crate and program.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use object::{Object, ObjectSymbol};

/// The clang that compiles out-of-line helpers and links test programs.
pub const CLANG: &str = "clang-22";

/// A fixture directory under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// The built `cinline`, with the variables it reads from the environment
/// cleared so that the tests see the defaults.
pub fn cinline() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cinline"));
    for var in [
        "CLANG",
        "CC",
        "CINLINE_LIBLLVM",
        "CINLINE_LLVM_BIN",
        "CINLINE_SAVE_TEMPS",
        "RUSTFLAGS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `cargo cinline`: the `cargo-cinline` executable beside `cinline`.
pub fn cargo_cinline() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cinline")).with_file_name("cargo-cinline")
}

/// Runs `cmd`, panicking with its output unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `cmd`, expecting it to fail; returns its output.
pub fn run_fail(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        !out.status.success(),
        "{cmd:?} succeeded but should have failed"
    );
    out
}

/// Compiles the C helpers `c` into `dir` twice: `helpers.o` (clang -O2,
/// the out-of-line build) and `helpers.bc` (`cinline cc`).
pub fn build_helpers(c: &Path, dir: &Path) {
    run_ok(
        Command::new(CLANG)
            .args(["-O2", "-c"])
            .arg(c)
            .arg("-o")
            .arg(dir.join("helpers.o")),
    );
    run_ok(
        cinline()
            .arg("cc")
            .arg(c)
            .arg("-o")
            .arg(dir.join("helpers.bc")),
    );
}

/// A number from the environment (a test's own knob), or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    #[allow(clippy::disallowed_methods)] // the test's own knob
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The sample fixture built in a scratch directory: the crate's bitcode,
/// its plain object, the helpers as a native object and as bitcode, and
/// the output of the out-of-line program.
pub struct Sample {
    pub dir: tempfile::TempDir,
    pub plain_output: String,
}

/// How the tests compile their Rust libraries (no_std-friendly, optimized).
const LIB_FLAGS: &[&str] = &[
    "--edition=2021",
    "--crate-type=lib",
    "-Copt-level=2",
    "-Cpanic=abort",
];

/// rustc compiles `src` as a library with [`LIB_FLAGS`] and `extra`,
/// emitting `emit` (`llvm-bc`, `obj`) to `out`.
pub fn rustc_lib(src: &Path, emit: &str, out: &Path, extra: &[&str]) {
    run_ok(
        Command::new("rustc")
            .args(LIB_FLAGS)
            .args(extra)
            .arg(format!("--emit={emit}"))
            .arg("-o")
            .arg(out)
            .arg(src),
    );
}

impl Sample {
    pub fn build() -> Sample {
        let dir = tempfile::tempdir().unwrap();
        let src = fixture("sample");
        let d = dir.path();
        let sample_rs = src.join("sample.rs");
        rustc_lib(
            &sample_rs,
            "llvm-bc",
            &d.join("sample.bc"),
            &["--crate-name=sample"],
        );
        rustc_lib(
            &sample_rs,
            "obj",
            &d.join("sample_plain.o"),
            &["--crate-name=sample"],
        );
        build_helpers(&src.join("helpers.c"), d);
        let sample = Sample {
            dir,
            plain_output: String::new(),
        };
        let plain_output =
            sample.program_output(&[&sample.path("sample_plain.o"), &sample.path("helpers.o")]);
        let expected = std::fs::read_to_string(src.join("expected_output.txt")).unwrap();
        assert_eq!(
            plain_output, expected,
            "the out-of-line build prints what the fixture expects"
        );
        Sample {
            plain_output,
            ..sample
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Links `objects` with the fixture's `main.c` and runs the program.
    pub fn program_output(&self, objects: &[&Path]) -> String {
        let exe = self.path(&format!("prog{}", objects.len() * 1000 + rand_suffix()));
        run_ok(
            Command::new(CLANG)
                .arg(fixture("sample").join("main.c"))
                .args(objects)
                .arg("-o")
                .arg(&exe),
        );
        run_ok(&mut Command::new(&exe))
    }
}

fn rand_suffix() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The helper symbols of the sample fixture.
pub fn helper_names() -> Vec<String> {
    std::fs::read_to_string(fixture("sample").join("helpers.txt"))
        .unwrap()
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The helpers an object still mentions: as a symbol (called and
/// undefined, or kept as a local copy) or as a relocation target.
pub fn helper_refs(object: &Path, helpers: &[String]) -> Vec<String> {
    let data = std::fs::read(object).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let mut found: Vec<String> = file
        .symbols()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .filter(|name| helpers.contains(name))
        .collect();
    found.sort();
    found.dedup();
    found
}
