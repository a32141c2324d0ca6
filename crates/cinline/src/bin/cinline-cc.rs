//! The `cinline-cc` executable: the C compiler of build scripts under
//! `cargo cinline` (see `cinline_core::capture`).

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    cinline::main()
}
