//! Bad input: one clear message naming the file and the problem, a
//! non-zero exit, and no output file.

#![forbid(unsafe_code)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{cinline, fixture, run_fail, run_ok, Sample};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `cinline link` of `krate` with `helpers` must fail, say each of
/// `expected`, and leave no output (nor temporary file) behind.
fn assert_link_refused(
    sample: &Sample,
    krate: &Path,
    helpers: &Path,
    extra: &[&str],
    expected: &[&str],
) {
    let output = own_dir(sample, "refused.o");
    let out = run_fail(
        cinline()
            .arg("link")
            .arg(krate)
            .arg("--helpers")
            .arg(helpers)
            .args(extra)
            .arg("-o")
            .arg(&output),
    );
    let text = stderr(&out);
    for needle in expected {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(
        text.trim_end()
            .lines()
            .filter(|l| l.starts_with("cinline: error"))
            .count(),
        1,
        "{text}"
    );
    assert_no_output(&output);
}

fn assert_no_output(output: &Path) {
    assert!(!output.exists(), "{} was written", output.display());
    let dir = output.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".cinline-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// `name` in a directory of its own inside the shared sample's: the check
/// for temporary files left beside an output must not see those of a
/// link another test runs at the same time.
fn own_dir(sample: &Sample, name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = sample.path(&format!("out{}", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir(&dir).unwrap();
    dir.join(name)
}

fn write(sample: &Sample, name: &str, text: &str) -> std::path::PathBuf {
    let path = sample.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_missing_file_is_named() {
    let sample = Sample::shared();
    assert_link_refused(
        sample,
        &sample.path("nope.bc"),
        &sample.path("helpers.bc"),
        &[],
        &["nope.bc: cannot read", "No such file"],
    );
    assert_link_refused(
        sample,
        &sample.path("sample.bc"),
        &sample.path("gone.bc"),
        &[],
        &["gone.bc: cannot read"],
    );
}

#[test]
fn a_file_that_is_not_bitcode_is_refused() {
    let sample = Sample::shared();
    let c_file = fixture("sample").join("helpers.c");
    assert_link_refused(
        sample,
        &sample.path("sample.bc"),
        &c_file,
        &[],
        &["helpers.c: not LLVM bitcode"],
    );
    assert_link_refused(
        sample,
        &sample.path("sample.bc"),
        &sample.path("helpers.o"),
        &[],
        &["helpers.o: not LLVM bitcode", "ELF object"],
    );
}

#[test]
fn bitcode_newer_than_the_engine_names_both_versions() {
    // llvm-link 16 cannot read LLVM 22 bitcode: the refusal happens before
    // any tool runs, and names both releases.
    let sample = Sample::shared();
    let engine = [
        "--engine",
        "llvm-tools",
        "--llvm-bin",
        "/usr/lib/llvm-16/bin",
    ];
    assert_link_refused(
        sample,
        &sample.path("sample.bc"),
        &sample.path("helpers.bc"),
        &engine,
        &["sample.bc: bitcode made by LLVM 22.", "engine's LLVM 16."],
    );
}

#[test]
fn a_helper_defining_a_crate_symbol_is_refused_with_each_engine() {
    let sample = Sample::shared();
    let dup = write(
        sample,
        "dup.c",
        "long sample_add_mul_sum(unsigned n) { return n; }\n",
    );
    run_ok(
        cinline()
            .arg("cc")
            .arg(&dup)
            .arg("-o")
            .arg(sample.path("dup.bc")),
    );
    for engine in ["rustc-llvm", "llvm-tools"] {
        assert_link_refused(
            sample,
            &sample.path("sample.bc"),
            &sample.path("dup.bc"),
            &["--engine", engine],
            &[
                "dup.bc: defines `sample_add_mul_sum`",
                "sample.bc also defines",
            ],
        );
    }
}

#[test]
fn a_helper_for_another_architecture_is_refused() {
    let sample = Sample::shared();
    let src = write(sample, "arm.c", "int rust_helper_x(int a) { return a; }\n");
    run_ok(
        Command::new(common::CLANG)
            .args(["--target=aarch64-linux-gnu", "-c", "-emit-llvm"])
            .arg(&src)
            .arg("-o")
            .arg(sample.path("arm.bc")),
    );
    assert_link_refused(
        sample,
        &sample.path("sample.bc"),
        &sample.path("arm.bc"),
        &[],
        &["arm.bc: compiled for aarch64", "x86_64-unknown-linux-gnu"],
    );
}

#[test]
fn an_unloadable_libllvm_is_an_error_for_rustc_llvm_and_a_fallback_otherwise() {
    let sample = Sample::shared();
    let output = own_dir(sample, "fallback.o");
    let link = |engine: Option<&str>| {
        let mut cmd = cinline();
        cmd.env("CINLINE_LIBLLVM", "/nonexistent/libLLVM.so")
            .arg("link")
            .arg(sample.path("sample.bc"))
            .arg("--helpers")
            .arg(sample.path("helpers.bc"))
            .arg("-o")
            .arg(&output);
        if let Some(engine) = engine {
            cmd.args(["--engine", engine]);
        }
        cmd
    };
    let out = run_fail(&mut link(Some("rustc-llvm")));
    assert!(
        stderr(&out).contains("cannot load /nonexistent/libLLVM.so"),
        "{}",
        stderr(&out)
    );
    assert_no_output(&output);
    let out = link(None).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("using the llvm-tools engine"),
        "{}",
        stderr(&out)
    );
    assert!(output.exists());
}

#[test]
fn no_clang_is_a_clear_error() {
    let sample = Sample::shared();
    let output = own_dir(sample, "h.bc");
    let out = run_fail(
        cinline()
            .args(["cc", "--clang", "/nonexistent/clang"])
            .arg(fixture("sample").join("helpers.c"))
            .arg("-o")
            .arg(&output),
    );
    let text = stderr(&out);
    assert!(
        text.contains("clang /nonexistent/clang (from --clang) does not exist")
            && text.contains("apt-get install clang-"),
        "{text}"
    );
    assert_no_output(&output);
}

#[test]
fn a_helper_that_does_not_compile_shows_clang_diagnostic() {
    let sample = Sample::shared();
    let src = write(sample, "broken.c", "int f( {\n");
    let output = own_dir(sample, "broken.bc");
    let out = run_fail(cinline().arg("cc").arg(&src).arg("-o").arg(&output));
    let text = stderr(&out);
    assert!(
        text.contains("broken.c:1:") && text.contains("error:"),
        "{text}"
    );
    assert_no_output(&output);
}

#[test]
fn a_bad_codegen_option_value_is_refused_naming_the_choices() {
    let sample = Sample::shared();
    let out = run_fail(
        cinline()
            .arg("link")
            .arg(sample.path("sample.bc"))
            .arg("--helpers")
            .arg(sample.path("helpers.bc"))
            .args(["-o"])
            .arg(sample.path("never-written.o"))
            .args(["--relocation-model", "movable"]),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "a usage error: {err}");
    assert!(
        err.contains("movable") && err.contains("dynamic-no-pic"),
        "names the value and the choices: {err}"
    );
    assert!(!sample.path("never-written.o").exists());
}
