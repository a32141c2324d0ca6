//! The one reader of the environment, and the variables this crate reads.
//!
//! Each variable a user may set is declared once, as a [`Var`], with who
//! reads it and what it means; `cinline-core::env` lists all of them (the
//! README's "Environment" table), these three included.

use std::ffi::OsString;

/// Reads the environment variable `name`; an empty value counts as unset.
///
/// Every environment variable cinline reads goes through here, so the list
/// of them is `grep getenv`.
#[allow(clippy::disallowed_methods)] // the one allowed reader (clippy.toml)
pub fn getenv(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The names of the environment variables that start with `prefix` (for
/// the families of variables named after a target, such as the `cc`
/// crate's `CC_<target>`); their values are read with [`getenv`].
#[allow(clippy::disallowed_methods)] // the other allowed reader (clippy.toml)
pub fn names_with_prefix(prefix: &str) -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with(prefix))
        .collect()
}

/// A public environment variable: one row of the README's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    /// Its name.
    pub name: &'static str,
    /// The commands or parts of cinline that read it.
    pub read_by: &'static str,
    /// What it does, in one line.
    pub meaning: &'static str,
}

impl Var {
    /// Its value; an empty value counts as unset.
    pub fn get(&self) -> Option<OsString> {
        getenv(self.name)
    }
}

/// The rustc whose target and LLVM are used.
pub const RUSTC: Var = Var {
    name: "RUSTC",
    read_by: "all",
    meaning: "the rustc whose target and LLVM are used",
};

/// The clang to use.
pub const CLANG: Var = Var {
    name: "CLANG",
    read_by: "cc",
    meaning: "clang to use (an error if it does not exist or is not a clang)",
};

/// The C compiler, used as clang if it names one.
pub const CC: Var = Var {
    name: "CC",
    read_by: "cc",
    meaning: "clang to use, if it names a clang",
};

/// `$RUSTC`, if set.
pub fn rustc() -> Option<OsString> {
    RUSTC.get()
}

/// `$CLANG`, if set.
pub fn clang() -> Option<OsString> {
    CLANG.get()
}

/// `$CC`, if set.
pub fn cc() -> Option<OsString> {
    CC.get()
}
