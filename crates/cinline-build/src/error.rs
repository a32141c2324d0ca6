//! The error of [`Builder::try_generate`](crate::Builder::try_generate).

use std::path::PathBuf;

/// Why generating bindings or compiling the helpers failed. Each message
/// names the file or command concerned and carries clang's diagnostic
/// where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A variable cargo sets for build scripts is missing: not running
    /// inside a build script.
    #[error(
        "{var} is not set: cinline-build runs inside a cargo build script \
         (or set {var} yourself)"
    )]
    NotInBuildScript {
        /// The variable.
        var: &'static str,
    },
    /// Neither a header nor a helpers file was given.
    #[error("nothing to do: give cinline-build a header or a helpers file")]
    NoInput,
    /// A header or helpers file does not exist.
    #[error("{}: no such file", path.display())]
    MissingInput {
        /// The file, as given.
        path: PathBuf,
    },
    /// From cinline-core: rustc or clang is missing or failed (with the
    /// command line and what it printed), or an output cannot be written.
    #[error(transparent)]
    Cinline(#[from] cinline_core::Error),
    /// bindgen refused the headers: they do not parse (clang's diagnostic)
    /// or libclang cannot be loaded.
    #[error("bindgen failed on {}: {message}", join(inputs))]
    Bindgen {
        /// The headers given to bindgen.
        inputs: Vec<PathBuf>,
        /// bindgen's message, with clang's diagnostic.
        message: String,
    },
    /// An allowlist pattern matched nothing in the bindings.
    #[error(
        "{option}(\"{pattern}\") matches nothing in the bindings of {}: \
         check the name, or that the header declares it",
        join(inputs)
    )]
    AllowlistUnmatched {
        /// `allowlist_function`, `allowlist_type` or `allowlist_var`.
        option: &'static str,
        /// The pattern.
        pattern: String,
        /// The headers.
        inputs: Vec<PathBuf>,
    },
    /// A helpers file is unusable: bindgen (libclang) cannot parse it, or
    /// it defines no `rust_helper_*` function.
    #[error("helpers file {}: {message}", path.display())]
    Helper {
        /// The helpers file.
        path: PathBuf,
        /// What is wrong, with clang's diagnostic.
        message: String,
    },
    /// A helper would have the same Rust name as a function of the headers.
    #[error(
        "helpers file {}: `rust_helper_{name}` is bound as `{name}`, which the headers \
         already bind (a static function or declaration of that name); rename the helper \
         or leave `{name}` out of the header allowlist",
        path.display()
    )]
    NameClash {
        /// The helpers file.
        path: PathBuf,
        /// The Rust name both would have.
        name: String,
    },
    /// clang failed to compile a C file to bitcode.
    #[error("{}: cannot compile to LLVM bitcode: `{command}` failed ({status}):\n{}", file.display(), stderr.trim_end())]
    Compile {
        /// The C file.
        file: PathBuf,
        /// The clang command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What clang printed (the diagnostic).
        stderr: String,
    },
    /// The `cc` crate failed to build the native static library.
    #[error("cannot build the native static library `{lib}`: {message}")]
    Native {
        /// The library name.
        lib: String,
        /// cc's message.
        message: String,
    },
    /// A file cannot be read or written.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
}

impl Error {
    /// For `map_err`: an I/O operation on `path` failed.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |cause| Error::Io { path, cause }
    }
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
