//! Shared set-up of the end-to-end tests: the real rustc, clang-22 and
//! linker build the `tests/fixtures/sample` crate and program.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub mod example;
#[path = "../../../../tests/support/mod.rs"]
mod support;
pub use support::*;

/// The clang that compiles out-of-line helpers and links test programs.
pub const CLANG: &str = "clang-22";

/// The built `cinline`, with the variables that change what it does
/// removed ([`scrub`]) so that the tests see the defaults.
pub fn cinline() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cinline"));
    scrub(&mut cmd);
    cmd
}

/// `cargo cinline`: the `cargo-cinline` executable beside `cinline`.
pub fn cargo_cinline() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cinline")).with_file_name("cargo-cinline")
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
    /// Where it is built.
    pub dir: PathBuf,
    /// Removes `dir` when dropped.
    _scratch: Scratch,
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
    /// The sample built once for the test binary: tests that write into
    /// its directory use names of their own (`prog*` of
    /// [`Sample::program_output`] are numbered per process).
    pub fn shared() -> &'static Sample {
        static SAMPLE: OnceLock<Sample> = OnceLock::new();
        SAMPLE.get_or_init(Sample::build)
    }

    /// A sample of its own, in a fresh scratch directory.
    pub fn build() -> Sample {
        let scratch = Scratch::new();
        let dir = scratch.path().to_path_buf();
        let src = fixture("sample");
        let d = &dir;
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
            _scratch: scratch,
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
        self.dir.join(name)
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

/// The helpers among `helpers` an object still mentions as a symbol
/// (called and undefined, or kept as a local copy), sorted.
pub fn helper_refs(object: &Path, helpers: &[String]) -> Vec<String> {
    symbols_among(object, helpers)
}

/// `program` with `csmith_checksum()` added: its `main` without the call
/// of `func_1`, from a fresh checksum: it prints the checksum of the
/// globals as they are.
pub fn csmith_with_checksum(program: &str) -> String {
    let main: Vec<&str> = program
        .lines()
        .skip_while(|l| !l.starts_with("int main (void)"))
        .take_while(|l| *l != "}")
        .collect();
    assert!(
        !main.is_empty(),
        "no `int main (void)` in the csmith program"
    );
    let mut checksum = vec![
        "int csmith_checksum (void)",
        "{",
        "    crc32_context = 0xFFFFFFFFUL;",
    ];
    checksum.extend(main.iter().skip(2).filter(|l| l.trim() != "func_1();"));
    checksum.push("}");
    format!("{program}\n{}\n", checksum.join("\n"))
}

/// What `CINLINE_LOG` says of one crate's code generation by cinline: its
/// line `crate `NAME`: generating U unit(s) (K KiB of bitcode) in P
/// part(s) on T thread(s), C core(s) from cargo's jobserver`, read.
#[derive(Debug)]
pub struct Generating {
    /// The line, for messages.
    pub line: String,
    pub units: usize,
    pub parts: usize,
    pub threads: usize,
    pub free_cores: usize,
}

/// The first line of `log` on generating the crate `krate`, read; fails
/// the test if there is none or it does not read.
pub fn generating(log: &str, krate: &str) -> Generating {
    let marker = format!("crate `{krate}`: generating ");
    let line = log
        .lines()
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("{krate} is not generated by cinline:\n{log}"));
    let (_, tail) = line.split_once(&marker).unwrap();
    let numbers: Vec<usize> = tail
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [units, _, parts, threads, free_cores] = numbers[..] else {
        panic!("unexpected line: {line}");
    };
    Generating {
        line: line.to_string(),
        units,
        parts,
        threads,
        free_cores,
    }
}
