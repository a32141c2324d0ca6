//! `examples/socket-macros` built for real: `<sys/socket.h>`'s `CMSG_*`
//! function-like macros made callable from Rust by cinline-build's
//! `function_macro`, and a program that passes a file descriptor with them
//! and walks control-message buffers in a hot loop, built with `cargo
//! build --release` and `cargo cinline build --release`.
//!
//! Checked: both programs print the expected output; the plain one calls
//! the macro helpers (`rust_helper_CMSG_*`), the inlined one keeps none and
//! its hot loop calls none.

#![forbid(unsafe_code)]

mod common;

use common::example::{hot_function_calls, Example};
use common::symbols_where;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The function of the hot loop (`#[inline(never)]`).
const HOT_FUNCTION: &str = "cmsg_hot_walk";

/// The macros the hot loop uses.
const HOT_HELPERS: &[&str] = &[
    "rust_helper_CMSG_DATA",
    "rust_helper_CMSG_FIRSTHDR",
    "rust_helper_CMSG_LEN",
    "rust_helper_CMSG_NXTHDR",
    "rust_helper_CMSG_SPACE",
];

fn built() -> &'static Example {
    static BUILT: OnceLock<Example> = OnceLock::new();
    BUILT.get_or_init(|| Example::build("socket-macros", "fd-pass"))
}

fn helper_symbols(path: &Path) -> BTreeSet<String> {
    symbols_where(path, |n| n.starts_with("rust_helper_CMSG_"))
}

#[test]
fn both_programs_print_the_expected_output() {
    let built = built();
    let expected = std::fs::read_to_string(built.ws.join("fd-pass/expected_output.txt")).unwrap();
    for program in [built.plain(), built.inlined()] {
        let out = Command::new(&program).output().unwrap();
        assert!(out.status.success(), "{}: {out:?}", program.display());
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    }
}

#[test]
fn the_macros_are_called_out_of_line_plain_and_inlined_with_cinline() {
    let built = built();
    let plain = helper_symbols(&built.plain());
    for helper in HOT_HELPERS {
        assert!(plain.contains(*helper), "{helper} in {plain:?}");
    }
    let inlined = helper_symbols(&built.inlined());
    assert!(inlined.is_empty(), "helpers left: {inlined:?}");
    let total = built
        .report
        .lines()
        .find(|l| l.starts_with("total:"))
        .unwrap_or_else(|| panic!("{}", built.report));
    assert!(total.ends_with(", 0 left"), "{}", built.report);
}

#[test]
fn the_hot_loop_calls_no_macro_helper() {
    let built = built();
    let Some(plain) = hot_function_calls(&built.plain(), HOT_FUNCTION) else {
        return;
    };
    let inlined = hot_function_calls(&built.inlined(), HOT_FUNCTION).unwrap();
    eprintln!("socket-macros example: the plain {HOT_FUNCTION} calls {plain:?}");
    eprintln!("socket-macros example: the inlined {HOT_FUNCTION} calls {inlined:?}");
    for helper in [
        "rust_helper_CMSG_FIRSTHDR",
        "rust_helper_CMSG_NXTHDR",
        "rust_helper_CMSG_DATA",
    ] {
        assert!(plain.iter().any(|c| c == helper), "{helper} in {plain:?}");
    }
    assert!(
        inlined
            .iter()
            .all(|c| !c.starts_with("rust_helper_") && !c.starts_with("<unresolved")),
        "the inlined hot loop calls: {inlined:?}"
    );
}
