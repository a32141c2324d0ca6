//! Capture, end to end: `tests/fixtures/capture-ws`, whose -sys crates
//! compile C with the `cc` crate and know nothing of cinline, built with
//! `cargo build --release` and `cargo cinline build --release`.
//!
//! Checked: the same output (one counter across four codegen units, one
//! address for a `static` function); the small functions inlined into the
//! hot loop, the large one left with the budget as the reason, a file with
//! aliases not imported from; assembly, a command clang refuses and a
//! package that opts out built as before and named in the report;
//! `CINLINE_CAPTURE_SKIP`, `CINLINE_CAPTURE=0`, a larger budget (the large
//! function imported, and kept a call where `main` runs it once), the dev
//! profile (unoptimized C is not captured), strict mode, the cuts kept
//! for the next units (a damaged one is made again), and the libraries'
//! matches kept for the next builds (C changed: its library matched again).

#![forbid(unsafe_code)]

mod common;

use common::example::Example;
use common::{cargo_cinline, command, copy_workspace, timed};

use std::sync::OnceLock;

const WORKSPACE: &str = "tests/fixtures/capture-ws";
const PROGRAM: &str = "cap-app";
const EXPECTED: &str = "cap-app/expected_output.txt";

fn built() -> &'static Example {
    static BUILT: OnceLock<Example> = OnceLock::new();
    BUILT.get_or_init(|| Example::build_with(WORKSPACE, PROGRAM, &[]))
}

/// The report's lines about `package` (its line and the indented ones
/// below it).
fn package_lines(report: &str, package: &str) -> String {
    let mut lines = report
        .lines()
        .skip_while(|l| !l.starts_with(&format!("  {package}: ")));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("{package} in:\n{report}"));
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("    ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn both_programs_print_the_expected_output() {
    built().assert_both_print(EXPECTED);
}

#[test]
fn the_small_functions_are_inlined_into_the_hot_loop() {
    built().assert_hot_loop_inlined(
        "cap_hot_loop",
        |n| n.starts_with("cap_"),
        &["cap_add", "cap_bump"],
    );
}

#[test]
fn the_report_says_what_was_captured_and_why_not() {
    let report = &built().report;
    let cap = package_lines(report, "cap-sys");
    assert!(
        cap.contains("2 of 3 C file(s) captured (libcap.a)"),
        "{cap}"
    );
    assert!(
        cap.contains("left: cap_alias (1 call(s)): its C file defines aliases"),
        "{cap}"
    );
    assert!(cap.contains("one.S: assembly"), "{cap}");
    assert!(cap.contains("inlined: cap_add, cap_bump"), "{cap}");
    assert!(cap.contains("left: cap_big"), "{cap}");
    assert!(cap.contains("over the inlining budget of 200"), "{cap}");
    let refused = package_lines(report, "refuse-sys");
    assert!(refused.contains("0 of 1 C file(s) captured"), "{refused}");
    assert!(refused.contains("refused it"), "{refused}");
    assert!(refused.contains("-Wlogical-op"), "{refused}");
    let optout = package_lines(report, "optout-sys");
    assert!(
        optout.contains("[package.metadata.cinline] capture = false"),
        "{optout}"
    );
    // A function over the budget is left by design: no warning (the build
    // prints what the plain one prints).
    assert!(
        !built().stderr.contains("warning: cinline"),
        "{}",
        built().stderr
    );
}

#[test]
fn a_larger_budget_imports_the_large_function_too() {
    let example = Example::build_with(WORKSPACE, PROGRAM, &[("CINLINE_INLINE_BUDGET", "100000")]);
    example.assert_both_print(EXPECTED);
    let cap = package_lines(&example.report, "cap-sys");
    // Imported now, `cap_big` is still called where it runs once: `main`
    // calls it once, outside its loops, and it is larger than a call.
    assert!(
        cap.contains("left: cap_big (1 call(s)): called where it runs once"),
        "{cap}"
    );
    assert!(!cap.contains("over the inlining budget"), "{cap}");
    // The small ones are inlined there all the same.
    assert!(cap.contains("inlined: cap_add, cap_bump"), "{cap}");
}

#[test]
fn packages_named_in_the_skip_list_are_not_captured() {
    let example = Example::build_with(WORKSPACE, PROGRAM, &[("CINLINE_CAPTURE_SKIP", "cap-sys")]);
    example.assert_both_print(EXPECTED);
    let cap = package_lines(&example.report, "cap-sys");
    assert!(cap.contains("0 of 3 C file(s) captured"), "{cap}");
    assert!(cap.contains("named in CINLINE_CAPTURE_SKIP"), "{cap}");
    assert!(!cap.contains("inlined:"), "{cap}");
}

#[test]
fn capture_off_builds_as_before() {
    let example = Example::build_with(WORKSPACE, PROGRAM, &[("CINLINE_CAPTURE", "0")]);
    example.assert_both_print(EXPECTED);
    assert!(
        !example.report.contains("C compiled by build scripts"),
        "{}",
        example.report
    );
}

#[test]
fn strict_mode_fails_on_c_left_uncaptured() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("capture-ws");
    copy_workspace(WORKSPACE, &ws);
    let out = command(cargo_cinline(), &ws, &["cinline", "build", "--release"])
        .env("CARGO", env!("CARGO"))
        .env("CINLINE_STRICT", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("refuse.c not captured") && stderr.contains("CINLINE_STRICT"),
        "{stderr}"
    );
}

