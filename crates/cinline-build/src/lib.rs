//! A build-script library for `-sys` crates whose C API is made of
//! `static inline` functions and macros: it writes the bindings, builds the
//! C helpers that make those functions callable from Rust, and leaves them
//! as LLVM bitcode for `cinline` to inline into the Rust code that calls
//! them.
//!
//! ```no_run
//! // In build.rs's `main`:
//! cinline_build::Builder::new()
//!     .header("wrapper.h")               // C headers full of static inline functions
//!     .allowlist_function("io_uring_.*") // what to bind (regular expressions)
//!     .clang_arg("-I/some/dir")          // for bindgen and for every C compile
//!     .helpers_file("helpers.c")         // kernel-style rust_helper_* functions
//!     .function_macro("size_t CMSG_SPACE(size_t len)") // a macro, called from Rust as a function
//!     .generate();
//! ```
//!
//! ```ignore
//! // src/lib.rs
//! include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
//! ```
//!
//! # What it does
//!
//! 1. **Bindings for the headers.** bindgen runs over the headers with
//!    `wrap_static_fns`: each `static` (inline) function `foo` gets a C
//!    wrapper `foo__extern` in `$OUT_DIR/cinline_wrappers.c`, and Rust calls
//!    `foo`, linked to `foo__extern`. Every allowlist pattern must match
//!    something, or the build fails saying which.
//! 2. **Bindings for the helpers files**, the way the Linux kernel binds
//!    `rust/helpers/`: bindgen reads each file with `-D__BINDGEN__` defined,
//!    binds its `rust_helper_*` functions and no types (the types come from
//!    the header bindings, so a helper's parameter types must be bound
//!    there: allowlist them), and `rust_helper_foo` is called `foo` in Rust
//!    (`#[link_name = "rust_helper_foo"]`). A helper is a non-static,
//!    non-inline function; with `__BINDGEN__` undefined the file may mark
//!    helpers `__attribute__((always_inline))`, as the kernel's
//!    `__rust_helper` does. Both bindings are written to
//!    `$OUT_DIR/bindings.rs`.
//!    **C99 `inline` functions** (`inline`, not `static`), which bindgen
//!    skips, are bound as plain functions, and `$OUT_DIR/cinline_inline.c`
//!    redeclares each `extern` after the headers, which in C99 makes it
//!    their external definition: the native library and the bitcode define
//!    them, and cinline inlines them. (A GNU `extern inline` function gets
//!    no definition that way and is called in the library that has one.)
//!    **Function-like macros** declared with [`Builder::function_macro`]
//!    become helpers too: `$OUT_DIR/cinline_macros.c` includes the headers
//!    and defines `rust_helper_<NAME>` calling the macro with the
//!    prototype's parameters, bound as `<NAME>`.
//!    **The crate's CPU.** With `RUSTFLAGS="-C target-cpu=corei7"` (or
//!    `-C target-feature=+sse4.2`), the headers are parsed and the C
//!    compiled for that CPU too: inline functions that use its builtins
//!    compile, and the helpers carry the features of the Rust code that
//!    calls them, so that they can be inlined there.
//! 3. **A native static library** of the wrappers and helpers files, built
//!    with the [`cc`](https://docs.rs/cc) crate and always linked
//!    (`cargo:rustc-link-lib=static=cinline_<package>`): the crate builds and
//!    runs correctly without cinline, calling the helpers out of line.
//! 4. **LLVM bitcode** of the same C files, one `.bc` per file in
//!    `$OUT_DIR/cinline/`, compiled by clang with
//!    `--target=<the LLVM triple rustc uses for TARGET> -c -emit-llvm -g0 -O2`
//!    (no `-O2` if the clang arguments choose an `-O` level) and the clang
//!    arguments.
//! 5. **A manifest**, `$OUT_DIR/<package>.cinline.json`
//!    ([`cinline_cc::manifest::Manifest`]): the target, the LLVM triple and
//!    release of the bitcode, the bitcode files and every function symbol
//!    they define (the `foo__extern` wrappers and the `rust_helper_*`
//!    helpers, read from the native library). With
//!    `cargo:rustc-link-search=native=$OUT_DIR`, cargo passes
//!    `-L native=$OUT_DIR` to the rustc of this crate and of every crate
//!    that depends on it, and that is how the `cinline` rustc wrapper finds
//!    the manifest and inlines the helpers into each of them.
//!
//! # Errors
//!
//! [`Builder::generate`] panics with a readable message, which fails the
//! build script; [`Builder::try_generate`] returns an [`Error`]. A header that
//! does not parse, a helpers file that does not parse or compile (both with
//! clang's diagnostic), an allowlist pattern that matches nothing, a
//! `function_macro` prototype that is malformed or does not compile against
//! the headers (naming the prototype, with clang's diagnostic), a missing
//! clang or rustc (with what was tried) are each one error, whose
//! [`Error::kind`] says which.
//!
//! # Tools
//!
//! - **rustc**: `$RUSTC` (cargo sets it), asked for the LLVM triple and LLVM
//!   release it uses for `$TARGET`: the bitcode must match the crate's.
//! - **clang** compiles the bitcode: `$CLANG_PATH`, else `$CLANG`, else the
//!   target's C compiler variable (`CC_<target>`, `CC_<target_with_underscores>`,
//!   `TARGET_CC`, `CC`) if it names a clang, else `clang-<rustc's LLVM
//!   major>`, `/usr/lib/llvm-<major>/bin/clang`, `clang`, then other
//!   versioned names (`clang-21`, ...). Its LLVM must not be newer than
//!   rustc's (LLVM reads older bitcode, not newer).
//! - **libclang**, which bindgen loads at run time: `$LIBCLANG_PATH` if set,
//!   else the libclang beside the clang found (`/usr/lib/llvm-22/lib` for
//!   `/usr/bin/clang-22`), set as `LIBCLANG_PATH` for the build script's
//!   process. bindgen also gets that clang's own include directories
//!   (`clang -E -x c - -v`) as `-isystem`, and its own search for them is
//!   turned off: it would ask the first `clang-N` on `PATH` (clang-16
//!   before clang-22), whose `<stdatomic.h>` hides the right one, and
//!   headers like `<liburing.h>` would not parse (`atomic_store_explicit`
//!   undeclared).
//! - **The native C compiler** is the `cc` crate's choice (`CC`, `CFLAGS`,
//!   `AR`... as documented by cc), with the clang arguments as flags.
//!
//! # Environment variables
//!
//! Every variable is read once, through one function that prints
//! `cargo:rerun-if-env-changed=NAME` for it; an empty value counts as unset.
//!
//! | variable | meaning |
//! |---|---|
//! | `OUT_DIR` | where everything is written (cargo sets it; [`Builder::out_dir`] overrides it) |
//! | `CARGO_PKG_NAME` | the package, which names the manifest and the static library (cargo sets it) |
//! | `TARGET`, `HOST` | the Rust target and build machine (cargo sets them; rustc's host if unset) |
//! | `RUSTC` | the rustc asked for the target's LLVM triple (cargo sets it; `rustc` if unset) |
//! | `OPT_LEVEL` | optimization of the native library (cargo sets it; `0` if unset) |
//! | `CARGO_ENCODED_RUSTFLAGS` | the crate's `-C target-cpu` and `-C target-feature` (cargo sets it from `RUSTFLAGS` and its config): every C compile and bindgen get `-march=CPU` (`-mcpu=` off x86) and, on x86, `-mFEATURE`/`-mno-FEATURE`, before the clang arguments |
//! | `CARGO_CFG_TARGET_ARCH` | which of those flags apply (cargo sets it; else the target's first part) |
//! | `CLANG_PATH`, `CLANG` | the clang that compiles the bitcode |
//! | `CC_<target>`, `CC_<target_with_underscores>`, `TARGET_CC`, `CC` | the clang, if the first one set names a clang (cc reads them too, for the native library) |
//! | `LIBCLANG_PATH` | the directory of the libclang bindgen loads |
//! | `BINDGEN_EXTRA_CLANG_ARGS` (and `_<target>`) | more clang arguments for bindgen (read by bindgen) |
//!
//! # Limitations
//!
//! - Only C (not C++) headers and helpers.
//! - A helper `rust_helper_foo` and a bound header function `foo` would have
//!   the same Rust name: that is refused.
//! - Variadic `static` functions cannot be wrapped (bindgen skips them).
//! - The clang arguments also go to the native compiler, which is the `cc`
//!   crate's choice (gcc by default on Linux): keep to flags both accept
//!   (`-I`, `-D`, `-std=`, `-f...`), or set `CC=clang-22`.
//! - The manifest's symbols are read from the native library: C code that
//!   defines different functions under clang and under the native compiler
//!   (`#ifdef __clang__`) would make them differ from the bitcode's.

