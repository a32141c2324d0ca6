//! The one place cinline reads its environment, and the one list of the
//! variables a user may set ([`VARS`], the README's "Environment" table).
//!
//! Each public variable is declared here once, with who reads it and what
//! it means; the rest of the code reads it through a typed accessor
//! ([`strict`], [`log_target`], [`save_temps`], ...). The private
//! `__CINLINE_*` variables between cinline's own processes are in
//! `cargo::env_keys`; cargo's own variables (`CARGO`, `CARGO_TARGET_DIR`,
//! `RUSTC_WRAPPER`, ...) are read where cinline does what cargo does.

use std::path::PathBuf;

use crate::link::Engine;

pub use cinline_cc::env::{cc, clang, getenv, rustc, Var, CC, CLANG, RUSTC};

/// The libLLVM to load instead of rustc's.
pub const LIBLLVM: Var = Var {
    name: "CINLINE_LIBLLVM",
    read_by: "link, report, doctor",
    meaning: "the libLLVM to load instead of rustc's",
};

/// Where the llvm-tools engine finds `llvm-link` and `clang`.
pub const LLVM_BIN: Var = Var {
    name: "CINLINE_LLVM_BIN",
    read_by: "link --engine llvm-tools",
    meaning: "directory of llvm-link and clang",
};

/// Keep intermediate files.
pub const SAVE_TEMPS: Var = Var {
    name: "CINLINE_SAVE_TEMPS",
    read_by: "link, wrapper",
    meaning: "keep OUT.o.merged.bc and OUT.o.opt.bc; the wrapper keeps rustc's .bc and the \
              inlined objects",
};

/// Fail the build when helpers cannot be inlined.
pub const STRICT: Var = Var {
    name: "CINLINE_STRICT",
    read_by: "wrapper",
    meaning: "1: a crate whose helpers cannot be inlined fails the build",
};

/// Say what the wrapper decides.
pub const LOG: Var = Var {
    name: "CINLINE_LOG",
    read_by: "wrapper",
    meaning: "1 (stderr) or a file: what the wrapper decides",
};

/// Switch off cinline's own code generation of libraries.
pub const CODEGEN_ONCE: Var = Var {
    name: "CINLINE_CODEGEN_ONCE",
    read_by: "wrapper",
    meaning: "0: libraries and binaries keep rustc's objects (replaced where they call helpers) \
              instead of cinline generating their code once",
};

/// Switch off the capture of C compiled by build scripts.
pub const CAPTURE: Var = Var {
    name: "CINLINE_CAPTURE",
    read_by: "cargo cinline",
    meaning: "0: C that build scripts compile through the `cc` crate is not captured (it is by \
              default)",
};

/// Packages whose C is not captured.
pub const CAPTURE_SKIP: Var = Var {
    name: "CINLINE_CAPTURE_SKIP",
    read_by: "cinline-cc (the C compiler wrapper)",
    meaning: "packages, comma-separated, whose build scripts' C is not captured",
};

/// The only packages whose C is captured.
pub const CAPTURE_ONLY: Var = Var {
    name: "CINLINE_CAPTURE_ONLY",
    read_by: "cinline-cc (the C compiler wrapper)",
    meaning: "packages, comma-separated: only their build scripts' C is captured",
};

/// How large a captured C function may be and still be inlined.
pub const INLINE_BUDGET: Var = Var {
    name: "CINLINE_INLINE_BUDGET",
    read_by: "wrapper",
    meaning: "LLVM instructions a captured C function may have, with the local functions it \
              calls, to be inlined (default 200)",
};

/// How many parts one codegen unit of a binary is generated in.
pub const UNIT_PARTS: Var = Var {
    name: "CINLINE_UNIT_PARTS",
    read_by: "wrapper",
    meaning: "how many threads generate one codegen unit of a binary at once, each a share of its \
              functions: 1 = never split; unset = one per core for a unit of at least 256 KiB \
              of bitcode, and for a unit of at least 16 KiB one more part for each core \
              cargo's jobserver has free",
};

