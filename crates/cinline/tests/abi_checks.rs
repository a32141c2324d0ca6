//! Helpers must fit the crate's target: its ABI (triple and data layout),
//! its CPU's features as LLVM sees them, and names LLVM knows. And the
//! messages about it name the files and what differs. Real rustc, clang-22,
//! clang-16 and the built `cinline`.

#![forbid(unsafe_code)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{cinline, run_fail, run_ok, CLANG};

/// A crate calling one helper, `rust_helper_sum`, which adds `long`s: a
/// 32-bit `long` (Windows) gives another sum.
const CRATE: &str = "#![no_std]\n\
    extern \"C\" { fn rust_helper_sum(a: i64, b: i64) -> i64; }\n\
    #[no_mangle] pub extern \"C\" fn sum_twice(a: i64, b: i64) -> i64 {\n\
        unsafe { rust_helper_sum(a, b) + rust_helper_sum(b, a) }\n\
    }\n";

const HELPER: &str = "long rust_helper_sum(long a, long b) { return a + b; }\n";

/// A scratch directory with the crate's source and the helper's.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.rs"), CRATE).unwrap();
        std::fs::write(dir.path().join("h.c"), HELPER).unwrap();
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The crate's bitcode, built by rustc with `flags`.
    fn krate(&self, name: &str, flags: &[&str]) -> PathBuf {
        let out = self.path(name);
        run_ok(
            Command::new("rustc")
                .args(["--crate-type=lib", "-O", "-Cpanic=abort", "--emit=llvm-bc"])
                .args(flags)
                .arg("-o")
                .arg(&out)
                .arg(self.path("k.rs")),
        );
        out
    }

    /// Helper bitcode made by `clang` with `flags` (a `--target=`...).
    fn helper_with(&self, clang: &str, name: &str, flags: &[&str]) -> PathBuf {
        let out = self.path(name);
        run_ok(
            Command::new(clang)
                .args(["-O2", "-c", "-emit-llvm", "-g0"])
                .args(flags)
                .arg(self.path("h.c"))
                .arg("-o")
                .arg(&out),
        );
        out
    }

    /// Helper bitcode made by `cinline cc` (rustc's triple) with `flags`.
    fn helper(&self, name: &str, flags: &[&str]) -> PathBuf {
        let out = self.path(name);
        run_ok(
            cinline()
                .arg("cc")
                .arg(self.path("h.c"))
                .arg("-o")
                .arg(&out)
                .args(flags),
        );
        out
    }
}

