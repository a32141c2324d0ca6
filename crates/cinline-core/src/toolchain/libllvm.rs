//! Finding and loading the libLLVM that rustc itself runs on.

use std::path::{Path, PathBuf};

use cinline_llvm::Llvm;
use object::read::elf::{Dyn, ElfFile64, FileHeader, SectionHeader};
use object::Endianness;

use super::Rustc;
use crate::Error;

/// Finds rustc's libLLVM: `$CINLINE_LIBLLVM`, else `libLLVM*.so*` in the
/// sysroot's `lib` (rustup toolchains), else the libLLVM that
/// `librustc_driver` (in the sysroot's `lib` or a multiarch directory below
/// it) links to (distribution rustc), searched in the usual library
/// directories.
pub fn find_libllvm(rustc: &Rustc) -> crate::Result<PathBuf> {
    if let Some(path) = crate::env::libllvm() {
        return Ok(path);
    }
    let lib = rustc.sysroot()?.join("lib");
    let mut tried = vec![format!("{}/libLLVM*.so*", lib.display())];
    // The sysroot may also hold a linker script named like the library
    // (`INPUT(libLLVM.so.22.1-rust-...)`): only an ELF file will do.
    if let Some(found) = files_in(&lib).find(|name| is_libllvm(name) && is_elf(&lib.join(name))) {
        return Ok(lib.join(found));
    }
    // A distribution's rustc links its LLVM through librustc_driver, which
    // lives in the sysroot's lib or, on Debian, in its multiarch directory
    // (sysroot /usr: /usr/lib/x86_64-linux-gnu/librustc_driver-*.so).
    let mut driver_dirs = vec![lib.clone()];
    driver_dirs.extend(
        files_in(&lib)
            .filter(|d| d.contains("-linux-"))
            .map(|d| lib.join(d)),
    );
    for driver_dir in driver_dirs {
        let Some(driver) = files_in(&driver_dir).find(|n| n.starts_with("librustc_driver")) else {
            continue;
        };
        for needed in needed_libraries(&driver_dir.join(&driver)) {
            if !is_libllvm(&needed) {
                continue;
            }
            let mut dirs = vec![
                driver_dir.clone(),
                "/usr/lib/x86_64-linux-gnu".into(),
                "/usr/lib64".into(),
                "/usr/lib".into(),
            ];
            dirs.extend(
                files_in(Path::new("/usr/lib"))
                    .filter(|d| d.starts_with("llvm-"))
                    .map(|d| Path::new("/usr/lib").join(d).join("lib")),
            );
            for dir in dirs {
                let candidate = dir.join(&needed);
                tried.push(candidate.display().to_string());
                if candidate.is_file() {
                    return Ok(candidate);
                }
            }
        }
    }
    Err(Error::LibLlvmNotFound {
        release: rustc.release.clone(),
        tried,
    })
}

/// Finds and loads rustc's libLLVM, checking that it is the LLVM rustc
/// reports.
pub fn load_libllvm(rustc: &Rustc) -> crate::Result<&'static Llvm> {
    let path = find_libllvm(rustc)?;
    let llvm = Llvm::load(&path)?;
    if llvm.version().major != rustc.llvm.major {
        return Err(Error::LibLlvmVersion {
            path,
            found: llvm.version(),
            release: rustc.release.clone(),
            expected: rustc.llvm,
        });
    }
    Ok(llvm)
}

fn is_libllvm(name: &str) -> bool {
    name.starts_with("libLLVM") && name.contains(".so")
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"\x7fELF"
}

fn files_in(dir: &Path) -> impl Iterator<Item = String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter()
}

/// The `DT_NEEDED` entries of an ELF shared library (empty if unreadable).
fn needed_libraries(path: &Path) -> Vec<String> {
    let Ok(data) = std::fs::read(path) else {
        return Vec::new();
    };
    let Ok(elf) = ElfFile64::<Endianness>::parse(&*data) else {
        return Vec::new();
    };
    let (header, endian) = (elf.elf_header(), elf.endian());
    let Ok(sections) = header.sections(endian, &*data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in sections.iter() {
        let Ok(Some((entries, link))) = section.dynamic(endian, &*data) else {
            continue;
        };
        let Ok(strings) = sections.strings(endian, &*data, link) else {
            continue;
        };
        for entry in entries {
            if entry.tag32(endian) == Some(object::elf::DT_NEEDED) {
                if let Ok(name) = entry.string(endian, strings) {
                    out.push(String::from_utf8_lossy(name).into_owned());
                }
            }
        }
    }
    out
}
