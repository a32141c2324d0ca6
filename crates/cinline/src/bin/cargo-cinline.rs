//! The `cargo-cinline` executable: `cargo cinline <build|test|...>`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    cinline::main()
}