/// `cinline link krate --helpers helpers... -o output extra...`.
fn link(krate: &Path, helpers: &[&Path], output: &Path, extra: &[&str]) -> Command {
    let mut cmd = cinline();
    cmd.arg("link").arg(krate);
    for helper in helpers {
        cmd.arg("--helpers").arg(helper);
    }
    cmd.arg("-o").arg(output).args(extra);
    cmd
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether `object` still names the helper (called, or a copy kept).
fn mentions_helper(object: &Path) -> bool {
    !common::symbols_where(object, |n| n.starts_with("rust_helper_")).is_empty()
}

#[test]
fn helpers_for_another_os_or_environment_are_refused() {
    let s = Scratch::new();
    let krate = s.krate("k.bc", &[]);
    for (target, triple, differs) in [
        (
            "x86_64-pc-windows-msvc",
            "x86_64-pc-windows-msvc",
            &[
                "the operating system differs (helper windows, crate linux)",
                "the environment differs (helper msvc, crate gnu)",
                "the data layout differs (helper `m:w`, crate `m:e`)",
            ][..],
        ),
        (
            "x86_64-unknown-none",
            "x86_64-unknown-none",
            &["the operating system differs (helper none, crate linux)"][..],
        ),
        (
            "x86_64-linux-gnux32",
            "x86_64-unknown-linux-gnux32",
            &[
                "the environment differs (helper gnux32, crate gnu)",
                "pointers are 32-bit in the helper, 64-bit in the crate",
            ][..],
        ),
    ] {
        let name = format!("{target}.bc");
        let helper = s.helper_with(CLANG, &name, &[&format!("--target={target}")]);
        let output = s.path(&format!("{target}.o"));
        for engine in ["rustc-llvm", "llvm-tools"] {
            let out = run_fail(&mut link(
                &krate,
                &[&helper],
                &output,
                &["--engine", engine],
            ));
            let text = stderr(&out);
            assert!(
                text.contains(&format!("{name}: compiled for {triple}")),
                "{engine}: {text}"
            );
            assert!(
                text.contains("k.bc is for x86_64-unknown-linux-gnu"),
                "{engine}: {text}"
            );
            for what in differs {
                assert!(text.contains(what), "{engine}: `{what}` not in {text}");
            }
            assert_eq!(text.lines().count(), 1, "one message: {text}");
            assert!(!output.exists(), "no output is left");
        }
    }
}

#[test]
fn a_vendor_only_difference_and_older_clang_layouts_are_accepted() {
    let s = Scratch::new();
    let krate = s.krate("k.bc", &[]);
    // Debian's clang says `pc`, rustc `unknown`; clang 16's data layout
    // lacks `i128:128`, which LLVM 22 adds when it reads the file.
    let pc = s.helper_with(CLANG, "pc.bc", &["--target=x86_64-pc-linux-gnu"]);
    let old = s.helper_with("clang-16", "old.bc", &["--target=x86_64-pc-linux-gnu"]);
    for helper in [&pc, &old] {
        for engine in ["rustc-llvm", "llvm-tools"] {
            let output = s.path("ok.o");
            run_ok(&mut link(&krate, &[helper], &output, &["--engine", engine]));
            assert!(
                !mentions_helper(&output),
                "{engine}: {} inlined",
                helper.display()
            );
        }
    }
}

#[test]
fn a_bare_metal_crate_takes_helpers_built_for_linux_only() {
    // The kernel's arm64 case: Rust for aarch64-unknown-none, C for
    // aarch64-linux-gnu. rustc here has no aarch64 standard library, so
    // clang makes the "crate" bitcode for the bare-metal target: what is
    // tested is the triple and layout check.
    let s = Scratch::new();
    std::fs::write(
        s.path("k.c"),
        "long rust_helper_sum(long a, long b);\n\
         long sum_twice(long a, long b) { return rust_helper_sum(a, b) + rust_helper_sum(b, a); }\n",
    )
    .unwrap();
    let krate = s.path("k-none.bc");
    run_ok(
        Command::new(CLANG)
            .args([
                "--target=aarch64-unknown-none",
                "-O2",
                "-c",
                "-emit-llvm",
                "-g0",
            ])
            .arg(s.path("k.c"))
            .arg("-o")
            .arg(&krate),
    );
    let linux = s.helper_with(CLANG, "linux.bc", &["--target=aarch64-unknown-linux-gnu"]);
    let output = s.path("k-none.o");
    run_ok(&mut link(&krate, &[&linux], &output, &[]));
    assert!(!mentions_helper(&output), "the Linux helper is inlined");
    // The same with rustc's own bitcode for aarch64-unknown-none: without
    // that target's `core`, a `#![no_core]` crate (nightly features, as the
    // kernel enables them with RUSTC_BOOTSTRAP=1).
    std::fs::write(
        s.path("nc.rs"),
        "#![feature(no_core, lang_items)]
#![allow(internal_features)]
#![no_core]
         #[lang = \"pointee_sized\"] pub trait PointeeSized {}
         #[lang = \"meta_sized\"] pub trait MetaSized: PointeeSized {}
         #[lang = \"sized\"] pub trait Sized: MetaSized {}
         #[lang = \"copy\"] pub trait Copy {}
         impl Copy for i64 {}
         extern \"C\" { fn rust_helper_sum(a: i64, b: i64) -> i64; }
         #[no_mangle] pub extern \"C\" fn sum_once(a: i64, b: i64) -> i64 { unsafe { rust_helper_sum(a, b) } }
",
    )
    .unwrap();
    let rust_krate = s.path("nc.bc");
    run_ok(
        Command::new("rustc")
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "--crate-type=lib",
                "-O",
                "-Cpanic=abort",
                "--target=aarch64-unknown-none",
                "--emit=llvm-bc",
                "-o",
            ])
            .arg(&rust_krate)
            .arg(s.path("nc.rs")),
    );
    let rust_output = s.path("nc.o");
    let out = link(&rust_krate, &[&linux], &rust_output, &[])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );
    assert!(
        !mentions_helper(&rust_output),
        "inlined into rustc's bitcode"
    );
    // Not any other target of the architecture.
    let windows = s.helper_with(CLANG, "windows.bc", &["--target=aarch64-pc-windows-msvc"]);
    let out = run_fail(&mut link(&krate, &[&windows], &output, &[]));
    let text = stderr(&out);
    assert!(
        text.contains("windows.bc: compiled for aarch64-pc-windows-msvc")
            && text.contains("k-none.bc is for aarch64-unknown-none")
            && text.contains("the operating system differs (helper windows, crate none)"),
        "{text}"
    );
}