/// The engine of `cargo cinline` builds.
pub const ENGINE: Var = Var {
    name: "CINLINE_ENGINE",
    read_by: "wrapper",
    meaning: "the engine that links and generates each unit: rustc-llvm (default; llvm-tools, with a \
              warning, where rustc's libLLVM does not load) or llvm-tools (as cinline link --engine)",
};

/// Inline into unoptimized crates too.
pub const UNOPTIMIZED: Var = Var {
    name: "CINLINE_UNOPTIMIZED",
    read_by: "wrapper",
    meaning: "1: crates built at opt-level 0 (the dev profile) inline their helpers too; by \
              default they are built as rustc builds them",
};

/// Every public variable, in the README's order.
pub const VARS: &[Var] = &[
    RUSTC,
    CLANG,
    CC,
    LIBLLVM,
    LLVM_BIN,
    SAVE_TEMPS,
    STRICT,
    LOG,
    CODEGEN_ONCE,
    UNOPTIMIZED,
    CAPTURE,
    CAPTURE_SKIP,
    CAPTURE_ONLY,
    INLINE_BUDGET,
    UNIT_PARTS,
    ENGINE,
];

/// A variable set to a value cinline does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?}: expected {expected}")]
pub struct InvalidValue {
    /// The variable.
    pub name: &'static str,
    /// Its value, as set.
    pub value: String,
    /// What it takes (the values, listed).
    pub expected: &'static str,
}

/// `$CINLINE_LIBLLVM`, if set.
pub fn libllvm() -> Option<PathBuf> {
    LIBLLVM.get().map(PathBuf::from)
}

/// `$CINLINE_LLVM_BIN`, if set.
pub fn llvm_bin() -> Option<PathBuf> {
    LLVM_BIN.get().map(PathBuf::from)
}

/// Whether `CINLINE_SAVE_TEMPS` is set (to anything).
pub fn save_temps() -> bool {
    SAVE_TEMPS.get().is_some()
}

/// Whether `CINLINE_STRICT` asks for failures to fail the build (any value
/// but `0`).
pub fn strict() -> bool {
    STRICT.get().is_some_and(|v| v != "0")
}

/// Whether libraries may be generated once by cinline (unless
/// `CINLINE_CODEGEN_ONCE=0`).
pub fn codegen_once() -> bool {
    CODEGEN_ONCE.get().is_none_or(|v| v != "0")
}

/// Whether crates built at opt-level 0 inline too (`CINLINE_UNOPTIMIZED`
/// set, and not `0`).
pub fn unoptimized() -> bool {
    UNOPTIMIZED.get().is_some_and(|v| v != "0")
}

/// Whether `cargo cinline` captures C compiled by build scripts (unless
/// `CINLINE_CAPTURE=0`).
pub fn capture() -> bool {
    CAPTURE.get().is_none_or(|v| v != "0")
}

/// A comma-separated list of package names, `None` if unset.
fn packages(var: &Var) -> Option<Vec<String>> {
    var.get().map(|v| {
        v.to_string_lossy()
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    })
}

/// `CINLINE_CAPTURE_SKIP`: packages whose C is not captured.
pub fn capture_skip() -> Vec<String> {
    packages(&CAPTURE_SKIP).unwrap_or_default()
}

/// `CINLINE_CAPTURE_ONLY`: the only packages whose C is captured, if set.
pub fn capture_only() -> Option<Vec<String>> {
    packages(&CAPTURE_ONLY)
}

/// The default of [`inline_budget`].
pub const DEFAULT_INLINE_BUDGET: usize = 200;

/// `CINLINE_INLINE_BUDGET`, or its default; an unreadable value is an
/// error naming the variable.
pub fn inline_budget() -> Result<usize, InvalidValue> {
    match INLINE_BUDGET.get() {
        None => Ok(DEFAULT_INLINE_BUDGET),
        Some(v) => v
            .to_string_lossy()
            .trim()
            .parse()
            .map_err(|_| InvalidValue {
                name: INLINE_BUDGET.name,
                value: v.to_string_lossy().into_owned(),
                expected: "a number of LLVM instructions",
            }),
    }
}

