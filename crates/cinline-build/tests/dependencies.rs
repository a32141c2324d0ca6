//! What a build script using cinline-build compiles: few crates, and none
//! of the pipeline's (no LLVM loader, archive writer or bitcode reader).

#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::process::Command;

/// The most crates cinline-build may pull into a build script (itself
/// included): bindgen and cc are most of them.
const MOST_CRATES: usize = 45;

#[test]
fn a_build_script_pulls_few_crates_and_none_of_the_pipeline() {
    // cargo tells its tests which cargo runs them.
    let cargo = env!("CARGO");
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "cinline-build",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--offline", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let crates: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert!(
        crates.len() <= MOST_CRATES,
        "cinline-build pulls {} crates (at most {MOST_CRATES}): {crates:?}",
        crates.len()
    );
    for heavy in [
        "cinline-core",
        "cinline-llvm",
        "ar_archive_writer",
        "llvm-bitcode",
    ] {
        assert!(!crates.contains(heavy), "cinline-build pulls {heavy}");
    }
}
