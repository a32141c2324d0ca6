//! `examples/xsk-rings` built for real: libxdp's `<xdp/xsk.h>` ring
//! functions, C99 `inline` (not `static`), bound and defined by
//! cinline-build, and a program that moves batches through a ring pair in
//! ordinary memory, built with `cargo build --release` and `cargo cinline
//! build --release`.
//!
//! Checked: both programs print the expected output; the plain one calls
//! the ring functions out of line (its native library defines them), the
//! inlined one keeps none and its hot loop calls none. Fails without
//! `/usr/include/xdp/xsk.h` (Debian: `libxdp-dev`, which scripts/setup.sh
//! installs).

#![forbid(unsafe_code)]

mod common;

use common::example::Example;

use std::path::Path;
use std::sync::OnceLock;

/// The function of the hot loop (`#[inline(never)]`).
const HOT_FUNCTION: &str = "xsk_hot_loop";

const HEADER: &str = "/usr/include/xdp/xsk.h";

/// The ring functions the hot loop calls.
const HOT_HELPERS: &[&str] = &[
    "xsk_ring_cons__comp_addr",
    "xsk_ring_cons__peek",
    "xsk_ring_cons__release",
    "xsk_ring_prod__fill_addr",
    "xsk_ring_prod__reserve",
    "xsk_ring_prod__submit",
];

fn built() -> &'static Example {
    static BUILT: OnceLock<Example> = OnceLock::new();
    BUILT.get_or_init(|| {
        // A test that cannot run fails: scripts/setup.sh installs it.
        assert!(
            Path::new(HEADER).is_file(),
            "{HEADER} is absent (Debian: apt-get install libxdp-dev; scripts/setup.sh does)"
        );
        Example::build("examples/xsk-rings", "xsk-demo")
    })
}

/// A function of `<xdp/xsk.h>` bound by xsk-sys.
fn is_ring_function(name: &str) -> bool {
    name.starts_with("xsk_ring_") || name == "xsk_prod_nb_free" || name == "xsk_cons_nb_avail"
}

#[test]
fn both_programs_print_the_expected_output() {
    built().assert_both_print("xsk-demo/expected_output.txt");
}

#[test]
fn the_ring_functions_are_called_out_of_line_plain_and_inlined_with_cinline() {
    built().assert_no_helper_left(is_ring_function, HOT_HELPERS);
}

#[test]
fn the_hot_loop_calls_no_ring_function() {
    built().assert_hot_loop_inlined(HOT_FUNCTION, is_ring_function, HOT_HELPERS);
}
