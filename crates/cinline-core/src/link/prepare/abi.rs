//! Whether helper bitcode made for one target may be linked into a crate
//! made for another: the parts of the target that change the C ABI must
//! match (architecture, operating system, environment, and the data layout,
//! which carries pointer width, alignments and symbol mangling).
//!
//! Two differences are accepted because they change nothing the helpers
//! and the crate share:
//!
//! * the vendor (`x86_64-unknown-linux-gnu` for rustc, `x86_64-pc-linux-gnu`
//!   for Debian's clang);
//! * a bare-metal crate (`aarch64-unknown-none`, the Linux kernel's Rust
//!   target) with helpers built for Linux (`aarch64-linux-gnu`, the kernel's
//!   C target), as long as the environment's ABI class (`eabihf`, `x32`...)
//!   and the data layout agree.

use std::fmt;

/// A target triple split into the parts that matter for the ABI, in any of
/// the spellings LLVM accepts (`x86_64-linux-gnu`, `riscv64`,
/// `x86_64-unknown-none-elf`, `x86_64-pc-windows-msvc19.33.0`). Versions
/// are dropped and aliases folded; the vendor and object format are not
/// kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triple {
    /// `x86_64`, `aarch64`, `x86` (for `i386`...`i686`), `armv7`...
    pub arch: String,
    /// `linux`, `windows`, `macos`, `none`..., or empty when unspecified.
    pub os: String,
    /// `gnu`, `musl`, `msvc`, `gnux32`, `eabihf`..., or empty.
    pub env: String,
}

/// Operating systems LLVM knows, as spelled in triples (versions follow
/// some of them: `macosx10.4.0`, `freebsd14.0`).
const OSES: &[&str] = &[
    "none",
    "linux",
    "windows",
    "win32",
    "darwin",
    "macos",
    "macosx",
    "ios",
    "tvos",
    "watchos",
    "xros",
    "visionos",
    "driverkit",
    "bridgeos",
    "freebsd",
    "kfreebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "solaris",
    "illumos",
    "haiku",
    "fuchsia",
    "uefi",
    "hurd",
    "wasi",
    "wasip1",
    "wasip2",
    "emscripten",
    "aix",
    "zos",
    "cuda",
    "nvcl",
    "amdhsa",
    "amdpal",
    "mesa3d",
    "ps4",
    "ps5",
    "rtems",
    "nacl",
    "hermit",
    "elfiamcu",
    "lv2",
    "liteos",
    "serenity",
    "vulkan",
    "shadermodel",
    "managarm",
    "mingw32",
    "mingw64",
    "cygwin",
];

/// Environments LLVM knows (versions may follow: `android21`, `msvc19.33.0`).
const ENVS: &[&str] = &[
    "gnu",
    "gnuabin32",
    "gnuabi64",
    "gnueabi",
    "gnueabihf",
    "gnueabit64",
    "gnueabihft64",
    "gnuf32",
    "gnuf64",
    "gnusf",
    "gnux32",
    "gnut64",
    "gnu_ilp32",
    "code16",
    "eabi",
    "eabihf",
    "android",
    "androideabi",
    "musl",
    "muslabin32",
    "muslabi64",
    "musleabi",
    "musleabihf",
    "muslf32",
    "muslsf",
    "muslx32",
    "msvc",
    "itanium",
    "cygnus",
    "coreclr",
    "simulator",
    "macabi",
    "ohos",
    "pauthtest",
    "mlibc",
    "llvm",
];

/// Object formats, which may end a triple (`x86_64-unknown-none-elf`).
const FORMATS: &[&str] = &[
    "elf",
    "macho",
    "coff",
    "wasm",
    "xcoff",
    "goff",
    "spirv",
    "dxcontainer",
];

