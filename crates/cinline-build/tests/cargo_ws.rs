//! The real thing: `tests/fixtures/cargo-ws` (a -sys crate whose build
//! script uses cinline-build, a safe wrapper, a program) copied to a
//! scratch directory and built and tested with the real cargo, rustc, clang
//! and libclang, with nothing from this environment that would change the
//! build (`RUSTFLAGS`, `RUSTC_WRAPPER`, ...). One build serves every test.

#![forbid(unsafe_code)]

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use cinline_core::bitcode::BitcodeFile;
use cinline_core::manifest::Manifest;

use support::{command, copy_workspace, Scratch};

/// The fixture, built once: `cargo build --release`, then
/// `cargo test --release`.
struct Built {
    /// Keeps the scratch directory alive.
    _dir: Scratch,
    /// The copied workspace.
    ws: PathBuf,
    /// Its target directory.
    target: PathBuf,
    /// `cargo build --release` took this long.
    build_secs: f64,
    /// `cargo test --release`: success, and its output.
    test: (bool, String),
}

fn cargo(ws: &Path, target: &Path, args: &[&str]) -> Command {
    let mut cmd = command(env!("CARGO"), ws, args);
    cmd.env("CARGO_TARGET_DIR", target);
    cmd
}

fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The fixture built once for every test of this file; a failed build is
/// reported by each test, not retried.
fn built() -> &'static Built {
    static BUILT: OnceLock<Result<Built, String>> = OnceLock::new();
    match BUILT.get_or_init(build) {
        Ok(built) => built,
        Err(e) => panic!("{e}"),
    }
}

fn build() -> Result<Built, String> {
    let dir = Scratch::new();
    let ws = dir.path().join("cargo-ws");
    copy_workspace("tests/fixtures/cargo-ws", &ws);
    let target = dir.path().join("target");

    let start = std::time::Instant::now();
    let out = cargo(&ws, &target, &["build", "--release"])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let build_secs = start.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "cargo build --release of the fixture failed:\n{}",
            output_text(&out)
        ));
    }
    eprintln!("fixture: cargo build --release took {build_secs:.1} s");
    let out = cargo(&ws, &target, &["test", "--release"])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(Built {
        _dir: dir,
        ws,
        target,
        build_secs,
        test: (out.status.success(), output_text(&out)),
    })
}

/// The manifest mini-sys's build script wrote, and its directory.
fn manifest() -> (PathBuf, Manifest) {
    let build = built().target.join("release/build");
    let found: Vec<PathBuf> = std::fs::read_dir(&build)
        .unwrap()
        .flatten()
        .map(|e| e.path().join("out/mini-sys.cinline.json"))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one mini-sys manifest under {}",
        build.display()
    );
    let path = found.into_iter().next().unwrap();
    let manifest = Manifest::read(&path).unwrap();
    (path.parent().unwrap().to_path_buf(), manifest)
}

#[test]
fn the_program_prints_the_expected_output() {
    let built = built();
    let program = built.target.join("release/mini-app");
    let out = Command::new(&program).output().expect("runs mini-app");
    assert!(out.status.success(), "{}", output_text(&out));
    let expected = std::fs::read_to_string(built.ws.join("mini-app/expected_output.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert!(built.build_secs > 0.0);
}

#[test]
fn the_fixture_tests_pass() {
    let (ok, output) = &built().test;
    assert!(ok, "cargo test --release of the fixture failed:\n{output}");
    assert!(output.contains("test result: ok. 3 passed"), "{output}");
    assert!(output.contains("test result: ok. 1 passed"), "{output}");
}

#[test]
fn the_manifest_lists_the_wrappers_and_helpers() {
    let (_, manifest) = manifest();
    assert_eq!(manifest.package, "mini-sys");
    assert_eq!(manifest.format, cinline_core::manifest::FORMAT);
    assert!(!manifest.llvm_triple.is_empty());
    assert!(manifest.llvm().is_some(), "{}", manifest.llvm_version);
    // Every symbol the helper bitcode defines: the wrappers, the helpers,
    // and the plain C function of helpers.c.
    let expected = [
        "mini_add_mul__extern",
        "mini_c_hits",
        "mini_point_set_x__extern",
        "mini_point_x__extern",
        "mini_ref_dec_and_test__extern",
        "mini_ref_inc__extern",
        "mini_ref_init__extern",
        "mini_ref_read__extern",
        "mini_tally_add__extern",
        "mini_tally_get__extern",
        "mini_tally_reset__extern",
        "mini_test_and_set_bit__extern",
        "mini_ticket_next__extern",
        "rust_helper_mini_hits_bump",
        "rust_helper_mini_manhattan",
        "rust_helper_mini_rotl32",
    ];
    assert_eq!(manifest.symbols, expected);
    assert_eq!(
        manifest.bitcode,
        ["cinline/cinline_wrappers.bc", "cinline/helpers.bc"].map(PathBuf::from)
    );
}

#[test]
fn the_bitcode_files_are_bitcode_of_the_manifest_llvm() {
    let (dir, manifest) = manifest();
    for bc in &manifest.bitcode {
        assert!(bc.is_relative(), "{}", bc.display());
        let file = BitcodeFile::read(&dir.join(bc)).unwrap();
        assert_eq!(
            file.version.map(|v| v.to_string()).as_deref(),
            Some(manifest.llvm_version.as_str()),
            "{}",
            bc.display()
        );
    }
}

#[test]
fn the_bindings_call_helpers_by_their_plain_c_names() {
    let (dir, _) = manifest();
    let bindings = std::fs::read_to_string(dir.join("bindings.rs")).unwrap();
    assert!(bindings.contains("#[link_name = \"rust_helper_mini_rotl32\"]"));
    assert!(bindings.contains("pub fn mini_rotl32("));
    assert!(bindings.contains("#[link_name = \"mini_add_mul__extern\"]"));
    assert!(!bindings.contains("\\u{1}"), "{bindings}");
    assert_eq!(bindings.matches("automatically generated").count(), 1);
}