#![forbid(unsafe_code)]

mod bindings;
mod c99_inline;
mod compile;
mod cpu;
mod env;
mod error;
mod macros;
mod toolchain;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cinline_cc::manifest::{Manifest, FORMAT, SUFFIX};

/// The bindgen cinline-build runs, for [`Builder::bindgen`]: the same
/// version, so that a crate's own configuration applies as it is.
pub use bindgen;
pub use error::{Error, ErrorKind};

use crate::bindings::{Allowlists, BindgenHook, ClangSetup, HELPER_PREFIX};
use crate::env::BuildEnv;
use crate::error::Kind;
use crate::macros::Prototype;
use crate::toolchain::{isystem_args, Toolchain};

/// The bindings file, in `OUT_DIR`.
pub const BINDINGS_FILE: &str = "bindings.rs";

/// The C wrappers of the headers' `static` functions, in `OUT_DIR`.
pub const WRAPPERS_FILE: &str = "cinline_wrappers.c";

/// Configures and runs the generation; see the [crate documentation](crate).
#[derive(Debug, Clone, Default)]
pub struct Builder {
    headers: Vec<PathBuf>,
    helpers: Vec<PathBuf>,
    macros: Vec<String>,
    allow: Allowlists,
    clang_args: Vec<String>,
    bindgen_hooks: Vec<BindgenHook>,
    out_dir: Option<PathBuf>,
}