#[test]
fn unoptimized_c_of_the_dev_profile_is_not_captured() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("capture-ws");
    copy_workspace(WORKSPACE, &ws);
    let cargo = env!("CARGO");
    timed(&mut command(cargo, &ws, &["build"]), "cargo build");
    let built = timed(
        command(cargo_cinline(), &ws, &["cinline", "build"]).env("CARGO", cargo),
        "cargo cinline build",
    );
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(!stderr.contains("warning: cinline"), "{stderr}");
    let expected = std::fs::read_to_string(ws.join(EXPECTED)).unwrap();
    for exe in ["target/debug/cap-app", "target/cinline/debug/cap-app"] {
        let out = std::process::Command::new(ws.join(exe)).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{exe}");
    }
    let report = timed(
        command(cargo_cinline(), &ws, &["cinline", "report"]).env("CARGO", cargo),
        "cargo cinline report",
    );
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        package_lines(&report, "cap-sys").contains("c/cap.c: compiled without optimization (-O0)"),
        "{report}"
    );
}

/// A copy of the workspace of this test's own (`capture-ws` in the
/// returned directory, which lives as long as its guard).
fn own_workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("capture-ws");
    copy_workspace(WORKSPACE, &ws);
    (dir, ws)
}

/// `cargo cinline build --release` in the copy `ws`, which must warn of
/// nothing.
fn build_release(ws: &std::path::Path) {
    let built = timed(
        command(cargo_cinline(), ws, &["cinline", "build", "--release"])
            .env("CARGO", env!("CARGO")),
        "cargo cinline build --release",
    );
    let stderr = String::from_utf8_lossy(&built.stderr).into_owned();
    assert!(!stderr.contains("warning: cinline"), "{stderr}");
}

/// The program of the copy `ws`, built in release.
fn program(ws: &std::path::Path) -> std::path::PathBuf {
    ws.join("target/cinline/release").join(PROGRAM)
}

/// What the program of the copy `ws` prints.
fn program_output(ws: &std::path::Path) -> String {
    let out = std::process::Command::new(program(ws)).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn each_cut_is_kept_and_a_damaged_one_is_made_again() {
    let (_dir, ws) = own_workspace();
    build_release(&ws);
    // The cuts of the units, beside the captured bitcode
    // (`out/cinline-capture/<key>.imports/<file version>/<cut>.bc`).
    let build_dir = ws.join("target/cinline/release/build");
    let cuts = common::files_under(&build_dir, |p| {
        p.extension().is_some_and(|x| x == "bc")
            && p.ancestors()
                .any(|a| a.extension().is_some_and(|x| x == "imports"))
    });
    assert!(
        !cuts.is_empty(),
        "no cut kept under {}",
        build_dir.display()
    );
    for cut in &cuts {
        std::fs::write(cut, b"not bitcode").unwrap();
    }
    // The program's crate is built again: its units read the damaged cuts.
    let main = ws.join("cap-app/src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text}\n")).unwrap();
    build_release(&ws);
    for cut in &cuts {
        assert!(
            std::fs::read(cut).unwrap().starts_with(b"BC"),
            "{}",
            cut.display()
        );
    }
    let expected = std::fs::read_to_string(ws.join(EXPECTED)).unwrap();
    assert_eq!(program_output(&ws), expected);
    let calls = common::example::hot_function_calls(&program(&ws), "cap_hot_loop");
    if let Some(calls) = calls {
        assert!(
            !calls
                .iter()
                .any(|c| c.starts_with("cap_add") || c.starts_with("cap_bump")),
            "{calls:?}"
        );
    }
}

/// What a build keeps of a library's match (which members were captured,
/// from which bitcode) must not outlive the library: C changed, the
/// library built again, the program runs the new C, inlined.
#[test]
fn a_library_built_again_from_changed_c_is_matched_again() {
    let (_dir, ws) = own_workspace();
    build_release(&ws);
    let expected = std::fs::read_to_string(ws.join(EXPECTED)).unwrap();
    assert_eq!(program_output(&ws), expected);
    let kept = common::files_under(&ws.join("target/cinline/release/build"), |p| {
        p.parent()
            .is_some_and(|d| d.ends_with("cinline-capture/libs"))
    });
    assert!(!kept.is_empty(), "no library match kept");

    let c = ws.join("cap-sys/c/cap.c");
    let text = std::fs::read_to_string(&c).unwrap();
    let changed = text.replace("return a + b;", "return a + b + 1;");
    assert_ne!(changed, text, "cap_add's body in {}", c.display());
    std::fs::write(&c, changed).unwrap();
    // cap_add(2, 3) and the hot loop's sum of cap_add(i, 1) over a million i.
    let expected = expected
        .replace("add: 5", "add: 6")
        .replace("hot loop: 1000009000000", "hot loop: 1000010000000");
    build_release(&ws);
    assert_eq!(program_output(&ws), expected);
    let calls = common::example::hot_function_calls(&program(&ws), "cap_hot_loop");
    if let Some(calls) = calls {
        assert!(!calls.iter().any(|c| c.starts_with("cap_add")), "{calls:?}");
    }
}