#[test]
fn two_helper_files_defining_one_symbol_are_both_named() {
    let s = Scratch::new();
    let krate = s.krate("k.bc", &[]);
    let first = s.helper("first.bc", &[]);
    let second = s.helper("second.bc", &[]);
    let out = run_fail(&mut link(&krate, &[&first, &second], &s.path("o.o"), &[]));
    let text = stderr(&out);
    assert!(
        text.contains("first.bc and ") && text.contains("second.bc both define `rust_helper_sum`"),
        "{text}"
    );
    assert!(!text.contains("symbols of the crate"), "{text}");
}

/// Links the crate built with `-C target-cpu=CPU` with `-march=corei7`
/// helpers: inlined, no mismatch reported.
fn corei7_helpers_inline_into(cpu: &str) {
    let s = Scratch::new();
    let krate = s.krate(&format!("k-{cpu}.bc"), &[&format!("-Ctarget-cpu={cpu}")]);
    let helper = s.helper("corei7.bc", &["-march=corei7"]);
    for engine in ["rustc-llvm", "llvm-tools"] {
        let output = s.path(&format!("k-{cpu}-{engine}.o"));
        let out = link(&krate, &[&helper], &output, &["--engine", engine])
            .output()
            .unwrap();
        let text = stderr(&out);
        assert!(out.status.success(), "{text}");
        assert!(!text.contains("mismatch"), "{cpu}, {engine}: {text}");
        assert!(
            !mentions_helper(&output),
            "{cpu}, {engine}: the helper is inlined"
        );
        // And the program computes what the out-of-line one does.
        std::fs::write(
            s.path("main.c"),
            "#include <stdio.h>\nlong sum_twice(long, long);\n\
             int main(void) { printf(\"%ld\\n\", sum_twice(40000000000L, 2)); return 0; }\n",
        )
        .unwrap();
        let exe = s.path(&format!("prog-{cpu}-{engine}"));
        run_ok(
            Command::new(CLANG)
                .arg(s.path("main.c"))
                .arg(&output)
                .arg("-o")
                .arg(&exe),
        );
        assert_eq!(run_ok(&mut Command::new(&exe)), "80000000004\n");
    }
}

#[test]
fn a_corei7_crate_inlines_corei7_helpers() {
    corei7_helpers_inline_into("corei7");
}

#[test]
fn a_haswell_crate_inlines_corei7_helpers() {
    corei7_helpers_inline_into("haswell");
}

#[test]
fn a_native_crate_inlines_corei7_helpers() {
    // rustc writes the host's CPU name and its feature list for `native`.
    corei7_helpers_inline_into("native");
}

#[test]
fn helpers_needing_more_than_the_crate_has_are_still_reported() {
    let s = Scratch::new();
    let helper = s.helper("v3.bc", &["-march=x86-64-v3"]);
    for cpu in ["generic", "corei7"] {
        let krate = s.krate(&format!("k-{cpu}.bc"), &[&format!("-Ctarget-cpu={cpu}")]);
        let output = s.path("v3.o");
        let out = link(&krate, &[&helper], &output, &["--reconcile"])
            .output()
            .unwrap();
        let text = stderr(&out);
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("which the crate's target lacks") && text.contains("+avx2"),
            "{cpu}: {text}"
        );
        // What the crate's CPU has is not listed as lacking.
        if cpu == "corei7" {
            assert!(!text.contains("+sse4.2"), "{text}");
        }
        assert!(mentions_helper(&output), "{cpu}: not inlined");
    }
}

#[test]
fn unknown_cpu_and_feature_names_are_errors() {
    let s = Scratch::new();
    let krate = s.krate("k.bc", &[]);
    let helper = s.helper("h.bc", &[]);
    let output = s.path("o.o");
    for (args, says) in [
        (
            &["--target-cpu", "nosuchcpu"][..],
            "invalid --target-cpu (-C target-cpu) `nosuchcpu`: not a CPU LLVM knows for x86_64-unknown-linux-gnu",
        ),
        (
            &["--target-feature", "garbage"][..],
            "invalid --target-feature (-C target-feature) `garbage`: each feature is `+name`",
        ),
        (
            &["--target-feature", "+sse4.2,+garbage"][..],
            "invalid --target-feature (-C target-feature) `+garbage`: `garbage` is not a feature LLVM knows",
        ),
    ] {
        for engine in ["rustc-llvm", "llvm-tools"] {
            let mut cmd = link(&krate, &[&helper], &output, &["--engine", engine]);
            let out = run_fail(cmd.args(args));
            let text = stderr(&out);
            assert!(text.contains(says), "{args:?} {engine}: {text}");
            // LLVM's own warning ("is not a recognized processor") never
            // shows: cinline refuses before LLVM sees the name.
            assert_eq!(text.lines().count(), 1, "{text}");
            assert!(!output.exists());
        }
    }
    // Names rustc accepts are accepted: `native`, rustc's feature names,
    // LLVM's, and rustc-only ones (which do not reach LLVM).
    for args in [
        &["--target-cpu", "native"][..],
        &["--target-cpu", "x86-64-v2"][..],
        &["--target-feature", "+bmi1,+bmi,-avx2"][..],
        &["--target-feature", "+crt-static"][..],
    ] {
        let out = link(&krate, &[&helper], &output, args).output().unwrap();
        let text = stderr(&out);
        assert!(out.status.success(), "{args:?}: {text}");
        assert!(!text.contains("not a recognized"), "{args:?}: {text}");
    }
}

