//! Capture: the C that build scripts compile through the `cc` crate, made
//! inlinable without changing the crates.
//!
//! ```text
//! cargo cinline ── CC, HOST_CC, TARGET_CC, CC_<target> = cinline-cc ──▶ build script (cc crate)
//!   cinline-cc -c x.c -o x.o ── clang -emit-llvm ──▶ x.bc ── promote ── clang -x ir ──▶ x.o
//!                                 OUT_DIR/cinline-capture/<object key>.{bc,json}   (store)
//!   rustc wrapper, -L OUT_DIR ──▶ lib*.a members matched to the store (CapturedLib)
//!     per unit: the captured functions it calls, within the budget ──▶ import module
//!     ──▶ the link, as helper bitcode (one-definition rule, attributes, inlining)
//! ```
//!
//! | step | file |
//! |---|---|
//! | the compiler wrapper (`cinline-cc`) | [`compiler`] |
//! | what `cargo cinline` tells the `cc` crate; the compiler the build would have run | [`setup`] |
//! | the clang and libLLVM it captures with, found once per build | [`tools`] |
//! | locals made hidden globals, so that inlined code shares them | [`promote`] |
//! | which packages are captured (`CINLINE_CAPTURE_ONLY`/`_SKIP`, `[package.metadata.cinline]`) | [`policy`] |
//! | the store, and the libraries found in a `-L` directory | [`store`] |
//! | each library matched once, kept in the store | `lib_cache` |
//! | cutting a unit's imports out of a library's bitcode | [`import`] |
//! | each cut made once, kept beside the bitcode | `import_cache` |
//! | what `cargo cinline report` says per package | [`summary`] |

pub mod compiler;
pub mod import;
mod import_cache;
mod lib_cache;
pub mod policy;
pub mod promote;
pub mod setup;
pub mod store;
pub mod summary;
pub mod tools;

pub use store::{CapturedLib, CapturedObject};
