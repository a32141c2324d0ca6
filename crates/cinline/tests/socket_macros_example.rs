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

use common::example::Example;

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
    BUILT.get_or_init(|| Example::build("examples/socket-macros", "fd-pass"))
}

fn is_macro_helper(name: &str) -> bool {
    name.starts_with("rust_helper_CMSG_")
}

#[test]
fn both_programs_print_the_expected_output() {
    built().assert_both_print("fd-pass/expected_output.txt");
}

#[test]
fn the_macros_are_called_out_of_line_plain_and_inlined_with_cinline() {
    built().assert_no_helper_left(is_macro_helper, HOT_HELPERS);
}

#[test]
fn the_hot_loop_calls_no_macro_helper() {
    built().assert_hot_loop_inlined(
        HOT_FUNCTION,
        is_macro_helper,
        &[
            "rust_helper_CMSG_FIRSTHDR",
            "rust_helper_CMSG_NXTHDR",
            "rust_helper_CMSG_DATA",
        ],
    );
}