/// What [`Builder::try_generate`] wrote.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Generated {
    /// `OUT_DIR/bindings.rs`.
    pub bindings: PathBuf,
    /// `OUT_DIR/cinline_wrappers.c`, if some header function needed a wrapper.
    pub wrappers: Option<PathBuf>,
    /// The native static library linked into the crate (`cinline_<package>`),
    /// if there was any C file to compile.
    pub static_lib: Option<String>,
    /// Where the manifest was written, if there was any C file to compile.
    pub manifest_path: Option<PathBuf>,
    /// The manifest written.
    pub manifest: Option<Manifest>,
    /// The clang that compiled the bitcode.
    pub clang: PathBuf,
    /// Functions of the headers left out, each with why (`long double`...):
    /// a `cargo:warning` names each.
    pub left_out: Vec<(String, String)>,
}

impl Builder {
    /// A builder with no input.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Adds a C header to bind; its `static` functions get wrappers.
    /// Relative paths are relative to the build script's directory (the
    /// package root).
    pub fn header(mut self, path: impl AsRef<Path>) -> Builder {
        self.headers.push(path.as_ref().to_path_buf());
        self
    }

    /// Binds only the functions whose name matches `pattern` (a regular
    /// expression matched against the whole name, as bindgen does);
    /// repeatable. The pattern must match at least one function.
    pub fn allowlist_function(mut self, pattern: impl Into<String>) -> Builder {
        self.allow.functions.push(pattern.into());
        self
    }

    /// Binds only the types matching `pattern` (and what the bound items
    /// need); repeatable. The pattern must match at least one type.
    pub fn allowlist_type(mut self, pattern: impl Into<String>) -> Builder {
        self.allow.types.push(pattern.into());
        self
    }

    /// Binds only the variables and constants (`#define`) matching
    /// `pattern`; repeatable. The pattern must match at least one.
    pub fn allowlist_var(mut self, pattern: impl Into<String>) -> Builder {
        self.allow.vars.push(pattern.into());
        self
    }

