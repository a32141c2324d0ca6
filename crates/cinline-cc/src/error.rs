//! The error type of finding tools, compiling C and writing outputs.

use std::path::PathBuf;

/// What can go wrong before LLVM is involved. Each message names the file
/// or command concerned; an I/O cause is the error's
/// [`source`](std::error::Error::source), not part of its message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input file cannot be read.
    #[error("{}: cannot read", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An output file cannot be written.
    #[error("{}: cannot write", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
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
    /// A tool ran and failed, or could not be started.
    #[error("`{command}` failed ({status}){}", if stderr.is_empty() { String::new() } else { format!(":\n{}", stderr.trim_end()) })]
    ToolFailed {
        /// The command line.
        command: String,
        /// Its exit status, or why it did not start.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A tool ran but did not say what it should have.
    #[error("{}: {problem}", tool.display())]
    ToolOutput {
        /// The tool.
        tool: PathBuf,
        /// What is missing from its output.
        problem: String,
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
    /// clang failed to compile a C file to bitcode.
    #[error("{}: cannot compile to LLVM bitcode: `{command}` failed ({status}){}", file.display(), if stderr.is_empty() { String::new() } else { format!(":\n{}", stderr.trim_end()) })]
    Compile {
        /// The C file.
        file: PathBuf,
        /// The clang command line.
        command: String,
        /// Its exit status, or why it did not start.
        status: String,
        /// What clang printed (the diagnostic).
        stderr: String,
    },
    /// A helper manifest that this cinline cannot use.
    #[error("{}: {problem}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// An output path that must not be written (a directory, a dangling
    /// link, one of the inputs).
    #[error("{}: refusing to write the output there: {why}", path.display())]
    OutputRefused {
        /// The output path as given.
        path: PathBuf,
        /// Why, and what to do.
        why: String,
    },
}

impl Error {
    /// For `map_err`: reading `path` failed.
    pub fn read(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Read { path, source }
    }

    /// For `map_err`: writing `path` failed.
    pub fn write(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Write { path, source }
    }
}

/// `e`'s message followed by each of its causes, `: `-separated
/// (`x.bc: cannot read: No such file or directory`): for one line of a
/// warning, a record or a build script's panic.
pub fn full_message(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