/// `CINLINE_UNIT_PARTS`; `None` if unset (the number is then the
/// machine's and the unit's to decide). An unreadable value, or 0, is an
/// error naming the variable.
pub fn unit_parts() -> Result<Option<usize>, InvalidValue> {
    UNIT_PARTS
        .get()
        .map(|v| {
            let text = v.to_string_lossy();
            text.trim()
                .parse()
                .ok()
                .filter(|&n: &usize| n > 0)
                .ok_or_else(|| InvalidValue {
                    name: UNIT_PARTS.name,
                    value: text.into_owned(),
                    expected: "a number of parts, at least 1",
                })
        })
        .transpose()
}

/// The engine `CINLINE_ENGINE` names; `None` if unset, which lets
/// [`link`](crate::link::link) pick (rustc's libLLVM where it loads). Read
/// where each unit is linked; `cargo cinline` checks it before cargo starts,
/// so that a wrong value is one error, not a warning per crate.
pub fn engine() -> Result<Option<Engine>, InvalidValue> {
    ENGINE
        .get()
        .map(|v| parse_engine(&v.to_string_lossy()))
        .transpose()
}

/// The engine a value of `CINLINE_ENGINE` names.
fn parse_engine(value: &str) -> Result<Engine, InvalidValue> {
    value.parse().map_err(|_| InvalidValue {
        name: ENGINE.name,
        value: value.to_string(),
        expected: "one of rustc-llvm, llvm-tools",
    })
}

/// Where `CINLINE_LOG` sends the wrapper's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// `1`: standard error.
    Stderr,
    /// Anything else: appended to this file.
    File(PathBuf),
}

/// Where the wrapper's log goes, `None` if `CINLINE_LOG` is unset.
pub fn log_target() -> Option<LogTarget> {
    LOG.get().map(|v| {
        if v == "1" {
            LogTarget::Stderr
        } else {
            LogTarget::File(v.into())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variable names in the first column of the README's
    /// `### Environment` table (each in backquotes; a row may name several).
    fn readme_vars() -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let section = readme
            .split("\n### Environment\n")
            .nth(1)
            .expect("README.md has a `### Environment` section");
        let mut names = Vec::new();
        let rows = section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            // The header and the `|---|` line.
            .skip(2);
        for row in rows {
            let first = row.split('|').nth(1).unwrap_or_default();
            let quoted: Vec<&str> = first.split('`').skip(1).step_by(2).collect();
            assert!(!quoted.is_empty(), "README row names no variable: {row}");
            names.extend(quoted.iter().map(|n| n.to_string()));
        }
        names
    }

    #[test]
    fn the_readme_table_lists_exactly_these_variables() {
        let mut readme = readme_vars();
        let mut declared: Vec<String> = VARS.iter().map(|v| v.name.to_string()).collect();
        readme.sort();
        declared.sort();
        assert_eq!(
            readme, declared,
            "README.md's Environment table and env::VARS differ"
        );
    }

    #[test]
    fn an_unknown_engine_is_named_with_the_engines_there_are() {
        assert_eq!(parse_engine("llvm-tools"), Ok(Engine::LlvmTools));
        assert_eq!(parse_engine("rustc-llvm"), Ok(Engine::RustcLlvm));
        let err = parse_engine("clang").unwrap_err();
        assert_eq!(
            err.to_string(),
            "CINLINE_ENGINE=\"clang\": expected one of rustc-llvm, llvm-tools"
        );
    }

    #[test]
    fn each_variable_is_declared_once() {
        for (i, var) in VARS.iter().enumerate() {
            assert!(
                !VARS[i + 1..].iter().any(|v| v.name == var.name),
                "{} twice",
                var.name
            );
            assert!(!var.read_by.is_empty() && !var.meaning.is_empty());
        }
    }
}