#[test]
fn report_says_when_a_helper_address_is_taken() {
    let s = Scratch::new();
    std::fs::write(
        s.path("p.rs"),
        "#![no_std]\n\
         extern \"C\" { fn rust_helper_sum(a: i64, b: i64) -> i64; }\n\
         #[no_mangle] pub extern \"C\" fn sum_once(a: i64, b: i64) -> i64 { unsafe { rust_helper_sum(a, b) } }\n\
         #[no_mangle] pub extern \"C\" fn sum_pointer() -> unsafe extern \"C\" fn(i64, i64) -> i64 { rust_helper_sum }\n",
    )
    .unwrap();
    let rustc = |emit: &str, out: &str| {
        run_ok(
            Command::new("rustc")
                .args(["--crate-type=lib", "-O", "-Cpanic=abort"])
                .arg(format!("--emit={emit}"))
                .arg("-o")
                .arg(s.path(out))
                .arg(s.path("p.rs")),
        )
    };
    rustc("llvm-bc", "p.bc");
    rustc("obj", "p_plain.o");
    let helper = s.helper("h.bc", &[]);
    run_ok(&mut link(&s.path("p.bc"), &[&helper], &s.path("p.o"), &[]));
    let report = |object: &str| -> serde_json::Value {
        let json = run_ok(
            cinline()
                .arg("report")
                .arg(s.path(object))
                .arg("--helpers")
                .arg(&helper)
                .arg("--crate")
                .arg(s.path("p.bc"))
                .args(["--format", "json"]),
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        let residuals = parsed[0]["residuals"].as_array().unwrap().clone();
        assert_eq!(residuals.len(), 1, "{json}");
        residuals[0].clone()
    };
    let reasons = |r: &serde_json::Value| -> String {
        r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Out of line: one call, one address use.
    let plain = report("p_plain.o");
    assert_eq!(plain["calls"], 1, "{plain}");
    assert_eq!(plain["address_uses"], 1, "{plain}");
    assert_eq!(plain["references"], 2, "{plain}");
    let text = reasons(&plain);
    assert!(
        text.contains("its address is taken (a function pointer"),
        "{text}"
    );
    assert!(text.contains("not linked in"), "{text}");
    assert!(!text.contains("mismatch"), "{text}");
    // Linked: the call is inlined, the pointer is what is left.
    let linked = report("p.o");
    assert_eq!(linked["calls"], 0, "{linked}");
    assert!(linked["address_uses"].as_u64().unwrap() >= 1, "{linked}");
    let text = reasons(&linked);
    assert!(
        text.contains("its address is taken (a function pointer"),
        "{text}"
    );
    assert!(!text.contains("mismatch"), "{text}");
    assert!(!text.contains("declined"), "{text}");
}

#[test]
fn default_helpers_fit_an_x86_64_crate_and_need_reconciling_for_generic() {
    // clang's default `+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87` helpers: LLVM
    // finds them all in rustc's default CPU (`x86-64`); `generic` implies
    // `cx8`, `x87`, `sse2` on x86-64 but not `cmov`, `fxsr`, `mmx`, so
    // `--reconcile` (the kernel's case) is still what inlines them there.
    let s = Scratch::new();
    let helper = s.helper("h.bc", &[]);
    let output = s.path("o.o");
    let krate = s.krate("k-default.bc", &[]);
    let out = link(&krate, &[&helper], &output, &[]).output().unwrap();
    let text = stderr(&out);
    assert!(out.status.success() && text.is_empty(), "{text}");
    assert!(!mentions_helper(&output));
    let krate = s.krate("k-generic.bc", &["-Ctarget-cpu=generic"]);
    let out = link(&krate, &[&helper], &output, &[]).output().unwrap();
    let text = stderr(&out);
    assert!(
        text.contains("the helper lists +cmov,+fxsr,+mmx which the caller does not"),
        "{text}"
    );
    assert!(mentions_helper(&output));
    run_ok(&mut link(&krate, &[&helper], &output, &["--reconcile"]));
    assert!(!mentions_helper(&output));
}