    /// Adds an argument for clang, given to bindgen and to every C compile
    /// (native and bitcode): `-I`, `-D`, `-std=`...; repeatable.
    pub fn clang_arg(mut self, arg: impl Into<String>) -> Builder {
        self.clang_args.push(arg.into());
        self
    }

    /// Adds several clang arguments, as [`Builder::clang_arg`].
    pub fn clang_args<I>(mut self, args: I) -> Builder
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.clang_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Adds a kernel-style helpers file: a C file defining
    /// `rust_helper_<name>` functions, bound as `<name>`, compiled into the
    /// native library and to bitcode; repeatable.
    pub fn helpers_file(mut self, path: impl AsRef<Path>) -> Builder {
        self.helpers.push(path.as_ref().to_path_buf());
        self
    }

    /// Makes the function-like macro of the headers that `prototype`
    /// declares callable from Rust, under the macro's name, and inlinable
    /// like any helper: `.function_macro("size_t CMSG_SPACE(size_t len)")`,
    /// `.function_macro("struct cmsghdr *CMSG_FIRSTHDR(struct msghdr *mhdr)")`.
    /// The prototype gives the C types the macro is used with (a type and a
    /// name for each parameter, `void` for no result); cinline-build
    /// writes `rust_helper_<NAME>` calling the macro, in
    /// `OUT_DIR/cinline_macros.c`. A prototype that does not compile against
    /// the headers is an error quoting clang. Repeatable; needs
    /// [`Builder::header`].
    pub fn function_macro(mut self, prototype: impl Into<String>) -> Builder {
        self.macros.push(prototype.into());
        self
    }

    /// Applies the crate's own bindgen configuration to the header run:
    /// `.bindgen(|b| b.derive_default(true).rustified_enum("mode_.*"))`.
    /// cinline-build adds what it needs on top (`wrap_static_fns`, the
    /// headers, the allowlists and clang arguments given here, cargo's
    /// callbacks), so a -sys crate keeps its derives, blocklists, enum
    /// styles and parse callbacks. Repeatable, applied in order. The helper
    /// runs bind functions only and do not see it.
    pub fn bindgen(
        mut self,
        hook: impl Fn(bindgen::Builder) -> bindgen::Builder + 'static,
    ) -> Builder {
        self.bindgen_hooks.push(BindgenHook::new(hook));
        self
    }

    /// Writes to `dir` instead of `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Builder {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Generates everything (see the [crate documentation](crate)), failing
    /// the build script with the error's message if anything goes wrong.
    pub fn generate(&self) -> Generated {
        match self.try_generate() {
            Ok(generated) => generated,
            Err(e) => panic!("cinline-build: {e}"),
        }
    }

