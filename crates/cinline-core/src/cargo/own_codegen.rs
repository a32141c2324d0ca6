//! Libraries whose machine code cinline generates, once.
//!
//! For a library (`.rlib`), rustc is asked to optimize the crate and leave
//! LLVM bitcode in the archive instead of machine code
//! (`-C linker-plugin-lto`). cinline then inlines the helpers into each
//! codegen unit, generates its object, and puts it in the bitcode's place:
//! rustc's own objects, which would be thrown away for every unit that
//! calls a helper, are never made.
//!
//! `-C lto=fat` is added so that rustc optimizes with LLVM's full-LTO
//! pre-link pipeline, which is its whole per-module pipeline
//! (`buildLTOPreLinkDefaultPipeline`); the default ThinLTO pre-link
//! pipeline would leave vectorization and unrolling to a link step. rustc
//! performs no LTO for an rlib. Everything else about the archive (its
//! metadata, bundled native libraries, symbol table) stays rustc's.
//!
//! Used for the libraries that depend directly on a package that wrote a
//! helper manifest (they are the ones that call helpers; for the others,
//! which only see the manifest through a dependency, rustc's objects are
//! kept and nothing is generated again), when each unit's bitcode is the
//! whole story: one codegen unit, or no optimization. With several
//! optimized units rustc would run crate-local ThinLTO between them, so
//! those crates keep the other path (rustc's objects, replaced where they
//! call helpers).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use super::cgu::{left_calls, unit_record};
use super::record::{Record, Unit};
use super::rustc_args::{with_codegen_options, without_codegen_option, Invocation};
use super::{archive, is_unit, log, HelperSet};
use crate::link::{link, Codegen, LinkOptions, OptLevel};
use crate::toolchain::Rustc;
use crate::Error;

/// Whether this path builds the crate: a library only (`lib`/`rlib`) that
/// depends directly on a package of `helpers`, one codegen unit or none
/// optimized, no output but the usual ones, and not switched off with
/// `CINLINE_CODEGEN_ONCE=0`.
pub(super) fn applies(inv: &Invocation, helpers: &HelperSet) -> bool {
    let calls_helpers = helpers
        .packages
        .iter()
        .any(|p| inv.externs.contains(&p.replace('-', "_")));
    let library_only = !inv.crate_types.is_empty()
        && inv
            .crate_types
            .iter()
            .all(|t| matches!(t.as_str(), "lib" | "rlib"));
    let usual_outputs = inv
        .emit
        .iter()
        .all(|k| matches!(k.as_str(), "link" | "metadata" | "dep-info"));
    let whole_units = inv.opt_level == OptLevel::O0 || inv.codegen_units.is_none_or(|n| n == 1);
    let enabled = crate::env::codegen_once();
    calls_helpers && library_only && usual_outputs && whole_units && enabled
}

/// rustc's arguments for this path: bitcode in the archive, optimized with
/// the full pipeline, and one codegen unit when optimizing (what rustc
/// itself picks for a crate whose bitcode is asked for).
pub(super) fn rustc_args(args: &[OsString], inv: &Invocation) -> Vec<OsString> {
    // cargo says `-C embed-bitcode=no` when it does not use LTO; rustc
    // refuses it together with `-C lto`.
    let args = without_codegen_option(args, "embed-bitcode");
    let mut options = vec!["linker-plugin-lto", "lto=fat"];
    if inv.opt_level != OptLevel::O0 && inv.codegen_units.is_none() {
        options.push("codegen-units=1");
    }
    with_codegen_options(&args, &options)
}

/// Generates the object of every bitcode unit in the archive at `path`,
/// with the helpers inlined, and replaces the bitcode with it. An error
/// means the archive is unusable as it is (bitcode a plain linker cannot
/// read): the caller must build the crate again without cinline.
pub(super) fn compile_archive(
    path: &Path,
    inv: &Invocation,
    rustc: &Rustc,
    helpers: &HelperSet,
    codegen: &Codegen,
) -> crate::Result<Record> {
    let stem = inv.stem();
    let members = archive::members(path)?;
    let units: Vec<(&String, &Vec<u8>)> = members
        .iter()
        .filter(|(name, data)| is_unit(name, &stem) && data.starts_with(b"BC\xC0\xDE"))
        .map(|(name, data)| (name, data))
        .collect();
    let scratch = tempfile::tempdir().map_err(crate::Error::write(std::env::temp_dir()))?;
    // rustc's libLLVM is loaded here, once, before the workers start (each
    // `link` below would otherwise be the first to load it). An error is
    // left for `link` to report, with its fallback to the llvm-tools engine.
    let _ = crate::toolchain::load_libllvm(rustc);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(units.len())
        .max(1);
    log(|| {
        format!(
            "crate `{}`: generating {} unit(s) on {threads} thread(s)",
            inv.crate_name,
            units.len()
        )
    });
    // Each thread takes every `threads`-th unit, with its own LLVM context.
    let results: Vec<crate::Result<Compiled>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                let units = &units;
                let scratch = scratch.path();
                s.spawn(move || {
                    units
                        .iter()
                        .skip(first)
                        .step_by(threads)
                        .map(|(name, data)| {
                            compile_unit(name, data, scratch, rustc, helpers, codegen)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|_| vec![Err(crate::Error::ThreadPanicked)])
            })
            .collect()
    });
    let mut record = Record {
        crate_name: inv.crate_name.clone(),
        stem,
        kind: inv.archive_types().next().unwrap_or("rlib").into(),
        ..Record::default()
    };
    let mut replacements = BTreeMap::new();
    for result in results {
        let compiled = result?;
        record.units.extend(compiled.unit);
        replacements.insert(compiled.name, compiled.object);
    }
    record.units.sort_by(|a, b| a.name.cmp(&b.name));
    archive::replace(path, &members, &replacements)?;
    Ok(record)
}

