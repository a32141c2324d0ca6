//! `cinline doctor` on this machine.

#![forbid(unsafe_code)]

mod common;

use common::{cinline, run_ok};

#[test]
fn doctor_proves_inlining_with_both_engines() {
    let out = run_ok(cinline().arg("doctor"));
    assert!(
        out.contains("rustc-llvm: the sample helper call was inlined (0 calls left)"),
        "{out}"
    );
    assert!(
        out.contains("llvm-tools: the sample helper call was inlined (0 calls left)"),
        "{out}"
    );
    assert!(out.contains("ok: inlining works here"), "{out}");
}

#[test]
fn doctor_fails_without_libllvm_saying_attribute_checks_are_off() {
    let out = cinline()
        .arg("doctor")
        .env("CINLINE_LIBLLVM", "/nonexistent/libLLVM.so")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("problem: cannot use rustc's libLLVM: cannot load /nonexistent/libLLVM.so"),
        "{text}"
    );
    assert!(
        text.contains("engines that can run: llvm-tools\n"),
        "{text}"
    );
    assert!(
        text.contains("llvm-tools: the sample helper call was inlined (0 calls left)"),
        "{text}"
    );
    assert!(
        text.contains("not ok: without rustc's libLLVM, attribute checks and --reconcile are off"),
        "{text}"
    );
}

#[test]
fn doctor_fails_and_says_what_to_do_without_rustc() {
    let out = cinline()
        .arg("doctor")
        .env("RUSTC", "/nonexistent/rustc")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("problem: rustc not found (tried /nonexistent/rustc); install Rust with rustup, or set RUSTC"), "{text}");
    assert!(text.contains("not ok"), "{text}");
}
