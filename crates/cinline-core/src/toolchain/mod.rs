//! Finding the tools: rustc, clang and the LLVM command-line tools (from
//! `cinline-cc`, shared with build scripts), and the libLLVM inside rustc's
//! sysroot (here: build scripts never load LLVM).

mod libllvm;

pub use cinline_cc::toolchain::*;
pub use libllvm::{find_libllvm, load_libllvm};
