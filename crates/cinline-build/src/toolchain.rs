//! rustc, clang and libclang, found the way the rest of cinline finds them,
//! plus what bindgen needs to parse headers like clang does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cinline_cc::toolchain::{find_clang, which, Rustc, Tool};

use crate::env::{getenv, getenv_for_target, BuildEnv};
use crate::Error;

/// The tools of one build, and what they say about the target.
#[derive(Debug, Clone)]
pub(crate) struct Toolchain {
    /// The Rust target (`TARGET`, else rustc's host).
    pub target: String,
    /// The build machine (`HOST`, else rustc's host).
    pub host: String,
    /// The LLVM triple rustc uses for `target`.
    pub llvm_triple: String,
    /// The clang that compiles the bitcode.
    pub clang: Tool,
    /// clang's own include directories, for bindgen (`-isystem`).
    pub system_includes: Vec<PathBuf>,
}

impl Toolchain {
    /// Finds rustc and clang, asks rustc for the target's triple and clang
    /// for its include directories, and points libclang (for bindgen) at
    /// the one beside clang unless `LIBCLANG_PATH` says otherwise.
    pub fn find(env: &BuildEnv) -> Result<Toolchain, Error> {
        let rustc_path = which(&env.rustc).ok_or_else(|| cinline_cc::Error::ToolNotFound {
            tool: "rustc".into(),
            tried: vec![env.rustc.to_string_lossy().into_owned()],
            hint: "install Rust with rustup, or set RUSTC".into(),
        })?;
        let rustc = Rustc::at(rustc_path)?;
        let target = env.target.clone().unwrap_or_else(|| rustc.host.clone());
        let host = env.host.clone().unwrap_or_else(|| rustc.host.clone());
        let llvm_triple = rustc.target_info(Some(&target))?.llvm_triple;
        let explicit = explicit_clang(&target);
        let clang = find_clang(
            explicit
                .as_ref()
                .map(|(path, from)| (path.as_path(), from.as_str())),
            rustc.llvm.major,
        )?;
        point_libclang_at(&clang.path);
        let system_includes = system_includes(&clang.path, &llvm_triple);
        Ok(Toolchain {
            target,
            host,
            llvm_triple,
            clang,
            system_includes,
        })
    }
}

/// The clang asked for by the environment: `CLANG_PATH` (clang-sys's
/// variable), `CLANG`, else `CC` for the target if it names a clang.
fn explicit_clang(target: &str) -> Option<(PathBuf, String)> {
    let named = |var: &str| getenv(var).map(|c| (PathBuf::from(c), var.to_string()));
    named("CLANG_PATH").or_else(|| named("CLANG")).or_else(|| {
        getenv_for_target("CC", target)
            .filter(|cc| {
                Path::new(cc)
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("clang"))
            })
            .map(|cc| (PathBuf::from(cc), "CC".to_string()))
    })
}

/// The directory of the libclang that belongs to the clang at `clang`
/// (`/usr/bin/clang-22` → `/usr/lib/llvm-22/bin/clang` → `/usr/lib/llvm-22/lib`).
pub(crate) fn libclang_dir_of(clang: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(clang).ok()?;
    let lib = real.parent()?.parent()?.join("lib");
    let has_libclang = std::fs::read_dir(&lib).ok()?.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.starts_with("libclang")
            && !name.starts_with("libclang-cpp")
            && (name.contains(".so") || name.ends_with(".dylib") || name.ends_with(".dll"))
    });
    has_libclang.then_some(lib)
}

/// bindgen loads libclang at run time (clang-sys), from `LIBCLANG_PATH` if
/// set, else from wherever it finds one, the newest first. Pointing it at
/// the libclang of the clang that compiles the helpers makes bindgen parse
/// the headers as that clang does.
fn point_libclang_at(clang: &Path) {
    if getenv("LIBCLANG_PATH").is_some() {
        return;
    }
    if let Some(dir) = libclang_dir_of(clang) {
        // A build script is single-threaded here; edition 2021 keeps
        // `set_var` safe to call.
        std::env::set_var("LIBCLANG_PATH", dir);
    }
}

/// clang's `#include <...>` search list for `triple`
/// (`clang -E -x c - -v < /dev/null`); empty if clang does not say.
///
/// Given to bindgen instead of the list it would get from the first
/// `clang-N` on `PATH` (clang-sys's search): with clang-16's resource
/// directory after clang-22's, clang-22's `<stdatomic.h>` includes
/// clang-16's (`#include_next`), whose include guard is already defined,
/// and `atomic_store_explicit` is left undeclared.
pub(crate) fn system_includes(clang: &Path, triple: &str) -> Vec<PathBuf> {
    let output = Command::new(clang)
        .arg(format!("--target={triple}"))
        .args(["-E", "-x", "c", "-", "-v"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let Ok(output) = output else {
        return Vec::new();
    };
    parse_search_list(&String::from_utf8_lossy(&output.stderr))
}

/// The directories between `#include <...> search starts here:` and
/// `End of search list.` in clang's `-v` output.
fn parse_search_list(text: &str) -> Vec<PathBuf> {
    text.lines()
        .skip_while(|l| !l.starts_with("#include <...> search starts here:"))
        .skip(1)
        .take_while(|l| !l.starts_with("End of search list."))
        .map(|l| l.trim().trim_end_matches(" (framework directory)"))
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// `-isystem DIR` for each directory.
pub(crate) fn isystem_args(dirs: &[PathBuf]) -> Vec<String> {
    dirs.iter()
        .flat_map(|d| ["-isystem".to_string(), d.to_string_lossy().into_owned()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_list_is_read_from_clang_verbose_output() {
        let text = "clang -cc1 ...\n\
            #include \"...\" search starts here:\n\
            #include <...> search starts here:\n \
            /usr/lib/llvm-22/lib/clang/22/include\n \
            /usr/local/include\n \
            /usr/include/x86_64-linux-gnu\n \
            /usr/include\n\
            End of search list.\n";
        assert_eq!(
            parse_search_list(text),
            [
                "/usr/lib/llvm-22/lib/clang/22/include",
                "/usr/local/include",
                "/usr/include/x86_64-linux-gnu",
                "/usr/include"
            ]
            .map(PathBuf::from)
        );
        assert!(parse_search_list("no list here").is_empty());
    }
}
