//! `examples/zero-config` built for real: a program over two unmodified
//! crates.io -sys crates that compile C with the `cc` crate, mimalloc (the
//! global allocator) and libspa-sys (bindgen `wrap_static_fns` wrappers of
//! PipeWire's SPA headers), built with `cargo build --release` and `cargo
//! cinline build --release`, which captures their C.
//!
//! Checked: both programs print the expected output; the plain program's
//! allocator shims jump to `mi_malloc_aligned` and `mi_free` and its SPA
//! loop calls the `*_libspa_rs` wrappers, the inlined program's do neither;
//! the report leaves only calls that run once (`main`'s to `mi_free`) and
//! names both packages as captured.
//! Fails without the SPA headers (Debian: `libspa-0.2-dev`,
//! `libpipewire-0.3-dev`, which scripts/setup.sh installs).

#![forbid(unsafe_code)]

mod common;

use common::example::Example;

use std::path::Path;
use std::sync::OnceLock;

const HEADER: &str = "/usr/include/spa-0.2/spa/pod/builder.h";

fn built() -> &'static Example {
    static BUILT: OnceLock<Example> = OnceLock::new();
    BUILT.get_or_init(|| {
        // A test that cannot run fails: scripts/setup.sh installs it.
        assert!(
            Path::new(HEADER).is_file(),
            "{HEADER} is absent (Debian: apt-get install libspa-0.2-dev libpipewire-0.3-dev; \
             scripts/setup.sh does)"
        );
        Example::build("examples/zero-config", "zc-demo")
    })
}

#[test]
fn both_programs_print_the_expected_output() {
    built().assert_both_print("zc-demo/expected_output.txt");
}

#[test]
fn the_spa_loop_calls_no_wrapper() {
    built().assert_hot_loop_inlined(
        "spa_hot_loop",
        |n| n.ends_with("_libspa_rs"),
        &[
            "spa_pod_builder_init_libspa_rs",
            "spa_pod_builder_int_libspa_rs",
            "spa_pod_parser_get_int_libspa_rs",
        ],
    );
}

#[test]
fn the_allocator_shims_inline_mimalloc_s_fast_paths() {
    // `__rust_alloc` and `__rust_dealloc` (v0-mangled, with their lengths).
    let example = built();
    example.assert_hot_loop_inlined(
        "12___rust_alloc",
        |n| n == "mi_malloc_aligned",
        &["mi_malloc_aligned"],
    );
    example.assert_hot_loop_inlined("14___rust_dealloc", |n| n == "mi_free", &["mi_free"]);
}

#[test]
fn the_report_names_what_was_captured_and_inlined() {
    let report = &built().report;
    // The calls left are `main`'s to mimalloc's free, which run once.
    let left: Vec<&str> = report
        .lines()
        .filter(|l| l.trim_start().starts_with("left:"))
        .collect();
    assert!(
        left.iter()
            .all(|l| l.contains("left: mi_free (") && l.contains("called where it runs once")),
        "{report}"
    );
    for line in [
        "  libmimalloc-sys: 1 of 1 C file(s) captured (libmimalloc.a)",
        "  libspa-sys: 5 of 5 C file(s) captured (liblibspa-rs-reexports.a)",
    ] {
        assert!(report.contains(line), "{line} in:\n{report}");
    }
    let inlined = |package: &str| {
        report
            .split(&format!("  {package}:"))
            .nth(1)
            .and_then(|rest| {
                rest.lines()
                    .find(|l| l.trim_start().starts_with("inlined:"))
            })
            .unwrap_or_else(|| panic!("{package}'s inlined functions in:\n{report}"))
            .to_string()
    };
    assert!(inlined("libmimalloc-sys").contains("mi_malloc_aligned"));
    assert!(inlined("libspa-sys").contains("spa_pod_builder_int_libspa_rs"));
}
