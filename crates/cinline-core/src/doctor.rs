//! `cinline doctor`: proves on this machine that helpers get inlined.
//!
//! Lists rustc and its LLVM, every clang and llvm-link with theirs, and which
//! engines can run; then compiles a tiny helper and a tiny crate, links them
//! with each usable engine and checks in the object that the helper call is
//! gone.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::cc::{compile, CcOptions};
use crate::full_message;
use crate::link::{link_object, Engine, LinkOptions};
use crate::report::scan_object;
use crate::toolchain::{find_libllvm, list_tools, load_libllvm, run, Rustc};

/// What the doctor found.
#[derive(Debug, Default)]
pub struct Diagnosis {
    /// Facts, one per line.
    pub facts: Vec<String>,
    /// Problems, one per line, each saying what to install or set.
    pub problems: Vec<String>,
    /// Engines that inlined the sample helper.
    pub working: Vec<Engine>,
    /// rustc's libLLVM was loaded: attribute checks and `--reconcile` work
    /// (without it the llvm-tools engine links without them).
    pub libllvm_loaded: bool,
}

impl Diagnosis {
    /// Inlining works with at least one engine, and with the attribute
    /// checks: a kernel's helpers need `--reconcile`, which needs rustc's
    /// libLLVM.
    pub fn ok(&self) -> bool {
        !self.working.is_empty() && self.libllvm_loaded
    }

    /// An engine inlined the sample, but without rustc's libLLVM: no
    /// attribute checks, no `--reconcile`.
    pub fn attribute_checks_off(&self) -> bool {
        !self.working.is_empty() && !self.libllvm_loaded
    }
}

const HELPER_C: &str = "int rust_helper_cinline_doctor(int x) { return 3 * x + 1; }\n";
const CRATE_RS: &str = "#![no_std]\n\
    extern \"C\" { fn rust_helper_cinline_doctor(x: i32) -> i32; }\n\
    #[no_mangle]\n\
    pub extern \"C\" fn cinline_doctor(x: i32) -> i32 { unsafe { rust_helper_cinline_doctor(x) } }\n";
const HELPER: &str = "rust_helper_cinline_doctor";

/// Runs every check. Never fails: what goes wrong becomes a problem line.
pub fn diagnose() -> Diagnosis {
    let mut d = Diagnosis::default();
    let rustc = match Rustc::find() {
        Ok(rustc) => rustc,
        Err(e) => {
            d.problems.push(full_message(&e));
            return d;
        }
    };
    let major = rustc.llvm.major;
    d.facts.push(format!(
        "rustc: {} ({}), LLVM {}",
        rustc.release,
        rustc.path.display(),
        rustc.llvm
    ));
    let libllvm =
        find_libllvm(&rustc).and_then(|path| load_libllvm(&rustc).map(|llvm| (path, llvm)));
    d.libllvm_loaded = libllvm.is_ok();
    match &libllvm {
        Ok((path, llvm)) => d.facts.push(format!(
            "rustc's libLLVM: {} (LLVM {})",
            path.display(),
            llvm.version()
        )),
        Err(e) => d.problems.push(full_message(e)),
    }
    let clangs = list_tools("clang", major);
    let links = list_tools("llvm-link", major);
    for tool in clangs.iter().chain(&links) {
        d.facts
            .push(format!("{}: LLVM {}", tool.path.display(), tool.version));
    }
    let usable_clang = clangs.iter().find(|c| c.version.major <= major);
    if usable_clang.is_none() {
        d.problems.push(format!(
            "no clang of LLVM {major} or older found: `apt-get install clang-{major}` or set CLANG"
        ));
    }
    let mut engines = Vec::new();
    if libllvm.is_ok() && usable_clang.is_some() {
        engines.push(Engine::RustcLlvm);
    }
    if links.iter().any(|l| l.version.major >= major) {
        engines.push(Engine::LlvmTools);
    } else {
        d.problems.push(format!(
            "no llvm-link of LLVM {major} or newer (the llvm-tools engine): `apt-get install llvm-{major}`"
        ));
    }
    d.facts.push(format!(
        "engines that can run: {}",
        if engines.is_empty() {
            "none".to_string()
        } else {
            engines
                .iter()
                .map(|e| e.name())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    let Some(clang) = usable_clang else { return d };
    let scratch = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            d.problems
                .push(format!("cannot create a temporary directory: {e}"));
            return d;
        }
    };
    let dir = scratch.path();
    if let Err(e) = build_sample(&rustc, &clang.path, dir) {
        d.problems
            .push(format!("building the sample failed: {}", full_message(&e)));
        return d;
    }
    for engine in engines {
        match prove(&rustc, engine, dir) {
            Ok(0) => {
                d.facts.push(format!("{engine}: the sample helper call was inlined (0 calls left)"));
                d.working.push(engine);
            }
            Ok(n) => d.problems.push(format!(
                "{engine}: the sample helper was not inlined ({n} references left); run `cinline report` on your objects"
            )),
            Err(e) => d.problems.push(format!("{engine}: {}", full_message(&e))),
        }
    }
    d
}

fn build_sample(rustc: &Rustc, clang: &Path, dir: &Path) -> crate::Result<()> {
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(crate::Error::write(dir.join(name)))
    };
    write("helper.c", HELPER_C)?;
    write("sample.rs", CRATE_RS)?;
    compile(
        &CcOptions {
            input: dir.join("helper.c"),
            output: dir.join("helper.bc"),
            clang: Some(clang.to_path_buf()),
            ..CcOptions::default()
        },
        rustc,
    )?;
    run(Command::new(&rustc.path)
        .args([
            "--crate-type=lib",
            "--emit=llvm-bc",
            "-Copt-level=2",
            "-Cpanic=abort",
            "--crate-name=sample",
            "-o",
        ])
        .arg(dir.join("sample.bc"))
        .arg(dir.join("sample.rs")))?;
    Ok(())
}

/// Links the sample with `engine` and returns the references to the helper
/// left in the object.
fn prove(rustc: &Rustc, engine: Engine, dir: &Path) -> crate::Result<usize> {
    let output = dir.join(format!("sample-{engine}.o"));
    let (_, data) = link_object(
        &LinkOptions {
            krate: dir.join("sample.bc"),
            helpers: vec![dir.join("helper.bc")],
            output: output.clone(),
            engine: Some(engine),
            ..LinkOptions::default()
        },
        rustc,
    )?;
    let helpers: BTreeSet<String> = [HELPER.to_string()].into();
    let found = scan_object(&output, &data, &helpers)?;
    Ok(found
        .values()
        .map(|(refs, defined)| refs + usize::from(*defined))
        .sum())
}
