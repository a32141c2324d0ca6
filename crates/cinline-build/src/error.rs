//! The error of [`Builder::try_generate`](crate::Builder::try_generate):
//! an opaque [`Error`] whose [`ErrorKind`] callers may match on, so that
//! new failures and new details never break a build script.

use std::fmt;
use std::path::PathBuf;

/// Why generating bindings or compiling the helpers failed. Its message
/// names the file or command concerned and carries clang's diagnostic
/// where there is one; [`Error::kind`] says which kind of failure it is.
/// Its fields are private, so that new kinds and details never break a
/// build script.
#[derive(Debug)]
pub struct Error {
    kind: Kind,
}

/// The kind of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not running inside a build script (`OUT_DIR`, `CARGO_PKG_NAME` unset).
    NotInBuildScript,
    /// Neither a header nor a helpers file was given.
    NoInput,
    /// A header or helpers file does not exist.
    MissingInput,
    /// rustc or clang is missing, or a tool named explicitly does not run.
    ToolNotFound,
    /// rustc or clang ran and failed, or said something unexpected.
    ToolFailed,
    /// clang failed to compile a C file to bitcode.
    Compile,
    /// bindgen refused the headers.
    Bindgen,
    /// An allowlist pattern matched nothing.
    AllowlistUnmatched,
    /// A helpers file is unusable.
    Helper,
    /// A helper would have the same Rust name as a header function.
    NameClash,
    /// A `function_macro` prototype is malformed or does not compile.
    FunctionMacro,
    /// The native static library could not be built.
    Native,
    /// A file cannot be read or written.
    Io,
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match &self.kind {
            Kind::NotInBuildScript { .. } => ErrorKind::NotInBuildScript,
            Kind::NoInput => ErrorKind::NoInput,
            Kind::MissingInput { .. } => ErrorKind::MissingInput,
            Kind::Cinline(e) => match e {
                cinline_cc::Error::ToolNotFound { .. }
                | cinline_cc::Error::ExplicitToolBroken { .. } => ErrorKind::ToolNotFound,
                cinline_cc::Error::ToolFailed { .. } | cinline_cc::Error::ToolOutput { .. } => {
                    ErrorKind::ToolFailed
                }
                cinline_cc::Error::Compile { .. } => ErrorKind::Compile,
                _ => ErrorKind::Io,
            },
            Kind::Bindgen { .. } => ErrorKind::Bindgen,
            Kind::AllowlistUnmatched { .. } => ErrorKind::AllowlistUnmatched,
            Kind::Helper { .. } => ErrorKind::Helper,
            Kind::NameClash { .. } => ErrorKind::NameClash,
            Kind::FunctionMacro { .. } => ErrorKind::FunctionMacro,
            Kind::Native { .. } => ErrorKind::Native,
            Kind::Io { .. } => ErrorKind::Io,
        }
    }
}

/// The whole message, causes included (`file: cannot read: No such file
/// or directory`): a build script prints it as it is.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&cinline_cc::full_message(&self.kind))
    }
}

/// No [`source`](std::error::Error::source): the message is complete.
impl std::error::Error for Error {}

impl From<Kind> for Error {
    fn from(kind: Kind) -> Error {
        Error { kind }
    }
}

impl From<cinline_cc::Error> for Error {
    fn from(e: cinline_cc::Error) -> Error {
        Kind::Cinline(e).into()
    }
}

/// The failures, with their messages.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Kind {
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
    /// rustc or clang is missing or failed (with the command line and what
    /// it printed), a C file does not compile to bitcode (clang's
    /// diagnostic), or an output cannot be written.
    #[error(transparent)]
    Cinline(cinline_cc::Error),
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
    /// A `function_macro` prototype cannot be made a helper.
    #[error("function_macro(\"{prototype}\"): {message}")]
    FunctionMacro {
        /// The prototype, as given.
        prototype: String,
        /// What is wrong, with clang's diagnostic.
        message: String,
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
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Kind {
    /// For `map_err`: an I/O operation on `path` failed.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Kind::Io { path, source }.into()
    }
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
