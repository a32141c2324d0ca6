//! The by-hand flow end to end: `cinline cc`, `rustc --emit=llvm-bc`,
//! `cinline link`, then a program linked from the object.

#![forbid(unsafe_code)]

mod common;

use std::process::Command;

use common::{
    cinline, fixture, helper_names, helper_refs, run_fail, run_ok, rustc_lib, symbols_where, Sample,
};

/// Links the sample with `engine` and checks the object has no helper left
/// and the program prints what the out-of-line build prints.
fn assert_inlined(sample: &Sample, helpers_bc: &str, engine: &str, extra: &[&str]) {
    // The shared sample's directory: one object per engine, helpers and
    // options, so that tests running at once do not overwrite each other's.
    let object = sample.path(&format!("sample-{engine}-{helpers_bc}{}.o", extra.concat()));
    run_ok(
        cinline()
            .arg("link")
            .arg(sample.path("sample.bc"))
            .arg("--helpers")
            .arg(sample.path(helpers_bc))
            .args(["--engine", engine])
            .args(extra)
            .arg("-o")
            .arg(&object),
    );
    let names = helper_names();
    assert_eq!(names.len(), 19);
    assert_eq!(
        helper_refs(&object, &names),
        Vec::<String>::new(),
        "{engine}: helpers left in the object"
    );
    assert_eq!(
        sample.program_output(&[&object]),
        sample.plain_output,
        "{engine}: output differs"
    );
}

#[test]
fn every_kind_of_helper_is_inlined_with_rustc_llvm() {
    let sample = Sample::shared();
    assert_inlined(sample, "helpers.bc", "rustc-llvm", &[]);
}

#[test]
fn every_kind_of_helper_is_inlined_with_llvm_tools() {
    let sample = Sample::shared();
    assert_inlined(sample, "helpers.bc", "llvm-tools", &[]);
}

#[test]
fn the_full_pipeline_inlines_too() {
    let sample = Sample::shared();
    assert_inlined(sample, "helpers.bc", "rustc-llvm", &["--passes", "full"]);
}

#[test]
fn helpers_from_clang_16_inline_with_rustc_llvm() {
    let sample = Sample::shared();
    run_ok(
        cinline()
            .args(["cc", "--clang", "clang-16"])
            .arg(fixture("sample").join("helpers.c"))
            .arg("-o")
            .arg(sample.path("helpers16.bc")),
    );
    assert_inlined(sample, "helpers16.bc", "rustc-llvm", &[]);
}