/// One unit's object, made by [`compile_unit`].
struct Compiled {
    /// The archive member's name.
    name: String,
    /// The object that replaces the bitcode.
    object: Vec<u8>,
    /// What the record says of the unit, if it called helpers.
    unit: Option<Unit>,
}

/// The object of one unit (`name`, its bitcode `data`).
fn compile_unit(
    name: &str,
    data: &[u8],
    scratch: &Path,
    rustc: &Rustc,
    helpers: &HelperSet,
    codegen: &Codegen,
) -> crate::Result<Compiled> {
    let bitcode = scratch.join(format!("{name}.bc"));
    let output = scratch.join(name);
    std::fs::write(&bitcode, data).map_err(Error::write(&bitcode))?;
    let outcome = link(
        &LinkOptions {
            krate: bitcode.clone(),
            helpers: helpers.bitcode.clone(),
            output: output.clone(),
            codegen: codegen.clone(),
            reconcile: true,
            captured: helpers.captured.clone(),
            budget: crate::env::inline_budget()?,
            helper_index: helpers.index.clone(),
            engine: crate::env::engine()?,
            ..LinkOptions::default()
        },
        rustc,
    )?;
    let object = std::fs::read(&output).map_err(Error::read(&output))?;
    let unit = (outcome.helper_calls > 0)
        .then(|| -> crate::Result<Unit> {
            Ok(unit_record(
                name.to_string(),
                outcome.helper_calls,
                &outcome.called_helpers,
                left_calls(&bitcode, &object, helpers, &outcome)?,
                &outcome.mismatches,
            ))
        })
        .transpose()?;
    Ok(Compiled {
        name: name.to_string(),
        object,
        unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cargo::rustc_args::{decide, Decision};

    fn helpers() -> HelperSet {
        HelperSet {
            packages: vec!["m-sys".into()],
            ..HelperSet::default()
        }
    }

    fn invocation(line: &str) -> (Vec<OsString>, Invocation) {
        let line = format!("{line} --extern m_sys=d/libm_sys.rlib");
        let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        match decide(&args) {
            Decision::Handle(inv) => (args, *inv),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn single_unit_libraries_are_generated_once() {
        let (args, inv) = invocation(
            "--crate-name m src/lib.rs --crate-type lib --emit=dep-info,metadata,link \
             -C opt-level=3 -C embed-bitcode=no --out-dir d",
        );
        assert!(applies(&inv, &helpers()));
        let new: Vec<String> = rustc_args(&args, &inv)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(!new.iter().any(|a| a.contains("embed-bitcode")));
        assert!(new.ends_with(&[
            "-C".into(),
            "linker-plugin-lto".into(),
            "-C".into(),
            "lto=fat".into(),
            "-C".into(),
            "codegen-units=1".into()
        ]));
    }

    #[test]
    fn other_crates_keep_rustc_objects() {
        let lib = "--crate-name m src/lib.rs --emit=link --out-dir d";
        // Several optimized units: rustc's crate-local ThinLTO joins them.
        let (_, inv) = invocation(&format!(
            "{lib} --crate-type lib -C opt-level=3 -C codegen-units=4"
        ));
        assert!(!applies(&inv, &helpers()));
        // Unoptimized, any number of units.
        let (_, inv) = invocation(&format!("{lib} --crate-type lib -C codegen-units=4"));
        assert!(applies(&inv, &helpers()));
        // Binaries are linked by rustc, from objects.
        let (_, inv) = invocation(&format!("{lib} --crate-type bin"));
        assert!(!applies(&inv, &helpers()));
        let (_, inv) = invocation(&format!("{lib} --crate-type lib,staticlib"));
        assert!(!applies(&inv, &helpers()));
        // Crates that see the helpers only through a dependency.
        let (_, inv) = invocation(&format!("{lib} --crate-type lib"));
        assert!(!applies(&inv, &HelperSet::default()));
    }
}
