//! The `cinline` executable.

fn main() -> std::process::ExitCode {
    cinline::main()
}