#[test]
fn the_out_of_line_object_still_calls_every_helper() {
    // The check above would be worthless if it passed on a plain build.
    let sample = Sample::shared();
    let names = helper_names();
    assert_eq!(
        helper_refs(&sample.path("sample_plain.o"), &names),
        names
            .iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
}

#[test]
fn report_lists_calls_left_and_why() {
    let sample = Sample::shared();
    let report = |object: &str, extra: &[&str]| {
        let mut cmd = cinline();
        cmd.arg("report")
            .arg(sample.path(object))
            .arg("--helpers")
            .arg(sample.path("helpers.bc"))
            .args(extra);
        cmd
    };
    // The plain object: every helper left, because none was linked in.
    let json = run_ok(&mut report("sample_plain.o", &["--format", "json"]));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let residuals = parsed[0]["residuals"].as_array().unwrap();
    assert_eq!(residuals.len(), 19);
    assert!(residuals[0]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("not linked in"));
    let out = run_fail(&mut report("sample_plain.o", &["--deny-not-inlined"]));
    assert_eq!(out.status.code(), Some(1));

    // The inlined object: nothing left.
    run_ok(
        cinline()
            .arg("link")
            .arg(sample.path("sample.bc"))
            .arg("--helpers")
            .arg(sample.path("helpers.bc"))
            .arg("-o")
            .arg(sample.path("inl.o")),
    );
    let text = run_ok(&mut report("inl.o", &["--deny-not-inlined"]));
    assert!(text.contains("every helper call inlined"), "{text}");
}

/// Helpers built with the flags that blocked inlining in the kernel.
fn blocked_helpers(sample: &Sample) {
    run_ok(
        cinline()
            .arg("cc")
            .arg(fixture("sample").join("helpers.c"))
            .arg("-o")
            .arg(sample.path("blocked.bc"))
            .args(["-fno-delete-null-pointer-checks", "-fno-builtin-wcslen"]),
    );
}

#[test]
fn kernel_inline_blockers_are_reported_and_reconciled() {
    let sample = Sample::shared();
    blocked_helpers(sample);
    for engine in ["rustc-llvm", "llvm-tools"] {
        let object = sample.path(&format!("blocked-{engine}.o"));
        let out = cinline()
            .arg("link")
            .arg(sample.path("sample.bc"))
            .args(["--helpers"])
            .arg(sample.path("blocked.bc"))
            .args(["--engine", engine, "-o"])
            .arg(&object)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("null-pointer-is-valid") && stderr.contains("no-builtin-wcslen"),
            "{stderr}"
        );
        assert!(stderr.contains("--reconcile resolves it"), "{stderr}");
        assert_eq!(
            helper_refs(&object, &helper_names()).len(),
            19,
            "{engine}: mismatched helpers must not be inlined"
        );
        let report = run_ok(
            cinline()
                .arg("report")
                .arg(&object)
                .arg("--helpers")
                .arg(sample.path("blocked.bc"))
                .arg("--crate")
                .arg(sample.path("sample.bc")),
        );
        assert!(
            report.contains("null-pointer-is-valid") && report.contains("no-builtin-wcslen"),
            "{report}"
        );
        // The calls left go to the helpers' object, linked as in the
        // out-of-line build: the object keeps no copy of its own.
        assert_eq!(
            sample.program_output(&[&object, &sample.path("helpers.o")]),
            sample.plain_output
        );
    }
    assert_inlined(sample, "blocked.bc", "rustc-llvm", &["--reconcile"]);
    assert_inlined(sample, "blocked.bc", "llvm-tools", &["--reconcile"]);
}

#[test]
fn helper_needing_more_features_than_the_crate_is_never_forced() {
    let sample = Sample::shared();
    run_ok(
        cinline()
            .arg("cc")
            .arg(fixture("sample").join("helpers.c"))
            .arg("-o")
            .arg(sample.path("v3.bc"))
            .arg("-march=x86-64-v3"),
    );
    let object = sample.path("v3.o");
    let out = cinline()
        .arg("link")
        .arg(sample.path("sample.bc"))
        .arg("--helpers")
        .arg(sample.path("v3.bc"))
        .arg("--reconcile")
        .arg("-o")
        .arg(&object)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("which the crate's target lacks"),
        "{stderr}"
    );
    assert!(!helper_refs(&object, &helper_names()).is_empty());
}

#[test]
fn baseline_target_features_are_reconciled_for_a_generic_cpu_crate() {
    // The kernel's `+cmov,+cx8,+fxsr` case: the crate's CPU (`generic`) does
    // not imply features every x86-64 CPU has and the helper lists.
    let sample = Sample::shared();
    rustc_lib(
        &fixture("sample").join("sample.rs"),
        "llvm-bc",
        &sample.path("generic.bc"),
        &["--crate-name=sample", "-Ctarget-cpu=generic"],
    );
    let object = sample.path("generic.o");
    let out = cinline()
        .arg("link")
        .arg(sample.path("generic.bc"))
        .arg("--helpers")
        .arg(sample.path("helpers.bc"))
        .arg("-o")
        .arg(&object)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("target-feature mismatch"), "{stderr}");
    assert!(!helper_refs(&object, &helper_names()).is_empty());
    let object = sample.path("generic-reconciled.o");
    run_ok(
        cinline()
            .arg("link")
            .arg(sample.path("generic.bc"))
            .arg("--helpers")
            .arg(sample.path("helpers.bc"))
            .arg("--reconcile")
            .arg("-o")
            .arg(&object),
    );
    assert_eq!(helper_refs(&object, &helper_names()), Vec::<String>::new());
    assert_eq!(sample.program_output(&[&object]), sample.plain_output);
}

/// One run of a case folder's `expected.txt`: `cinline link` with `args`,
/// then each `(fact, value)` checked on the object.
struct Run {
    args: Vec<String>,
    facts: Vec<(String, String)>,
}

