//! One instance of every C variable: helpers with a function-local
//! `static`, a file-scope `static` shared by three functions, a global
//! defined by the helpers file and a helper whose address is taken, called
//! from two separately linked Rust objects (`tests/fixtures/cstate`). The
//! program built with cinline (both engines) must print what the
//! out-of-line build prints; the stateless helpers must still be inlined.

#![forbid(unsafe_code)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{build_helpers, cinline, fixture, helper_refs, run_ok, rustc_lib, CLANG};

/// Links `objects` with the fixture's `main.c` and the helpers' object
/// (where the C state lives, as in the out-of-line build) and runs it.
fn run_program(dir: &Path, name: &str, objects: &[&Path]) -> String {
    let exe = dir.join(name);
    run_ok(
        Command::new(CLANG)
            .arg(fixture("cstate").join("main.c"))
            .args(objects)
            .arg(dir.join("helpers.o"))
            .arg("-o")
            .arg(&exe),
    );
    run_ok(&mut Command::new(&exe))
}

#[test]
fn c_state_exists_once_with_both_engines() {
    let src = fixture("cstate");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for krate in ["a", "b"] {
        let rs = src.join(format!("{krate}.rs"));
        rustc_lib(&rs, "llvm-bc", &d.join(format!("{krate}.bc")), &[]);
        rustc_lib(&rs, "obj", &d.join(format!("{krate}_plain.o")), &[]);
    }
    build_helpers(&src.join("helpers.c"), d);
    let expected = std::fs::read_to_string(src.join("expected_output.txt")).unwrap();
    let plain = run_program(d, "plain", &[&d.join("a_plain.o"), &d.join("b_plain.o")]);
    assert_eq!(plain, expected, "the out-of-line build");

    let helpers: Vec<String> = [
        "counter_next",
        "state_set",
        "state_get",
        "state_add",
        "hits_bump",
        "square",
        "add",
    ]
    .map(|h| format!("rust_helper_{h}"))
    .to_vec();
    for engine in ["rustc-llvm", "llvm-tools"] {
        let mut objects = Vec::new();
        for krate in ["a", "b"] {
            let object = d.join(format!("{krate}_{engine}.o"));
            let out = cinline()
                .arg("link")
                .arg(d.join(format!("{krate}.bc")))
                .arg("--helpers")
                .arg(d.join("helpers.bc"))
                .arg("-o")
                .arg(&object)
                .args(["--engine", engine])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{engine} {krate}: {stderr}");
            assert!(
                stderr.contains(
                    "rust_helper_counter_next kept out of line: uses C state `counter_next.counter`"
                ),
                "{engine} {krate}: the link says why the counter stays out of line:\n{stderr}"
            );
            objects.push(object);
        }
        let refs: Vec<String> = objects
            .iter()
            .flat_map(|o| helper_refs(o, &helpers))
            .collect();
        for stateless in [
            "rust_helper_hits_bump",
            "rust_helper_square",
            "rust_helper_add",
        ] {
            assert!(
                !refs.iter().any(|r| r == stateless),
                "{engine}: {stateless} (no static state) is inlined: {refs:?}"
            );
        }
        for stateful in ["rust_helper_counter_next", "rust_helper_state_get"] {
            assert!(
                refs.iter().any(|r| r == stateful),
                "{engine}: {stateful} (static state) stays out of line: {refs:?}"
            );
        }
        let paths: Vec<&Path> = objects.iter().map(|p| p.as_path()).collect();
        assert_eq!(
            run_program(d, engine, &paths),
            expected,
            "{engine}: the program built with cinline prints what the out-of-line build prints"
        );
    }
}