/// The known name `component` spells, with any version suffix removed:
/// `macosx10.4.0` → `macosx`, `android21` → `android`; `None` if it names
/// none of `known`. The longest match wins (`gnueabihf` over `gnueabi`).
fn known_name(component: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .filter(|name| {
            component.strip_prefix(**name).is_some_and(|rest| {
                rest.is_empty()
                    || (rest.starts_with(|c: char| c.is_ascii_digit())
                        && rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
            })
        })
        .max_by_key(|name| name.len())
        .copied()
}

impl Triple {
    /// Splits `triple` as LLVM's `Triple::normalize` would, keeping only
    /// what matters here.
    pub fn parse(triple: &str) -> Triple {
        let mut parts = triple.split('-');
        let arch = match parts.next().unwrap_or_default() {
            "amd64" => "x86_64",
            "arm64" => "aarch64",
            "i386" | "i486" | "i586" | "i686" => "x86",
            arch => arch,
        };
        let (mut os, mut env) = (None::<String>, None::<String>);
        for (index, part) in parts.enumerate() {
            if let Some(name) = known_name(part, OSES) {
                if os.is_none() {
                    let (name, implied_env) = match name {
                        "win32" => ("windows", None),
                        "mingw32" | "mingw64" => ("windows", Some("gnu")),
                        "cygwin" => ("windows", Some("cygnus")),
                        "darwin" | "macosx" => ("macos", None),
                        other => (other, None),
                    };
                    os = Some(name.to_string());
                    if env.is_none() {
                        env = implied_env.map(str::to_string);
                    }
                    continue;
                }
            }
            if let Some(name) = known_name(part, ENVS) {
                if env.is_none() {
                    env = Some(name.to_string());
                    continue;
                }
            }
            if FORMATS.contains(&part) {
                continue;
            }
            // The second component is the vendor when it is nothing else
            // (`unknown`, `pc`, `apple`, `suse`...). Anything else unknown
            // is kept where LLVM would put it, so that it is compared.
            if index == 0 {
                continue;
            }
            if os.is_none() {
                os = Some(part.to_string());
            } else if env.is_none() {
                env = Some(part.to_string());
            }
        }
        Triple {
            arch: arch.to_string(),
            os: os.unwrap_or_default(),
            env: env.unwrap_or_default(),
        }
    }

    /// No operating system: code that makes no system calls and uses no
    /// C library (`aarch64-unknown-none`, `riscv64`, `thumbv7em-none-eabihf`).
    fn bare_metal(&self) -> bool {
        matches!(self.os.as_str(), "" | "none" | "unknown")
    }
}

/// The part of an environment that changes the calling convention or the
/// size of types, for a bare-metal crate: its C library does not matter
/// (it has none), its float ABI and pointer width do.
fn abi_class(env: &str) -> &str {
    match env {
        "" | "gnu" | "musl" | "llvm" | "mlibc" => "",
        "eabi" | "gnueabi" | "musleabi" => "eabi",
        "eabihf" | "gnueabihf" | "musleabihf" => "eabihf",
        "gnux32" | "muslx32" => "x32",
        "gnuabi64" | "muslabi64" => "abi64",
        "gnuabin32" | "muslabin32" => "abin32",
        "gnusf" | "muslsf" => "sf",
        "gnuf32" | "muslf32" => "f32",
        other => other,
    }
}

/// A target: its triple and data layout, as read from a module.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The module's triple.
    pub triple: &'a str,
    /// The module's data layout, as LLVM holds it after reading (LLVM
    /// upgrades the layouts of older releases on read: clang 16's x86-64
    /// layout gains `i128:128`, its AArch64 layout `Fn32`).
    pub data_layout: &'a str,
}

/// What differs between a crate's target and a helper's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbiDifference(pub Vec<String>);

impl fmt::Display for AbiDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

fn named(value: &str) -> &str {
    if value.is_empty() {
        "none given"
    } else {
        value
    }
}

/// The pointer width a data layout gives address space 0, in bits.
fn pointer_bits(layout: &str) -> u32 {
    layout
        .split('-')
        .find_map(|part| part.strip_prefix("p:").or_else(|| part.strip_prefix("p0:")))
        .and_then(|spec| spec.split(':').next())
        .and_then(|bits| bits.parse().ok())
        .unwrap_or(64)
}