/// The runs of `expected.txt` (format: `tests/fixtures/cases/README.md`).
fn parse_expected(path: &std::path::Path) -> Vec<Run> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut runs: Vec<Run> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(args) = line.strip_prefix("link:") {
            runs.push(Run {
                args: args.split_whitespace().map(str::to_string).collect(),
                facts: Vec::new(),
            });
        } else {
            let (fact, value) = trimmed
                .split_once(':')
                .unwrap_or_else(|| panic!("{}: not `FACT: VALUE`: {line}", path.display()));
            runs.last_mut()
                .unwrap_or_else(|| panic!("{}: a fact before any `link:`", path.display()))
                .facts
                .push((fact.trim().to_string(), value.trim().to_string()));
        }
    }
    assert!(!runs.is_empty(), "{}: no `link:` run", path.display());
    runs
}

/// The value of `fact` on `object`.
fn fact_of(object: &std::path::Path, fact: &str) -> usize {
    use object::{Object, ObjectSection, RelocationKind};
    match fact {
        "helpers-left" => symbols_where(object, |n| n.starts_with("rust_helper_")).len(),
        "abs32-relocations" => {
            let data = std::fs::read(object).unwrap();
            let file = object::File::parse(&*data).unwrap();
            let count = file
                .sections()
                .flat_map(|s| s.relocations().map(|(_, r)| r).collect::<Vec<_>>())
                .filter(|r| r.kind() == RelocationKind::Absolute && r.size() == 32)
                .count();
            count
        }
        _ => match fact.strip_prefix("bytes ") {
            Some(name) => symbol_size(object, name.trim()),
            None => panic!("unknown fact `{fact}` (tests/fixtures/cases/README.md)"),
        },
    }
}

/// The size in bytes of the symbol `name` in `object`.
fn symbol_size(object: &std::path::Path, name: &str) -> usize {
    use object::{Object, ObjectSymbol};
    let data = std::fs::read(object).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let symbol = file
        .symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("{}: no symbol `{name}`", object.display()));
    symbol.size() as usize
}

/// Every folder of `tests/fixtures/cases`: its helpers and caller built,
/// linked as each run of its `expected.txt` says, each fact holding.
#[test]
fn every_case_folder_holds() {
    let mut cases: Vec<_> = std::fs::read_dir(fixture("cases"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no case under tests/fixtures/cases");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        run_ok(
            cinline()
                .arg("cc")
                .arg(case.join("helpers.c"))
                .arg("-o")
                .arg(d.join("helpers.bc")),
        );
        run_ok(
            Command::new("rustc")
                .args(["--crate-type=lib", "-O", "--emit=llvm-bc", "-o"])
                .arg(d.join("caller.bc"))
                .arg(case.join("caller.rs")),
        );
        for (i, run) in parse_expected(&case.join("expected.txt"))
            .iter()
            .enumerate()
        {
            let object = d.join(format!("caller{i}.o"));
            run_ok(
                cinline()
                    .arg("link")
                    .arg(d.join("caller.bc"))
                    .arg("--helpers")
                    .arg(d.join("helpers.bc"))
                    .arg("-o")
                    .arg(&object)
                    .args(&run.args),
            );
            for (fact, value) in &run.facts {
                if fact == "report-says" {
                    let report = run_ok(
                        cinline()
                            .arg("report")
                            .arg(&object)
                            .arg("--crate")
                            .arg(d.join("caller.bc"))
                            .arg("--helpers")
                            .arg(d.join("helpers.bc")),
                    );
                    assert!(
                        report.contains(value.as_str()),
                        "case {name}, link {:?}: the report does not say {value:?}:\n{report}",
                        run.args
                    );
                    continue;
                }
                let actual = fact_of(&object, fact);
                let number = |n: &str| n.trim().parse::<usize>().unwrap();
                let holds = match (value.strip_prefix('>'), value.strip_prefix('<')) {
                    (Some(n), _) => actual > number(n),
                    (_, Some(n)) => actual < number(n),
                    _ => actual == number(value),
                };
                assert!(
                    holds,
                    "case {name}, link {:?}: {fact} is {actual}, expected {value}",
                    run.args
                );
            }
        }
    }
}
