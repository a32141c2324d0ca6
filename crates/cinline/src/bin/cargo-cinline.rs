//! The `cargo-cinline` executable: `cargo cinline <build|test|...>`.

fn main() -> std::process::ExitCode {
    cinline::main()
}
