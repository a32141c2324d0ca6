//! The error type of the cinline pipeline.

use std::path::PathBuf;

use cinline_llvm::Version;

/// Everything that can go wrong in the pipeline. Each message names the file
/// or command concerned and says what to do where cinline can tell.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input file cannot be read.
    #[error("{}: cannot read: {cause}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// An output file cannot be written.
    #[error("{}: cannot write: {cause}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// A file given as bitcode is not LLVM bitcode.
    #[error("{}: not LLVM bitcode{hint}", path.display())]
    NotBitcode {
        /// The file.
        path: PathBuf,
        /// What it looks like instead, if known.
        hint: String,
    },
    /// Bitcode written by an LLVM newer than the one that must read it.
    #[error(
        "{}: bitcode made by LLVM {found}, newer than the engine's LLVM {engine} \
         (LLVM reads bitcode of its own and older releases only): rebuild it with LLVM {} or older, \
         or use an engine of LLVM {} or newer",
        path.display(), engine.major, found.major
    )]
    BitcodeTooNew {
        /// The file.
        path: PathBuf,
        /// The LLVM that wrote it.
        found: Version,
        /// The LLVM that must read it.
        engine: Version,
    },
    /// LLVM refused a file (parse or link error), with LLVM's message.
    #[error("{}: {message}", path.display())]
    Llvm {
        /// The file.
        path: PathBuf,
        /// LLVM's message.
        message: String,
    },
    /// A helper defines a symbol the crate defines too.
    #[error(
        "{}: defines `{symbol}`, which the crate {} also defines; a helper must not define \
         symbols of the crate (rename it, or drop it from the helpers)",
        helper.display(), krate.display()
    )]
    DuplicateSymbol {
        /// The helper bitcode file.
        helper: PathBuf,
        /// The crate's bitcode file.
        krate: PathBuf,
        /// The symbol.
        symbol: String,
    },
    /// Two helper files define the same symbol.
    #[error(
        "{} and {} both define `{symbol}`; a helper symbol must be defined by one helper \
         file only (drop one of the files, or make one of the definitions `static`)",
        first.display(), second.display()
    )]
    DuplicateHelperSymbol {
        /// The helper file that defines it first, in link order.
        first: PathBuf,
        /// The helper file that defines it again.
        second: PathBuf,
        /// The symbol.
        symbol: String,
    },
    /// A helper was compiled for a target whose ABI differs from the
    /// crate's: another architecture, operating system, environment or data
    /// layout (the vendor alone may differ).
    #[error(
        "{}: compiled for {found}, but the crate {} is for {expected}: {differs}; \
         compile the helpers for the crate's target (`cinline cc --target TARGET`, \
         TARGET being the crate's Rust target)",
        helper.display(), krate.display()
    )]
    AbiMismatch {
        /// The helper bitcode file.
        helper: PathBuf,
        /// The crate bitcode file.
        krate: PathBuf,
        /// The helper's triple.
        found: String,
        /// The crate's triple.
        expected: String,
        /// What differs, for the user.
        differs: String,
    },
    /// rustc's libLLVM cannot be found or loaded.
    #[error("cannot use rustc's libLLVM: {0}")]
    LibLlvm(String),
    /// A tool is not installed.
    #[error("{tool} not found (tried {}); {hint}", tried.join(", "))]
    ToolNotFound {
        /// The tool (`clang`, `llvm-link`, `rustc`).
        tool: String,
        /// The names and paths tried.
        tried: Vec<String>,
        /// What to install or set.
        hint: String,
    },
    /// A tool ran and failed.
    #[error("`{command}` failed ({status}){}", if stderr.is_empty() { String::new() } else { format!(":\n{}", stderr.trim_end()) })]
    ToolFailed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// Wrong use of an option or input.
    #[error("{0}")]
    Usage(String),
    /// An output path that must not be written (a directory, a dangling
    /// link, one of the inputs).
    #[error("{}: refusing to write the output there: {why}", path.display())]
    OutputRefused {
        /// The output path as given.
        path: PathBuf,
        /// Why, and what to do.
        why: String,
    },
    /// A tool named explicitly (`--clang`, `$CLANG`) does not exist or does
    /// not run.
    #[error("{tool} {} (from {source_name}) {problem}", path.display())]
    ExplicitToolBroken {
        /// The tool (`clang`).
        tool: String,
        /// The path given.
        path: PathBuf,
        /// Where it was given (`--clang`, `CLANG`).
        source_name: String,
        /// What is wrong and what to do.
        problem: String,
    },
}

impl Error {
    /// For `map_err`: reading `path` failed.
    pub(crate) fn read(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |cause| Error::Read { path, cause }
    }

    /// For `map_err`: writing `path` failed.
    pub(crate) fn write(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |cause| Error::Write { path, cause }
    }
}