/// Why helpers for `helper` must not be linked into a crate for `krate`,
/// or `None` if they may.
pub fn abi_difference(krate: Target<'_>, helper: Target<'_>) -> Option<AbiDifference> {
    let (k, h) = (Triple::parse(krate.triple), Triple::parse(helper.triple));
    let mut differs = Vec::new();
    if k.arch != h.arch {
        differs.push(format!(
            "the architecture differs (helper {}, crate {})",
            named(&h.arch),
            named(&k.arch)
        ));
    }
    // The kernel's case: a bare-metal Rust target, C built for Linux.
    let bare_metal_with_linux_helpers = k.bare_metal() && (h.bare_metal() || h.os == "linux");
    if k.os != h.os && !bare_metal_with_linux_helpers {
        differs.push(format!(
            "the operating system differs (helper {}, crate {})",
            named(&h.os),
            named(&k.os)
        ));
    }
    let env_differs = if bare_metal_with_linux_helpers {
        abi_class(&k.env) != abi_class(&h.env)
    } else {
        k.env != h.env
    };
    if env_differs {
        differs.push(format!(
            "the environment differs (helper {}, crate {})",
            named(&h.env),
            named(&k.env)
        ));
    }
    if krate.data_layout != helper.data_layout {
        let parts = |layout: &str| -> Vec<String> {
            layout
                .split('-')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        let (kp, hp) = (parts(krate.data_layout), parts(helper.data_layout));
        let only = |a: &[String], b: &[String]| -> String {
            let only: Vec<&str> = a
                .iter()
                .filter(|p| !b.contains(p))
                .map(String::as_str)
                .collect();
            if only.is_empty() {
                "nothing in its place".to_string()
            } else {
                format!("`{}`", only.join("-"))
            }
        };
        let mut text = format!(
            "the data layout differs (helper {}, crate {})",
            only(&hp, &kp),
            only(&kp, &hp)
        );
        let (kb, hb) = (
            pointer_bits(krate.data_layout),
            pointer_bits(helper.data_layout),
        );
        if kb != hb {
            text.push_str(&format!(
                "; pointers are {hb}-bit in the helper, {kb}-bit in the crate"
            ));
        }
        differs.push(text);
    }
    (!differs.is_empty()).then_some(AbiDifference(differs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86_64: &str =
        "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128";
    const X86_64_WIN: &str =
        "e-m:w-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128";
    const X32: &str =
        "e-m:e-p:32:32-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128";
    const AARCH64: &str =
        "e-m:e-p270:32:32-p271:32:32-p272:64:64-i8:8:32-i16:16:32-i64:64-i128:128-n32:64-S128-Fn32";
    const ARM_HF: &str = "e-m:e-p:32:32-Fi8-i64:64-v128:64:128-a:0:32-n32-S64";
    const RISCV64: &str = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128";

    #[test]
    fn triples_are_split_as_llvm_normalizes_them() {
        let t = |arch: &str, os: &str, env: &str| Triple {
            arch: arch.into(),
            os: os.into(),
            env: env.into(),
        };
        for (triple, expected) in [
            ("x86_64-unknown-linux-gnu", t("x86_64", "linux", "gnu")),
            ("x86_64-pc-linux-gnu", t("x86_64", "linux", "gnu")),
            ("x86_64-linux-gnu", t("x86_64", "linux", "gnu")),
            (
                "x86_64-unknown-linux-gnux32",
                t("x86_64", "linux", "gnux32"),
            ),
            (
                "x86_64-pc-windows-msvc19.33.0",
                t("x86_64", "windows", "msvc"),
            ),
            ("x86_64-w64-mingw32", t("x86_64", "windows", "gnu")),
            ("x86_64-unknown-none-elf", t("x86_64", "none", "")),
            ("x86_64-unknown-none", t("x86_64", "none", "")),
            ("x86_64-apple-macosx10.4.0", t("x86_64", "macos", "")),
            ("aarch64-unknown-none", t("aarch64", "none", "")),
            ("aarch64-linux-android21", t("aarch64", "linux", "android")),
            ("arm64-apple-darwin", t("aarch64", "macos", "")),
            ("riscv64", t("riscv64", "", "")),
            ("thumbv7em-none-eabihf", t("thumbv7em", "none", "eabihf")),
            (
                "armv7-unknown-linux-gnueabihf",
                t("armv7", "linux", "gnueabihf"),
            ),
            ("i686-unknown-linux-gnu", t("x86", "linux", "gnu")),
            ("x86_64-suse-linux", t("x86_64", "linux", "")),
            ("", t("", "", "")),
        ] {
            assert_eq!(Triple::parse(triple), expected, "{triple}");
        }
    }

    #[test]
    fn helpers_must_match_the_crate_abi() {
        // (crate triple, crate layout, helper triple, helper layout, accepted, says)
        #[rustfmt::skip]
        let table: &[(&str, &str, &str, &str, bool, &str)] = &[
            // Identical, or only the vendor differs.
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-unknown-linux-gnu", X86_64, true, ""),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-pc-linux-gnu", X86_64, true, ""),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-linux-gnu", X86_64, true, ""),
            // OS and environment versions (clang appends them, rustc may not).
            ("x86_64-pc-windows-msvc", X86_64_WIN, "x86_64-pc-windows-msvc19.33.0", X86_64_WIN, true, ""),
            ("x86_64-apple-macosx10.12.0", X86_64, "x86_64-apple-macosx14.0.0", X86_64, true, ""),
            ("aarch64-linux-android", AARCH64, "aarch64-unknown-linux-android21", AARCH64, true, ""),
            // The kernel: bare-metal Rust, C for Linux.
            ("aarch64-unknown-none", AARCH64, "aarch64-unknown-linux-gnu", AARCH64, true, ""),
            ("aarch64-unknown-none", AARCH64, "aarch64-linux-gnu", AARCH64, true, ""),
            ("aarch64-unknown-none", AARCH64, "aarch64-unknown-none", AARCH64, true, ""),
            ("riscv64", RISCV64, "riscv64-unknown-linux-gnu", RISCV64, true, ""),
            ("x86_64-unknown-none-elf", X86_64, "x86_64-unknown-linux-gnu", X86_64, true, ""),
            // Another OS or environment of the same architecture.
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-pc-windows-msvc19.33.0", X86_64_WIN, false, "operating system differs (helper windows, crate linux)"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-pc-windows-msvc19.33.0", X86_64_WIN, false, "environment differs (helper msvc, crate gnu)"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-pc-windows-msvc19.33.0", X86_64_WIN, false, "data layout differs (helper `m:w`, crate `m:e`)"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-w64-mingw32", X86_64_WIN, false, "operating system differs"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-unknown-none", X86_64, false, "operating system differs (helper none, crate linux)"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-unknown-linux-gnux32", X32, false, "environment differs (helper gnux32, crate gnu)"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-unknown-linux-gnux32", X32, false, "pointers are 32-bit in the helper, 64-bit in the crate"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-unknown-linux-musl", X86_64, false, "environment differs (helper musl, crate gnu)"),
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-apple-macosx10.4.0", X86_64, false, "operating system differs (helper macos, crate linux)"),
            ("aarch64-linux-android", AARCH64, "aarch64-unknown-linux-gnu", AARCH64, false, "environment differs (helper gnu, crate android)"),
            // Another architecture.
            ("x86_64-unknown-linux-gnu", X86_64, "aarch64-unknown-linux-gnu", AARCH64, false, "architecture differs (helper aarch64, crate x86_64)"),
            ("x86_64-unknown-linux-gnu", X86_64, "i686-unknown-linux-gnu", X86_64, false, "architecture differs (helper x86, crate x86_64)"),
            ("x86_64-unknown-linux-gnu", X86_64, "", "", false, "architecture differs (helper none given, crate x86_64)"),
            // A bare-metal crate still needs the same float ABI and layout.
            ("thumbv7em-none-eabihf", ARM_HF, "thumbv7em-none-eabi", ARM_HF, false, "environment differs (helper eabi, crate eabihf)"),
            ("armv7-unknown-none-eabihf", ARM_HF, "armv7-unknown-linux-gnueabihf", ARM_HF, true, ""),
            ("aarch64-unknown-none", AARCH64, "aarch64-pc-windows-msvc", AARCH64, false, "operating system differs (helper windows, crate none)"),
            ("x86_64-unknown-none", X86_64, "x86_64-unknown-linux-gnux32", X32, false, "environment differs"),
            // Same triple, another layout (a hand-made or foreign module).
            ("x86_64-unknown-linux-gnu", X86_64, "x86_64-unknown-linux-gnu", X32, false, "data layout differs (helper `p:32:32`, crate nothing in its place)"),
        ];
        for (kt, kl, ht, hl, accepted, says) in table {
            let found = abi_difference(
                Target {
                    triple: kt,
                    data_layout: kl,
                },
                Target {
                    triple: ht,
                    data_layout: hl,
                },
            );
            match (accepted, &found) {
                (true, None) => {}
                (false, Some(why)) => assert!(
                    why.to_string().contains(says),
                    "{kt} crate, {ht} helpers: `{why}` does not say `{says}`"
                ),
                _ => {
                    panic!("{kt} crate, {ht} helpers: expected accepted={accepted}, got {found:?}")
                }
            }
        }
    }
}
