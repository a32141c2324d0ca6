//! The error type of the cinline pipeline.

use std::path::PathBuf;

use cinline_llvm::Version;

/// Everything that can go wrong in the pipeline. Each message names the file
/// or command concerned and says what to do where cinline can tell; a cause
/// from below (I/O, LLVM's loader, the object reader) is the error's
/// [`source`](std::error::Error::source), not part of its message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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
    /// rustc's libLLVM is not where rustc keeps it.
    #[error(
        "cannot use rustc's libLLVM: no libLLVM found for {release} (tried {}); \
         install the toolchain with rustup, or set {}",
        tried.join(", "), crate::env::LIBLLVM.name
    )]
    LibLlvmNotFound {
        /// rustc's release line.
        release: String,
        /// The paths tried.
        tried: Vec<String>,
    },
    /// A libLLVM was found but cannot be loaded.
    #[error("cannot use rustc's libLLVM")]
    LibLlvmLoad(#[from] cinline_llvm::LoadError),
    /// The libLLVM found is another LLVM than rustc's.
    #[error(
        "cannot use rustc's libLLVM: {} is LLVM {found}, but {release} uses LLVM {expected}",
        path.display()
    )]
    LibLlvmVersion {
        /// The library.
        path: PathBuf,
        /// Its LLVM.
        found: Version,
        /// rustc's release line.
        release: String,
        /// rustc's LLVM.
        expected: Version,
    },
    /// Finding a tool, running it, compiling C or writing an output failed.
    #[error(transparent)]
    Tool(#[from] cinline_cc::Error),
    /// A file given as an archive (an `.rlib`) is not one.
    #[error("{}: not an archive", path.display())]
    NotArchive {
        /// The file.
        path: PathBuf,
        /// What the reader found.
        #[source]
        source: object::Error,
    },
    /// A file given as an object file is not one.
    #[error("{}: not an object file", path.display())]
    NotObject {
        /// The file.
        path: PathBuf,
        /// What the reader found.
        #[source]
        source: object::Error,
    },
    /// The bitcode rustc emitted for a codegen unit does not define what
    /// rustc's object for it defines, so its object cannot replace rustc's.
    #[error(
        "{}: the bitcode does not define the symbols of rustc's object (differ: {differ:?}); \
         kept rustc's object",
        bitcode.display()
    )]
    SymbolsDiffer {
        /// The unit's bitcode.
        bitcode: PathBuf,
        /// Up to three symbols defined by one and not the other.
        differ: Vec<String>,
    },
    /// A `--target-cpu` or `--target-feature` LLVM does not know or cannot
    /// read.
    #[error("invalid {option} `{value}`: {problem}")]
    TargetName {
        /// The option (`--target-cpu (-C target-cpu)`).
        option: &'static str,
        /// The value given.
        value: String,
        /// What is wrong, and where the names are listed.
        problem: String,
    },
    /// A variable of cinline's set to a value it does not take
    /// (`CINLINE_ENGINE`).
    #[error(transparent)]
    InvalidValue(#[from] crate::env::InvalidValue),
    /// A helper manifest handed to the linker wrapper no longer fits.
    #[error(transparent)]
    ManifestSkipped(Box<crate::cargo::Skipped>),
    /// A thread generating code panicked (a bug in cinline or LLVM).
    #[error("a code generation thread panicked")]
    ThreadPanicked,
    /// Several inputs are unusable; each is named.
    #[error("{}", .0.iter().map(|e| cinline_cc::full_message(e)).collect::<Vec<_>>().join("\n"))]
    Several(Vec<Error>),
}

impl Error {
    /// For `map_err`: reading `path` failed.
    pub(crate) fn read(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let read = cinline_cc::Error::read(path);
        move |source| Error::Tool(read(source))
    }

    /// For `map_err`: writing `path` failed.
    pub(crate) fn write(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let write = cinline_cc::Error::write(path);
        move |source| Error::Tool(write(source))
    }
}
