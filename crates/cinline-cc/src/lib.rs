//! The part of cinline a build script needs, kept small: it compiles with
//! four dependencies and never loads LLVM.
//!
//! - [`toolchain`] finds rustc and clang (and the LLVM command-line tools),
//!   each with its LLVM release, and asks rustc which LLVM triple a target
//!   uses;
//! - [`cc`] compiles a C file to LLVM bitcode for that triple, the one way
//!   both `cinline cc` and `cinline-build` do it;
//! - [`manifest`] is what a build script leaves beside the bitcode for the
//!   rustc wrapper to find;
//! - [`output`] writes files so that none is ever left half-written;
//! - [`env`] is the one reader of the environment.
//!
//! The pipeline (`cinline-core`) and the build-script library
//! (`cinline-build`) both build on this crate.

#![forbid(unsafe_code)]

pub mod cc;
pub mod env;
mod error;
pub mod manifest;
pub mod output;
pub mod toolchain;

pub use env::getenv;
pub use error::{full_message, Error};
pub use output::{check_output, write_atomic};

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
