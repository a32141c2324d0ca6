//! The `cinline` executable.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    cinline::main()
}
