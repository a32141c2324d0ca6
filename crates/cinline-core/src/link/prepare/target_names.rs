//! `--target-cpu` and `--target-feature` (rustc's `-C target-cpu` and
//! `-C target-feature` in cargo builds): checked against the names LLVM
//! knows for the target, and turned into what LLVM's target machine takes.
//!
//! LLVM itself only warns about a name it does not know, on stderr, and
//! ignores it: a typo would silently give code for another CPU. The C API
//! cannot list LLVM's names, but rustc prints them
//! (`rustc --print target-cpus|target-features --target T`), from the same
//! LLVM: rustc's own feature names, the LLVM names it does not rename, and
//! `native`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use super::Codegen;
use crate::toolchain::Rustc;
use crate::Error;

/// The names rustc lists for one target.
#[derive(Debug, Clone, Default)]
struct Known {
    cpus: BTreeSet<String>,
    /// rustc's feature names (first section of `--print target-features`).
    rustc_features: BTreeSet<String>,
    /// LLVM's feature names rustc does not know under another name.
    llvm_features: BTreeSet<String>,
}

/// rustc's names for LLVM features that LLVM spells otherwise (rustc's
/// `to_llvm_features`): (rustc, LLVM).
const RENAMED: &[(&str, &str)] = &[
    ("pclmulqdq", "pclmul"),
    ("rdrand", "rdrnd"),
    ("bmi1", "bmi"),
    ("cmpxchg16b", "cx16"),
    ("lahfsahf", "sahf"),
    ("apxf", "egpr"),
    ("rcpc2", "rcpc-immo"),
    ("dpb", "ccpp"),
    ("dpb2", "ccdp"),
    ("frintts", "fptoint"),
    ("fcma", "complxnum"),
    ("pmuv3", "perfmon"),
    ("paca", "pauth"),
    ("pacg", "pauth"),
    ("flagm2", "altnzcv"),
    ("fhm", "fp16fml"),
    ("power8-crypto", "crypto"),
    ("leoncasa", "hasleoncasa"),
];

/// rustc features that are not LLVM's: they change how rustc links, not
/// the code.
const RUSTC_ONLY: &[&str] = &["crt-static"];

/// The indented names under each header of a `--print` listing.
fn sections(text: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with(char::is_whitespace) {
            if let (Some(name), Some((_, names))) = (line.split_whitespace().next(), out.last_mut())
            {
                names.insert(name.to_string());
            }
        } else if !line.trim().is_empty() {
            out.push((line.trim().to_string(), BTreeSet::new()));
        }
    }
    out
}

impl Known {
    fn parse(cpus: &str, features: &str) -> Known {
        let mut known = Known {
            cpus: sections(cpus).into_iter().flat_map(|(_, n)| n).collect(),
            ..Known::default()
        };
        for (header, names) in sections(features) {
            if header.contains("supported by rustc") {
                known.rustc_features.extend(names);
            } else if header.contains("LLVM") {
                known.llvm_features.extend(names);
            }
        }
        for (rustc, llvm) in RENAMED {
            if known.rustc_features.contains(*rustc) {
                known.llvm_features.insert(llvm.to_string());
            }
        }
        known
    }

    fn feature(&self, name: &str) -> bool {
        self.rustc_features.contains(name) || self.llvm_features.contains(name)
    }
}

/// What rustc lists for the target of `triple`, asked once per process:
/// the triple as a Rust target name, else the host when it has the same
/// architecture (CPU and feature names belong to LLVM's code generator for
/// the architecture, not to the OS). `None` if no rustc is known or it
/// knows neither.
fn known_for(triple: &str) -> Option<Known> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Known>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(known) = cache.lock().ok()?.get(triple) {
        return known.clone();
    }
    let (rustc, host) = Rustc::in_use()?;
    // Without a module (the llvm-tools engine without libLLVM), the host.
    let triple = if triple.is_empty() { host } else { triple };
    let arch = super::arch_of(triple);
    let mut targets = vec![triple.to_string()];
    if super::arch_of(host) == arch {
        targets.push(host.clone());
    }
    let known = targets.iter().find_map(|target| {
        let cpus = Rustc::print_for_target(rustc, "target-cpus", target)?;
        let features = Rustc::print_for_target(rustc, "target-features", target)?;
        Some(Known::parse(&cpus, &features))
    });
    if let Ok(mut cache) = cache.lock() {
        cache.insert(triple.to_string(), known.clone());
    }
    known
}

