//! The producer version is read from real clang output.

#![forbid(unsafe_code)]

use std::process::Command;

use cinline_core::bitcode::BitcodeFile;

fn compile_with(clang: &str) -> BitcodeFile {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("h.c");
    let out = dir.path().join("h.bc");
    std::fs::write(&src, "int f(int x) { return x + 1; }\n").unwrap();
    let status = Command::new(clang)
        .args(["-c", "-emit-llvm"])
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    BitcodeFile::read(&out).unwrap()
}

#[test]
fn producer_versions_of_clang_22_and_16() {
    for (clang, major) in [("clang-22", 22), ("clang-16", 16)] {
        let file = compile_with(clang);
        assert_eq!(
            file.version.map(|v| v.major),
            Some(major),
            "{clang}: producer {:?}",
            file.producer
        );
        assert!(file
            .producer
            .as_deref()
            .unwrap()
            .starts_with(&format!("LLVM{major}.")));
    }
}

#[test]
fn newer_bitcode_is_refused_older_accepted() {
    let file = compile_with("clang-22");
    let v = |major| cinline_core::toolchain::Version {
        major,
        minor: 0,
        patch: 0,
    };
    assert!(file.check_readable_by(v(22)).is_ok());
    assert!(file.check_readable_by(v(23)).is_ok());
    let err = file.check_readable_by(v(21)).unwrap_err().to_string();
    assert!(
        err.contains("bitcode made by LLVM 22.") && err.contains("engine's LLVM 21.0.0"),
        "{err}"
    );
}
