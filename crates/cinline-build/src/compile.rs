//! The two builds of the C files: LLVM bitcode for cinline (clang), and a
//! native static library (the `cc` crate) that is always linked, so that
//! the crate works without cinline.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use object::read::archive::ArchiveFile;
use object::{Object, ObjectSymbol, SymbolKind};

use crate::env::BuildEnv;
use crate::error::{Error, Kind};
use crate::toolchain::Toolchain;

/// Where the bitcode goes, under `OUT_DIR`.
pub(crate) const BITCODE_DIR: &str = "cinline";

/// Bitcode file names for `sources`, relative to `OUT_DIR`: the file stem
/// plus `.bc`, made unique with `-2`, `-3`... in order.
pub(crate) fn bitcode_names(sources: &[PathBuf]) -> Vec<PathBuf> {
    let mut taken = BTreeSet::new();
    sources
        .iter()
        .map(|src| {
            let stem = src
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "helpers".into());
            let mut name = format!("{stem}.bc");
            let mut n = 1;
            while !taken.insert(name.clone()) {
                n += 1;
                name = format!("{stem}-{n}.bc");
            }
            Path::new(BITCODE_DIR).join(name)
        })
        .collect()
}

/// Compiles `source` to bitcode at `output` as `cinline cc` does (the one
/// [`cinline_cc::cc::bitcode`]): `--target=<rustc's triple> -c -emit-llvm
/// -g0`, `-O2` unless the clang arguments choose an `-O` level, then the
/// clang arguments. The file appears complete or not at all.
pub(crate) fn bitcode(
    tools: &Toolchain,
    clang_args: &[String],
    source: &Path,
    output: &Path,
) -> Result<(), Error> {
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir).map_err(Kind::io(dir))?;
    }
    cinline_cc::cc::bitcode(
        &tools.clang.path,
        &tools.llvm_triple,
        false,
        clang_args,
        source,
        output,
    )?;
    Ok(())
}

/// Builds `lib<lib>.a` in `OUT_DIR` from `sources` with the `cc` crate
/// (which prints `cargo:rustc-link-lib=static=<lib>`), and returns its path.
pub(crate) fn native_library(
    env: &BuildEnv,
    tools: &Toolchain,
    clang_args: &[String],
    sources: &[PathBuf],
    lib: &str,
) -> Result<PathBuf, Error> {
    let mut build = cc::Build::new();
    build
        .files(sources)
        .target(&tools.target)
        .host(&tools.host)
        .opt_level_str(&env.opt_level)
        .out_dir(&env.out_dir);
    for arg in clang_args {
        build.flag(arg);
    }
    build.try_compile(lib).map_err(|e| {
        Error::from(Kind::Native {
            lib: lib.to_string(),
            message: e.to_string(),
        })
    })?;
    let archive = env.out_dir.join(format!("lib{lib}.a"));
    if archive.is_file() {
        Ok(archive)
    } else {
        // MSVC-style targets name it `<lib>.lib`.
        Ok(env.out_dir.join(format!("{lib}.lib")))
    }
}

/// The global functions the members of the static library `archive`
/// define, sorted.
pub(crate) fn defined_functions(archive: &Path) -> Result<Vec<String>, Error> {
    let data = std::fs::read(archive).map_err(Kind::io(archive))?;
    let bad = |what: String| {
        Kind::io(archive)(std::io::Error::new(std::io::ErrorKind::InvalidData, what))
    };
    let ar = ArchiveFile::parse(&*data).map_err(|e| bad(e.to_string()))?;
    let mut symbols = BTreeSet::new();
    for member in ar.members() {
        let member = member.map_err(|e| bad(e.to_string()))?;
        let bytes = member.data(&*data).map_err(|e| bad(e.to_string()))?;
        let Ok(file) = object::File::parse(bytes) else {
            continue; // not an object (a symbol table, for instance)
        };
        for symbol in file.symbols() {
            if symbol.is_definition() && symbol.is_global() && symbol.kind() == SymbolKind::Text {
                if let Ok(name) = symbol.name() {
                    symbols.insert(name.to_string());
                }
            }
        }
    }
    Ok(symbols.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitcode_names_are_unique_and_in_order() {
        let names = bitcode_names(&[
            "/out/cinline_wrappers.c".into(),
            "/src/helpers.c".into(),
            "/src/more/helpers.c".into(),
        ]);
        assert_eq!(
            names,
            ["cinline_wrappers.bc", "helpers.bc", "helpers-2.bc"]
                .map(|n| Path::new(BITCODE_DIR).join(n))
        );
    }
}