    /// Generates everything (see the [crate documentation](crate)).
    pub fn try_generate(&self) -> Result<Generated, Error> {
        if self.headers.is_empty() && self.helpers.is_empty() && self.macros.is_empty() {
            return Err(Kind::NoInput.into());
        }
        let headers = inputs(&self.headers)?;
        let mut helpers = inputs(&self.helpers)?;
        let prototypes = self
            .macros
            .iter()
            .map(|m| Prototype::parse(m))
            .collect::<Result<Vec<_>, _>>()?;
        if let (Some(first), true) = (prototypes.first(), headers.is_empty()) {
            return Err(Kind::FunctionMacro {
                prototype: first.text.clone(),
                message: "no header to find the macro in (add Builder::header)".into(),
            }
            .into());
        }
        let env = BuildEnv::read(self.out_dir.clone())?;
        std::fs::create_dir_all(&env.out_dir).map_err(Kind::io(&env.out_dir))?;
        // A manifest is only ever left by a run that succeeded: one from an
        // earlier run would name stale bitcode if this one fails.
        let manifest_path = env.out_dir.join(format!("{}{SUFFIX}", env.package));
        match std::fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Kind::io(&manifest_path)(e));
            }
            _ => {}
        }
        let tools = Toolchain::find(&env)?;

        // bindgen parses for the same target as the bitcode, with clang's
        // include directories after the user's.
        let mut args = vec![format!("--target={}", tools.llvm_triple)];
        // The crate's CPU first, so that the user's arguments can override it.
        let clang_args: Vec<String> = env
            .target_cpu
            .c_flags(env.target_arch.as_deref().unwrap_or(&tools.target))
            .into_iter()
            .chain(self.clang_args.iter().cloned())
            .collect();
        args.extend(clang_args.iter().cloned());
        args.extend(isystem_args(&tools.system_includes));
        let clang = ClangSetup {
            args,
            detect_include_paths: tools.system_includes.is_empty(),
        };

        let mut code = String::new();
        let mut bound = BTreeSet::new();
        let mut wrappers = None;
        let mut left_out = Vec::new();
        let mut inline_file = None;
        if !headers.is_empty() {
            let stem = env.out_dir.join(WRAPPERS_FILE).with_extension("");
            let header_bindings =
                bindings::bind_headers(&headers, &self.allow, &self.bindgen_hooks, &clang, &stem)?;
            code.push_str(&header_bindings.code);
            bound = header_bindings.functions;
            wrappers = header_bindings.wrappers;
            left_out = header_bindings.left_out;
            if !header_bindings.inline_functions.is_empty() {
                inline_file = Some(c99_inline::write_definitions(
                    &env.out_dir,
                    &headers,
                    &header_bindings.inline_functions,
                )?);
            }
        }
        let macros_file = match prototypes.is_empty() {
            true => None,
            false => Some(macros::write_helpers(&env.out_dir, &headers, &prototypes)?),
        };
        for helper in helpers.iter().chain(&macros_file) {
            let helper_bindings =
                bindings::bind_helpers(helper, &clang).map_err(|e| match &macros_file {
                    Some(file) if file == helper => macros::compile_error(&headers, &prototypes, e),
                    _ => e,
                })?;
            for symbol in &helper_bindings.helpers {
                let name = &symbol[HELPER_PREFIX.len()..];
                if !bound.insert(name.to_string()) {
                    return Err(Kind::NameClash {
                        path: helper.clone(),
                        name: name.to_string(),
                    }
                    .into());
                }
            }
            code.push_str(&format!("\n// Helpers of {}\n", helper.display()));
            code.push_str(&helper_bindings.code);
        }
        let bindings_path = env.out_dir.join(BINDINGS_FILE);
        cinline_cc::write_atomic(&bindings_path, code.as_bytes())?;

        helpers.extend(macros_file);
        helpers.extend(inline_file);
        let sources: Vec<PathBuf> = wrappers.iter().cloned().chain(helpers).collect();
        println!("cargo:rustc-link-search=native={}", env.out_dir.display());
        if sources.is_empty() {
            return Ok(Generated {
                bindings: bindings_path,
                wrappers,
                static_lib: None,
                manifest_path: None,
                manifest: None,
                clang: tools.clang.path,
                left_out,
            });
        }

        // Bitcode first: clang's diagnostics are kept in the error.
        let bitcode = compile::bitcode_names(&sources);
        for (source, name) in sources.iter().zip(&bitcode) {
            compile::bitcode(&tools, &clang_args, source, &env.out_dir.join(name))?;
        }
        let lib = format!("cinline_{}", env.package.replace('-', "_"));
        let archive = compile::native_library(&env, &tools, &clang_args, &sources, &lib)?;
        let manifest = Manifest {
            format: FORMAT,
            package: env.package.clone(),
            target: tools.target.clone(),
            llvm_triple: tools.llvm_triple.clone(),
            llvm_version: tools.clang.version.to_string(),
            bitcode,
            symbols: compile::defined_functions(&archive)?,
        };
        manifest.write(&manifest_path)?;
        Ok(Generated {
            bindings: bindings_path,
            wrappers,
            static_lib: Some(lib),
            manifest_path: Some(manifest_path),
            manifest: Some(manifest),
            clang: tools.clang.path,
            left_out,
        })
    }
}

/// The input files as absolute paths, each checked to exist and announced
/// to cargo (`rerun-if-changed`).
fn inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    paths
        .iter()
        .map(|path| {
            if !path.is_file() {
                return Err(Kind::MissingInput { path: path.clone() }.into());
            }
            println!("cargo:rerun-if-changed={}", path.display());
            std::path::absolute(path).map_err(Kind::io(path))
        })
        .collect()
}