/// Each `+name`/`-name` of the feature options, split at commas.
fn feature_items(codegen: &Codegen) -> impl Iterator<Item = &str> {
    codegen
        .target_features
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// The option [`check`] names for a bad feature.
const FEATURE_OPTION: &str = "--target-feature (-C target-feature)";

/// Refuses a CPU or feature name LLVM does not know for `triple`, and a
/// feature without its `+` or `-`, naming the option and the value. Names
/// are checked when rustc can list them for the target; the sign always.
pub fn check(codegen: &Codegen, triple: &str) -> crate::Result<()> {
    for item in feature_items(codegen) {
        let name = item.strip_prefix(['+', '-']).unwrap_or_default();
        if name.is_empty() {
            return Err(Error::TargetName {
                option: FEATURE_OPTION,
                value: item.to_string(),
                problem: "each feature is `+name` to enable it or `-name` to disable it, \
                          comma-separated"
                    .into(),
            });
        }
    }
    // Listing the names costs two rustc runs: only when there are some.
    if codegen.target_cpu.is_none() && feature_items(codegen).next().is_none() {
        return Ok(());
    }
    let Some(known) = known_for(triple) else {
        return Ok(());
    };
    let triple = if triple.is_empty() {
        "the host"
    } else {
        triple
    };
    if let Some(cpu) = codegen.target_cpu.as_deref() {
        if !known.cpus.contains(cpu) {
            return Err(Error::TargetName {
                option: "--target-cpu (-C target-cpu)",
                value: cpu.to_string(),
                problem: format!(
                    "not a CPU LLVM knows for {triple} (`rustc --print target-cpus` lists them)"
                ),
            });
        }
    }
    for item in feature_items(codegen) {
        let name = &item[1..];
        if !known.feature(name) {
            return Err(Error::TargetName {
                option: FEATURE_OPTION,
                value: item.to_string(),
                problem: format!(
                    "`{name}` is not a feature LLVM knows for {triple} \
                     (`rustc --print target-features` lists them)"
                ),
            });
        }
    }
    Ok(())
}

/// The feature options as LLVM's target machine takes them: rustc's names
/// turned into LLVM's (`+bmi1` → `+bmi`), rustc-only ones (`crt-static`)
/// left out.
pub fn llvm_features(codegen: &Codegen) -> String {
    feature_items(codegen)
        .filter_map(|item| {
            let (sign, name) = item.split_at(1);
            if RUSTC_ONLY.contains(&name) {
                return None;
            }
            let name = RENAMED
                .iter()
                .find(|(rustc, _)| *rustc == name)
                .map_or(name, |(_, llvm)| llvm);
            Some(format!("{sign}{name}"))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_listings_are_read() {
        let known = Known::parse(
            "Available CPUs for this target:\n    native   - Select the CPU of the current host (currently znver5).\n    corei7\n    x86-64   - This is the default\n",
            "Features supported by rustc for this target:\n    bmi1   - Support BMI instructions.\n    crt-static - x\n\n\
             Code-generation features supported by LLVM for this target:\n    64bit   - Support 64-bit instructions.\n\n\
             Use +feature to enable a feature, or -feature to disable it.\n",
        );
        assert_eq!(
            known.cpus,
            ["corei7", "native", "x86-64"].map(String::from).into()
        );
        for name in ["bmi1", "bmi", "64bit", "crt-static"] {
            assert!(known.feature(name), "{name}");
        }
        for name in ["garbage", "feature", "Use"] {
            assert!(!known.feature(name), "{name}");
        }
    }

    #[test]
    fn features_reach_llvm_under_llvm_names() {
        let codegen = Codegen {
            target_features: vec!["+bmi1,-avx2".into(), "+crt-static".into(), "+sse4.2".into()],
            ..Codegen::default()
        };
        assert_eq!(llvm_features(&codegen), "+bmi,-avx2,+sse4.2");
    }
}
