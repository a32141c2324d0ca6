//! The cinline pipeline, usable from any build system.
//!
//! Data flows through these modules in this order:
//!
//! 1. [`toolchain`] finds rustc, clang, the LLVM tools (from `cinline-cc`,
//!    which build scripts use too) and rustc's libLLVM, and reads what
//!    rustc uses for a target (triple, data layout);
//! 2. [`cc`] (from `cinline-cc`) compiles C helpers to bitcode for that
//!    target;
//! 3. [`link`] merges helper bitcode into a crate's bitcode, gives the
//!    helpers internal linkage, reconciles attributes that would block
//!    inlining ([`inline_attrs`]) and writes the crate's native object, with
//!    one of two engines;
//! 4. [`report`] finds helper calls left in objects and says why;
//! 5. [`doctor`] runs all of the above on a tiny sample to prove that
//!    inlining works on this machine.
//!
//! [`cargo`] drives the same steps from cargo (`cargo cinline`: the rustc
//! and linker wrappers), and [`capture`] makes the C that build scripts
//! compile with the `cc` crate inlinable too (the `cinline-cc` compiler
//! wrapper, and the per-unit imports of what Rust calls).

#![forbid(unsafe_code)]

pub mod bitcode;
pub mod capture;
pub mod cargo;
pub mod doctor;
pub mod env;
mod error;
pub mod inline_attrs;
pub mod link;
pub mod report;
pub mod supervise;
pub mod toolchain;

pub use cinline_cc::{cc, check_output, full_message, manifest, output, write_atomic};
pub use env::getenv;
pub use error::Error;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
